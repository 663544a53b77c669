use crate::EncodingError;
use crate::error::check_len;

/// The caller's buffers a [`GraphEncoding`] writes into.
///
/// Layouts (all row-major, `f64` like [`crate::VectorEncoding`]):
/// `node_features[i * num_node_features + k]` is feature `k` of node `i`;
/// `adjacency[i * max_nodes + j]` is the weight of the edge from node `i` to
/// node `j` (row = source, data flows from `i` to `j`); `graph_features` holds
/// per-architecture features that belong to no node (e.g. precomputed
/// embeddings), empty for most spaces.
#[derive(Debug)]
pub struct GraphBuffers<'a> {
    /// `max_nodes * num_node_features` entries.
    pub node_features: &'a mut [f64],
    /// `max_nodes * max_nodes` entries.
    pub adjacency: &'a mut [f64],
    /// `num_graph_features` entries.
    pub graph_features: &'a mut [f64],
}

/// One architecture encoded as a graph, owning its tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphTensors {
    /// Nodes that belong to the architecture; rows from here to `max_nodes`
    /// are zero padding (a GCN masks them out).
    pub num_nodes: usize,
    /// Rows of `node_features` and side of `adjacency`.
    pub max_nodes: usize,
    /// Columns of `node_features`.
    pub num_node_features: usize,
    /// Node features, `max_nodes * num_node_features`, row-major.
    pub node_features: Vec<f64>,
    /// Adjacency, `max_nodes * max_nodes`, row = source node.
    pub adjacency: Vec<f64>,
    /// Per-architecture features outside the graph.
    pub graph_features: Vec<f64>,
}

/// An encoding of the architectures `A` as node features plus adjacency, for
/// graph neural network predictors (GCN, GIN).
///
/// Sizes are fixed per encoding: spaces whose graphs vary in size pad to
/// [`GraphEncoding::max_nodes`] and report the real node count.
/// Implementors provide [`GraphEncoding::write`]; callers use the checked
/// [`GraphEncoding::encode_into`] or [`GraphEncoding::encode`].
pub trait GraphEncoding<A>: Send + Sync {
    /// The encoding's name, as used in configs (`gcn`, ...).
    fn name(&self) -> &'static str;

    /// Rows of the node features and side of the adjacency matrix.
    fn max_nodes(&self) -> usize;

    /// Features per node.
    fn num_node_features(&self) -> usize;

    /// Per-architecture features outside the graph (0 unless the space has them).
    fn num_graph_features(&self) -> usize {
        0
    }

    /// Writes the encoding of `arch`, overwriting every entry of the buffers,
    /// and returns the number of real (unpadded) nodes.
    ///
    /// Implementation hook: buffer lengths are checked by the callers in this
    /// trait, so implementations may index freely.
    fn write(&self, arch: &A, buffers: GraphBuffers<'_>) -> usize;

    /// Whether `arch` fits this encoding (e.g. has at most
    /// [`GraphEncoding::max_nodes`] nodes in spaces whose graphs grow); checked
    /// before every write. Fixed-size spaces keep the default, which accepts all.
    fn check(&self, arch: &A) -> Result<(), EncodingError> {
        let _ = arch;
        Ok(())
    }

    /// Writes the encoding of `arch` into the caller's buffers (lengths as in
    /// [`GraphBuffers`]) and returns the number of real nodes.
    fn encode_into(&self, arch: &A, buffers: GraphBuffers<'_>) -> Result<usize, EncodingError> {
        let n = self.max_nodes();
        check_len(
            self.name(),
            "node_features",
            n * self.num_node_features(),
            buffers.node_features.len(),
        )?;
        check_len(self.name(), "adjacency", n * n, buffers.adjacency.len())?;
        check_len(
            self.name(),
            "graph_features",
            self.num_graph_features(),
            buffers.graph_features.len(),
        )?;
        self.check(arch)?;
        Ok(self.write(arch, buffers))
    }

    /// The encoding of `arch` in newly allocated tensors.
    fn encode(&self, arch: &A) -> Result<GraphTensors, EncodingError> {
        self.check(arch)?;
        let max_nodes = self.max_nodes();
        let num_node_features = self.num_node_features();
        let mut node_features = vec![0.0; max_nodes * num_node_features];
        let mut adjacency = vec![0.0; max_nodes * max_nodes];
        let mut graph_features = vec![0.0; self.num_graph_features()];
        let num_nodes = self.write(
            arch,
            GraphBuffers {
                node_features: &mut node_features,
                adjacency: &mut adjacency,
                graph_features: &mut graph_features,
            },
        );
        Ok(GraphTensors {
            num_nodes,
            max_nodes,
            num_node_features,
            node_features,
            adjacency,
            graph_features,
        })
    }
}

impl<A> std::fmt::Debug for dyn GraphEncoding<A> + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "GraphEncoding({}, {} nodes x {} features)",
            self.name(),
            self.max_nodes(),
            self.num_node_features()
        )
    }
}

/// Boxed encodings (what the registry builds) are encodings too, so code
/// generic over `E: GraphEncoding<A>` accepts them.
impl<A, E: GraphEncoding<A> + ?Sized> GraphEncoding<A> for Box<E> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn max_nodes(&self) -> usize {
        (**self).max_nodes()
    }

    fn num_node_features(&self) -> usize {
        (**self).num_node_features()
    }

    fn num_graph_features(&self) -> usize {
        (**self).num_graph_features()
    }

    fn write(&self, arch: &A, buffers: GraphBuffers<'_>) -> usize {
        (**self).write(arch, buffers)
    }

    fn check(&self, arch: &A) -> Result<(), EncodingError> {
        (**self).check(arch)
    }
}
