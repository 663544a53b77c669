//! Encodings of the TransNAS-Bench-101 micro cell.
//!
//! The cell has NAS-Bench-201's topology with four ops per edge (zero, skip,
//! conv1x1, conv3x3; codes 0-3 of the arch strings), so it takes the
//! encodings of [`crate::edge_op_cell`]:
//!
//! | name | kind | size | invertible |
//! |---|---|---|---|
//! | `categorical` | vector | 6 edges x 4 ops = 24 | yes |
//! | `adjacency` | vector | 24 (same as `categorical`, fixed topology) | yes |
//! | `compact` | vector | 6 op codes | yes |
//! | `path` | vector | 4 + 16 + 64 = 84 | no |
//! | `trunc_path` | vector | 20 most likely paths | no |
//! | `path_without_zero` | vector | 3 + 9 + 27 = 39 | no |
//! | `gcn` | graph | 8 nodes x 6 labels | - |
//! | `gcn_bonas` | graph | 9 nodes x 7 labels | - |
//! | `gcn_raw` | graph | 8 nodes x 6 labels | - |
//!
//! Under uniform sampling a 1-edge path occurs with probability 1/4, a 2-edge
//! path with 1 - (15/16)^2 = 31/256 and a 3-edge path with 1/64, so
//! `trunc_path` keeps the 4 + 16 paths of 1 and 2 edges (the analogue of
//! BANANAS's 30 for NB201; natural cut-offs 4, 20, 84).

use oxinas_core::{Enumerable, SearchSpace};
use oxinas_spaces::{TransNasMicroArch, TransNasMicroOp, TransNasMicroSpace};

use crate::edge_op_cell::{
    EdgeCellGcn, EdgeCellPaths, EdgeCompact, EdgeOneHot, EdgeOpCell, NUM_EDGES, ZeroOpRoutes,
};
use crate::gcn::GcnOptions;
use crate::path::{PathEncoding, TruncatedPathEncoding, path_frequencies, ranking_by_frequency};
use crate::{EncodableSpace, EncodingError, EncodingRegistry};

/// Paths kept by `trunc_path`: those of 1 and 2 edges.
pub const TRANSNAS_MICRO_TRUNC_PATH_DEFAULT_K: usize = 20;

impl EdgeOpCell for TransNasMicroArch {
    const NUM_OPS: usize = TransNasMicroOp::ALL.len();
    const ZERO_OP: Option<u8> = Some(TransNasMicroOp::Zero as u8);

    fn edge_ops(&self) -> [u8; NUM_EDGES] {
        self.ops.map(TransNasMicroOp::code)
    }

    fn from_edge_ops(ops: [u8; NUM_EDGES]) -> Option<Self> {
        let mut arch = TransNasMicroArch {
            ops: [TransNasMicroOp::Zero; NUM_EDGES],
        };
        for (op, code) in arch.ops.iter_mut().zip(ops) {
            *op = TransNasMicroOp::from_code(code)?;
        }
        Some(arch)
    }
}

/// TransNAS-Bench-101 micro cells as sets of op paths.
pub type TransNasMicroPaths = EdgeCellPaths<TransNasMicroArch>;

/// The path encoding (84 entries).
pub fn transnas_micro_path() -> PathEncoding<TransNasMicroPaths> {
    PathEncoding::new("path", TransNasMicroPaths::new(ZeroOpRoutes::Counted))
}

/// The path encoding without routes through zero edges (39 entries).
pub fn transnas_micro_path_without_zero() -> PathEncoding<TransNasMicroPaths> {
    PathEncoding::new(
        "path_without_zero",
        TransNasMicroPaths::new(ZeroOpRoutes::Dropped),
    )
}

/// The `k` (1..=84) paths most frequent over all 4,096 cells.
pub fn transnas_micro_trunc_path(
    k: usize,
) -> Result<TruncatedPathEncoding<TransNasMicroPaths>, EncodingError> {
    let source = TransNasMicroPaths::new(ZeroOpRoutes::Counted);
    let ranking = ranking_by_frequency(&path_frequencies(&source, TransNasMicroSpace.enumerate()));
    TruncatedPathEncoding::new("trunc_path", source, &ranking, k)
}

impl EncodableSpace for TransNasMicroSpace {
    fn encodings(&self) -> EncodingRegistry<TransNasMicroArch> {
        EncodingRegistry::new(self.name())
            .with_vector("categorical", "one-hot op per edge, 6 x 4", || {
                EdgeOneHot::new("categorical")
            })
            .with_vector(
                "adjacency",
                "adjacency one-hot; the topology is fixed, so equal to categorical",
                || EdgeOneHot::new("adjacency"),
            )
            .with_vector("compact", "op code per edge, 6 integers", EdgeCompact::new)
            .with_vector("path", "path encoding, 84 paths", transnas_micro_path)
            .with_vector_setting(
                "trunc_path",
                "truncated path encoding, the k (default 20) most likely paths",
                "k",
                |k| transnas_micro_trunc_path(k.unwrap_or(TRANSNAS_MICRO_TRUNC_PATH_DEFAULT_K)),
            )
            .with_vector(
                "path_without_zero",
                "path encoding without routes through zero edges, 39 paths",
                transnas_micro_path_without_zero,
            )
            .with_graph(
                "gcn",
                "op-on-node DAG, self-loops, row-normalised adjacency",
                || EdgeCellGcn::new("gcn", GcnOptions::default()),
            )
            .with_graph(
                "gcn_bonas",
                "op-on-node DAG with self-loops and a global node (BONAS)",
                || EdgeCellGcn::new("gcn_bonas", GcnOptions::bonas()),
            )
            .with_graph(
                "gcn_raw",
                "op-on-node DAG, raw 0/1 adjacency (GIN, NPENAS)",
                || EdgeCellGcn::new("gcn_raw", GcnOptions::raw()),
            )
    }
}
