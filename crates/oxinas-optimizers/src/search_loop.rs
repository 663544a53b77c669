use oxinas_core::seed::rng_from_seed;
use oxinas_core::{
    Budget, BudgetMeter, Evaluation, EvaluationError, Evaluator, Optimizer, OptimizerError,
    Proposal, RngCore, SearchSpace,
};
use rayon::prelude::*;
use thiserror::Error;

use crate::query_journal::{DrawRecorder, QueryJournal, redraw};

/// One evaluated query of a search.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryRecord<A> {
    /// Position of the query in the search (the order told), from 0.
    pub index: u64,
    /// Position of the query in the order asked, from 0: `index` itself,
    /// except on a simulated cluster, where results arrive out of order.
    pub asked: u64,
    /// What the optimizer proposed.
    pub proposal: Proposal<A>,
    /// The full evaluation (the optimizer was told only its observation).
    pub evaluation: Evaluation,
    /// Total cost of the search up to and including this query, seconds.
    pub cumulative_cost: f64,
    /// Simulated wall-clock time at which this query's result arrived,
    /// seconds. The sequential loops evaluate one query after another, so
    /// there it equals `cumulative_cost`; on a simulated cluster of several
    /// workers it is the query's finish time.
    pub wall_time: f64,
    /// Index of the best query so far by validation score among those at
    /// the highest fidelity queried so far (this one included).
    pub incumbent: u64,
}

/// Why a search ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The budget is spent.
    Budget,
    /// The optimizer had nothing more to propose.
    Exhausted,
}

/// The result of a search: every query in order, and why it stopped.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchOutcome<A> {
    /// Every charged query, in order.
    pub history: Vec<QueryRecord<A>>,
    /// Why the search ended.
    pub stop: StopReason,
}

impl<A> SearchOutcome<A> {
    /// The query the search returns: best validation score at the highest
    /// fidelity queried, earliest on ties.
    pub fn incumbent(&self) -> Option<&QueryRecord<A>> {
        self.history
            .last()
            .map(|last| &self.history[last.incumbent as usize])
    }

    /// The outcome of a search whose charged queries were `told`, in order
    /// (read back from a journal, say): cumulative costs and incumbents as
    /// the search loops compute them.
    pub fn from_told(
        told: impl IntoIterator<Item = (Proposal<A>, Evaluation)>,
        stop: StopReason,
    ) -> Self {
        let mut history = Vec::new();
        let mut seconds = 0.0;
        for (proposal, evaluation) in told {
            // The same sum, in the same order, as `BudgetMeter::charge`.
            seconds += evaluation.observation.cost_seconds;
            let asked = history.len() as u64;
            push_record(&mut history, proposal, evaluation, asked, seconds, seconds);
        }
        Self { history, stop }
    }

    /// The outcome of a search on a simulated cluster whose charged queries
    /// were `told` in this order, each with its position in ask order and
    /// the simulated time its result arrived (see
    /// [`crate::run_search_on_cluster`]).
    pub fn from_told_on_cluster(
        told: impl IntoIterator<Item = (Proposal<A>, Evaluation, u64, f64)>,
        stop: StopReason,
    ) -> Self {
        let mut history = Vec::new();
        let mut compute = 0.0;
        for (proposal, evaluation, asked, arrived) in told {
            // The same sum, in the same order, as the cluster loop's.
            compute += evaluation.observation.cost_seconds;
            push_record(&mut history, proposal, evaluation, asked, compute, arrived);
        }
        Self { history, stop }
    }
}

/// A search that could not run to its end.
#[derive(Debug, Error)]
pub enum SearchError {
    /// The budget has no limit, so the search would never end.
    #[error(
        "the budget sets neither `queries` nor `simulated_seconds`; the search would never end"
    )]
    UnboundedBudget,
    /// The optimizer failed to propose.
    #[error(transparent)]
    Optimizer(#[from] OptimizerError),
    /// The evaluator failed on a proposal.
    #[error("evaluating `{arch}`: {source}")]
    Evaluation {
        /// The architecture, formatted by the space.
        arch: String,
        /// The evaluator's error.
        #[source]
        source: EvaluationError,
    },
    /// A search replayed from a journal went another way than the recorded
    /// one: the code or the settings changed since it was recorded.
    #[error("query {query} differs from its record: its {what} was {recorded}, it is now {now}")]
    Replay {
        /// The query's index in the search, from 0.
        query: u64,
        /// What differs: `architecture`, `fidelity` or `random draws`.
        what: &'static str,
        /// The recorded value.
        recorded: String,
        /// The value the search arrived at now.
        now: String,
    },
    /// The journal could not keep an evaluated query.
    #[error("recording query {query}: {source}")]
    Journal {
        /// The query's index in the search, from 0.
        query: u64,
        /// What went wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Runs `optimizer` against `evaluator` until `budget` is spent.
///
/// Each query is asked, evaluated with noise from `eval_rng`, charged to the
/// budget and told to the optimizer as an observation (never with its test
/// metric). A query whose cost would overrun a time budget ends the search
/// uncharged and untold, as in the NAS-Bench-201 protocol.
pub fn run_search<S, E>(
    space: &S,
    evaluator: &E,
    optimizer: &mut dyn Optimizer<S>,
    budget: Budget,
    eval_rng: &mut dyn RngCore,
) -> Result<SearchOutcome<S::Arch>, SearchError>
where
    S: SearchSpace,
    E: Evaluator<S::Arch> + ?Sized,
{
    sequential_search(space, evaluator, optimizer, budget, eval_rng, None)
}

/// [`run_search`] with a journal: each evaluation is handed to `journal` as
/// it finishes, and queries the journal already holds are answered from it
/// (see [`QueryJournal`]). The outcome is the one [`run_search`] would give.
pub fn run_search_journaled<S, E>(
    space: &S,
    evaluator: &E,
    optimizer: &mut dyn Optimizer<S>,
    budget: Budget,
    eval_rng: &mut dyn RngCore,
    journal: &dyn QueryJournal<S::Arch>,
) -> Result<SearchOutcome<S::Arch>, SearchError>
where
    S: SearchSpace,
    E: Evaluator<S::Arch> + ?Sized,
{
    sequential_search(space, evaluator, optimizer, budget, eval_rng, Some(journal))
}

fn sequential_search<S, E>(
    space: &S,
    evaluator: &E,
    optimizer: &mut dyn Optimizer<S>,
    budget: Budget,
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
    let mut meter = BudgetMeter::new(budget);
    let mut history: Vec<QueryRecord<S::Arch>> = Vec::new();
    while meter.has_room() {
        let proposal = match optimizer.ask(space) {
            Ok(p) => p,
            Err(OptimizerError::Exhausted { .. }) => {
                return Ok(SearchOutcome {
                    history,
                    stop: StopReason::Exhausted,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let index = history.len() as u64;
        let evaluation = evaluate_query(space, evaluator, journal, index, &proposal, eval_rng)?;
        if !meter.charge(evaluation.observation.cost_seconds) {
            break;
        }
        optimizer.tell(space, &proposal, &evaluation.observation);
        push_record(
            &mut history,
            proposal,
            evaluation,
            index,
            meter.seconds(),
            meter.seconds(),
        );
    }
    Ok(SearchOutcome {
        history,
        stop: StopReason::Budget,
    })
}

/// Runs `optimizer` against `evaluator` in batches of up to `batch` proposals
/// that are evaluated in parallel, until `budget` is spent.
///
/// Each round asks up to `batch` proposals without telling in between (fewer
/// when the optimizer waits for results, e.g. at the end of a successive
/// halving rung, or when fewer queries are left), evaluates them on the
/// current thread pool, then charges and tells them in the order asked. Each
/// query's evaluation noise comes from its own generator, seeded in ask order
/// from `eval_rng`, so the result does not depend on the thread count. With
/// `batch = 1` this is the sequential loop of [`run_search`] except for how the
/// evaluation noise is drawn. A query whose cost would overrun a time budget
/// ends the search; it and the rest of its batch are neither charged nor told.
pub fn run_search_batched<S, E>(
    space: &S,
    evaluator: &E,
    optimizer: &mut dyn Optimizer<S>,
    budget: Budget,
    batch: usize,
    eval_rng: &mut dyn RngCore,
) -> Result<SearchOutcome<S::Arch>, SearchError>
where
    S: SearchSpace,
    E: Evaluator<S::Arch> + ?Sized,
{
    batched_search(space, evaluator, optimizer, budget, batch, eval_rng, None)
}

/// [`run_search_batched`] with a journal: each evaluation is handed to
/// `journal` as soon as it finishes, while the rest of its batch may still
/// be running, and queries the journal already holds are answered from it
/// (see [`QueryJournal`]). The outcome is the one [`run_search_batched`]
/// would give.
pub fn run_search_batched_journaled<S, E>(
    space: &S,
    evaluator: &E,
    optimizer: &mut dyn Optimizer<S>,
    budget: Budget,
    batch: usize,
    eval_rng: &mut dyn RngCore,
    journal: &dyn QueryJournal<S::Arch>,
) -> Result<SearchOutcome<S::Arch>, SearchError>
where
    S: SearchSpace,
    E: Evaluator<S::Arch> + ?Sized,
{
    batched_search(
        space,
        evaluator,
        optimizer,
        budget,
        batch,
        eval_rng,
        Some(journal),
    )
}

fn batched_search<S, E>(
    space: &S,
    evaluator: &E,
    optimizer: &mut dyn Optimizer<S>,
    budget: Budget,
    batch: usize,
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
    let batch = batch.max(1);
    let mut meter = BudgetMeter::new(budget);
    let mut history: Vec<QueryRecord<S::Arch>> = Vec::new();
    while meter.has_room() {
        let room = budget
            .queries
            .map_or(batch, |q| batch.min((q - meter.queries()) as usize));
        let mut proposals = Vec::with_capacity(room);
        let mut exhausted = false;
        while proposals.len() < room {
            match optimizer.ask(space) {
                Ok(p) => proposals.push(p),
                Err(OptimizerError::WaitingForResults { .. }) if !proposals.is_empty() => break,
                Err(OptimizerError::Exhausted { .. }) => {
                    exhausted = true;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if proposals.is_empty() {
            return Ok(SearchOutcome {
                history,
                stop: StopReason::Exhausted,
            });
        }
        let seeds: Vec<u64> = proposals.iter().map(|_| eval_rng.next_u64()).collect();
        // Every query asked is told or ends the search, so the i-th proposal
        // of this batch is query `history.len() + i`.
        let first = history.len() as u64;
        let evaluations: Vec<Result<Evaluation, SearchError>> = proposals
            .par_iter()
            .zip(seeds.par_iter())
            .enumerate()
            .map(|(i, (proposal, &seed))| {
                let index = first + i as u64;
                evaluate_query(
                    space,
                    evaluator,
                    journal,
                    index,
                    proposal,
                    &mut rng_from_seed(seed),
                )
            })
            .collect();
        for (proposal, evaluation) in proposals.into_iter().zip(evaluations) {
            let evaluation = evaluation?;
            if !meter.charge(evaluation.observation.cost_seconds) {
                return Ok(SearchOutcome {
                    history,
                    stop: StopReason::Budget,
                });
            }
            optimizer.tell(space, &proposal, &evaluation.observation);
            // Told in the order asked.
            let asked = history.len() as u64;
            push_record(
                &mut history,
                proposal,
                evaluation,
                asked,
                meter.seconds(),
                meter.seconds(),
            );
        }
        if exhausted {
            return Ok(SearchOutcome {
                history,
                stop: StopReason::Exhausted,
            });
        }
    }
    Ok(SearchOutcome {
        history,
        stop: StopReason::Budget,
    })
}

/// Evaluates query `index`, or answers it from `journal` when recorded there
/// (after checking that the search arrived at the same proposal and that the
/// evaluator's generator gives the recorded draws, which it then has made).
pub(crate) fn evaluate_query<S, E>(
    space: &S,
    evaluator: &E,
    journal: Option<&dyn QueryJournal<S::Arch>>,
    index: u64,
    proposal: &Proposal<S::Arch>,
    rng: &mut dyn RngCore,
) -> Result<Evaluation, SearchError>
where
    S: SearchSpace,
    E: Evaluator<S::Arch> + ?Sized,
{
    let evaluation_error = |source| SearchError::Evaluation {
        arch: space.format(&proposal.arch),
        source,
    };
    let Some(journal) = journal else {
        return evaluator
            .evaluate(&proposal.arch, proposal.fidelity, rng)
            .map_err(evaluation_error);
    };
    if let Some(entry) = journal.recorded(index) {
        let differs = |what, recorded: String, now: String| SearchError::Replay {
            query: index,
            what,
            recorded,
            now,
        };
        if entry.proposal.arch != proposal.arch {
            return Err(differs(
                "architecture",
                format!("`{}`", space.format(&entry.proposal.arch)),
                format!("`{}`", space.format(&proposal.arch)),
            ));
        }
        if entry.proposal.fidelity != proposal.fidelity {
            return Err(differs(
                "fidelity",
                entry.proposal.fidelity.to_string(),
                proposal.fidelity.to_string(),
            ));
        }
        redraw(&entry.draws, rng).map_err(|(recorded, now)| {
            differs("random draws", format!("{recorded:?}"), format!("{now:?}"))
        })?;
        return Ok(entry.evaluation);
    }
    let mut recorder = DrawRecorder::new(rng);
    let evaluation = evaluator
        .evaluate(&proposal.arch, proposal.fidelity, &mut recorder)
        .map_err(evaluation_error)?;
    journal
        .record(index, proposal, &evaluation, &recorder.draws)
        .map_err(|source| SearchError::Journal {
            query: index,
            source,
        })?;
    Ok(evaluation)
}

/// Appends a told query to `history`; its incumbent is the best-scoring
/// query so far, read off the previous record rather than kept beside it.
pub(crate) fn push_record<A>(
    history: &mut Vec<QueryRecord<A>>,
    proposal: Proposal<A>,
    evaluation: Evaluation,
    asked: u64,
    cumulative_cost: f64,
    wall_time: f64,
) {
    let index = history.len() as u64;
    // The best at the highest fidelity queried so far: a multi-fidelity
    // search returns its best top-rung architecture (as SH, Hyperband and
    // DEHB define it), never a cheap rung's score.
    let incumbent = match history.last() {
        Some(last) => {
            let best = &history[last.incumbent as usize];
            let keep = match best.proposal.fidelity.cmp(&proposal.fidelity) {
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Equal => {
                    best.evaluation.observation.score() >= evaluation.observation.score()
                }
            };
            if keep { last.incumbent } else { index }
        }
        None => index,
    };
    history.push(QueryRecord {
        index,
        asked,
        proposal,
        evaluation,
        cumulative_cost,
        wall_time,
        incumbent,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxinas_core::{Fidelity, Goal, Observation};

    fn told(score: f64, epochs: u32) -> (Proposal<u8>, Evaluation) {
        (
            Proposal {
                arch: 0,
                fidelity: Fidelity::epochs(epochs),
            },
            Evaluation {
                observation: Observation::ok(score, Goal::Maximize, 1.0),
                test: None,
            },
        )
    }

    #[test]
    fn the_incumbent_is_the_best_at_the_top_fidelity_queried() {
        // A 12-epoch score of 95 beats no 200-epoch query: once the top rung
        // is queried, only its results compete.
        let outcome = SearchOutcome::from_told(
            [
                told(95.0, 12),
                told(80.0, 12),
                told(90.0, 200),
                told(93.0, 12),
                told(91.0, 200),
                told(91.0, 200),
            ],
            StopReason::Budget,
        );
        let incumbents: Vec<u64> = outcome.history.iter().map(|q| q.incumbent).collect();
        assert_eq!(incumbents, vec![0, 0, 2, 2, 4, 4]);
        assert_eq!(outcome.incumbent().unwrap().index, 4);
    }
}
