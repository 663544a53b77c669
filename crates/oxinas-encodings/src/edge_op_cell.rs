//! Encodings of cells with NAS-Bench-201's topology: 4 nodes, one op on each
//! of the 6 edges. NAS-Bench-201 and the TransNAS-Bench-101 micro space share
//! it, differing only in their op lists, so a space implements [`EdgeOpCell`]
//! and reuses everything here.
//!
//! Path and GCN encodings work on the equivalent op-on-node DAG, obtained as
//! BANANAS and NASLib do for NB201: every edge becomes a node carrying its op,
//! an edge-node `a -> b` feeds every edge-node `b -> c`, the input feeds the
//! edge-nodes leaving cell node 0 and the edge-nodes entering cell node 3 feed
//! the output. Zero-op edges stay in that DAG as nodes labelled with the zero
//! op, as in both reference implementations.
//!
//! Edges are in arch-string order ([`NB201_EDGES`]): (1<-0), (2<-0), (2<-1),
//! (3<-0), (3<-1), (3<-2); ops are the space's digits.

use std::marker::PhantomData;
use std::ops::Range;

use oxinas_spaces::NB201_EDGES;

use crate::error::check_len;
use crate::gcn::{GcnOptions, LabelledDag, write_labelled_dag};
use crate::one_hot::decode_one_hot;
use crate::op_dag::OpDag;
use crate::path::{PathIndexer, PathSource};
use crate::{EncodingError, GraphBuffers, GraphEncoding, VectorEncoding};

/// Edges of the cell.
pub const NUM_EDGES: usize = 6;
/// The cell's output node.
const OUTPUT_NODE: usize = 3;
/// Input, one node per edge, output.
const DAG_NODES: usize = NUM_EDGES + 2;

/// An architecture with NB201's cell topology and an op digit per edge.
pub trait EdgeOpCell: Sized + Send + Sync {
    /// Ops an edge can carry (digits `0..NUM_OPS`).
    const NUM_OPS: usize;
    /// The digit of the zero op (an edge that carries nothing), if any.
    const ZERO_OP: Option<u8>;

    /// The op digit of each edge, in arch-string order.
    fn edge_ops(&self) -> [u8; NUM_EDGES];

    /// The cell with these op digits, or `None` if a digit is not below
    /// [`EdgeOpCell::NUM_OPS`].
    fn from_edge_ops(ops: [u8; NUM_EDGES]) -> Option<Self>;
}

/// Names edge `edge` in decode errors, e.g. `edge 2 (node 2 <- 1)`.
fn edge_name(edge: usize) -> String {
    let (to, from) = NB201_EDGES[edge];
    format!("edge {edge} (node {to} <- {from})")
}

/// One-hot op per edge: entry `NUM_OPS * edge + digit` is 1, six one-hot
/// blocks. Invertible.
#[derive(Debug)]
pub struct EdgeOneHot<C> {
    name: &'static str,
    cell: PhantomData<fn() -> C>,
}

impl<C> EdgeOneHot<C> {
    /// The encoding, registered under `name`.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            cell: PhantomData,
        }
    }
}

impl<C: EdgeOpCell> VectorEncoding<C> for EdgeOneHot<C> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn dim(&self) -> usize {
        NUM_EDGES * C::NUM_OPS
    }

    fn write(&self, arch: &C, out: &mut [f64]) {
        out.fill(0.0);
        for (edge, op) in arch.edge_ops().into_iter().enumerate() {
            out[edge * C::NUM_OPS + usize::from(op)] = 1.0;
        }
    }

    fn one_hot_blocks(&self) -> Vec<Range<usize>> {
        (0..NUM_EDGES)
            .map(|edge| edge * C::NUM_OPS..(edge + 1) * C::NUM_OPS)
            .collect()
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<C, EncodingError> {
        check_len(self.name, "vector", self.dim(), code.len())?;
        let mut ops = [0u8; NUM_EDGES];
        for (edge, (op, block)) in ops
            .iter_mut()
            .zip(code.chunks_exact(C::NUM_OPS))
            .enumerate()
        {
            let digit = decode_one_hot(self.name, block, || edge_name(edge))?;
            // Digits are below NUM_OPS, a handful.
            *op = digit as u8;
        }
        from_digits(self.name, ops)
    }
}

/// Builds the cell, reporting digits the space rejects.
fn from_digits<C: EdgeOpCell>(
    encoding: &'static str,
    ops: [u8; NUM_EDGES],
) -> Result<C, EncodingError> {
    C::from_edge_ops(ops).ok_or_else(|| EncodingError::Decode {
        encoding,
        message: format!("op digits {ops:?} below {} for every edge", C::NUM_OPS),
    })
}

/// The six op digits in edge order: the smallest encoding, for trees and
/// other models that split on integers. Invertible.
#[derive(Debug)]
pub struct EdgeCompact<C> {
    cell: PhantomData<fn() -> C>,
}

impl<C> EdgeCompact<C> {
    /// The encoding (registered as `compact`).
    pub fn new() -> Self {
        Self { cell: PhantomData }
    }
}

impl<C> Default for EdgeCompact<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: EdgeOpCell> VectorEncoding<C> for EdgeCompact<C> {
    fn name(&self) -> &'static str {
        "compact"
    }

    fn dim(&self) -> usize {
        NUM_EDGES
    }

    fn write(&self, arch: &C, out: &mut [f64]) {
        for (value, op) in out.iter_mut().zip(arch.edge_ops()) {
            *value = f64::from(op);
        }
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<C, EncodingError> {
        check_len(self.name(), "vector", self.dim(), code.len())?;
        let mut ops = [0u8; NUM_EDGES];
        for (edge, (op, &value)) in ops.iter_mut().zip(code).enumerate() {
            *op = (0..C::NUM_OPS)
                .find(|&digit| digit as f64 == value)
                .ok_or_else(|| EncodingError::Decode {
                    encoding: self.name(),
                    message: format!(
                        "{}: an op digit from 0 to {}, found {value}",
                        edge_name(edge),
                        C::NUM_OPS - 1
                    ),
                })? as u8;
        }
        from_digits(self.name(), ops)
    }
}

/// The input-to-output routes of the cell as lists of edge numbers, input
/// side first, shortest first: `[3], [0, 4], [1, 5], [0, 2, 5]`.
pub fn edge_cell_routes() -> Vec<Vec<usize>> {
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

/// Whether routes through zero-op edges count as paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZeroOpRoutes {
    /// The zero op is an op like the others (BANANAS, NASLib).
    Counted,
    /// Routes through a zero-op edge carry nothing and are dropped; paths are
    /// numbered over the other ops (digits above the zero op shift down by one).
    Dropped,
}

/// Cells as sets of op paths ([`PathSource`]).
#[derive(Debug)]
pub struct EdgeCellPaths<C> {
    zero_op: Option<u8>,
    routes: Vec<Vec<usize>>,
    indexer: PathIndexer,
    cell: PhantomData<fn() -> C>,
}

impl<C: EdgeOpCell> EdgeCellPaths<C> {
    /// The path view; `Dropped` acts only if the space has a zero op.
    pub fn new(zero_op_routes: ZeroOpRoutes) -> Self {
        let zero_op = match zero_op_routes {
            ZeroOpRoutes::Counted => None,
            ZeroOpRoutes::Dropped => C::ZERO_OP,
        };
        let num_ops = C::NUM_OPS - usize::from(zero_op.is_some());
        let routes = edge_cell_routes();
        let max_len = routes.iter().map(Vec::len).max().unwrap_or(0);
        let min_len = routes.iter().map(Vec::len).min().unwrap_or(0);
        Self {
            zero_op,
            routes,
            // A few ops and routes of 1..=3 edges: far below any size limit.
            indexer: PathIndexer::new(num_ops.max(1), min_len, max_len)
                .unwrap_or_else(|_| unreachable!("edge-cell path counts are small")),
            cell: PhantomData,
        }
    }

    /// The routes, as lists of edge numbers.
    pub fn routes(&self) -> &[Vec<usize>] {
        &self.routes
    }

    /// The numbering of the paths.
    pub fn indexer(&self) -> &PathIndexer {
        &self.indexer
    }
}

impl<C: EdgeOpCell> PathSource for EdgeCellPaths<C> {
    type Arch = C;

    fn num_paths(&self) -> usize {
        self.indexer.dim()
    }

    fn for_each_path(&self, arch: &C, visit: &mut dyn FnMut(usize)) {
        let edge_ops = arch.edge_ops();
        let mut ops = [0u8; 3];
        'routes: for route in &self.routes {
            for (slot, &edge) in ops.iter_mut().zip(route) {
                let digit = edge_ops[edge];
                *slot = match self.zero_op {
                    None => digit,
                    Some(zero) if digit == zero => continue 'routes,
                    Some(zero) if digit > zero => digit - 1,
                    Some(_) => digit,
                };
            }
            if let Some(index) = self.indexer.index(&ops[..route.len()]) {
                visit(index);
            }
        }
    }
}

/// A cell as its op-on-node DAG: node 0 the input, node `1 + e` the op on
/// edge `e`, node 7 the output. Node order is topological, so generic
/// [`OpDag`] code applies.
#[derive(Clone, Copy, Debug)]
pub struct EdgeCellNodeDag<'a, C>(pub &'a C);

/// Whether the op-on-node DAG has the edge `from -> to`.
fn node_dag_edge(from: usize, to: usize) -> bool {
    let output = DAG_NODES - 1;
    if from >= to || to > output || from == output {
        false
    } else if from == 0 {
        to < output && NB201_EDGES[to - 1].1 == 0
    } else if to == output {
        NB201_EDGES[from - 1].0 == OUTPUT_NODE
    } else {
        NB201_EDGES[from - 1].0 == NB201_EDGES[to - 1].1
    }
}

impl<C: EdgeOpCell> OpDag for EdgeCellNodeDag<'_, C> {
    fn num_nodes(&self) -> usize {
        DAG_NODES
    }

    fn has_edge(&self, from: usize, to: usize) -> bool {
        node_dag_edge(from, to)
    }

    fn op(&self, node: usize) -> u8 {
        self.0.edge_ops()[node - 1]
    }
}

/// GCN tensors of the op-on-node DAG (8 nodes); labels are input 0, op digit
/// + 1, output `NUM_OPS + 1`.
#[derive(Debug)]
pub struct EdgeCellGcn<C> {
    name: &'static str,
    options: GcnOptions,
    edges: Vec<(usize, usize)>,
    cell: PhantomData<fn() -> C>,
}

impl<C: EdgeOpCell> EdgeCellGcn<C> {
    /// The encoding with `options`, registered under `name`.
    pub fn new(name: &'static str, options: GcnOptions) -> Self {
        let mut edges = Vec::new();
        for from in 0..DAG_NODES {
            for to in from + 1..DAG_NODES {
                if node_dag_edge(from, to) {
                    edges.push((from, to));
                }
            }
        }
        Self {
            name,
            options,
            edges,
            cell: PhantomData,
        }
    }

    /// The settings.
    pub fn options(&self) -> &GcnOptions {
        &self.options
    }
}

impl<C: EdgeOpCell> GraphEncoding<C> for EdgeCellGcn<C> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn max_nodes(&self) -> usize {
        self.options.max_nodes(DAG_NODES)
    }

    fn num_node_features(&self) -> usize {
        self.options.num_node_features(C::NUM_OPS + 2)
    }

    fn write(&self, arch: &C, buffers: GraphBuffers<'_>) -> usize {
        let mut labels = [0usize; DAG_NODES];
        for (label, op) in labels[1..=NUM_EDGES].iter_mut().zip(arch.edge_ops()) {
            *label = 1 + usize::from(op);
        }
        labels[DAG_NODES - 1] = C::NUM_OPS + 1;
        let dag = LabelledDag {
            num_labels: C::NUM_OPS + 2,
            max_nodes: DAG_NODES,
            labels: &labels,
            edges: &self.edges,
        };
        write_labelled_dag(dag, &self.options, buffers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PathEncoding;

    /// A TransNAS-Bench-101-micro-like cell: 4 ops, digit 0 the zero op.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    struct FourOpCell([u8; NUM_EDGES]);

    impl EdgeOpCell for FourOpCell {
        const NUM_OPS: usize = 4;
        const ZERO_OP: Option<u8> = Some(0);

        fn edge_ops(&self) -> [u8; NUM_EDGES] {
            self.0
        }

        fn from_edge_ops(ops: [u8; NUM_EDGES]) -> Option<Self> {
            ops.iter().all(|&op| op < 4).then_some(Self(ops))
        }
    }

    fn all_cells() -> Vec<FourOpCell> {
        (0..4usize.pow(6))
            .map(|code| {
                let mut ops = [0u8; NUM_EDGES];
                for (edge, op) in ops.iter_mut().enumerate() {
                    *op = (code / 4usize.pow(edge as u32) % 4) as u8;
                }
                FourOpCell(ops)
            })
            .collect()
    }

    #[test]
    fn sizes_follow_the_op_count() {
        assert_eq!(VectorEncoding::<FourOpCell>::dim(&EdgeOneHot::new("c")), 24);
        let counted =
            PathEncoding::new("p", EdgeCellPaths::<FourOpCell>::new(ZeroOpRoutes::Counted));
        assert_eq!(counted.dim(), 4 + 16 + 64);
        let dropped =
            PathEncoding::new("p", EdgeCellPaths::<FourOpCell>::new(ZeroOpRoutes::Dropped));
        assert_eq!(dropped.dim(), 3 + 9 + 27);
        let gcn = EdgeCellGcn::<FourOpCell>::new("gcn", GcnOptions::default());
        assert_eq!((gcn.max_nodes(), gcn.num_node_features()), (8, 6));
    }

    #[test]
    fn one_hot_and_compact_invert_over_all_4096_cells() {
        let one_hot = EdgeOneHot::new("categorical");
        let compact = EdgeCompact::new();
        for cell in all_cells() {
            assert_eq!(one_hot.decode(&one_hot.encode(&cell)), Ok(cell));
            assert_eq!(compact.decode(&compact.encode(&cell)), Ok(cell));
        }
        let err = compact.decode(&[0.0, 0.0, 0.0, 0.0, 0.0, 4.0]).unwrap_err();
        assert!(
            err.to_string().contains("an op digit from 0 to 3, found 4"),
            "{err}"
        );
    }

    #[test]
    fn dropped_zero_routes_shift_the_digits_above_zero() {
        let dropped =
            PathEncoding::new("p", EdgeCellPaths::<FourOpCell>::new(ZeroOpRoutes::Dropped));
        // Only the 1-edge route (edge 3) is live, with op 3 -> path digit 2.
        let cell = FourOpCell([0, 0, 0, 3, 0, 0]);
        let code = dropped.encode(&cell);
        let hot: Vec<usize> = (0..code.len()).filter(|&i| code[i] == 1.0).collect();
        assert_eq!(hot, [2]);
    }

    #[test]
    fn node_dag_has_the_ten_line_graph_edges() {
        let edges: Vec<(usize, usize)> = (0..DAG_NODES)
            .flat_map(|from| (0..DAG_NODES).map(move |to| (from, to)))
            .filter(|&(from, to)| node_dag_edge(from, to))
            .collect();
        // input feeds edges 0, 1, 3 (nodes 1, 2, 4); 1<-0 feeds 2<-1 and 3<-1;
        // 2<-0 and 2<-1 feed 3<-2; edges into node 3 feed the output.
        assert_eq!(
            edges,
            [
                (0, 1),
                (0, 2),
                (0, 4),
                (1, 3),
                (1, 5),
                (2, 6),
                (3, 6),
                (4, 7),
                (5, 7),
                (6, 7)
            ]
        );
    }
}
