//! Black-box NAS optimizers behind the ask/tell [`oxinas_core::Optimizer`]
//! interface, and [`run_search`], the loop that drives one against an
//! evaluator within a budget.

mod local_search;
mod random_search;
mod regularized_evolution;
mod search_loop;

pub use local_search::LocalSearch;
pub use random_search::RandomSearch;
pub use regularized_evolution::RegularizedEvolution;
pub use search_loop::{QueryRecord, SearchError, SearchOutcome, StopReason, run_search};
