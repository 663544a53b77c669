//! Statistics for comparing optimizers, after Demšar, "Statistical
//! Comparisons of Classifiers over Multiple Data Sets" (JMLR 2006):
//!
//! - [`FriedmanTest`]: do the optimizers differ at all, judged by their ranks
//!   within each block (benchmark or seed)?
//! - [`nemenyi_critical_difference`]: how far apart two average ranks must be
//!   for the pair to differ at alpha = 0.05 (the critical-difference diagram).
//! - [`WilcoxonTest`]: do two optimizers differ on one benchmark, with their
//!   trials paired by seed?
//! - [`holm_adjust`]: p-values of a family of such pairwise tests corrected
//!   for multiplicity.
//! - [`bootstrap_mean_interval`]: a seeded percentile-bootstrap confidence
//!   interval of a mean.
//!
//! Each is checked against SciPy / statsmodels on fixed inputs
//! (`tests/fixtures/`).

mod bootstrap;
mod error;
mod friedman;
mod holm;
mod nemenyi;
mod ranks;
mod studentized_range;
mod wilcoxon;

pub use bootstrap::{MeanInterval, bootstrap_mean_interval};
pub use error::StatisticsError;
pub use friedman::FriedmanTest;
pub use holm::holm_adjust;
pub use nemenyi::{nemenyi_critical_difference, nemenyi_q_005};
pub use ranks::average_ranks;
pub use studentized_range::{studentized_range_cdf, studentized_range_quantile};
pub use wilcoxon::{WilcoxonMethod, WilcoxonTest};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
