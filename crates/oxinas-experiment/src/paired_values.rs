//! One reported metric of every trial of a run, laid out optimizer x seed so
//! that optimizers can be compared on the same seeds.
//!
//! Trials are paired by their trial seed: trial `t` of every optimizer in a
//! run draws from the same seed (`derive_seed(experiment seed, [t])`, recorded
//! as `trial_seed` in `trials.jsonl`), so the seed — and, on a noisy
//! benchmark, the evaluator's noise stream — is shared within a pair.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::ExperimentError;

/// A run's values of one metric, per optimizer and trial seed.
#[derive(Clone, Debug, PartialEq)]
pub struct PairedValues {
    /// The run's name (from its manifest).
    pub name: String,
    /// Optimizer labels, in the order they first appear.
    pub labels: Vec<String>,
    /// Trial seeds, in the order they first appear.
    pub seeds: Vec<u64>,
    /// `values[optimizer][seed]`: the metric of the trial with that seed;
    /// `None` where the trial is missing or has no finite value.
    pub values: Vec<Vec<Option<f64>>>,
}

#[derive(Deserialize)]
struct TrialLine {
    optimizer: String,
    trial_seed: u64,
    metrics: BTreeMap<String, Option<f64>>,
}

#[derive(Deserialize)]
struct ManifestName {
    name: String,
}

fn records_error(path: &Path, line: Option<usize>, message: String) -> ExperimentError {
    ExperimentError::Records {
        path: path.to_owned(),
        line,
        message,
    }
}

impl PairedValues {
    /// Builds the table from (optimizer label, trial seed, value) triples.
    pub fn from_triples(
        name: &str,
        triples: impl IntoIterator<Item = (String, u64, Option<f64>)>,
    ) -> Self {
        let mut labels: Vec<String> = Vec::new();
        let mut seeds: Vec<u64> = Vec::new();
        let mut cells: Vec<(usize, usize, Option<f64>)> = Vec::new();
        for (label, seed, value) in triples {
            let o = labels.iter().position(|l| *l == label).unwrap_or_else(|| {
                labels.push(label);
                labels.len() - 1
            });
            let s = seeds.iter().position(|x| *x == seed).unwrap_or_else(|| {
                seeds.push(seed);
                seeds.len() - 1
            });
            cells.push((o, s, value.filter(|v| v.is_finite())));
        }
        let mut values = vec![vec![None; seeds.len()]; labels.len()];
        for (o, s, value) in cells {
            values[o][s] = value;
        }
        Self {
            name: name.to_owned(),
            labels,
            seeds,
            values,
        }
    }

    /// Reads report `metric` of every trial from the run directory `dir`
    /// (its `manifest.json` and `trials.jsonl`).
    pub fn read(dir: &Path, metric: &str) -> Result<Self, ExperimentError> {
        let manifest_path = dir.join("manifest.json");
        let manifest = std::fs::read_to_string(&manifest_path)
            .map_err(|e| records_error(&manifest_path, None, e.to_string()))?;
        let name = serde_json::from_str::<ManifestName>(&manifest)
            .map_err(|e| records_error(&manifest_path, None, e.to_string()))?
            .name;
        let trials_path = dir.join("trials.jsonl");
        let text = std::fs::read_to_string(&trials_path)
            .map_err(|e| records_error(&trials_path, None, e.to_string()))?;
        let mut triples = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let trial: TrialLine = serde_json::from_str(line)
                .map_err(|e| records_error(&trials_path, Some(index + 1), e.to_string()))?;
            let Some(value) = trial.metrics.get(metric) else {
                let known: Vec<&str> = trial.metrics.keys().map(String::as_str).collect();
                return Err(records_error(
                    &trials_path,
                    Some(index + 1),
                    format!(
                        "no report labelled `{metric}`; the run reports: {}",
                        known.join(", ")
                    ),
                ));
            };
            triples.push((trial.optimizer, trial.trial_seed, *value));
        }
        if triples.is_empty() {
            return Err(records_error(
                &trials_path,
                None,
                "no trials recorded".into(),
            ));
        }
        Ok(Self::from_triples(&name, triples))
    }

    /// The values of optimizers `a` and `b` (indices) on the seeds where both
    /// have one, in seed order.
    pub fn pairs(&self, a: usize, b: usize) -> (Vec<f64>, Vec<f64>) {
        self.values[a]
            .iter()
            .zip(&self.values[b])
            .filter_map(|(x, y)| Some(((*x)?, (*y)?)))
            .unzip()
    }

    /// One row per seed on which every optimizer has a value, one column per
    /// optimizer.
    pub fn complete_blocks(&self) -> Vec<Vec<f64>> {
        (0..self.seeds.len())
            .filter_map(|s| self.values.iter().map(|v| v[s]).collect())
            .collect()
    }

    /// An optimizer's values over the seeds where it has one.
    pub fn present(&self, optimizer: usize) -> Vec<f64> {
        self.values[optimizer].iter().flatten().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_on_the_seeds_both_have() {
        let p = PairedValues::from_triples(
            "x",
            [
                ("A".to_string(), 7, Some(1.0)),
                ("A".to_string(), 9, Some(2.0)),
                ("B".to_string(), 9, Some(3.0)),
                ("B".to_string(), 7, None),
                ("A".to_string(), 11, Some(f64::NAN)),
                ("B".to_string(), 11, Some(4.0)),
            ],
        );
        assert_eq!(p.labels, vec!["A", "B"]);
        assert_eq!(p.seeds, vec![7, 9, 11]);
        assert_eq!(p.pairs(0, 1), (vec![2.0], vec![3.0]));
        assert_eq!(p.complete_blocks(), vec![vec![2.0, 3.0]]);
        assert_eq!(p.present(1), vec![3.0, 4.0]);
    }
}
