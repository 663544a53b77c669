//! Test support shared by the oxinas crates.
//!
//! * [`data_file`] locates benchmark data: when the file is missing, a local run
//!   skips the test with a message, while a CI run (`CI` set) fails, because CI
//!   always has the data.
//! * [`SpaceLaws`] checks, as property tests, the laws every
//!   [`SearchSpace`](oxinas_core::SearchSpace) must obey; a space runs them in
//!   one line, e.g. `SpaceLaws::new(&space, |a| space.is_valid(a)).assert();`.
//! * [`check_uniform_sampling`] checks with a chi-square test that an
//!   [`Enumerable`](oxinas_core::Enumerable) space samples uniformly.

mod chi_square;
mod data_file;
mod space_laws;
mod uniform_sampling;

pub use chi_square::{ChiSquare, chi_square_quantile};
pub use data_file::data_file;
pub use space_laws::{LawViolation, SpaceLaws};
pub use uniform_sampling::check_uniform_sampling;
