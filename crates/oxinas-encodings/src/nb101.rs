//! Encodings of the NAS-Bench-101 cell.
//!
//! NB101 cells are DAGs of at most 7 vertices with an op on each interior
//! vertex, so the [`crate::op_dag`] pieces apply directly. Ops are numbered by
//! their official hash labels: conv3x3-bn-relu 0, conv1x1-bn-relu 1,
//! maxpool3x3 2 (the numbering BANANAS uses for paths).
//!
//! | name | kind | size | invertible |
//! |---|---|---|---|
//! | `adjacency` | vector | 21 + 5 x 3 = 36 | up to pruning |
//! | `compact` | vector | 21 edge bits + 5 op labels = 26 | up to pruning |
//! | `path` | vector | 3^0 + .. + 3^5 = 364 | no |
//! | `trunc_path` | vector | 40 | no |
//! | `gcn` | graph | 7 nodes x 5 labels | - |
//! | `gcn_bonas` | graph | 8 nodes x 6 labels | - |
//! | `gcn_raw` | graph | 7 nodes x 5 labels | - |
//!
//! `adjacency` (White et al.; NASLib's `adjacency_one_hot`) and `compact` read
//! the cell pruned of vertices off every input-to-output path and padded to 7
//! vertices as NB101's API does (blank conv3x3 vertices inserted before the
//! output), so specs that differ only in dangling vertices encode alike;
//! decoding returns that pruned, padded spec.
//!
//! `path` (BANANAS): a path is the sequence of interior ops from input to
//! output, of length 0 (a direct edge) to 5, so there are
//! 3^0 + 3^1 + .. + 3^5 = 364 possible paths. Paths are a property of the
//! labelled graph, so isomorphic specs get the same vector.
//!
//! `trunc_path`: BANANAS's default for NB101 keeps the first 40 paths, those
//! of length 0 to 3 (1 + 3 + 9 + 27 = 40); the tests check on 20,000 uniform
//! samples that these are the 40 most frequent paths. `trunc_path:k` keeps the
//! first `k` in the same (shortest first) order.
//!
//! `gcn`: the pruned cell's vertices (input 0, op label + 1, output 4),
//! padded with zero rows to 7.

use oxinas_spaces::{NB101_MAX_VERTICES, Nb101Arch, Nb101Op, Nb101Space};

use crate::gcn::{GcnOptions, write_labelled_dag};
use crate::one_hot::decode_one_hot;
use crate::op_dag::{
    OpDag, for_each_path, labelled_dag, labelled_parts, upper_triangle_len, write_op_one_hot,
    write_upper_triangle,
};
use crate::path::{PathEncoding, PathIndexer, PathSource, TruncatedPathEncoding};
use crate::{
    EncodableSpace, EncodingError, EncodingRegistry, GraphBuffers, GraphEncoding, VectorEncoding,
};

const NUM_OPS: usize = Nb101Op::ALL.len();
const INTERIOR: usize = NB101_MAX_VERTICES - 2;
const TRIANGLE: usize = upper_triangle_len(NB101_MAX_VERTICES);

/// BANANAS's default number of kept paths for NB101.
pub const NB101_TRUNC_PATH_DEFAULT_K: usize = 40;

/// An NB101 cell seen as an [`OpDag`] (ops by hash label).
#[derive(Clone, Copy, Debug)]
pub struct Nb101Dag<'a>(pub &'a Nb101Arch);

impl OpDag for Nb101Dag<'_> {
    fn num_nodes(&self) -> usize {
        self.0.num_vertices()
    }

    fn has_edge(&self, from: usize, to: usize) -> bool {
        self.0.has_edge(from, to)
    }

    fn op(&self, node: usize) -> u8 {
        // Interior vertices always have an op; labels are 0..3.
        self.0.op(node).map_or(0, |op| op.label() as u8)
    }
}

/// The form `adjacency` and `compact` read: pruned, then padded to 7 vertices.
fn normal_form(arch: &Nb101Arch) -> Nb101Arch {
    arch.pruned().padded()
}

/// Rebuilds a 7-vertex spec from decoded edges and ops.
fn build(
    encoding: &'static str,
    edges: &[bool],
    ops: &[Nb101Op],
) -> Result<Nb101Arch, EncodingError> {
    // Rows of the strict upper triangle, in the order they were written.
    let mut slots = edges.iter();
    let matrix: Vec<Vec<bool>> = (0..NB101_MAX_VERTICES)
        .map(|from| {
            (0..NB101_MAX_VERTICES)
                .map(|to| to > from && slots.next().copied().unwrap_or(false))
                .collect()
        })
        .collect();
    Nb101Arch::new(&matrix, ops).map_err(|e| EncodingError::Decode {
        encoding,
        message: e.expected,
    })
}

/// Reads the 21 upper-triangle entries, which must be 0 or 1.
fn decode_edges(encoding: &'static str, code: &[f64]) -> Result<Vec<bool>, EncodingError> {
    code.iter()
        .enumerate()
        .map(|(slot, &value)| match value {
            0.0 => Ok(false),
            1.0 => Ok(true),
            _ => Err(EncodingError::Decode {
                encoding,
                message: format!("adjacency entry {slot}: 0 or 1, found {value}"),
            }),
        })
        .collect()
}

/// Flattened upper-triangular adjacency (21) then a one-hot op per interior
/// vertex (5 x 3), of the pruned cell padded to 7 vertices.
#[derive(Clone, Copy, Debug, Default)]
pub struct Nb101Adjacency;

impl VectorEncoding<Nb101Arch> for Nb101Adjacency {
    fn name(&self) -> &'static str {
        "adjacency"
    }

    fn dim(&self) -> usize {
        TRIANGLE + INTERIOR * NUM_OPS
    }

    fn write(&self, arch: &Nb101Arch, out: &mut [f64]) {
        let normal = normal_form(arch);
        let (triangle, ops) = out.split_at_mut(TRIANGLE);
        write_upper_triangle(&Nb101Dag(&normal), triangle);
        write_op_one_hot(&Nb101Dag(&normal), NUM_OPS, ops);
    }

    fn one_hot_blocks(&self) -> Vec<std::ops::Range<usize>> {
        (0..INTERIOR)
            .map(|v| TRIANGLE + v * NUM_OPS..TRIANGLE + (v + 1) * NUM_OPS)
            .collect()
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<Nb101Arch, EncodingError> {
        crate::error::check_len(self.name(), "vector", self.dim(), code.len())?;
        let edges = decode_edges(self.name(), &code[..TRIANGLE])?;
        let mut ops = Vec::with_capacity(INTERIOR);
        for (v, block) in code[TRIANGLE..].chunks_exact(NUM_OPS).enumerate() {
            let label = decode_one_hot(self.name(), block, || format!("op of vertex {}", v + 1))?;
            ops.push(Nb101Op::ALL[label]);
        }
        build(self.name(), &edges, &ops)
    }
}

/// The 21 edge bits then the 5 op labels, of the pruned cell padded to 7.
#[derive(Clone, Copy, Debug, Default)]
pub struct Nb101Compact;

impl VectorEncoding<Nb101Arch> for Nb101Compact {
    fn name(&self) -> &'static str {
        "compact"
    }

    fn dim(&self) -> usize {
        TRIANGLE + INTERIOR
    }

    fn write(&self, arch: &Nb101Arch, out: &mut [f64]) {
        let normal = normal_form(arch);
        let dag = Nb101Dag(&normal);
        let (triangle, ops) = out.split_at_mut(TRIANGLE);
        write_upper_triangle(&dag, triangle);
        for (v, value) in ops.iter_mut().enumerate() {
            *value = f64::from(dag.op(v + 1));
        }
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<Nb101Arch, EncodingError> {
        crate::error::check_len(self.name(), "vector", self.dim(), code.len())?;
        let edges = decode_edges(self.name(), &code[..TRIANGLE])?;
        let mut ops = Vec::with_capacity(INTERIOR);
        for (v, &value) in code[TRIANGLE..].iter().enumerate() {
            let op = Nb101Op::ALL
                .into_iter()
                .find(|op| f64::from(op.label()) == value)
                .ok_or_else(|| EncodingError::Decode {
                    encoding: self.name(),
                    message: format!("op of vertex {}: a label 0, 1 or 2, found {value}", v + 1),
                })?;
            ops.push(op);
        }
        build(self.name(), &edges, &ops)
    }
}

/// NB101 cells as sets of op paths (364 possible).
#[derive(Clone, Debug)]
pub struct Nb101Paths {
    indexer: PathIndexer,
}

impl Nb101Paths {
    /// The path view.
    pub fn new() -> Self {
        Self {
            // 3 ops, paths of 0..=5 interior vertices: 364 paths.
            indexer: PathIndexer::new(NUM_OPS, 0, INTERIOR)
                .unwrap_or_else(|_| unreachable!("364 paths fit")),
        }
    }
}

impl Default for Nb101Paths {
    fn default() -> Self {
        Self::new()
    }
}

impl PathSource for Nb101Paths {
    type Arch = Nb101Arch;

    fn num_paths(&self) -> usize {
        self.indexer.dim()
    }

    fn for_each_path(&self, arch: &Nb101Arch, visit: &mut dyn FnMut(usize)) {
        for_each_path(&Nb101Dag(arch), &mut |ops| {
            if let Some(index) = self.indexer.index(ops) {
                visit(index);
            }
        });
    }
}

/// BANANAS's `path` encoding of NB101 (364 entries).
pub fn nb101_path() -> PathEncoding<Nb101Paths> {
    PathEncoding::new("path", Nb101Paths::new())
}

/// BANANAS's `trunc_path`: the first `k` (1..=364) paths, shortest first.
pub fn nb101_trunc_path(k: usize) -> Result<TruncatedPathEncoding<Nb101Paths>, EncodingError> {
    let ranking: Vec<usize> = (0..364).collect();
    TruncatedPathEncoding::new("trunc_path", Nb101Paths::new(), &ranking, k)
}

/// GCN tensors of the pruned cell: labels input 0, op label + 1, output 4;
/// rows past the cell's vertices are zero.
#[derive(Clone, Debug)]
pub struct Nb101Gcn {
    name: &'static str,
    options: GcnOptions,
}

impl Nb101Gcn {
    /// The encoding with `options`, registered under `name`.
    pub fn new(name: &'static str, options: GcnOptions) -> Self {
        Self { name, options }
    }
}

impl GraphEncoding<Nb101Arch> for Nb101Gcn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn max_nodes(&self) -> usize {
        self.options.max_nodes(NB101_MAX_VERTICES)
    }

    fn num_node_features(&self) -> usize {
        self.options.num_node_features(NUM_OPS + 2)
    }

    fn write(&self, arch: &Nb101Arch, buffers: GraphBuffers<'_>) -> usize {
        let pruned = arch.pruned();
        let mut labels = Vec::with_capacity(NB101_MAX_VERTICES);
        let mut edges = Vec::with_capacity(NB101_MAX_VERTICES * NB101_MAX_VERTICES);
        labelled_parts(&Nb101Dag(&pruned), NUM_OPS, &mut labels, &mut edges);
        let dag = labelled_dag(NUM_OPS, NB101_MAX_VERTICES, &labels, &edges);
        write_labelled_dag(dag, &self.options, buffers)
    }
}

impl EncodableSpace for Nb101Space {
    fn encodings(&self) -> EncodingRegistry<Nb101Arch> {
        EncodingRegistry::new("nb101")
            .with_vector(
                "adjacency",
                "upper-triangular adjacency + one-hot op per vertex, 21 + 15",
                || Nb101Adjacency,
            )
            .with_vector("compact", "21 edge bits + 5 op labels", || Nb101Compact)
            .with_vector("path", "BANANAS path encoding, 364 paths", nb101_path)
            .with_vector_setting(
                "trunc_path",
                "BANANAS truncated path encoding, the k (default 40) shortest paths",
                "k",
                |k| nb101_trunc_path(k.unwrap_or(NB101_TRUNC_PATH_DEFAULT_K)),
            )
            .with_graph(
                "gcn",
                "pruned cell, self-loops, row-normalised adjacency",
                || Nb101Gcn::new("gcn", GcnOptions::default()),
            )
            .with_graph(
                "gcn_bonas",
                "pruned cell with self-loops and a global node",
                || Nb101Gcn::new("gcn_bonas", GcnOptions::bonas()),
            )
            .with_graph("gcn_raw", "pruned cell, raw 0/1 adjacency", || {
                Nb101Gcn::new("gcn_raw", GcnOptions::raw())
            })
    }
}
