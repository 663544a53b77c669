//! Cells as DAGs with ops on nodes, the shape NAS-Bench-101 specs have and
//! that edge-op cells (NB201, DARTS) are converted to. Spaces expose their
//! architectures through [`OpDag`] and reuse the paths, adjacency one-hot and
//! GCN tensors written here.

use crate::gcn::LabelledDag;

/// A DAG whose interior nodes carry ops: node 0 is the input, node
/// `num_nodes - 1` the output, and every edge goes from a lower to a higher
/// node (the convention of NB101 specs).
pub trait OpDag {
    /// Nodes, input and output included.
    fn num_nodes(&self) -> usize;

    /// Whether there is an edge `from -> to` (only `from < to` is asked).
    fn has_edge(&self, from: usize, to: usize) -> bool;

    /// The op of interior node `node` (`1..num_nodes - 1`), below the space's
    /// op count.
    fn op(&self, node: usize) -> u8;
}

/// Calls `visit` with the ops of every input-to-output path, input side
/// first; a direct input-to-output edge is the empty path.
pub fn for_each_path<D: OpDag + ?Sized>(dag: &D, visit: &mut dyn FnMut(&[u8])) {
    fn extend<D: OpDag + ?Sized>(
        dag: &D,
        node: usize,
        ops: &mut Vec<u8>,
        visit: &mut dyn FnMut(&[u8]),
    ) {
        let output = dag.num_nodes() - 1;
        for next in node + 1..=output {
            if !dag.has_edge(node, next) {
                continue;
            }
            if next == output {
                visit(ops);
            } else {
                ops.push(dag.op(next));
                extend(dag, next, ops, visit);
                ops.pop();
            }
        }
    }
    if dag.num_nodes() >= 2 {
        extend(dag, 0, &mut Vec::with_capacity(dag.num_nodes()), visit);
    }
}

/// Number of entries of the strict upper triangle of an `n x n` matrix.
pub const fn upper_triangle_len(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

/// Writes the strict upper triangle of the adjacency row by row
/// (`(0,1), (0,2), .., (0,n-1), (1,2), ..`), 1 for an edge, into `out`
/// ([`upper_triangle_len`] entries).
pub fn write_upper_triangle<D: OpDag + ?Sized>(dag: &D, out: &mut [f64]) {
    let n = dag.num_nodes();
    let mut slot = 0;
    for from in 0..n {
        for to in from + 1..n {
            out[slot] = if dag.has_edge(from, to) { 1.0 } else { 0.0 };
            slot += 1;
        }
    }
}

/// Writes a one-hot block of `num_ops` entries per interior node, in node
/// order, into `out` (`(n - 2) * num_ops` entries).
pub fn write_op_one_hot<D: OpDag + ?Sized>(dag: &D, num_ops: usize, out: &mut [f64]) {
    out.fill(0.0);
    for node in 1..dag.num_nodes().saturating_sub(1) {
        out[(node - 1) * num_ops + usize::from(dag.op(node))] = 1.0;
    }
}

/// The labels and edges of `dag` for GCN tensors: input label 0, op `o` label
/// `o + 1`, output label `num_ops + 1`; written into the caller's vectors
/// (cleared first) so that encoding many cells reuses them.
pub fn labelled_parts<D: OpDag + ?Sized>(
    dag: &D,
    num_ops: usize,
    labels: &mut Vec<usize>,
    edges: &mut Vec<(usize, usize)>,
) {
    labels.clear();
    edges.clear();
    let n = dag.num_nodes();
    for node in 0..n {
        labels.push(match node {
            0 => 0,
            _ if node == n - 1 => num_ops + 1,
            _ => 1 + usize::from(dag.op(node)),
        });
        for to in node + 1..n {
            if dag.has_edge(node, to) {
                edges.push((node, to));
            }
        }
    }
}

/// A [`LabelledDag`] over parts from [`labelled_parts`], padded to `max_nodes`.
pub fn labelled_dag<'a>(
    num_ops: usize,
    max_nodes: usize,
    labels: &'a [usize],
    edges: &'a [(usize, usize)],
) -> LabelledDag<'a> {
    LabelledDag {
        num_labels: num_ops + 2,
        max_nodes,
        labels,
        edges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small NB101-like cell: nodes 0..n, edges listed, ops per interior node.
    struct Cell {
        n: usize,
        edges: Vec<(usize, usize)>,
        ops: Vec<u8>,
    }

    impl OpDag for Cell {
        fn num_nodes(&self) -> usize {
            self.n
        }
        fn has_edge(&self, from: usize, to: usize) -> bool {
            self.edges.contains(&(from, to))
        }
        fn op(&self, node: usize) -> u8 {
            self.ops[node - 1]
        }
    }

    fn paths(cell: &Cell) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for_each_path(cell, &mut |ops| out.push(ops.to_vec()));
        out
    }

    #[test]
    fn paths_of_a_diamond_with_a_skip() {
        // 0 -> 1 -> 3, 0 -> 2 -> 3, 1 -> 2, 0 -> 3 (output); ops 1: a=0, 2: b=2.
        let cell = Cell {
            n: 4,
            edges: vec![(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)],
            ops: vec![0, 2],
        };
        assert_eq!(paths(&cell), vec![vec![0, 2], vec![0], vec![2], vec![]]);
    }

    #[test]
    fn a_chain_has_one_path_through_every_node() {
        let cell = Cell {
            n: 7,
            edges: (0..6).map(|i| (i, i + 1)).collect(),
            ops: vec![0, 1, 2, 1, 0],
        };
        assert_eq!(paths(&cell), vec![vec![0, 1, 2, 1, 0]]);
        let indexer = crate::PathIndexer::new(3, 0, 5).unwrap();
        // Longest paths take the last 3^5 numbers of the 364.
        let index = indexer.index(&[0, 1, 2, 1, 0]).unwrap();
        assert!((364 - 243..364).contains(&index));
    }

    #[test]
    fn upper_triangle_and_op_blocks() {
        let cell = Cell {
            n: 4,
            edges: vec![(0, 1), (1, 3), (0, 2), (2, 3)],
            ops: vec![1, 2],
        };
        let mut triangle = vec![9.0; upper_triangle_len(4)];
        write_upper_triangle(&cell, &mut triangle);
        // (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
        assert_eq!(triangle, [1.0, 1.0, 0.0, 0.0, 1.0, 1.0]);
        let mut ops = vec![9.0; 2 * 3];
        write_op_one_hot(&cell, 3, &mut ops);
        assert_eq!(ops, [0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        assert_eq!(upper_triangle_len(7), 21);
        assert_eq!(upper_triangle_len(0), 0);
    }

    #[test]
    fn labelled_parts_number_input_ops_output() {
        let cell = Cell {
            n: 4,
            edges: vec![(0, 1), (1, 3), (0, 2), (2, 3)],
            ops: vec![1, 2],
        };
        let (mut labels, mut edges) = (vec![7], vec![(9, 9)]);
        labelled_parts(&cell, 3, &mut labels, &mut edges);
        assert_eq!(labels, [0, 2, 3, 4]);
        assert_eq!(edges, [(0, 1), (0, 2), (1, 3), (2, 3)]);
        assert_eq!(labelled_dag(3, 7, &labels, &edges).num_labels, 5);
    }
}
