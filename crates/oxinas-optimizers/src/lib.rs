//! NAS optimizers behind the ask/tell [`oxinas_core::Optimizer`] interface,
//! and [`run_search`] / [`run_search_batched`] / [`run_search_on_cluster`],
//! the loops that drive one against an evaluator within a budget (the last
//! on a simulated cluster of workers, against simulated wall-clock time; the
//! `_journaled` forms of the first two record every evaluation as it finishes
//! and resume from the record, see [`QueryJournal`]).
//!
//! - black-box: [`RandomSearch`], [`RegularizedEvolution`], [`LocalSearch`];
//! - model-based: [`ModelGuidedSearch`] with the presets of BANANAS, NPENAS
//!   and BONAS ([`ModelGuidedConfig`]), any predictor as surrogate;
//!   [`TreeParzenEstimator`] (TPE) on a [`CategoricalKernelDensity`];
//! - multi-fidelity: [`SuccessiveHalving`] (also Hyperband),
//!   [`AsynchronousSuccessiveHalving`] (ASHA, also asynchronous Hyperband),
//!   [`Dehb`] (differential evolution in Hyperband's brackets), [`Bohb`]
//!   (a kernel density model in Hyperband's brackets);
//! - multi-objective: [`MultiObjectiveEvolution`], and [`pareto`] to reduce
//!   any search's history to its Pareto front and measure its hypervolume;
//! - policy gradient: [`Reinforce`] (REINFORCE over the space's categorical
//!   choices, the NAS-Bench-201 paper's settings).

mod acquisition;
mod asynchronous_successive_halving;
pub mod bohb;
pub mod categorical_kernel_density;
pub mod convex_hull;
pub mod dehb;
mod local_search;
mod model_guided_search;
mod multi_objective_evolution;
pub mod pareto;
mod query_journal;
mod random_search;
mod regularized_evolution;
pub mod reinforce;
mod search_loop;
mod simulated_cluster;
mod successive_halving;
pub mod tree_parzen_estimator;

pub use acquisition::Acquisition;
pub use asynchronous_successive_halving::AsynchronousSuccessiveHalving;
pub use bohb::{Bohb, BohbConfig};
pub use categorical_kernel_density::{CategoricalKernel, CategoricalKernelDensity};
pub use dehb::{Dehb, DehbConfig};
pub use local_search::LocalSearch;
pub use model_guided_search::{CandidateGenerator, ModelGuidedConfig, ModelGuidedSearch};
pub use multi_objective_evolution::MultiObjectiveEvolution;
pub use query_journal::{Draw, JournalEntry, QueryJournal};
pub use random_search::RandomSearch;
pub use regularized_evolution::RegularizedEvolution;
pub use reinforce::{Reinforce, ReinforceConfig};
pub use search_loop::{
    QueryRecord, SearchError, SearchOutcome, StopReason, run_search, run_search_batched,
    run_search_batched_journaled, run_search_journaled,
};
pub use simulated_cluster::{run_search_on_cluster, run_search_on_cluster_journaled};
pub use successive_halving::SuccessiveHalving;
pub use tree_parzen_estimator::{TpeConfig, TreeParzenEstimator};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
