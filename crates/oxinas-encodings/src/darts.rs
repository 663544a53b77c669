//! Encodings of DARTS / NAS-Bench-301 architectures: the normal cell, then the
//! reduction cell, each encoded alike and concatenated.
//!
//! A cell has two inputs (`c_{k-2}` = 0, `c_{k-1}` = 1), four intermediate
//! nodes 2..=5, each fed by two edges (edges `2k`, `2k+1` feed node `k + 2`)
//! that carry one of the 7 ops ([`DartsOp::ALL`] order, NASLib's compact
//! numbering), and an output that concatenates the four nodes.
//!
//! | name | kind | size | invertible |
//! |---|---|---|---|
//! | `categorical` | vector | 2 x (28 input + 8 x 7 op) = 168 | yes |
//! | `adjacency` | vector | 2 x (21 + 8 x 7) = 154 | up to edge order |
//! | `compact` | vector | 2 x 8 x (input, op) = 32 | yes |
//! | `path` | vector | 2 x 2 x (7 + 7^2 + 7^3 + 7^4) = 11,200 | no |
//! | `gcn` | graph | 2 x 11 nodes x 9 labels | - |
//! | `gcn_bonas` | graph | 23 nodes x 10 labels | - |
//! | `gcn_raw` | graph | 22 nodes x 9 labels | - |
//!
//! `categorical` is one one-hot block per choice: each edge's input (node
//! `k + 2` chooses among `k + 2` earlier nodes: 2+2+3+3+4+4+5+5 = 28 entries)
//! and each edge's op.
//!
//! `adjacency` (White et al.): the strictly upper-triangular adjacency of the
//! 7-node cell DAG (inputs, intermediate nodes, output; 21 entries, the
//! intermediate-to-output entries always 1) and a one-hot op per edge, edges
//! of a node ordered by (input, op) so that the op of each input can be read
//! back. It decodes to [`DartsArch::canonical`].
//!
//! `path` (BANANAS): a path starts at one input of a cell and follows edges
//! to an intermediate node (all of which reach the output); its ops, input
//! side first, number it as in [`PathIndexer`] within a block of
//! 7 + 49 + 343 + 2401 = 2,800 for each (cell, input), blocks ordered normal
//! `c_{k-2}`, normal `c_{k-1}`, reduction `c_{k-2}`, reduction `c_{k-1}`.
//! NASLib's numbering reserves one more, never-set entry per block
//! (4 x 2,801 = 11,204) and, in its reference code, skips the last edge of
//! each cell when listing paths; this encoding lists all eight.
//!
//! `gcn` (NASLib's DARTS GCN conversion): per cell, 11 nodes: the two inputs,
//! one node per edge carrying its op, and the output; an input feeds the
//! edge-nodes that read it, the two edge-nodes of node `m` feed every
//! edge-node reading `m`, and all edge-nodes feed the output. The two cells
//! sit side by side (22 nodes, block-diagonal adjacency). Labels: input 0, op
//! `o` at `1 + o`, output 8 (NASLib's own table gives the inputs the column of
//! `max_pool_3x3`; here every label has its own column).

use oxinas_core::SearchSpace;
use oxinas_spaces::{
    DARTS_EDGES, DARTS_NODES, DartsArch, DartsCell, DartsEdge, DartsOp, DartsSpace,
};

use crate::error::check_len;
use crate::gcn::{GcnOptions, finish_graph};
use crate::one_hot::decode_one_hot;
use crate::op_dag::upper_triangle_len;
use crate::path::{PathEncoding, PathIndexer, PathSource};
use crate::{
    EncodableSpace, EncodingError, EncodingRegistry, GraphBuffers, GraphEncoding, VectorEncoding,
};

const NUM_OPS: usize = DartsOp::ALL.len();
/// Cell DAG nodes: two inputs, four intermediate nodes, the output.
const CELL_NODES: usize = DARTS_NODES + 3;
/// Entries of one cell's categorical block.
const INPUT_CHOICES: usize = 2 + 2 + 3 + 3 + 4 + 4 + 5 + 5;
const CATEGORICAL_CELL: usize = INPUT_CHOICES + DARTS_EDGES * NUM_OPS;
const TRIANGLE: usize = upper_triangle_len(CELL_NODES);
const ADJACENCY_CELL: usize = TRIANGLE + DARTS_EDGES * NUM_OPS;
const COMPACT_CELL: usize = 2 * DARTS_EDGES;

/// The intermediate node (2..=5) fed by edge `edge`.
fn target(edge: usize) -> usize {
    edge / 2 + 2
}

/// Start of edge `edge`'s input block within a cell's categorical block.
fn input_offset(edge: usize) -> usize {
    (0..edge).map(target).sum()
}

fn cells(arch: &DartsArch) -> [&DartsCell; 2] {
    [&arch.normal, &arch.reduce]
}

/// Builds a cell, reporting inputs the space rejects.
fn build_cell(
    encoding: &'static str,
    cell: usize,
    edges: [DartsEdge; DARTS_EDGES],
) -> Result<DartsCell, EncodingError> {
    DartsCell::new(edges).map_err(|e| EncodingError::Decode {
        encoding,
        message: format!("{} cell: {e}", cell_name(cell)),
    })
}

fn cell_name(cell: usize) -> &'static str {
    if cell == 0 { "normal" } else { "reduction" }
}

/// One one-hot block per choice: each edge's input, then each edge's op; the
/// normal cell's 84 entries, then the reduction cell's.
#[derive(Clone, Copy, Debug, Default)]
pub struct DartsCategorical;

impl VectorEncoding<DartsArch> for DartsCategorical {
    fn name(&self) -> &'static str {
        "categorical"
    }

    fn dim(&self) -> usize {
        2 * CATEGORICAL_CELL
    }

    fn write(&self, arch: &DartsArch, out: &mut [f64]) {
        out.fill(0.0);
        for (cell, block) in cells(arch)
            .into_iter()
            .zip(out.chunks_exact_mut(CATEGORICAL_CELL))
        {
            for (e, edge) in cell.edges().iter().enumerate() {
                block[input_offset(e) + usize::from(edge.input)] = 1.0;
                block[INPUT_CHOICES + e * NUM_OPS + edge.op.index()] = 1.0;
            }
        }
    }

    fn one_hot_blocks(&self) -> Vec<std::ops::Range<usize>> {
        let mut blocks = Vec::new();
        for cell in 0..2 {
            let base = cell * CATEGORICAL_CELL;
            for e in 0..DARTS_EDGES {
                let start = base + input_offset(e);
                blocks.push(start..start + target(e));
            }
            for e in 0..DARTS_EDGES {
                let start = base + INPUT_CHOICES + e * NUM_OPS;
                blocks.push(start..start + NUM_OPS);
            }
        }
        blocks
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<DartsArch, EncodingError> {
        check_len(self.name(), "vector", self.dim(), code.len())?;
        let mut decoded = Vec::with_capacity(2);
        for (cell, block) in code.chunks_exact(CATEGORICAL_CELL).enumerate() {
            let mut edges = [DartsEdge::new(0, DartsOp::MaxPool3x3); DARTS_EDGES];
            for (e, edge) in edges.iter_mut().enumerate() {
                let start = input_offset(e);
                let input = decode_one_hot(self.name(), &block[start..start + target(e)], || {
                    format!("{} cell, input of edge {e}", cell_name(cell))
                })?;
                let start = INPUT_CHOICES + e * NUM_OPS;
                let op = decode_one_hot(self.name(), &block[start..start + NUM_OPS], || {
                    format!("{} cell, op of edge {e}", cell_name(cell))
                })?;
                // Inputs are below 6 and ops below 7.
                *edge = DartsEdge::new(input as u8, DartsOp::ALL[op]);
            }
            decoded.push(build_cell(self.name(), cell, edges)?);
        }
        Ok(DartsArch::new(decoded[0], decoded[1]))
    }
}

/// Each cell's upper-triangular 7-node adjacency and a one-hot op per edge
/// (edges of a node in (input, op) order).
#[derive(Clone, Copy, Debug, Default)]
pub struct DartsAdjacency;

/// Flat index of `(from, to)` in the strict upper triangle of the cell DAG.
fn triangle_slot(from: usize, to: usize) -> usize {
    (0..from).map(|r| CELL_NODES - 1 - r).sum::<usize>() + (to - from - 1)
}

impl VectorEncoding<DartsArch> for DartsAdjacency {
    fn name(&self) -> &'static str {
        "adjacency"
    }

    fn dim(&self) -> usize {
        2 * ADJACENCY_CELL
    }

    fn write(&self, arch: &DartsArch, out: &mut [f64]) {
        out.fill(0.0);
        let canonical = arch.canonical();
        for (cell, block) in cells(&canonical)
            .into_iter()
            .zip(out.chunks_exact_mut(ADJACENCY_CELL))
        {
            for (e, edge) in cell.edges().iter().enumerate() {
                block[triangle_slot(usize::from(edge.input), target(e))] = 1.0;
                block[TRIANGLE + e * NUM_OPS + edge.op.index()] = 1.0;
            }
            for node in 2..CELL_NODES - 1 {
                block[triangle_slot(node, CELL_NODES - 1)] = 1.0;
            }
        }
    }

    fn one_hot_blocks(&self) -> Vec<std::ops::Range<usize>> {
        (0..2)
            .flat_map(|cell| {
                (0..DARTS_EDGES).map(move |e| {
                    let start = cell * ADJACENCY_CELL + TRIANGLE + e * NUM_OPS;
                    start..start + NUM_OPS
                })
            })
            .collect()
    }

    fn is_invertible(&self) -> bool {
        true
    }

    /// The canonical architecture (each node's edges in (input, op) order).
    fn decode(&self, code: &[f64]) -> Result<DartsArch, EncodingError> {
        check_len(self.name(), "vector", self.dim(), code.len())?;
        let mut decoded = Vec::with_capacity(2);
        for (cell, block) in code.chunks_exact(ADJACENCY_CELL).enumerate() {
            let mut edges = [DartsEdge::new(0, DartsOp::MaxPool3x3); DARTS_EDGES];
            for node in 2..CELL_NODES - 1 {
                let inputs: Vec<usize> = (0..node)
                    .filter(|&from| block[triangle_slot(from, node)] == 1.0)
                    .collect();
                if inputs.len() != 2 {
                    return Err(EncodingError::Decode {
                        encoding: self.name(),
                        message: format!(
                            "{} cell: 2 inputs into node {node}, found {}",
                            cell_name(cell),
                            inputs.len()
                        ),
                    });
                }
                for (slot, &input) in inputs.iter().enumerate() {
                    let e = 2 * (node - 2) + slot;
                    let start = TRIANGLE + e * NUM_OPS;
                    let op = decode_one_hot(self.name(), &block[start..start + NUM_OPS], || {
                        format!("{} cell, op of edge {e}", cell_name(cell))
                    })?;
                    edges[e] = DartsEdge::new(input as u8, DartsOp::ALL[op]);
                }
            }
            decoded.push(build_cell(self.name(), cell, edges)?.canonical());
        }
        Ok(DartsArch::new(decoded[0], decoded[1]))
    }
}

/// NASLib's compact form as numbers: for each cell, each edge's `(input, op)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct DartsCompact;

impl VectorEncoding<DartsArch> for DartsCompact {
    fn name(&self) -> &'static str {
        "compact"
    }

    fn dim(&self) -> usize {
        2 * COMPACT_CELL
    }

    fn write(&self, arch: &DartsArch, out: &mut [f64]) {
        for (cell, block) in cells(arch)
            .into_iter()
            .zip(out.chunks_exact_mut(COMPACT_CELL))
        {
            for (edge, pair) in cell.edges().iter().zip(block.chunks_exact_mut(2)) {
                pair[0] = f64::from(edge.input);
                pair[1] = edge.op.index() as f64;
            }
        }
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<DartsArch, EncodingError> {
        check_len(self.name(), "vector", self.dim(), code.len())?;
        let mut decoded = Vec::with_capacity(2);
        for (cell, block) in code.chunks_exact(COMPACT_CELL).enumerate() {
            let mut edges = [DartsEdge::new(0, DartsOp::MaxPool3x3); DARTS_EDGES];
            for (e, (edge, pair)) in edges.iter_mut().zip(block.chunks_exact(2)).enumerate() {
                let whole = |value: f64, what: &str, below: usize| {
                    (0..below).find(|&v| v as f64 == value).ok_or_else(|| EncodingError::Decode {
                        encoding: "compact",
                        message: format!(
                            "{} cell, {what} of edge {e}: an integer below {below}, found {value}",
                            cell_name(cell)
                        ),
                    })
                };
                let input = whole(pair[0], "input", CELL_NODES - 1)?;
                let op = whole(pair[1], "op", NUM_OPS)?;
                *edge = DartsEdge::new(input as u8, DartsOp::ALL[op]);
            }
            decoded.push(build_cell(self.name(), cell, edges)?);
        }
        Ok(DartsArch::new(decoded[0], decoded[1]))
    }
}

/// DARTS architectures as paths from each cell input (four blocks of 2,800).
#[derive(Clone, Debug)]
pub struct DartsPaths {
    indexer: PathIndexer,
}

/// Most paths ending at one intermediate node (2, 3, 5, 8 for nodes 2..=5).
const MAX_PATHS_PER_NODE: usize = 8;

impl DartsPaths {
    /// The path view.
    pub fn new() -> Self {
        Self {
            // 7 ops, 1 to 4 edges: 2,800 paths per block.
            indexer: PathIndexer::new(NUM_OPS, 1, DARTS_NODES)
                .unwrap_or_else(|_| unreachable!("2,800 paths fit")),
        }
    }

    /// The numbering within one (cell, input) block.
    pub fn indexer(&self) -> &PathIndexer {
        &self.indexer
    }
}

impl Default for DartsPaths {
    fn default() -> Self {
        Self::new()
    }
}

/// One partial path: the input it starts from, its ops, its length.
#[derive(Clone, Copy, Default)]
struct Partial {
    input: u8,
    ops: [u8; DARTS_NODES],
    len: usize,
}

impl PathSource for DartsPaths {
    type Arch = DartsArch;

    fn num_paths(&self) -> usize {
        4 * self.indexer.dim()
    }

    fn for_each_path(&self, arch: &DartsArch, visit: &mut dyn FnMut(usize)) {
        let block = self.indexer.dim();
        for (c, cell) in cells(arch).into_iter().enumerate() {
            // Paths ending at each intermediate node, built in node order.
            let mut ending = [[Partial::default(); MAX_PATHS_PER_NODE]; DARTS_NODES];
            let mut counts = [0usize; DARTS_NODES];
            for (e, edge) in cell.edges().iter().enumerate() {
                let node = target(e) - 2;
                // The paths this edge extends: the bare input, or those ending at its source.
                let mut from = [Partial::default(); MAX_PATHS_PER_NODE];
                let count = if edge.input < 2 {
                    from[0].input = edge.input;
                    1
                } else {
                    let source = usize::from(edge.input) - 2;
                    from[..counts[source]].copy_from_slice(&ending[source][..counts[source]]);
                    counts[source]
                };
                for mut path in from.into_iter().take(count) {
                    path.ops[path.len] = edge.op.index() as u8;
                    path.len += 1;
                    ending[node][counts[node]] = path;
                    counts[node] += 1;
                    if let Some(index) = self.indexer.index(&path.ops[..path.len]) {
                        visit((2 * c + usize::from(path.input)) * block + index);
                    }
                }
            }
        }
    }
}

/// BANANAS's `path` encoding of DARTS (11,200 entries).
pub fn darts_path() -> PathEncoding<DartsPaths> {
    PathEncoding::new("path", DartsPaths::new())
}

/// Label columns: input, the 7 ops, output.
const LABELS: usize = NUM_OPS + 2;
/// Graph nodes of one cell: two inputs, one per edge, the output.
const GCN_CELL_NODES: usize = 2 + DARTS_EDGES + 1;

/// GCN tensors of both cells side by side (NASLib's DARTS conversion).
#[derive(Clone, Debug)]
pub struct DartsGcn {
    name: &'static str,
    options: GcnOptions,
}

impl DartsGcn {
    /// The encoding with `options`, registered under `name`.
    pub fn new(name: &'static str, options: GcnOptions) -> Self {
        Self { name, options }
    }
}

impl GraphEncoding<DartsArch> for DartsGcn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn max_nodes(&self) -> usize {
        self.options.max_nodes(2 * GCN_CELL_NODES)
    }

    fn num_node_features(&self) -> usize {
        self.options.num_node_features(LABELS)
    }

    fn write(&self, arch: &DartsArch, buffers: GraphBuffers<'_>) -> usize {
        let side = self.max_nodes();
        let width = self.num_node_features();
        let features = buffers.node_features;
        let adjacency = buffers.adjacency;
        features.fill(0.0);
        adjacency.fill(0.0);
        buffers.graph_features.fill(0.0);
        for (c, cell) in cells(arch).into_iter().enumerate() {
            let base = c * GCN_CELL_NODES;
            let output = base + GCN_CELL_NODES - 1;
            features[base * width] = 1.0;
            features[(base + 1) * width] = 1.0;
            features[output * width + LABELS - 1] = 1.0;
            for (e, edge) in cell.edges().iter().enumerate() {
                let node = base + 2 + e;
                features[node * width + 1 + edge.op.index()] = 1.0;
                adjacency[node * side + output] = 1.0;
                match usize::from(edge.input) {
                    input @ 0..2 => adjacency[(base + input) * side + node] = 1.0,
                    m => {
                        // The two edges feeding intermediate node m.
                        let first = base + 2 + 2 * (m - 2);
                        adjacency[first * side + node] = 1.0;
                        adjacency[(first + 1) * side + node] = 1.0;
                    }
                }
            }
        }
        finish_graph(&self.options, side, 2 * GCN_CELL_NODES, features, adjacency)
    }
}

impl EncodableSpace for DartsSpace {
    fn encodings(&self) -> EncodingRegistry<DartsArch> {
        EncodingRegistry::new(self.name())
            .with_vector(
                "categorical",
                "one-hot input and op per edge, both cells, 168",
                || DartsCategorical,
            )
            .with_vector(
                "adjacency",
                "upper-triangular cell adjacency + one-hot op per edge, both cells, 154",
                || DartsAdjacency,
            )
            .with_vector(
                "compact",
                "(input, op) per edge, both cells, 32 integers",
                || DartsCompact,
            )
            .with_vector("path", "BANANAS path encoding, 4 x 2,800 paths", darts_path)
            .with_graph(
                "gcn",
                "edge-op DAG of both cells, self-loops, row-normalised",
                || DartsGcn::new("gcn", GcnOptions::default()),
            )
            .with_graph(
                "gcn_bonas",
                "edge-op DAG of both cells with a global node",
                || DartsGcn::new("gcn_bonas", GcnOptions::bonas()),
            )
            .with_graph(
                "gcn_raw",
                "edge-op DAG of both cells, raw 0/1 adjacency",
                || DartsGcn::new("gcn_raw", GcnOptions::raw()),
            )
    }
}
