//! GCN tensors of an op-labelled DAG: one-hot op per node (input and output
//! included), adjacency with optional self-loops, row normalisation and a
//! global node, as the GCN predictors of the literature consume them.
//!
//! - Neural Predictor / NASLib `gcn`: adjacency `A + I`, each row divided by
//!   its sum ([`AdjacencyNormalization::Row`]); this is the default.
//! - BONAS: `A + I` plus a global node that every node feeds
//!   ([`GcnOptions::global_node`]). Rows stay sources: a predictor that
//!   gathers along incoming edges (BONAS's transposed adjacency) makes the
//!   global node gather from every node, and reads its embedding out.
//! - NPENAS (GIN): raw adjacency, no self-loops
//!   ([`GcnOptions::raw`]); GIN adds the node itself inside the layer.

use crate::GraphBuffers;

/// How the adjacency (after self-loops) is scaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AdjacencyNormalization {
    /// Entries stay 0 or 1.
    None,
    /// Each row divided by its sum, so a node averages over its successors
    /// (`D^-1 (A + I)`, rows with sum 0 left at 0).
    #[default]
    Row,
}

/// Settings of a GCN graph encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcnOptions {
    /// Sets `A[i][i] = 1` for every real node.
    pub self_loops: bool,
    /// Scaling applied after self-loops and the global node.
    pub normalization: AdjacencyNormalization,
    /// Appends a node (the row right after the real nodes, own feature
    /// column) with an edge from every real node into it, as BONAS does.
    pub global_node: bool,
}

impl Default for GcnOptions {
    /// Self-loops and row normalisation, no global node.
    fn default() -> Self {
        Self {
            self_loops: true,
            normalization: AdjacencyNormalization::Row,
            global_node: false,
        }
    }
}

impl GcnOptions {
    /// The raw 0/1 adjacency of the DAG, for GIN-style predictors.
    pub fn raw() -> Self {
        Self {
            self_loops: false,
            normalization: AdjacencyNormalization::None,
            global_node: false,
        }
    }

    /// BONAS's tensors: self-loops, a global node, entries 0/1.
    pub fn bonas() -> Self {
        Self {
            self_loops: true,
            normalization: AdjacencyNormalization::None,
            global_node: true,
        }
    }

    /// Side of the adjacency for a DAG of at most `max_dag_nodes` nodes.
    pub fn max_nodes(&self, max_dag_nodes: usize) -> usize {
        max_dag_nodes + usize::from(self.global_node)
    }

    /// Features per node for `num_labels` node labels.
    pub fn num_node_features(&self, num_labels: usize) -> usize {
        num_labels + usize::from(self.global_node)
    }
}

/// A DAG to write as GCN tensors: `labels[i]` is node `i`'s label (its
/// feature column, below `num_labels`), `edges` the `(from, to)` pairs.
#[derive(Clone, Copy, Debug)]
pub struct LabelledDag<'a> {
    /// Number of distinct labels (input, ops, output).
    pub num_labels: usize,
    /// Padded size of the DAG (without a global node).
    pub max_nodes: usize,
    /// One label per real node; `labels.len() <= max_nodes`.
    pub labels: &'a [usize],
    /// Directed edges between real nodes.
    pub edges: &'a [(usize, usize)],
}

/// Writes `dag` into `buffers` (sized by [`GcnOptions::max_nodes`] and
/// [`GcnOptions::num_node_features`]) and returns the number of real nodes
/// (the global node included). `dag.labels.len()` must not exceed
/// `dag.max_nodes`.
pub fn write_labelled_dag(
    dag: LabelledDag<'_>,
    options: &GcnOptions,
    buffers: GraphBuffers<'_>,
) -> usize {
    let side = options.max_nodes(dag.max_nodes);
    let width = options.num_node_features(dag.num_labels);
    let features = buffers.node_features;
    let adjacency = buffers.adjacency;
    features.fill(0.0);
    adjacency.fill(0.0);
    buffers.graph_features.fill(0.0);
    for (node, &label) in dag.labels.iter().enumerate() {
        features[node * width + label] = 1.0;
    }
    for &(from, to) in dag.edges {
        adjacency[from * side + to] = 1.0;
    }
    finish_graph(options, side, dag.labels.len(), features, adjacency)
}

/// Completes node features and a 0/1 adjacency already written for
/// `real_nodes` nodes of a graph padded to `side` nodes: adds the global node
/// (row `real_nodes`, so the padding stays after every real node; last
/// feature column),
/// self-loops and the normalisation `options` ask for. Returns the number of
/// real nodes, the global node included. Buffers are sized as in
/// [`GraphBuffers`] for `options`.
pub fn finish_graph(
    options: &GcnOptions,
    side: usize,
    real_nodes: usize,
    features: &mut [f64],
    adjacency: &mut [f64],
) -> usize {
    let mut real = real_nodes;
    if options.global_node {
        let width = features.len() / side;
        let global = real_nodes;
        features[global * width + width - 1] = 1.0;
        for node in 0..real_nodes {
            adjacency[node * side + global] = 1.0;
        }
        real += 1;
        if options.self_loops {
            adjacency[global * side + global] = 1.0;
        }
    }
    if options.self_loops {
        for node in 0..real_nodes {
            adjacency[node * side + node] = 1.0;
        }
    }
    if options.normalization == AdjacencyNormalization::Row {
        for row in adjacency.chunks_exact_mut(side) {
            let sum: f64 = row.iter().sum();
            if sum > 0.0 {
                row.iter_mut().for_each(|a| *a /= sum);
            }
        }
    }
    real
}

#[cfg(test)]
mod tests {
    use super::*;

    /// input -> a -> output, input -> output; 3 labels, padded to 4 nodes.
    fn write(options: GcnOptions) -> (Vec<f64>, Vec<f64>, usize) {
        let dag = LabelledDag {
            num_labels: 3,
            max_nodes: 4,
            labels: &[0, 1, 2],
            edges: &[(0, 1), (1, 2), (0, 2)],
        };
        let side = options.max_nodes(4);
        let mut features = vec![9.0; side * options.num_node_features(3)];
        let mut adjacency = vec![9.0; side * side];
        let real = write_labelled_dag(
            dag,
            &options,
            GraphBuffers {
                node_features: &mut features,
                adjacency: &mut adjacency,
                graph_features: &mut [],
            },
        );
        (features, adjacency, real)
    }

    #[test]
    fn raw_adjacency_is_the_edge_list() {
        let (features, adjacency, real) = write(GcnOptions::raw());
        assert_eq!(real, 3);
        #[rustfmt::skip]
        assert_eq!(adjacency, vec![
            0.0, 1.0, 1.0, 0.0,
            0.0, 0.0, 1.0, 0.0,
            0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0,
        ]);
        #[rustfmt::skip]
        assert_eq!(features, vec![
            1.0, 0.0, 0.0,
            0.0, 1.0, 0.0,
            0.0, 0.0, 1.0,
            0.0, 0.0, 0.0,
        ]);
    }

    #[test]
    fn self_loops_and_row_normalisation() {
        let (_, adjacency, _) = write(GcnOptions::default());
        let third = 1.0 / 3.0;
        #[rustfmt::skip]
        assert_eq!(adjacency, vec![
            third, third, third, 0.0,
            0.0, 0.5, 0.5, 0.0,
            0.0, 0.0, 1.0, 0.0,
            0.0, 0.0, 0.0, 0.0,
        ]);
    }

    #[test]
    fn bonas_global_node_is_fed_by_every_node() {
        let (features, adjacency, real) = write(GcnOptions::bonas());
        assert_eq!(real, 4);
        // Side 5: three DAG nodes, the global node at row 3, one padding row
        // last (all zero, as GraphTensors promises for rows past num_nodes).
        #[rustfmt::skip]
        assert_eq!(adjacency, vec![
            1.0, 1.0, 1.0, 1.0, 0.0,
            0.0, 1.0, 1.0, 1.0, 0.0,
            0.0, 0.0, 1.0, 1.0, 0.0,
            0.0, 0.0, 0.0, 1.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0,
        ]);
        assert_eq!(&features[12..16], &[0.0, 0.0, 0.0, 1.0]);
        assert_eq!(&features[16..20], &[0.0; 4]);
    }
}
