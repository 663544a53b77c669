//! Journaled searches: a search run again with a journal of some of its
//! queries answers those from the journal, evaluates only the others, and
//! ends exactly as the uninterrupted search did (sequential and batched,
//! with evaluator noise drawn from the generator).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{
    Budget, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, Observation, Proposal, RngCore,
};
use oxinas_optimizers::{
    Draw, JournalEntry, QueryJournal, RegularizedEvolution, SearchError, SearchOutcome, StopReason,
    run_search, run_search_batched, run_search_batched_journaled, run_search_journaled,
};
use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};

/// Score = edges carrying 3x3 convolutions plus noise drawn from the
/// generator (one `u32` and one `u64` per query); counts its evaluations.
#[derive(Default)]
struct NoisyCount {
    evaluations: AtomicUsize,
}

impl Evaluator<Nb201Arch> for NoisyCount {
    fn name(&self) -> String {
        "noisy-count".into()
    }
    fn metric(&self) -> &str {
        "count"
    }
    fn goal(&self) -> Goal {
        Goal::Maximize
    }
    fn fidelities(&self) -> Vec<Fidelity> {
        vec![Fidelity::epochs(1)]
    }
    fn evaluate(
        &self,
        arch: &Nb201Arch,
        _: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        self.evaluations.fetch_add(1, Ordering::Relaxed);
        let count = arch
            .ops
            .iter()
            .filter(|op| **op == Nb201Op::NorConv3x3)
            .count() as f64;
        let noise = f64::from(rng.next_u32() % 1000) / 1000.0;
        let cost = 1.0 + (rng.next_u64() % 7) as f64 / 3.0;
        Ok(Evaluation {
            observation: Observation::ok(count + noise, Goal::Maximize, cost),
            test: Some(-count),
        })
    }
}

/// A journal in memory.
#[derive(Default)]
struct MemoryJournal {
    entries: Mutex<BTreeMap<u64, JournalEntry<Nb201Arch>>>,
}

impl QueryJournal<Nb201Arch> for MemoryJournal {
    fn recorded(&self, index: u64) -> Option<JournalEntry<Nb201Arch>> {
        self.entries.lock().unwrap().get(&index).cloned()
    }
    fn record(
        &self,
        index: u64,
        proposal: &Proposal<Nb201Arch>,
        evaluation: &Evaluation,
        draws: &[Draw],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let entry = JournalEntry {
            proposal: proposal.clone(),
            evaluation: evaluation.clone(),
            draws: draws.to_vec(),
        };
        let previous = self.entries.lock().unwrap().insert(index, entry);
        assert!(previous.is_none(), "query {index} recorded twice");
        Ok(())
    }
}

impl MemoryJournal {
    /// A journal holding only the entries of `self` whose index `keep`s.
    fn only(&self, keep: impl Fn(u64) -> bool) -> Self {
        let entries = self.entries.lock().unwrap();
        Self {
            entries: Mutex::new(
                entries
                    .iter()
                    .filter(|(i, _)| keep(**i))
                    .map(|(i, e)| (*i, e.clone()))
                    .collect(),
            ),
        }
    }
}

const F: Fidelity = Fidelity::epochs(1);
/// A time budget, so that the last evaluated query is not charged.
const BUDGET: Budget = Budget {
    queries: Some(60),
    simulated_seconds: Some(70.0),
};

fn rea() -> RegularizedEvolution<Nb201Arch> {
    RegularizedEvolution::new(6, 3, F, 21).unwrap()
}

fn sequential(journal: Option<&MemoryJournal>, evaluator: &NoisyCount) -> SearchOutcome<Nb201Arch> {
    let space = Nb201Space::new();
    let mut rng = rng_from_seed(5);
    match journal {
        Some(j) => run_search_journaled(&space, evaluator, &mut rea(), BUDGET, &mut rng, j),
        None => run_search(&space, evaluator, &mut rea(), BUDGET, &mut rng),
    }
    .unwrap()
}

fn batched(journal: Option<&MemoryJournal>, evaluator: &NoisyCount) -> SearchOutcome<Nb201Arch> {
    let space = Nb201Space::new();
    let mut rng = rng_from_seed(5);
    match journal {
        Some(j) => {
            run_search_batched_journaled(&space, evaluator, &mut rea(), BUDGET, 4, &mut rng, j)
        }
        None => run_search_batched(&space, evaluator, &mut rea(), BUDGET, 4, &mut rng),
    }
    .unwrap()
}

#[test]
fn a_sequential_search_resumes_from_its_journal_at_the_first_unrecorded_query() {
    let plain = sequential(None, &NoisyCount::default());
    assert_eq!(plain.stop, StopReason::Budget);
    let full = MemoryJournal::default();
    let evaluator = NoisyCount::default();
    assert_eq!(sequential(Some(&full), &evaluator), plain);
    let evaluated = evaluator.evaluations.load(Ordering::Relaxed);
    // The time budget ends the search at a query that is evaluated (and
    // recorded) but not charged.
    assert_eq!(evaluated, plain.history.len() + 1);
    assert_eq!(full.entries.lock().unwrap().len(), evaluated);
    for (i, q) in plain.history.iter().enumerate() {
        let entries = full.entries.lock().unwrap();
        assert_eq!(entries[&(i as u64)].proposal, q.proposal);
        assert_eq!(entries[&(i as u64)].evaluation, q.evaluation);
        assert_eq!(entries[&(i as u64)].draws.len(), 2, "a u32 and a u64");
    }

    for k in [0, 1, 13, plain.history.len(), evaluated] {
        let journal = full.only(|i| i < k as u64);
        let evaluator = NoisyCount::default();
        assert_eq!(
            sequential(Some(&journal), &evaluator),
            plain,
            "resumed at {k}"
        );
        assert_eq!(
            evaluator.evaluations.load(Ordering::Relaxed),
            evaluated - k,
            "resumed at {k}: only the unrecorded queries are evaluated"
        );
        assert_eq!(journal.entries.lock().unwrap().len(), evaluated);
    }
}

#[test]
fn a_batched_search_keeps_every_finished_query_of_an_interrupted_batch() {
    let plain = batched(None, &NoisyCount::default());
    let full = MemoryJournal::default();
    let evaluator = NoisyCount::default();
    assert_eq!(batched(Some(&full), &evaluator), plain);
    let evaluated = evaluator.evaluations.load(Ordering::Relaxed);
    assert_eq!(full.entries.lock().unwrap().len(), evaluated);

    // Queries 9 and 10 were in flight when the first run stopped; 8 and 11
    // of the same batches had finished.
    let journal = full.only(|i| i < 12 && i != 9 && i != 10);
    let evaluator = NoisyCount::default();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    assert_eq!(pool.install(|| batched(Some(&journal), &evaluator)), plain);
    assert_eq!(
        evaluator.evaluations.load(Ordering::Relaxed),
        evaluated - 10
    );
    assert_eq!(journal.entries.lock().unwrap().len(), evaluated);
}

#[test]
fn a_proposal_that_differs_from_its_record_is_an_error_naming_the_query() {
    let full = MemoryJournal::default();
    sequential(Some(&full), &NoisyCount::default());
    let journal = full.only(|i| i < 10);
    {
        let mut entries = journal.entries.lock().unwrap();
        let entry = entries.get_mut(&7).unwrap();
        entry.proposal.arch.ops[0] = if entry.proposal.arch.ops[0] == Nb201Op::None {
            Nb201Op::SkipConnect
        } else {
            Nb201Op::None
        };
    }
    let err = run_search_journaled(
        &Nb201Space::new(),
        &NoisyCount::default(),
        &mut rea(),
        BUDGET,
        &mut rng_from_seed(5),
        &journal,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            SearchError::Replay {
                query: 7,
                what: "architecture",
                ..
            }
        ),
        "{err}"
    );

    // Another evaluator generator: the recorded draws do not come again.
    let err = run_search_journaled(
        &Nb201Space::new(),
        &NoisyCount::default(),
        &mut rea(),
        BUDGET,
        &mut rng_from_seed(6),
        &full.only(|i| i < 10),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            SearchError::Replay {
                query: 0,
                what: "random draws",
                ..
            }
        ),
        "{err}"
    );
}
