//! Encodings of declared spaces ([`DeclaredSpace`]).
//!
//! | name | kind | size | invertible |
//! |---|---|---|---|
//! | `categorical` | vector | one one-hot block per choice (all zero when inactive) | yes |
//! | `compact` | vector | the value index of each choice (-1 when inactive) | yes |
//! | `adjacency` | vector | graph spaces: upper triangle of the op-on-node DAG + op one-hot | - |
//! | `path` | vector | graph spaces: one entry per op sequence of an input-to-output path | - |
//! | `path_without_zero` | vector | graph spaces with a zero op: the paths through no zero op | - |
//! | `gcn_bonas`, `gcn_raw` | graph | graph spaces: the op-on-node DAG | - |
//!
//! The graph encodings see a cell as a DAG with ops on nodes, as BANANAS and
//! NASLib do: when ops sit on edges, every candidate edge becomes a node
//! carrying its op (zero-op edges included, labelled with the zero op), an
//! edge-node `a -> b` feeds every edge-node `b -> c`, the input feeds the
//! edge-nodes leaving it and the edge-nodes entering the output feed it.
//! Choices outside the graph are not in the graph encodings; `categorical`
//! has them all.

use std::ops::Range;

use oxinas_core::SearchSpace;
use oxinas_spaces::{DeclaredArch, DeclaredGraph, DeclaredSpace, OpsOn};

use crate::error::check_len;
use crate::gcn::{GcnOptions, LabelledDag, write_labelled_dag};
use crate::op_dag::{OpDag, for_each_path, write_op_one_hot, write_upper_triangle};
use crate::path::{PathEncoding, PathIndexer, PathSource};
use crate::{
    EncodableSpace, EncodingError, EncodingRegistry, GraphBuffers, GraphEncoding, VectorEncoding,
};

/// Graph encodings are offered up to this many ops (labels are bytes).
const MAX_GRAPH_OPS: usize = 250;

/// Path encodings are offered up to this many possible paths.
const MAX_PATHS: usize = 100_000;

/// A declared cell as a DAG with ops on nodes, in topological order.
#[derive(Clone, Debug)]
pub struct DeclaredDag {
    nodes: usize,
    edges: Vec<(usize, usize)>,
    ops: Vec<u8>,
}

impl OpDag for DeclaredDag {
    fn num_nodes(&self) -> usize {
        self.nodes
    }

    fn has_edge(&self, from: usize, to: usize) -> bool {
        self.edges.contains(&(from, to))
    }

    fn op(&self, node: usize) -> u8 {
        self.ops[node]
    }
}

/// Number of nodes of the op-on-node DAG of `graph`'s cells.
fn dag_nodes(graph: &DeclaredGraph) -> usize {
    match graph.ops_on() {
        OpsOn::Edges => graph.edges().len() + 2,
        OpsOn::Nodes => graph.nodes(),
    }
}

/// The op-on-node DAG of `arch`'s cell.
pub fn declared_dag(graph: &DeclaredGraph, arch: &DeclaredArch) -> DeclaredDag {
    let cell = graph.cell(arch.raw());
    match graph.ops_on() {
        OpsOn::Edges => {
            let candidates = graph.edges();
            let output = candidates.len() + 1;
            let mut ops = vec![0u8; candidates.len() + 2];
            let mut edges = Vec::new();
            for (e, &(from, to, op)) in cell.edges.iter().enumerate() {
                ops[1 + e] = op.map_or(0, |op| op as u8);
                if from == graph.input() {
                    edges.push((0, 1 + e));
                }
                if to == graph.output() {
                    edges.push((1 + e, output));
                }
                for (f, &(next_from, _)) in candidates.iter().enumerate() {
                    if next_from == to {
                        edges.push((1 + e, 1 + f));
                    }
                }
            }
            edges.sort_unstable();
            DeclaredDag {
                nodes: candidates.len() + 2,
                edges,
                ops,
            }
        }
        OpsOn::Nodes => {
            let mut position = vec![0; graph.nodes()];
            for (i, &v) in graph.order().iter().enumerate() {
                position[v] = i;
            }
            let mut ops = vec![0u8; graph.nodes()];
            for (v, op) in cell.node_ops.iter().enumerate() {
                if let Some(op) = op {
                    ops[position[v]] = *op as u8;
                }
            }
            let mut edges: Vec<(usize, usize)> = cell
                .edges
                .iter()
                .map(|&(from, to, _)| (position[from], position[to]))
                .collect();
            edges.sort_unstable();
            DeclaredDag {
                nodes: graph.nodes(),
                edges,
                ops,
            }
        }
    }
}

/// One one-hot block per choice; an inactive choice's block is all zero.
#[derive(Debug)]
pub struct DeclaredOneHot {
    space: DeclaredSpace,
    blocks: Vec<Range<usize>>,
}

impl DeclaredOneHot {
    /// The encoding of `space` (registered as `categorical`).
    pub fn new(space: DeclaredSpace) -> Self {
        let mut start = 0;
        let blocks = space
            .choices()
            .iter()
            .map(|c| {
                let block = start..start + c.values().len();
                start = block.end;
                block
            })
            .collect();
        Self { space, blocks }
    }
}

impl VectorEncoding<DeclaredArch> for DeclaredOneHot {
    fn name(&self) -> &'static str {
        "categorical"
    }

    fn dim(&self) -> usize {
        self.blocks.last().map_or(0, |b| b.end)
    }

    fn write(&self, arch: &DeclaredArch, out: &mut [f64]) {
        out.fill(0.0);
        for (block, value) in self.blocks.iter().zip(arch.values()) {
            if let Some(v) = value {
                out[block.start + v] = 1.0;
            }
        }
    }

    fn one_hot_blocks(&self) -> Vec<Range<usize>> {
        self.blocks.clone()
    }

    fn is_invertible(&self) -> bool {
        true
    }

    /// Each block's largest entry is the choice's value; blocks of choices
    /// whose condition does not hold are ignored, so that any vector of
    /// one-hot blocks decodes (unless it breaks a forbidden combination or
    /// the graph's constraints).
    fn decode(&self, code: &[f64]) -> Result<DeclaredArch, EncodingError> {
        check_len(self.name(), "vector", self.dim(), code.len())?;
        let indices: Vec<usize> = self
            .blocks
            .iter()
            .map(|block| {
                let values = &code[block.clone()];
                (0..values.len())
                    .max_by(|&a, &b| values[a].total_cmp(&values[b]).then(b.cmp(&a)))
                    .unwrap_or(0)
            })
            .collect();
        self.space
            .settled(&indices)
            .map_err(|message| EncodingError::Decode {
                encoding: "categorical",
                message,
            })
    }
}

/// The value index of each choice, -1 when inactive.
#[derive(Debug)]
pub struct DeclaredCompact {
    space: DeclaredSpace,
}

impl VectorEncoding<DeclaredArch> for DeclaredCompact {
    fn name(&self) -> &'static str {
        "compact"
    }

    fn dim(&self) -> usize {
        self.space.choices().len()
    }

    fn write(&self, arch: &DeclaredArch, out: &mut [f64]) {
        for (slot, value) in out.iter_mut().zip(arch.values()) {
            *slot = value.map_or(-1.0, |v| v as f64);
        }
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<DeclaredArch, EncodingError> {
        check_len(self.name(), "vector", self.dim(), code.len())?;
        let mut indices = Vec::with_capacity(code.len());
        for (choice, &value) in self.space.choices().iter().zip(code) {
            let index =
                (value >= 0.0 && value.fract() == 0.0 && (value as usize) < choice.values().len())
                    .then_some(value as usize);
            indices.push(index.unwrap_or(0));
        }
        self.space
            .settled(&indices)
            .map_err(|message| EncodingError::Decode {
                encoding: "compact",
                message,
            })
    }
}

/// Upper triangle of the op-on-node DAG's adjacency, then one op one-hot
/// block per interior node.
#[derive(Debug)]
pub struct DeclaredAdjacency {
    graph: DeclaredGraph,
}

impl VectorEncoding<DeclaredArch> for DeclaredAdjacency {
    fn name(&self) -> &'static str {
        "adjacency"
    }

    fn dim(&self) -> usize {
        let n = dag_nodes(&self.graph);
        n * (n - 1) / 2 + (n - 2) * self.graph.ops().len()
    }

    fn write(&self, arch: &DeclaredArch, out: &mut [f64]) {
        let dag = declared_dag(&self.graph, arch);
        let n = dag.nodes;
        let (triangle, ops) = out.split_at_mut(n * (n - 1) / 2);
        write_upper_triangle(&dag, triangle);
        write_op_one_hot(&dag, self.graph.ops().len(), ops);
    }
}

/// The paths of declared cells: op sequences of input-to-output paths. With
/// `skip_zero`, paths through the zero op (which carry nothing) are left out
/// and so is the zero op's digit from the alphabet.
#[derive(Clone, Debug)]
pub struct DeclaredPaths {
    graph: DeclaredGraph,
    indexer: PathIndexer,
    skip_zero: bool,
}

impl DeclaredPaths {
    /// The path view of `graph`, or `None` when it has more than
    /// [`MAX_PATHS`] possible paths.
    fn new(graph: DeclaredGraph, skip_zero: bool) -> Option<Self> {
        let alphabet = graph.ops().len() - usize::from(skip_zero);
        // The longest input-to-output route, in edges, over every candidate
        // edge: the most ops a path can carry.
        let mut longest = vec![0usize; graph.nodes()];
        for &v in graph.order() {
            for &(from, to) in graph.edges() {
                if to == v {
                    longest[v] = longest[v].max(longest[from] + 1);
                }
            }
        }
        let (min_len, max_len) = match graph.ops_on() {
            OpsOn::Edges => (1, longest[graph.output()]),
            OpsOn::Nodes => (
                usize::from(!graph.edges().contains(&(graph.input(), graph.output()))),
                longest[graph.output()] - 1,
            ),
        };
        let indexer = PathIndexer::new(alphabet.max(1), min_len, max_len).ok()?;
        (indexer.dim() <= MAX_PATHS).then_some(Self {
            graph,
            indexer,
            skip_zero,
        })
    }
}

impl PathSource for DeclaredPaths {
    type Arch = DeclaredArch;

    fn num_paths(&self) -> usize {
        self.indexer.dim()
    }

    fn for_each_path(&self, arch: &DeclaredArch, visit: &mut dyn FnMut(usize)) {
        let dag = declared_dag(&self.graph, arch);
        let zero = self
            .graph
            .zero_op()
            .filter(|_| self.skip_zero)
            .map(|z| z as u8);
        for_each_path(&dag, &mut |ops| {
            let mut digits = Vec::with_capacity(ops.len());
            for &op in ops {
                match zero {
                    Some(z) if op == z => return,
                    Some(z) if op > z => digits.push(op - 1),
                    _ => digits.push(op),
                }
            }
            if let Some(index) = self.indexer.index(&digits) {
                visit(index);
            }
        });
    }
}

/// The op-on-node DAG as GCN tensors.
#[derive(Debug)]
pub struct DeclaredGcn {
    name: &'static str,
    graph: DeclaredGraph,
    options: GcnOptions,
}

impl GraphEncoding<DeclaredArch> for DeclaredGcn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn max_nodes(&self) -> usize {
        self.options.max_nodes(dag_nodes(&self.graph))
    }

    fn num_node_features(&self) -> usize {
        self.options.num_node_features(self.graph.ops().len() + 2)
    }

    fn write(&self, arch: &DeclaredArch, buffers: GraphBuffers<'_>) -> usize {
        let dag = declared_dag(&self.graph, arch);
        let num_ops = self.graph.ops().len();
        let labels: Vec<usize> = (0..dag.nodes)
            .map(|node| match node {
                0 => 0,
                _ if node == dag.nodes - 1 => num_ops + 1,
                _ => 1 + usize::from(dag.ops[node]),
            })
            .collect();
        let labelled = LabelledDag {
            num_labels: num_ops + 2,
            max_nodes: dag.nodes,
            labels: &labels,
            edges: &dag.edges,
        };
        write_labelled_dag(labelled, &self.options, buffers)
    }
}

impl EncodableSpace for DeclaredSpace {
    fn encodings(&self) -> EncodingRegistry<DeclaredArch> {
        let one_hot = self.clone();
        let compact = self.clone();
        let mut registry = EncodingRegistry::new(self.name())
            .with_vector("categorical", "one one-hot block per choice", move || {
                DeclaredOneHot::new(one_hot.clone())
            })
            .with_vector(
                "compact",
                "value index per choice, -1 when inactive",
                move || DeclaredCompact {
                    space: compact.clone(),
                },
            );
        let Some(graph) = self.graph().filter(|g| g.ops().len() <= MAX_GRAPH_OPS) else {
            return registry;
        };
        if let Some(paths) = DeclaredPaths::new(graph.clone(), false) {
            registry = registry.with_vector(
                "path",
                "one entry per op sequence of an input-to-output path",
                move || PathEncoding::new("path", paths.clone()),
            );
        }
        if graph.zero_op().is_some()
            && let Some(paths) = DeclaredPaths::new(graph.clone(), true)
        {
            registry = registry.with_vector(
                "path_without_zero",
                "paths through no zero op, over the other ops",
                move || PathEncoding::new("path_without_zero", paths.clone()),
            );
        }
        let adjacency = graph.clone();
        let bonas = graph.clone();
        let raw = graph.clone();
        registry
            .with_vector(
                "adjacency",
                "upper-triangle adjacency + op one-hot",
                move || DeclaredAdjacency {
                    graph: adjacency.clone(),
                },
            )
            .with_graph("gcn_bonas", "op-on-node DAG, BONAS options", move || {
                DeclaredGcn {
                    name: "gcn_bonas",
                    graph: bonas.clone(),
                    options: GcnOptions::bonas(),
                }
            })
            .with_graph("gcn_raw", "op-on-node DAG, raw adjacency", move || {
                DeclaredGcn {
                    name: "gcn_raw",
                    graph: raw.clone(),
                    options: GcnOptions::raw(),
                }
            })
    }
}
