//! Average ranks of optimizers across benchmarks, NAS-Bench-Suite style:
//! within each recorded run the optimizers are ranked by the mean of one
//! reported metric, and each optimizer's ranks are averaged over the runs.
//! Conclusions drawn from one benchmark mislead; this table shows how an
//! optimizer does across all of them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::ExperimentError;

/// Whether a smaller or a larger metric value ranks first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankOrder {
    /// Smaller is better (regret, error, perplexity).
    LowerIsBetter,
    /// Larger is better (accuracy).
    HigherIsBetter,
}

/// One run's per-optimizer means of the ranked metric.
#[derive(Clone, Debug, PartialEq)]
pub struct RunMeans {
    /// The run's name (from its manifest).
    pub name: String,
    /// Optimizer label -> (mean over trials, trials with a value), in the
    /// order the optimizers first appear in the run.
    pub means: Vec<(String, f64, usize)>,
}

/// Optimizers' ranks per run and averaged over runs.
#[derive(Clone, Debug, PartialEq)]
pub struct RankTable {
    /// The ranked metric's report label.
    pub metric: String,
    /// The runs, in the order given.
    pub runs: Vec<RunMeans>,
    /// Optimizer label -> rank in each run (`None` where it did not run);
    /// ties share the mean of their positions.
    pub ranks: BTreeMap<String, Vec<Option<f64>>>,
}

#[derive(Deserialize)]
struct TrialLine {
    optimizer: String,
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

/// Reads the mean of report `metric` per optimizer from the run directory
/// `dir` (its `manifest.json` and `trials.jsonl`).
pub fn read_run_means(dir: &Path, metric: &str) -> Result<RunMeans, ExperimentError> {
    let manifest_path = dir.join("manifest.json");
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|e| records_error(&manifest_path, None, e.to_string()))?;
    let name = serde_json::from_str::<ManifestName>(&manifest)
        .map_err(|e| records_error(&manifest_path, None, e.to_string()))?
        .name;
    let trials_path = dir.join("trials.jsonl");
    let text = std::fs::read_to_string(&trials_path)
        .map_err(|e| records_error(&trials_path, None, e.to_string()))?;
    let mut sums: Vec<(String, f64, usize)> = Vec::new();
    let mut known_labels: Vec<String> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let trial: TrialLine = serde_json::from_str(line)
            .map_err(|e| records_error(&trials_path, Some(index + 1), e.to_string()))?;
        if known_labels.is_empty() {
            known_labels = trial.metrics.keys().cloned().collect();
        }
        let Some(value) = trial.metrics.get(metric) else {
            return Err(records_error(
                &trials_path,
                Some(index + 1),
                format!(
                    "no report labelled `{metric}`; the run reports: {}",
                    known_labels.join(", ")
                ),
            ));
        };
        let slot = match sums.iter().position(|(o, _, _)| *o == trial.optimizer) {
            Some(i) => i,
            None => {
                sums.push((trial.optimizer.clone(), 0.0, 0));
                sums.len() - 1
            }
        };
        if let Some(v) = value.filter(|v| v.is_finite()) {
            sums[slot].1 += v;
            sums[slot].2 += 1;
        }
    }
    if sums.is_empty() {
        return Err(records_error(
            &trials_path,
            None,
            "no trials recorded".into(),
        ));
    }
    let means = sums
        .into_iter()
        .map(|(o, sum, n)| {
            let mean = if n == 0 { f64::NAN } else { sum / n as f64 };
            (o, mean, n)
        })
        .collect();
    Ok(RunMeans { name, means })
}

/// Ranks (1 = best) of `values`; ties share the mean of their positions and
/// optimizers without a value rank last together.
fn ranks_of(values: &[f64], order: RankOrder) -> Vec<f64> {
    let key = |v: f64| match order {
        RankOrder::LowerIsBetter => v,
        RankOrder::HigherIsBetter => -v,
    };
    let mut index: Vec<usize> = (0..values.len()).collect();
    index.sort_by(|&a, &b| {
        let (x, y) = (values[a], values[b]);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            (false, false) => key(x).total_cmp(&key(y)),
        }
    });
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < index.len() {
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        let mut end = start + 1;
        while end < index.len() && same(values[index[end]], values[index[start]]) {
            end += 1;
        }
        let shared = (start + end + 1) as f64 / 2.0;
        for &i in &index[start..end] {
            ranks[i] = shared;
        }
        start = end;
    }
    ranks
}

impl RankTable {
    /// Ranks the optimizers of each run by the mean of `metric`.
    pub fn new(metric: &str, runs: Vec<RunMeans>, order: RankOrder) -> Self {
        let mut ranks: BTreeMap<String, Vec<Option<f64>>> = BTreeMap::new();
        for (r, run) in runs.iter().enumerate() {
            let values: Vec<f64> = run.means.iter().map(|(_, m, _)| *m).collect();
            for ((label, _, _), rank) in run.means.iter().zip(ranks_of(&values, order)) {
                ranks
                    .entry(label.clone())
                    .or_insert_with(|| vec![None; runs.len()])[r] = Some(rank);
            }
        }
        Self {
            metric: metric.to_owned(),
            runs,
            ranks,
        }
    }

    /// Reads `metric` from each run directory and ranks.
    pub fn from_run_dirs(
        metric: &str,
        dirs: &[PathBuf],
        order: RankOrder,
    ) -> Result<Self, ExperimentError> {
        let runs = dirs
            .iter()
            .map(|d| read_run_means(d, metric))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(metric, runs, order))
    }

    /// An optimizer's mean rank over the runs it took part in, and how many.
    pub fn average_rank(&self, label: &str) -> Option<(f64, usize)> {
        let present: Vec<f64> = self.ranks.get(label)?.iter().flatten().copied().collect();
        (!present.is_empty()).then(|| {
            (
                present.iter().sum::<f64>() / present.len() as f64,
                present.len(),
            )
        })
    }

    /// The table in markdown: one row per optimizer, best average rank
    /// first; each cell is the rank in that run with the mean metric value.
    pub fn markdown(&self) -> String {
        let mut rows: Vec<(&String, f64, usize)> = self
            .ranks
            .keys()
            .filter_map(|label| self.average_rank(label).map(|(a, n)| (label, a, n)))
            .collect();
        rows.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(b.0)));
        let mut out = String::new();
        let _ = write!(out, "| optimizer |");
        for run in &self.runs {
            let _ = write!(out, " {} |", run.name);
        }
        let _ = writeln!(out, " average rank |");
        let _ = write!(out, "|---|");
        for _ in &self.runs {
            let _ = write!(out, "---:|");
        }
        let _ = writeln!(out, "---:|");
        for (label, average, n) in rows {
            let _ = write!(out, "| {label} |");
            for (r, run) in self.runs.iter().enumerate() {
                match (
                    self.ranks[label][r],
                    run.means.iter().find(|(o, _, _)| o == label),
                ) {
                    (Some(rank), Some((_, mean, _))) => {
                        let _ = write!(out, " {rank} ({mean:.3}) |");
                    }
                    _ => {
                        let _ = write!(out, " - |");
                    }
                }
            }
            if n == self.runs.len() {
                let _ = writeln!(out, " {average:.2} |");
            } else {
                let _ = writeln!(out, " {average:.2} (of {n}) |");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, means: &[(&str, f64)]) -> RunMeans {
        RunMeans {
            name: name.into(),
            means: means.iter().map(|(o, m)| (o.to_string(), *m, 10)).collect(),
        }
    }

    #[test]
    fn ranks_share_ties_and_put_missing_values_last() {
        let r = ranks_of(&[0.3, 0.1, 0.3, f64::NAN], RankOrder::LowerIsBetter);
        assert_eq!(r, vec![2.5, 1.0, 2.5, 4.0]);
        let r = ranks_of(&[0.3, 0.1, 0.5], RankOrder::HigherIsBetter);
        assert_eq!(r, vec![2.0, 3.0, 1.0]);
    }

    #[test]
    fn averages_over_the_runs_an_optimizer_took_part_in() {
        let table = RankTable::new(
            "valid regret",
            vec![
                run("a", &[("RS", 0.5), ("LS", 0.1), ("REA", 0.2)]),
                run("b", &[("RS", 0.4), ("LS", 0.6), ("REA", 0.3)]),
                run("c", &[("RS", 0.9), ("REA", 0.1)]),
            ],
            RankOrder::LowerIsBetter,
        );
        assert_eq!(table.average_rank("RS"), Some(((3.0 + 2.0 + 2.0) / 3.0, 3)));
        assert_eq!(
            table.average_rank("REA"),
            Some(((2.0 + 1.0 + 1.0) / 3.0, 3))
        );
        assert_eq!(table.average_rank("LS"), Some(((1.0 + 3.0) / 2.0, 2)));
        let md = table.markdown();
        let rows: Vec<&str> = md.lines().skip(2).collect();
        assert!(rows[0].starts_with("| REA |"), "{md}");
        assert!(rows.iter().any(|r| r.contains("(of 2)")), "{md}");
    }

    #[test]
    fn reads_a_run_directory_and_names_a_missing_report() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("manifest.json"), r#"{"name": "bbo-x"}"#).unwrap();
        std::fs::write(
            dir.path().join("trials.jsonl"),
            concat!(
                r#"{"optimizer":"RS","metrics":{"regret":0.5}}"#,
                "\n",
                r#"{"optimizer":"RS","metrics":{"regret":0.3}}"#,
                "\n",
                r#"{"optimizer":"LS","metrics":{"regret":null}}"#,
                "\n"
            ),
        )
        .unwrap();
        let means = read_run_means(dir.path(), "regret").unwrap();
        assert_eq!(means.name, "bbo-x");
        assert_eq!(means.means[0].0, "RS");
        assert!((means.means[0].1 - 0.4).abs() < 1e-12);
        assert_eq!(means.means[0].2, 2);
        assert!(means.means[1].1.is_nan());
        let err = read_run_means(dir.path(), "acc").unwrap_err().to_string();
        assert!(
            err.contains("trials.jsonl, line 1") && err.contains("regret"),
            "{err}"
        );
    }
}
