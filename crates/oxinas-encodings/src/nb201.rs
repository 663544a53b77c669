//! Encodings of the NAS-Bench-201 cell.
//!
//! NB201 puts ops on the six edges of a fixed 4-node DAG. Path and GCN
//! encodings work on the equivalent op-on-node DAG, obtained as BANANAS and
//! NASLib do: every edge becomes a node carrying its op, an edge-node
//! `a -> b` feeds every edge-node `b -> c`, the input feeds the edge-nodes
//! leaving cell node 0 and the edge-nodes entering cell node 3 feed the output.
//! `none` edges stay in that DAG as nodes labelled `none`, as in both
//! reference implementations.
//!
//! Throughout, edges are in arch-string order ([`NB201_EDGES`]) and ops in the
//! official order `none, skip_connect, nor_conv_1x1, nor_conv_3x3,
//! avg_pool_3x3` (digit 0..4). The references order ops differently (BANANAS
//! alphabetically, NASLib `skip, none, conv3, conv1, pool`); that only
//! permutes columns within a block.
//!
//! | name | kind | size | invertible |
//! |---|---|---|---|
//! | `categorical` | vector | 6 edges x 5 ops = 30 | yes |
//! | `adjacency` | vector | 30 (same as `categorical`) | yes |
//! | `compact` | vector | 6 op digits | yes |
//! | `path` | vector | 5 + 25 + 125 = 155 | no |
//! | `trunc_path` | vector | 30 most likely paths | no |
//! | `path_without_none` | vector | 4 + 16 + 64 = 84 | no |
//! | `gcn` | graph | 8 nodes x 7 labels | - |
//! | `gcn_bonas` | graph | 9 nodes x 8 labels | - |
//! | `gcn_raw` | graph | 8 nodes x 7 labels | - |
//!
//! `adjacency`: the adjacency one-hot of a space is its flattened upper
//! triangular adjacency followed by a one-hot op per node. NB201's topology is
//! fixed, so the adjacency part is the same for every cell and is left out (as
//! in NASLib's `adjacency_one_hot` for NB201); what remains is `categorical`.
//! The name exists so a config comparing encodings across spaces runs here too.
//!
//! `path` (BANANAS): the cell has 4 input-to-output routes, one of 1 edge
//! (3<-0), two of 2 edges (1<-0, 3<-1 and 2<-0, 3<-2) and one of 3 edges
//! (1<-0, 2<-1, 3<-2). With `none` counted as an op, every sequence of 1, 2 or
//! 3 of the 5 ops can occur, so there are 5 + 25 + 125 = 155 possible paths and
//! every cell has 3 or 4 of them (3 when its two 2-edge routes carry the same
//! ops). Because `none` routes count, two cells that are the same graph with
//! nodes 1 and 2 swapped (possible when edge 2<-1 is `none`) can get different
//! `path` vectors; `path_without_none` drops every route through a `none` edge
//! (leaving 4 ops, 4 + 16 + 64 = 84 paths) and so gives isomorphic cells the
//! same vector.
//!
//! `trunc_path` keeps the 30 paths most likely under uniform sampling, BANANAS's
//! default for NB201. A 1-edge path occurs with probability 1/5, a 2-edge path
//! with 1 - (24/25)^2 = 49/625 and a 3-edge path with 1/125, so the most likely
//! paths are the 5 + 25 shortest and truncation keeps the first entries of
//! `path` (natural cut-offs 5, 30, 155). The ranking is computed from all
//! 15,625 cells, not assumed.

use oxinas_core::Enumerable;
use oxinas_spaces::{NB201_EDGES, Nb201Arch, Nb201Op, Nb201Space};

use crate::gcn::{GcnOptions, LabelledDag, write_labelled_dag};
use crate::one_hot::decode_one_hot;
use crate::op_dag::OpDag;
use crate::path::{
    PathEncoding, PathIndexer, PathSource, TruncatedPathEncoding, path_frequencies,
    ranking_by_frequency,
};
use crate::{
    EncodableSpace, EncodingError, EncodingRegistry, GraphBuffers, GraphEncoding, VectorEncoding,
};

const NUM_EDGES: usize = 6;
const NUM_OPS: usize = 5;
/// The cell's output node.
const OUTPUT_NODE: usize = 3;

/// BANANAS's default number of kept paths for NB201.
pub const NB201_TRUNC_PATH_DEFAULT_K: usize = 30;

/// One-hot op per edge: entry `5 * edge + digit` is 1 (30 entries, six
/// one-hot blocks). Registered as `categorical` and as `adjacency`.
#[derive(Clone, Copy, Debug)]
pub struct Nb201OneHot {
    name: &'static str,
}

impl Nb201OneHot {
    /// The encoding, registered under `name`.
    pub fn new(name: &'static str) -> Self {
        Self { name }
    }
}

impl VectorEncoding<Nb201Arch> for Nb201OneHot {
    fn name(&self) -> &'static str {
        self.name
    }

    fn dim(&self) -> usize {
        NUM_EDGES * NUM_OPS
    }

    fn write(&self, arch: &Nb201Arch, out: &mut [f64]) {
        out.fill(0.0);
        for (edge, op) in arch.ops.iter().enumerate() {
            out[edge * NUM_OPS + usize::from(op.digit())] = 1.0;
        }
    }

    fn one_hot_blocks(&self) -> Vec<std::ops::Range<usize>> {
        (0..NUM_EDGES)
            .map(|edge| edge * NUM_OPS..(edge + 1) * NUM_OPS)
            .collect()
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<Nb201Arch, EncodingError> {
        crate::error::check_len(self.name, "vector", self.dim(), code.len())?;
        let mut ops = [Nb201Op::None; NUM_EDGES];
        for (edge, (op, block)) in ops.iter_mut().zip(code.chunks_exact(NUM_OPS)).enumerate() {
            let digit = decode_one_hot(self.name, block, || edge_name(edge))?;
            *op = Nb201Op::ALL[digit];
        }
        Ok(Nb201Arch { ops })
    }
}

/// The six op digits (0..4, official op order) in edge order: the smallest
/// encoding, for trees and other models that split on integers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Nb201Compact;

impl VectorEncoding<Nb201Arch> for Nb201Compact {
    fn name(&self) -> &'static str {
        "compact"
    }

    fn dim(&self) -> usize {
        NUM_EDGES
    }

    fn write(&self, arch: &Nb201Arch, out: &mut [f64]) {
        for (value, op) in out.iter_mut().zip(arch.ops) {
            *value = f64::from(op.digit());
        }
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<Nb201Arch, EncodingError> {
        crate::error::check_len(self.name(), "vector", self.dim(), code.len())?;
        let mut ops = [Nb201Op::None; NUM_EDGES];
        for (edge, (op, &value)) in ops.iter_mut().zip(code).enumerate() {
            *op = Nb201Op::ALL
                .into_iter()
                .find(|op| f64::from(op.digit()) == value)
                .ok_or_else(|| EncodingError::Decode {
                    encoding: self.name(),
                    message: format!(
                        "{}: an op digit 0, 1, 2, 3 or 4, found {value}",
                        edge_name(edge)
                    ),
                })?;
        }
        Ok(Nb201Arch { ops })
    }
}

/// Names edge `edge` in decode errors, e.g. `edge 2 (node 2 <- 1)`.
fn edge_name(edge: usize) -> String {
    let (to, from) = NB201_EDGES[edge];
    format!("edge {edge} (node {to} <- {from})")
}

/// The input-to-output routes of the cell as lists of edge numbers, input
/// side first, shortest first: [3], [0, 4], [1, 5], [0, 2, 5].
pub fn nb201_routes() -> Vec<Vec<usize>> {
    fn extend(node: usize, route: &mut Vec<usize>, routes: &mut Vec<Vec<usize>>) {
        if node == OUTPUT_NODE {
            routes.push(route.clone());
            return;
        }
        for (edge, &(to, from)) in NB201_EDGES.iter().enumerate() {
            if from == node {
                route.push(edge);
                extend(to, route, routes);
                route.pop();
            }
        }
    }
    let mut routes = Vec::new();
    extend(0, &mut Vec::new(), &mut routes);
    routes.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    routes
}

/// Whether paths through `none` edges are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoneEdges {
    /// `none` is an op like the others (BANANAS, NASLib): 155 paths.
    Counted,
    /// Routes through a `none` edge carry nothing and are dropped: 84 paths
    /// over the 4 other ops.
    Dropped,
}

/// NB201 cells as sets of op paths.
#[derive(Clone, Debug)]
pub struct Nb201Paths {
    none_edges: NoneEdges,
    routes: Vec<Vec<usize>>,
    indexer: PathIndexer,
}

impl Nb201Paths {
    /// The path view, counting or dropping routes through `none` edges.
    pub fn new(none_edges: NoneEdges) -> Self {
        let num_ops = match none_edges {
            NoneEdges::Counted => NUM_OPS,
            NoneEdges::Dropped => NUM_OPS - 1,
        };
        let routes = nb201_routes();
        let max_len = routes.iter().map(Vec::len).max().unwrap_or(0);
        let min_len = routes.iter().map(Vec::len).min().unwrap_or(0);
        Self {
            none_edges,
            routes,
            // 5 ops and routes of 1..=3 edges: far below any size limit.
            indexer: PathIndexer::new(num_ops, min_len, max_len)
                .unwrap_or_else(|_| unreachable!("NB201 path counts are small")),
        }
    }

    /// The routes, as lists of edge numbers.
    pub fn routes(&self) -> &[Vec<usize>] {
        &self.routes
    }
}

impl PathSource for Nb201Paths {
    type Arch = Nb201Arch;

    fn indexer(&self) -> &PathIndexer {
        &self.indexer
    }

    fn for_each_path(&self, arch: &Nb201Arch, visit: &mut dyn FnMut(usize)) {
        let mut ops = [0u8; 3];
        'routes: for route in &self.routes {
            for (slot, &edge) in ops.iter_mut().zip(route) {
                let digit = arch.ops[edge].digit();
                *slot = match self.none_edges {
                    NoneEdges::Counted => digit,
                    NoneEdges::Dropped if digit == 0 => continue 'routes,
                    NoneEdges::Dropped => digit - 1,
                };
            }
            if let Some(index) = self.indexer.index(&ops[..route.len()]) {
                visit(index);
            }
        }
    }
}

/// BANANAS's `path` encoding of NB201 (155 entries).
pub fn nb201_path() -> PathEncoding<Nb201Paths> {
    PathEncoding::new("path", Nb201Paths::new(NoneEdges::Counted))
}

/// The path encoding without routes through `none` edges (84 entries).
pub fn nb201_path_without_none() -> PathEncoding<Nb201Paths> {
    PathEncoding::new("path_without_none", Nb201Paths::new(NoneEdges::Dropped))
}

/// BANANAS's `trunc_path`: the `k` (1..=155) paths most frequent over all
/// 15,625 cells, i.e. most likely under uniform sampling.
pub fn nb201_trunc_path(k: usize) -> Result<TruncatedPathEncoding<Nb201Paths>, EncodingError> {
    let source = Nb201Paths::new(NoneEdges::Counted);
    let ranking = ranking_by_frequency(&path_frequencies(&source, Nb201Space.enumerate()));
    TruncatedPathEncoding::new("trunc_path", source, &ranking, k)
}

/// An NB201 cell as its op-on-node DAG: node 0 the input, node `1 + e` the op
/// on edge `e` (arch-string order), node 7 the output. Node order is
/// topological, so generic [`OpDag`] code applies.
#[derive(Clone, Copy, Debug)]
pub struct Nb201NodeDag<'a>(pub &'a Nb201Arch);

impl OpDag for Nb201NodeDag<'_> {
    fn num_nodes(&self) -> usize {
        GCN_NODES
    }

    fn has_edge(&self, from: usize, to: usize) -> bool {
        let output = GCN_NODES - 1;
        match (from, to) {
            (0, 0) => false,
            (0, _) if to < output => NB201_EDGES[to - 1].1 == 0,
            (_, _) if from == 0 || from >= output || to > output || to <= from => false,
            (_, _) if to == output => NB201_EDGES[from - 1].0 == OUTPUT_NODE,
            (_, _) => NB201_EDGES[from - 1].0 == NB201_EDGES[to - 1].1,
        }
    }

    fn op(&self, node: usize) -> u8 {
        self.0.ops[node - 1].digit()
    }
}

/// Node labels of the GCN encoding: input, the five ops, output.
const GCN_LABELS: usize = NUM_OPS + 2;
/// Input, one node per edge, output.
const GCN_NODES: usize = NUM_EDGES + 2;

/// GCN tensors of the op-on-node DAG: node 0 is the input, node `1 + e` the
/// op on edge `e`, node 7 the output; labels are input 0, op digit + 1, output 6.
#[derive(Clone, Debug)]
pub struct Nb201Gcn {
    name: &'static str,
    options: GcnOptions,
    edges: Vec<(usize, usize)>,
}

impl Nb201Gcn {
    /// The encoding with `options`, registered under `name`.
    pub fn new(name: &'static str, options: GcnOptions) -> Self {
        let output = GCN_NODES - 1;
        let mut edges = Vec::new();
        for (e, &(to, from)) in NB201_EDGES.iter().enumerate() {
            if from == 0 {
                edges.push((0, 1 + e));
            }
            if to == OUTPUT_NODE {
                edges.push((1 + e, output));
            }
            for (f, &(_, next_from)) in NB201_EDGES.iter().enumerate() {
                if next_from == to {
                    edges.push((1 + e, 1 + f));
                }
            }
        }
        Self {
            name,
            options,
            edges,
        }
    }

    /// The settings.
    pub fn options(&self) -> &GcnOptions {
        &self.options
    }
}

impl GraphEncoding<Nb201Arch> for Nb201Gcn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn max_nodes(&self) -> usize {
        self.options.max_nodes(GCN_NODES)
    }

    fn num_node_features(&self) -> usize {
        self.options.num_node_features(GCN_LABELS)
    }

    fn write(&self, arch: &Nb201Arch, buffers: GraphBuffers<'_>) -> usize {
        let mut labels = [0usize; GCN_NODES];
        for (label, op) in labels[1..=NUM_EDGES].iter_mut().zip(arch.ops) {
            *label = 1 + usize::from(op.digit());
        }
        labels[GCN_NODES - 1] = GCN_LABELS - 1;
        let dag = LabelledDag {
            num_labels: GCN_LABELS,
            max_nodes: GCN_NODES,
            labels: &labels,
            edges: &self.edges,
        };
        write_labelled_dag(dag, &self.options, buffers)
    }
}

impl EncodableSpace for Nb201Space {
    fn encodings(&self) -> EncodingRegistry<Nb201Arch> {
        EncodingRegistry::new("nb201")
            .with_vector("categorical", "one-hot op per edge, 6 x 5", || {
                Nb201OneHot::new("categorical")
            })
            .with_vector(
                "adjacency",
                "adjacency one-hot; the topology is fixed, so equal to categorical",
                || Nb201OneHot::new("adjacency"),
            )
            .with_vector("compact", "op digit per edge, 6 integers", || Nb201Compact)
            .with_vector("path", "BANANAS path encoding, 155 paths", nb201_path)
            .with_vector(
                "trunc_path",
                "BANANAS truncated path encoding, 30 most likely paths",
                || {
                    nb201_trunc_path(NB201_TRUNC_PATH_DEFAULT_K)
                        .unwrap_or_else(|_| unreachable!("30 of 155 paths is a valid cut-off"))
                },
            )
            .with_vector(
                "path_without_none",
                "path encoding without routes through none edges, 84 paths",
                nb201_path_without_none,
            )
            .with_graph(
                "gcn",
                "op-on-node DAG, self-loops, row-normalised adjacency",
                || Nb201Gcn::new("gcn", GcnOptions::default()),
            )
            .with_graph(
                "gcn_bonas",
                "op-on-node DAG with self-loops and a global node (BONAS)",
                || Nb201Gcn::new("gcn_bonas", GcnOptions::bonas()),
            )
            .with_graph(
                "gcn_raw",
                "op-on-node DAG, raw 0/1 adjacency (GIN, NPENAS)",
                || Nb201Gcn::new("gcn_raw", GcnOptions::raw()),
            )
    }
}
