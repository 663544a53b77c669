use std::collections::BTreeMap;

use oxinas_optimizers::SearchOutcome;
use oxinas_record::TrajectoryLine;
use serde::{Deserialize, Serialize};

use crate::run_journal::FinishedTrial;
use crate::{ExperimentConfig, ReturnedArch};

/// One finished trial with its result-file lines, merged from the run's
/// journal (`results.jsonl`). The result files are written from these in
/// trial order, so they do not depend on the order in which trials finished.
#[derive(Clone, Debug, PartialEq)]
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
    /// Written only by searches on a simulated cluster.
    #[serde(default)]
    pub wall_time: Option<f64>,
    pub incumbent_validation: Option<f64>,
}

/// The fields of a `trials.jsonl` line that reports read back.
#[derive(Deserialize)]
struct ReturnedLine {
    arch: Option<String>,
    validation: Option<f64>,
}

/// One line of `trials.jsonl`: what a trial returned.
#[derive(Serialize)]
struct TrialLine<'a> {
    optimizer: &'a str,
    trial: u64,
    trial_seed: u64,
    queries: usize,
    cumulative_cost: f64,
    arch: Option<&'a str>,
    validation: Option<f64>,
    metrics: BTreeMap<&'a str, Option<f64>>,
}

/// One line of `incumbent_test.jsonl`.
#[derive(Serialize)]
struct IncumbentTestLine<'a> {
    optimizer: &'a str,
    trial: u64,
    incumbent_test: &'a [Option<f64>],
}

impl TrialRecord {
    /// The record of `finished`, whose charged queries are `outcome`'s
    /// history (architectures as formatted by their space).
    pub fn merge(
        config: &ExperimentConfig,
        finished: &FinishedTrial,
        trial_seed: u64,
        outcome: &SearchOutcome<String>,
    ) -> Self {
        let label = finished.label.as_str();
        let trial = finished.trial;
        let mut trajectory = Vec::with_capacity(outcome.history.len() * 200);
        for q in &outcome.history {
            TrajectoryLine {
                optimizer: label,
                trial,
                trial_seed,
                query: q.index,
                arch: &q.proposal.arch,
                fidelity: q.proposal.fidelity.get_epochs(),
                validation: q.evaluation.observation.validation,
                cost: q.evaluation.observation.cost_seconds,
                cumulative_cost: q.cumulative_cost,
                // Written on a simulated cluster only: elsewhere the wall time
                // is the cumulative cost.
                wall_time: finished.arrivals.as_ref().map(|_| q.wall_time),
                incumbent: q.incumbent,
                incumbent_validation: outcome.history[q.incumbent as usize]
                    .evaluation
                    .observation
                    .validation,
            }
            .append_to(&mut trajectory);
        }
        let incumbent = outcome.incumbent();
        let line = TrialLine {
            optimizer: label,
            trial,
            trial_seed,
            queries: outcome.history.len(),
            cumulative_cost: outcome.history.last().map_or(0.0, |q| q.cumulative_cost),
            arch: incumbent.map(|q| q.proposal.arch.as_str()),
            validation: incumbent.and_then(|q| q.evaluation.observation.validation),
            metrics: config
                .reports
                .iter()
                .map(|r| r.label.as_str())
                .zip(finished.metrics.iter().copied())
                .collect(),
        };
        let mut summary = serde_json::to_string(&line).expect("a trial line serialises");
        summary.push('\n');
        // Report side only: the incumbent's test value after each query.
        let incumbent_test = outcome
            .history
            .iter()
            .map(|q| outcome.history[q.incumbent as usize].evaluation.test)
            .collect();
        Self {
            optimizer: finished.optimizer,
            label: label.to_owned(),
            trial,
            queries: outcome.history.len(),
            metrics: finished.metrics.clone(),
            trajectory: String::from_utf8(trajectory).expect("JSON is UTF-8"),
            summary,
            incumbent_test,
        }
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
