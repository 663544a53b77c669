use oxinas_core::{
    Budget, Evaluation, Evaluator, Optimizer, OptimizerError, Proposal, RngCore, SearchSpace,
};

use crate::search_loop::{evaluate_query, push_record};
use crate::{QueryJournal, SearchError, SearchOutcome, StopReason};

/// A query running on a simulated worker.
struct Running<A> {
    /// Simulated time at which its result arrives.
    finish: f64,
    /// Position in ask order, which breaks ties between equal finish times.
    asked: u64,
    proposal: Proposal<A>,
    evaluation: Evaluation,
}

/// Runs `optimizer` against `evaluator` on a simulated cluster of `workers`
/// workers, until `budget` is spent.
///
/// Each query occupies a worker for its cost, the training time the
/// benchmark records for it (`Observation::cost_seconds`). Whenever a worker
/// is free the optimizer is asked, and results are told in the order of
/// their simulated finish times, equal times in ask order; all results
/// arriving at one instant are told before the freed workers ask again. An
/// optimizer that must wait (a synchronous rung) leaves its free workers idle
/// until the next result arrives. The records are in tell order, each with
/// its finish time as `wall_time`; `cumulative_cost` is the compute spent
/// on the told queries.
///
/// A time budget limits the simulated wall-clock time: the search ends at the
/// first result that would arrive after it, which is neither told nor
/// recorded, with everything still running. A query budget counts told
/// queries, and no more queries are started than it has left. Queries are
/// evaluated when they are asked, one after another with noise from
/// `eval_rng`, so the outcome depends on neither timing nor thread count;
/// with one worker it is exactly the sequential loop of [`crate::run_search`].
pub fn run_search_on_cluster<S, E>(
    space: &S,
    evaluator: &E,
    optimizer: &mut dyn Optimizer<S>,
    budget: Budget,
    workers: usize,
    eval_rng: &mut dyn RngCore,
) -> Result<SearchOutcome<S::Arch>, SearchError>
where
    S: SearchSpace,
    E: Evaluator<S::Arch> + ?Sized,
{
    cluster_search(space, evaluator, optimizer, budget, workers, eval_rng, None)
}

/// [`run_search_on_cluster`] with a journal: each evaluation is handed to
/// `journal` as it is made, indexed in ask order, and queries the journal
/// already holds are answered from it (see [`QueryJournal`]). The outcome is
/// the one [`run_search_on_cluster`] would give.
pub fn run_search_on_cluster_journaled<S, E>(
    space: &S,
    evaluator: &E,
    optimizer: &mut dyn Optimizer<S>,
    budget: Budget,
    workers: usize,
    eval_rng: &mut dyn RngCore,
    journal: &dyn QueryJournal<S::Arch>,
) -> Result<SearchOutcome<S::Arch>, SearchError>
where
    S: SearchSpace,
    E: Evaluator<S::Arch> + ?Sized,
{
    cluster_search(
        space,
        evaluator,
        optimizer,
        budget,
        workers,
        eval_rng,
        Some(journal),
    )
}

fn cluster_search<S, E>(
    space: &S,
    evaluator: &E,
    optimizer: &mut dyn Optimizer<S>,
    budget: Budget,
    workers: usize,
    eval_rng: &mut dyn RngCore,
    journal: Option<&dyn QueryJournal<S::Arch>>,
) -> Result<SearchOutcome<S::Arch>, SearchError>
where
    S: SearchSpace,
    E: Evaluator<S::Arch> + ?Sized,
{
    if budget.is_unbounded() {
        return Err(SearchError::UnboundedBudget);
    }
    let workers = workers.max(1);
    let mut history = Vec::new();
    let mut running: Vec<Running<S::Arch>> = Vec::with_capacity(workers);
    let mut now = 0.0f64;
    let mut compute = 0.0f64;
    let mut asked = 0u64;
    let mut exhausted = false;
    let outcome = |history, stop| Ok(SearchOutcome { history, stop });
    loop {
        // Give every free worker a query while the budget has room for one.
        while !exhausted && running.len() < workers {
            let started = (history.len() + running.len()) as u64;
            let room = budget.queries.is_none_or(|q| started < q)
                && budget.simulated_seconds.is_none_or(|s| now < s);
            if !room {
                break;
            }
            let proposal = match optimizer.ask(space) {
                Ok(p) => p,
                Err(OptimizerError::WaitingForResults { .. }) if !running.is_empty() => break,
                Err(OptimizerError::Exhausted { .. }) => {
                    exhausted = true;
                    break;
                }
                Err(e) => return Err(e.into()),
            };
            let evaluation = evaluate_query(space, evaluator, journal, asked, &proposal, eval_rng)?;
            running.push(Running {
                finish: now + evaluation.observation.cost_seconds,
                asked,
                proposal,
                evaluation,
            });
            asked += 1;
        }
        let Some(next) = earliest(&running) else {
            let stop = if exhausted {
                StopReason::Exhausted
            } else {
                StopReason::Budget
            };
            return outcome(history, stop);
        };
        let instant = running[next].finish;
        if budget.simulated_seconds.is_some_and(|s| instant > s) {
            return outcome(history, StopReason::Budget);
        }
        now = instant;
        // Tell everything that finishes now, in ask order.
        while let Some(k) = earliest(&running).filter(|&k| running[k].finish == now) {
            let job = running.swap_remove(k);
            compute += job.evaluation.observation.cost_seconds;
            optimizer.tell(space, &job.proposal, &job.evaluation.observation);
            push_record(
                &mut history,
                job.proposal,
                job.evaluation,
                job.asked,
                compute,
                now,
            );
            if budget.queries.is_some_and(|q| history.len() as u64 >= q) {
                return outcome(history, StopReason::Budget);
            }
        }
    }
}

/// The running query that finishes first (earliest asked among equal times).
fn earliest<A>(running: &[Running<A>]) -> Option<usize> {
    (0..running.len()).min_by(|&a, &b| {
        let (a, b) = (&running[a], &running[b]);
        a.finish.total_cmp(&b.finish).then(a.asked.cmp(&b.asked))
    })
}
