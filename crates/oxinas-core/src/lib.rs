//! The vocabulary every oxinas crate shares.
//!
//! The three pillars of NAS meet here as traits: a [`SearchSpace`] says what
//! architectures exist, an [`Evaluator`] says how good one is at a given
//! [`Fidelity`], and an [`Optimizer`] decides what to evaluate next through an
//! ask/tell interface. Optimizers only ever receive an [`Observation`]
//! (validation metrics and cost); test metrics stay in the [`Evaluation`] that
//! the search loop keeps for reporting, so an optimizer cannot peek at them.
//!
//! Randomness is explicit: every random choice takes a `&mut dyn RngCore`
//! created from a seed by [`seed::rng_from_seed`]; seeds for trials and
//! components are derived with [`seed::derive_seed`].

mod budget;
mod data_root;
mod error;
mod evaluation;
mod evaluator;
mod fidelity;
mod ground_truth;
mod optimizer;
pub mod seed;
mod space;

pub use budget::{Budget, BudgetMeter};
pub use data_root::{DATA_ENV, data_root};
pub use error::{ConfigError, DataError, EvaluationError, OptimizerError, ParseArchError};
pub use evaluation::{Evaluation, Goal, Observation, Outcome};
pub use evaluator::Evaluator;
pub use fidelity::Fidelity;
pub use ground_truth::GroundTruth;
pub use optimizer::{Optimizer, Proposal};
pub use space::{Crossover, Enumerable, SearchSpace};

/// Re-exported so that implementors name the same `RngCore` as the traits.
pub use rand::RngCore;

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
