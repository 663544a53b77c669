//! Black-box NAS optimizers behind the ask/tell [`oxinas_core::Optimizer`]
//! interface, and [`run_search`], the loop that drives one against an
//! evaluator within a budget.

mod local_search;
mod multi_objective_evolution;
pub mod pareto;
mod random_search;
mod regularized_evolution;
mod search_loop;
mod successive_halving;

pub use local_search::LocalSearch;
pub use multi_objective_evolution::MultiObjectiveEvolution;
pub use random_search::RandomSearch;
pub use regularized_evolution::RegularizedEvolution;
pub use search_loop::{
    QueryRecord, SearchError, SearchOutcome, StopReason, run_search, run_search_batched,
};
pub use successive_halving::SuccessiveHalving;
