//! One DARTS cell: four intermediate nodes, each fed by two edges.

use thiserror::Error;

use crate::DartsOp;

/// Number of intermediate nodes in a cell.
pub const DARTS_NODES: usize = 4;

/// Number of edges in a cell (two per intermediate node).
pub const DARTS_EDGES: usize = 2 * DARTS_NODES;

/// One edge of a cell: where it comes from and what it computes.
///
/// Inputs are numbered as in DARTS genotypes: 0 and 1 are the outputs of the
/// two previous cells (`c_{k-2}`, `c_{k-1}`), 2..=5 the intermediate nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DartsEdge {
    /// The node the edge reads from.
    pub input: u8,
    /// The operation applied on the edge.
    pub op: DartsOp,
}

impl DartsEdge {
    /// An edge from `input` through `op`.
    pub const fn new(input: u8, op: DartsOp) -> Self {
        Self { input, op }
    }
}

/// Why eight edges do not form a valid cell.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DartsCellError {
    /// An edge reads from a node that is not computed before its target node.
    #[error(
        "edge {edge} feeds node {node} and must read from a node in 0..={max}, found input {input}"
    )]
    InputOutOfRange {
        /// Position of the edge in the cell (0..8).
        edge: usize,
        /// The intermediate node it feeds (2..=5).
        node: usize,
        /// The input found.
        input: u8,
        /// The largest allowed input.
        max: u8,
    },
    /// Both edges of a node read from the same node.
    #[error("node {node} must take 2 distinct inputs, found input {input} twice")]
    RepeatedInput {
        /// The intermediate node (2..=5).
        node: usize,
        /// The input used twice.
        input: u8,
    },
}

/// A DARTS cell: edges `2k` and `2k + 1` feed intermediate node `k + 2`; the
/// cell's output concatenates all four intermediate nodes.
///
/// The order of a node's two edges is kept as written (NASLib's mutation and
/// compact keys depend on it); [`DartsCell::canonical`] removes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DartsCell {
    edges: [DartsEdge; DARTS_EDGES],
}

impl DartsCell {
    /// The cell with these edges, if every node reads from two distinct earlier nodes.
    pub fn new(edges: [DartsEdge; DARTS_EDGES]) -> Result<Self, DartsCellError> {
        for (position, edge) in edges.iter().enumerate() {
            let node = node_of_edge(position);
            let max = (node - 1) as u8;
            if edge.input > max {
                return Err(DartsCellError::InputOutOfRange {
                    edge: position,
                    node,
                    input: edge.input,
                    max,
                });
            }
        }
        for (k, pair) in edges.chunks_exact(2).enumerate() {
            if pair[0].input == pair[1].input {
                return Err(DartsCellError::RepeatedInput {
                    node: k + 2,
                    input: pair[0].input,
                });
            }
        }
        Ok(Self { edges })
    }

    /// The eight edges, two per node, in node order.
    pub fn edges(&self) -> &[DartsEdge; DARTS_EDGES] {
        &self.edges
    }

    /// The two edges feeding intermediate node `node` (2..=5).
    ///
    /// # Panics
    /// When `node` is not in 2..=5.
    pub fn node_edges(&self, node: usize) -> [DartsEdge; 2] {
        assert!(
            (2..2 + DARTS_NODES).contains(&node),
            "node {node} not in 2..=5"
        );
        let k = node - 2;
        [self.edges[2 * k], self.edges[2 * k + 1]]
    }

    /// The same cell with each node's two edges in ascending (input, op) order.
    pub fn canonical(&self) -> Self {
        let mut edges = self.edges;
        for pair in edges.chunks_exact_mut(2) {
            if pair[1] < pair[0] {
                pair.swap(0, 1);
            }
        }
        Self { edges }
    }

    /// Sets edge `position` without validation; callers keep the invariants.
    pub(crate) fn with_edge(mut self, position: usize, edge: DartsEdge) -> Self {
        self.edges[position] = edge;
        self
    }
}

/// The intermediate node (2..=5) that edge `position` (0..8) feeds.
pub(crate) const fn node_of_edge(position: usize) -> usize {
    position / 2 + 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(spec: [(u8, usize); 8]) -> [DartsEdge; 8] {
        spec.map(|(input, op)| DartsEdge::new(input, DartsOp::ALL[op]))
    }

    #[test]
    fn validation_rejects_forward_and_repeated_inputs() {
        let good = [
            (0, 3),
            (1, 3),
            (0, 1),
            (2, 4),
            (3, 0),
            (1, 1),
            (4, 2),
            (0, 6),
        ];
        assert!(DartsCell::new(edges(good)).is_ok());

        let mut forward = good;
        forward[3] = (3, 4); // node 3 cannot read node 3
        assert_eq!(
            DartsCell::new(edges(forward)),
            Err(DartsCellError::InputOutOfRange {
                edge: 3,
                node: 3,
                input: 3,
                max: 2
            })
        );

        let mut repeated = good;
        repeated[5] = (3, 6);
        assert_eq!(
            DartsCell::new(edges(repeated)),
            Err(DartsCellError::RepeatedInput { node: 4, input: 3 })
        );
    }

    #[test]
    fn canonical_ignores_input_order_within_a_node_only() {
        let a = DartsCell::new(edges([
            (1, 3),
            (0, 3),
            (0, 1),
            (2, 4),
            (3, 0),
            (1, 1),
            (4, 2),
            (0, 6),
        ]))
        .unwrap();
        let b = DartsCell::new(edges([
            (0, 3),
            (1, 3),
            (2, 4),
            (0, 1),
            (1, 1),
            (3, 0),
            (0, 6),
            (4, 2),
        ]))
        .unwrap();
        assert_ne!(a, b);
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(
            a.canonical().edges()[0],
            DartsEdge::new(0, DartsOp::SepConv3x3)
        );
        // Swapping ops between the two edges of a node is a different cell.
        let c = DartsCell::new(edges([
            (0, 3),
            (1, 3),
            (0, 4),
            (2, 1),
            (3, 0),
            (1, 1),
            (4, 2),
            (0, 6),
        ]))
        .unwrap();
        assert_ne!(c.canonical(), b.canonical());
    }
}
