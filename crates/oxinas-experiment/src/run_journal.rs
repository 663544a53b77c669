//! The run's journal, `results.jsonl`: every evaluated query, written as
//! soon as its evaluation finishes, and every finished trial, written once
//! its report metrics are known. It is the run's only record of what was
//! evaluated; the result files are merged from it, and a rerun resumes from
//! it at the first unrecorded query of each trial.
//!
//! Each fact is written once: a query line holds the architecture, fidelity,
//! the evaluation (observation and, apart from it, the test metric) and the
//! evaluator's random draws; a trial line holds only what no query line says
//! (how many queries were charged, the returned architecture's reported
//! metrics). Trajectories, incumbents and cumulative costs are derived.
//!
//! A query's numbers are written as strings (`"90.95333333333333"`) and read
//! back with the standard library's correctly rounded parser: serde_json's
//! default number parser may miss the last bit, and a replayed search must
//! see exactly the values the original one saw.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use oxinas_core::{Evaluation, Fidelity, Goal, Observation, Outcome, Proposal, SearchSpace};
use oxinas_optimizers::{Draw, JournalEntry, QueryJournal};
use oxinas_record::{AppendLog, RecordError};
use serde::{Deserialize, Serialize};

use crate::{ExperimentConfig, ExperimentError};

/// The journal's file in the run directory.
pub(crate) const RESULTS_LOG: &str = "results.jsonl";

/// Test hook: a process with this variable set to `k` kills itself with
/// SIGKILL right after the `k`-th query it evaluated is in the journal, so
/// that tests interrupt a run at a point the run itself reaches.
const ABORT_AFTER_QUERIES: &str = "OXINAS_TEST_ABORT_AFTER_QUERIES";

/// Query lines are written at once (a killed process loses none); one that
/// comes this long after the last sync is synced too (every query of a
/// search that trains, so that not even a crashed machine loses one), while
/// fast tabular queries share the sync of their trial's line.
const SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// A finished trial: what the journal's query lines do not already say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FinishedTrial {
    /// Index of the optimizer in the config.
    pub optimizer: usize,
    /// The optimizer's label (checked against the config on resume).
    pub label: String,
    /// Trial index.
    pub trial: u64,
    /// Queries charged to the trial: its queries `0..queries`.
    pub queries: usize,
    /// The reported metrics of the returned architecture, in config order.
    pub metrics: Vec<Option<f64>>,
    /// On a simulated cluster only, where results arrive out of ask order:
    /// for each charged query in the order told, its index in ask order and
    /// the simulated time its result arrived. The charged queries are then
    /// these, not `0..queries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrivals: Option<Vec<(u64, f64)>>,
}

/// One evaluated query, as read back.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryLine {
    /// Index of the optimizer in the config.
    pub optimizer: usize,
    /// Trial index.
    pub trial: u64,
    /// Query index within the trial, from 0, in the order asked.
    pub query: u64,
    /// The architecture in its space's string format.
    pub arch: String,
    /// The fidelity it was evaluated at.
    pub fidelity: Fidelity,
    /// The evaluation; its test metric is never shown to an optimizer.
    pub evaluation: EvaluationRecord,
    /// The draws the evaluation made from the evaluator's generator.
    pub draws: Vec<Draw>,
}

/// One evaluated query, as written.
#[derive(Serialize)]
struct QueryLineOut<'a> {
    optimizer: usize,
    trial: u64,
    query: u64,
    arch: &'a str,
    fidelity: Fidelity,
    evaluation: EvaluationRecord,
    draws: &'a [Draw],
}

/// A number written as the shortest string that reads back to the same
/// `f64` (NaN and infinities included).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExactF64(pub f64);

impl Serialize for ExactF64 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{:?}", self.0))
    }
}

impl<'de> Deserialize<'de> for ExactF64 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = ExactF64;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number written as a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ExactF64, E> {
                text.parse()
                    .map(ExactF64)
                    .map_err(|_| E::custom(format!("`{text}` is not a number")))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// An [`Evaluation`] as the journal writes it: the observation's fields and,
/// kept apart by name, the test metric.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EvaluationRecord {
    outcome: Outcome,
    validation: Option<ExactF64>,
    goal: Goal,
    cost: ExactF64,
    params: Option<ExactF64>,
    latency: Option<ExactF64>,
    learning_curve: Option<Vec<ExactF64>>,
    test: Option<ExactF64>,
}

impl From<&Evaluation> for EvaluationRecord {
    fn from(evaluation: &Evaluation) -> Self {
        // Every field by name: a field added to `Observation` must be added here.
        let Observation {
            outcome,
            validation,
            goal,
            cost_seconds,
            params,
            latency_seconds,
            learning_curve,
        } = &evaluation.observation;
        Self {
            outcome: outcome.clone(),
            validation: validation.map(ExactF64),
            goal: *goal,
            cost: ExactF64(*cost_seconds),
            params: params.map(ExactF64),
            latency: latency_seconds.map(ExactF64),
            learning_curve: learning_curve
                .as_ref()
                .map(|c| c.iter().copied().map(ExactF64).collect()),
            test: evaluation.test.map(ExactF64),
        }
    }
}

impl From<EvaluationRecord> for Evaluation {
    fn from(record: EvaluationRecord) -> Self {
        Evaluation {
            observation: Observation {
                outcome: record.outcome,
                validation: record.validation.map(|v| v.0),
                goal: record.goal,
                cost_seconds: record.cost.0,
                params: record.params.map(|v| v.0),
                latency_seconds: record.latency.map(|v| v.0),
                learning_curve: record
                    .learning_curve
                    .map(|c| c.into_iter().map(|v| v.0).collect()),
            },
            test: record.test.map(|v| v.0),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum LineOut<'a> {
    Query(QueryLineOut<'a>),
    Trial(&'a FinishedTrial),
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum LineIn {
    Query(QueryLine),
    Trial(FinishedTrial),
}

/// A query line and its line number in the journal (for error messages).
pub(crate) type NumberedQuery = (usize, QueryLine);

/// What the journal holds, by (optimizer, trial). A line recorded twice (a
/// resubmitted cluster task) counts once: the first is kept.
#[derive(Default)]
pub(crate) struct JournalContents {
    /// The finished trials.
    pub finished: BTreeMap<(usize, u64), FinishedTrial>,
    /// The recorded queries of each trial, by query index (only of the
    /// unfinished trials when read with `with_finished_queries = false`).
    pub queries: HashMap<(usize, u64), BTreeMap<u64, NumberedQuery>>,
}

/// Reads the journal of the run in `dir`; the queries of finished trials are
/// kept only when `with_finished_queries`.
pub(crate) fn read_journal(
    dir: &Path,
    config: &ExperimentConfig,
    with_finished_queries: bool,
) -> Result<JournalContents, ExperimentError> {
    let path = dir.join(RESULTS_LOG);
    let lines = AppendLog::read_lines(&path)?;
    let bad = |line: usize, message: String| ExperimentError::Records {
        path: path.clone(),
        line: Some(line),
        message,
    };
    let mut contents = JournalContents::default();
    for (i, text) in lines.iter().enumerate() {
        let number = i + 1;
        let line: LineIn = serde_json::from_str(text).map_err(|e| {
            bad(
                number,
                format!(
                    "not a query or trial record ({e}); a run directory of another oxinas version? use --force-new to start over"
                ),
            )
        })?;
        let (optimizer, trial) = match &line {
            LineIn::Query(q) => (q.optimizer, q.trial),
            LineIn::Trial(t) => (t.optimizer, t.trial),
        };
        let expected = config.optimizers.get(optimizer).map(|o| o.label());
        let label_differs = match &line {
            LineIn::Trial(t) => expected != Some(t.label.as_str()),
            LineIn::Query(_) => expected.is_none(),
        };
        if label_differs || trial >= config.trials {
            return Err(bad(
                number,
                format!("trial {trial} of optimizer {optimizer} is not part of this config"),
            ));
        }
        match line {
            LineIn::Query(q) => {
                contents
                    .queries
                    .entry((optimizer, trial))
                    .or_default()
                    .entry(q.query)
                    .or_insert((number, q));
            }
            LineIn::Trial(t) => {
                contents.finished.entry((optimizer, trial)).or_insert(t);
            }
        }
    }
    if !with_finished_queries {
        contents
            .queries
            .retain(|key, _| !contents.finished.contains_key(key));
    }
    Ok(contents)
}

/// Appends to the journal; shared by the trials running in one process.
pub(crate) struct JournalWriter {
    state: Mutex<WriterState>,
    abort_after: Option<u64>,
}

struct WriterState {
    log: AppendLog,
    last_sync: Instant,
    written: u64,
}

impl JournalWriter {
    /// Opens the journal of the run in `dir` for appending.
    pub(crate) fn open(dir: &Path) -> Result<Self, ExperimentError> {
        Ok(Self {
            state: Mutex::new(WriterState {
                log: AppendLog::open(&dir.join(RESULTS_LOG))?,
                last_sync: Instant::now(),
                written: 0,
            }),
            abort_after: std::env::var(ABORT_AFTER_QUERIES)
                .ok()
                .and_then(|v| v.parse().ok()),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WriterState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends a query line as soon as its evaluation has finished.
    fn append_query(&self, line: QueryLineOut<'_>) -> Result<(), RecordError> {
        let bytes = serde_json::to_vec(&LineOut::Query(line)).expect("a query line serialises");
        let mut state = self.state();
        state.log.append_unsynced(&bytes)?;
        state.written += 1;
        if state.last_sync.elapsed() >= SYNC_INTERVAL {
            state.log.sync()?;
            state.last_sync = Instant::now();
        }
        if self.abort_after == Some(state.written) {
            // Still holding the lock: no other trial writes another line.
            state.log.sync()?;
            kill_this_process();
        }
        Ok(())
    }

    /// Appends a finished trial and syncs the journal (its queries with it).
    pub(crate) fn append_trial(&self, trial: &FinishedTrial) -> Result<(), RecordError> {
        let bytes = serde_json::to_vec(&LineOut::Trial(trial)).expect("a trial line serialises");
        let mut state = self.state();
        state.log.append(&bytes)?;
        state.last_sync = Instant::now();
        Ok(())
    }
}

/// Ends this process as a SIGKILL from outside would (no destructors, no
/// flushing), for [`ABORT_AFTER_QUERIES`].
fn kill_this_process() -> ! {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &std::process::id().to_string()])
        .status();
    std::process::abort()
}

/// The journal of one trial, as the search loop sees it: answers the
/// queries recorded by an earlier process and appends the others.
pub(crate) struct TrialJournal<'a, S: SearchSpace> {
    writer: &'a JournalWriter,
    space: &'a S,
    optimizer: usize,
    trial: u64,
    recorded: HashMap<u64, JournalEntry<S::Arch>>,
    replayed: AtomicU64,
    evaluated: AtomicU64,
}

impl<'a, S: SearchSpace> TrialJournal<'a, S> {
    /// The journal of `trial` of optimizer `optimizer`, with its `recorded`
    /// queries (parsed by `space`).
    pub(crate) fn new(
        writer: &'a JournalWriter,
        space: &'a S,
        optimizer: usize,
        trial: u64,
        recorded: Option<&BTreeMap<u64, NumberedQuery>>,
        path: &Path,
    ) -> Result<Self, ExperimentError> {
        let mut entries = HashMap::new();
        for (number, line) in recorded.into_iter().flat_map(|r| r.values()) {
            let arch = space
                .parse(&line.arch)
                .map_err(|e| ExperimentError::Records {
                    path: path.to_owned(),
                    line: Some(*number),
                    message: format!("not an architecture of {}: {e}", space.name()),
                })?;
            entries.insert(
                line.query,
                JournalEntry {
                    proposal: Proposal {
                        arch,
                        fidelity: line.fidelity,
                    },
                    evaluation: line.evaluation.clone().into(),
                    draws: line.draws.clone(),
                },
            );
        }
        Ok(Self {
            writer,
            space,
            optimizer,
            trial,
            recorded: entries,
            replayed: AtomicU64::new(0),
            evaluated: AtomicU64::new(0),
        })
    }

    /// How many queries were recorded before this process started.
    pub(crate) fn recorded_count(&self) -> usize {
        self.recorded.len()
    }

    /// Queries answered from the record so far.
    pub(crate) fn replayed(&self) -> u64 {
        self.replayed.load(Ordering::Relaxed)
    }

    /// Queries evaluated (and recorded) so far.
    pub(crate) fn evaluated(&self) -> u64 {
        self.evaluated.load(Ordering::Relaxed)
    }
}

impl<S: SearchSpace> QueryJournal<S::Arch> for TrialJournal<'_, S> {
    fn recorded(&self, index: u64) -> Option<JournalEntry<S::Arch>> {
        let entry = self.recorded.get(&index).cloned();
        if entry.is_some() {
            self.replayed.fetch_add(1, Ordering::Relaxed);
        }
        entry
    }

    fn record(
        &self,
        index: u64,
        proposal: &Proposal<S::Arch>,
        evaluation: &Evaluation,
        draws: &[Draw],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let arch = self.space.format(&proposal.arch);
        self.writer.append_query(QueryLineOut {
            optimizer: self.optimizer,
            trial: self.trial,
            query: index,
            arch: &arch,
            fidelity: proposal.fidelity,
            evaluation: evaluation.into(),
            draws,
        })?;
        self.evaluated.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::RngCore;
    use oxinas_core::seed::rng_from_seed;

    use super::*;

    #[test]
    fn numbers_read_back_to_the_bit() {
        let mut rng = rng_from_seed(1);
        let mut values = vec![
            0.1 + 0.2,
            90.95333333333333,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        values.extend((0..10_000).map(|_| f64::from_bits(rng.next_u64())));
        let text = serde_json::to_string(&values.iter().copied().map(ExactF64).collect::<Vec<_>>())
            .unwrap();
        let back: Vec<ExactF64> = serde_json::from_str(&text).unwrap();
        assert_eq!(back.len(), values.len());
        for (a, b) in values.iter().zip(&back) {
            assert!(
                a.to_bits() == b.0.to_bits() || (a.is_nan() && b.0.is_nan()),
                "{a:?} read back as {:?}",
                b.0
            );
        }
        let err = serde_json::from_str::<ExactF64>("\"ninety\"").unwrap_err();
        assert!(
            err.to_string().contains("`ninety` is not a number"),
            "{err}"
        );
    }

    #[test]
    fn an_evaluation_survives_its_journal_line() {
        let evaluation = Evaluation {
            observation: Observation {
                outcome: Outcome::Failed("loss is nan".into()),
                validation: None,
                goal: Goal::Minimize,
                cost_seconds: 12.345678901234567,
                params: Some(1.5e6),
                latency_seconds: None,
                learning_curve: Some(vec![3.25, 2.0 / 3.0]),
            },
            test: Some(7.0 / 9.0),
        };
        let line = serde_json::to_string(&LineOut::Query(QueryLineOut {
            optimizer: 1,
            trial: 2,
            query: 3,
            arch: "arch",
            fidelity: Fidelity::epochs(12),
            evaluation: (&evaluation).into(),
            draws: &[Draw::U64(u64::MAX), Draw::Bytes(vec![1, 2])],
        }))
        .unwrap();
        let LineIn::Query(back) = serde_json::from_str(&line).unwrap() else {
            panic!("{line}");
        };
        assert_eq!(Evaluation::from(back.evaluation), evaluation);
        assert_eq!(back.draws, [Draw::U64(u64::MAX), Draw::Bytes(vec![1, 2])]);
        assert_eq!((back.optimizer, back.trial, back.query), (1, 2, 3));
        assert_eq!(back.fidelity, Fidelity::epochs(12));
    }
}
