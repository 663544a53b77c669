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
mod nb201;
mod nb201_index;

pub use darts::DartsSpace;
pub use darts_arch::{DartsArch, DartsCellKind};
pub use darts_cell::{DARTS_EDGES, DARTS_NODES, DartsCell, DartsCellError, DartsEdge};
pub use darts_op::DartsOp;
pub use nb201::{NB201_EDGES, Nb201Arch, Nb201Op, Nb201Space};
