//! Encodings of the NAS-Bench-201 cell.
//!
//! NB201 puts ops on the six edges of a fixed 4-node DAG; the encodings are
//! those of [`crate::edge_op_cell`] (path and GCN encodings on the op-on-node
//! DAG that BANANAS and NASLib convert the cell to), with NB201's five ops.
//!
//! Throughout, edges are in arch-string order ([`oxinas_spaces::NB201_EDGES`])
//! and ops in the official order `none, skip_connect, nor_conv_1x1,
//! nor_conv_3x3, avg_pool_3x3` (digit 0..4). The references order ops differently (BANANAS
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
//! | `path_without_zero` | vector | 4 + 16 + 64 = 84 | no |
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
//! `path` vectors; `path_without_zero` drops every route through a `none` edge
//! (the zero op; the name is shared with other spaces) and leaves 4 ops,
//! 4 + 16 + 64 = 84 paths, so it gives isomorphic cells the same vector.
//! The routes are BANANAS's (edges 3; 0, 4; 1, 5; 0, 2, 5 in arch-string
//! order). NASLib applies these edge numbers to its own edge order
//! (1<-0, 2<-0, 3<-0, 2<-1, 3<-1, 3<-2), so two of its four "routes" (edge
//! 2<-1 alone, and 1<-0, 3<-0, 3<-2) are not input-to-output paths; its NB201
//! path vectors therefore differ from these.
//!
//! `trunc_path` keeps the 30 paths most likely under uniform sampling,
//! BANANAS's default for NB201 (`trunc_path:k` keeps `k`). A 1-edge path
//! occurs with probability 1/5, a 2-edge path with 1 - (24/25)^2 = 49/625 and
//! a 3-edge path with 1/125, so the most likely paths are the 5 + 25 shortest
//! and truncation keeps the first entries of `path` (natural cut-offs 5, 30,
//! 155). The ranking is computed from all 15,625 cells, not assumed.

use oxinas_core::Enumerable;
use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};

use crate::edge_op_cell::{
    EdgeCellGcn, EdgeCellPaths, EdgeCompact, EdgeOneHot, EdgeOpCell, NUM_EDGES, ZeroOpRoutes,
};
use crate::gcn::GcnOptions;
use crate::path::{PathEncoding, TruncatedPathEncoding, path_frequencies, ranking_by_frequency};
use crate::{EncodableSpace, EncodingError, EncodingRegistry};

/// BANANAS's default number of kept paths for NB201.
pub const NB201_TRUNC_PATH_DEFAULT_K: usize = 30;

impl EdgeOpCell for Nb201Arch {
    const NUM_OPS: usize = Nb201Op::ALL.len();
    const ZERO_OP: Option<u8> = Some(Nb201Op::None as u8);

    fn edge_ops(&self) -> [u8; NUM_EDGES] {
        self.ops.map(Nb201Op::digit)
    }

    fn from_edge_ops(ops: [u8; NUM_EDGES]) -> Option<Self> {
        let mut arch = Nb201Arch {
            ops: [Nb201Op::None; NUM_EDGES],
        };
        for (op, digit) in arch.ops.iter_mut().zip(ops) {
            *op = Nb201Op::from_digit(digit)?;
        }
        Some(arch)
    }
}

/// NB201 cells as sets of op paths.
pub type Nb201Paths = EdgeCellPaths<Nb201Arch>;

/// BANANAS's `path` encoding of NB201 (155 entries).
pub fn nb201_path() -> PathEncoding<Nb201Paths> {
    PathEncoding::new("path", Nb201Paths::new(ZeroOpRoutes::Counted))
}

/// The path encoding without routes through `none` edges (84 entries).
pub fn nb201_path_without_zero() -> PathEncoding<Nb201Paths> {
    PathEncoding::new("path_without_zero", Nb201Paths::new(ZeroOpRoutes::Dropped))
}

/// BANANAS's `trunc_path`: the `k` (1..=155) paths most frequent over all
/// 15,625 cells, i.e. most likely under uniform sampling.
pub fn nb201_trunc_path(k: usize) -> Result<TruncatedPathEncoding<Nb201Paths>, EncodingError> {
    let source = Nb201Paths::new(ZeroOpRoutes::Counted);
    let ranking = ranking_by_frequency(&path_frequencies(&source, Nb201Space.enumerate()));
    TruncatedPathEncoding::new("trunc_path", source, &ranking, k)
}

impl EncodableSpace for Nb201Space {
    fn encodings(&self) -> EncodingRegistry<Nb201Arch> {
        EncodingRegistry::new("nb201")
            .with_vector("categorical", "one-hot op per edge, 6 x 5", || {
                EdgeOneHot::new("categorical")
            })
            .with_vector(
                "adjacency",
                "adjacency one-hot; the topology is fixed, so equal to categorical",
                || EdgeOneHot::new("adjacency"),
            )
            .with_vector("compact", "op digit per edge, 6 integers", EdgeCompact::new)
            .with_vector("path", "BANANAS path encoding, 155 paths", nb201_path)
            .with_vector_setting(
                "trunc_path",
                "BANANAS truncated path encoding, the k (default 30) most likely paths",
                "k",
                |k| nb201_trunc_path(k.unwrap_or(NB201_TRUNC_PATH_DEFAULT_K)),
            )
            .with_vector(
                "path_without_zero",
                "path encoding without routes through zero (none) edges, 84 paths",
                nb201_path_without_zero,
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
