//! Test support shared by the oxinas crates.
//!
//! * [`data_file`] locates benchmark data: a missing file fails the test when
//!   `OXINAS_DATA` (or `CI`) is set, and skips it only when neither is.
//! * [`skip_test`] records a skipped test where a passing run shows it and
//!   `.ci/run` counts it (docs/TESTING.md).
//! * [`SpaceLaws`] checks, as property tests, the laws every
//!   [`SearchSpace`](oxinas_core::SearchSpace) must obey; a space runs them in
//!   one line, e.g. `SpaceLaws::new(&space, |a| space.is_valid(a)).assert();`.
//! * [`run_isolated`] runs a test alone in a fresh process, for tests that
//!   need Burn's f64 backend (its float type is fixed per process).
//! * [`check_uniform_sampling`] checks with a chi-square test that an
//!   [`Enumerable`](oxinas_core::Enumerable) space samples uniformly.

mod chi_square;
mod data_file;
mod isolated_test;
mod skipped_test;
mod space_laws;
mod uniform_sampling;

pub use chi_square::{ChiSquare, chi_square_quantile};
pub use data_file::data_file;
pub use isolated_test::run_isolated;
pub use skipped_test::{SKIP_LOG_NAME, skip_log, skip_test};
pub use space_laws::{LawViolation, SpaceLaws};
pub use uniform_sampling::check_uniform_sampling;
