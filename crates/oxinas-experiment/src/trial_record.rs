use serde::{Deserialize, Serialize};

use crate::ReturnedArch;

/// One finished trial, as a line of the crash-safe results log
/// (`results.jsonl`). The run's result files are merged from these lines in
/// trial order, so they do not depend on the order in which trials finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct TrialRecord {
    /// Index of the optimizer in the config.
    pub optimizer: usize,
    /// The optimizer's label (checked against the config on resume).
    pub label: String,
    /// Trial index.
    pub trial: u64,
    /// Queries the trial made.
    pub queries: usize,
    /// The reported metrics of the returned architecture, in config order.
    pub metrics: Vec<Option<f64>>,
    /// The trial's lines of `trajectories.jsonl`.
    pub trajectory: String,
    /// The trial's line of `trials.jsonl`.
    pub summary: String,
    /// Report side only: the test value of the incumbent after each query.
    /// Never shown to the optimizer; used for anytime test-regret curves.
    pub incumbent_test: Vec<Option<f64>>,
}

/// The fields of a trajectory line that reports read back.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct QueryPoint {
    pub validation: Option<f64>,
    pub cost: f64,
    pub cumulative_cost: f64,
    pub incumbent_validation: Option<f64>,
}

/// The fields of a `trials.jsonl` line that reports read back.
#[derive(Deserialize)]
struct ReturnedLine {
    arch: Option<String>,
    validation: Option<f64>,
}

/// One line of `incumbent_test.jsonl`.
#[derive(Serialize)]
struct IncumbentTestLine<'a> {
    optimizer: &'a str,
    trial: u64,
    incumbent_test: &'a [Option<f64>],
}

impl TrialRecord {
    /// The record as one JSON line (without the newline).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a trial record serialises")
    }

    /// The trial's line of `incumbent_test.jsonl`, with its newline.
    pub fn incumbent_test_line(&self) -> Vec<u8> {
        let mut line = serde_json::to_vec(&IncumbentTestLine {
            optimizer: &self.label,
            trial: self.trial,
            incumbent_test: &self.incumbent_test,
        })
        .expect("a test line serialises");
        line.push(b'\n');
        line
    }

    /// The architecture the trial returned, if it returned one with a
    /// validation value.
    pub fn returned_arch(&self) -> Option<ReturnedArch> {
        let line: ReturnedLine = serde_json::from_str(&self.summary).ok()?;
        Some(ReturnedArch {
            trial: self.trial,
            arch: line.arch?,
            validation: line.validation?,
            metrics: self.metrics.clone(),
        })
    }

    /// The trial's queries, parsed back from its trajectory lines.
    pub fn points(&self) -> Vec<QueryPoint> {
        self.trajectory
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}
