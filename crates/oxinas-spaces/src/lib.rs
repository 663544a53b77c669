//! Search spaces as plain data.
//!
//! Each space implements [`oxinas_core::SearchSpace`]: sampling, mutation,
//! neighbourhoods, a canonical key that merges architectures computing the same
//! function, and the official string format of its benchmark.

mod darts;
mod darts_arch;
mod darts_cell;
mod darts_compact;
mod darts_genotype;
mod darts_literal;
mod darts_op;
mod nb101;
mod nb101_arch;
mod nb101_enumeration;
mod nb101_hash;
mod nb101_mutation;
mod nb101_op;
mod nb101_prune;
mod nb101_relabel;
mod nb201;
mod nb201_index;

pub use darts::DartsSpace;
pub use darts_arch::{DartsArch, DartsCellKind};
pub use darts_cell::{DARTS_EDGES, DARTS_NODES, DartsCell, DartsCellError, DartsEdge};
pub use darts_op::DartsOp;
pub use nb101::{NB101_NUM_CELLS, Nb101Space};
pub use nb101_arch::{NB101_MAX_EDGES, NB101_MAX_VERTICES, Nb101Arch};
pub use nb101_hash::Nb101Hash;
pub use nb101_op::Nb101Op;
pub use nb201::{NB201_EDGES, Nb201Arch, Nb201Op, Nb201Space};
