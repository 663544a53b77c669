//! The report of `cargo xtask ranks`: the average-rank table, a Friedman
//! test over the benchmarks with its Nemenyi critical-difference diagram,
//! and per benchmark the paired-seed comparisons of every pair of
//! optimizers.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::benchmark_comparison::BenchmarkComparison;
use crate::cd_diagram::draw_cd_diagram;
use crate::critical_difference::CriticalDifference;
use crate::{ExperimentError, PairedValues, RankOrder, RankTable, RunMeans};

/// File stem of the critical-difference diagram.
pub const CD_DIAGRAM_STEM: &str = "cd_diagram";

/// Ranks and statistics of optimizers over several runs (benchmarks).
#[derive(Clone, Debug, PartialEq)]
pub struct RankReport {
    /// The average-rank table.
    pub table: RankTable,
    /// Friedman test and critical difference over the runs, for the
    /// optimizers present in every run; `None` with fewer than two runs or
    /// three such optimizers.
    pub across: Option<CriticalDifference>,
    /// Each run's paired-seed statistics, in the order given.
    pub benchmarks: Vec<BenchmarkComparison>,
}

impl RankReport {
    /// Reads `metric` of every trial from each run directory.
    pub fn from_run_dirs(
        metric: &str,
        dirs: &[PathBuf],
        order: RankOrder,
    ) -> Result<Self, ExperimentError> {
        let runs = dirs
            .iter()
            .map(|d| PairedValues::read(d, metric))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(metric, &runs, order))
    }

    /// Ranks and tests the runs' values of `metric`.
    pub fn new(metric: &str, runs: &[PairedValues], order: RankOrder) -> Self {
        let means: Vec<RunMeans> = runs
            .iter()
            .map(|run| RunMeans {
                name: run.name.clone(),
                means: (0..run.labels.len())
                    .map(|o| {
                        let v = run.present(o);
                        let mean = if v.is_empty() {
                            f64::NAN
                        } else {
                            v.iter().sum::<f64>() / v.len() as f64
                        };
                        (run.labels[o].clone(), mean, v.len())
                    })
                    .collect(),
            })
            .collect();
        let table = RankTable::new(metric, means, order);
        let across = across_runs(&table, order);
        let benchmarks = runs
            .iter()
            .map(|run| BenchmarkComparison::new(run, metric, order))
            .collect();
        Self {
            table,
            across,
            benchmarks,
        }
    }

    /// Draws the critical-difference diagram as `dir/cd_diagram.svg` and
    /// `.png`; returns the stem's path, or `None` when there is no test.
    pub fn write_figures(&self, dir: &Path) -> Result<Option<PathBuf>, ExperimentError> {
        let Some(across) = &self.across else {
            return Ok(None);
        };
        let title = format!(
            "Average rank of `{}` over {} benchmarks",
            self.table.metric, across.friedman.blocks
        );
        draw_cd_diagram(dir, CD_DIAGRAM_STEM, &title, across)?;
        Ok(Some(dir.join(CD_DIAGRAM_STEM)))
    }

    /// The report in Markdown; `figure` is the diagram's path without
    /// extension, as the reader should follow it.
    pub fn markdown(&self, figure: Option<&str>) -> String {
        let metric = &self.table.metric;
        let mut out = format!(
            "Rank of each optimizer's mean `{metric}` in each run (mean in brackets), averaged over runs.\n\n{}",
            self.table.markdown()
        );
        out.push_str("\n## Do the optimizers differ across benchmarks?\n\n");
        match &self.across {
            Some(across) => out.push_str(&across.markdown(figure)),
            None => out.push_str(
                "The Friedman test needs at least two runs and three optimizers present in every run; not computed.\n",
            ),
        }
        for benchmark in &self.benchmarks {
            let _ = write!(
                out,
                "\n## {}: paired seeds\n\n{}",
                benchmark.name,
                benchmark.markdown()
            );
        }
        out
    }
}

/// The Friedman test over runs of the optimizers that have a mean in every
/// run.
fn across_runs(table: &RankTable, order: RankOrder) -> Option<CriticalDifference> {
    if table.runs.len() < 2 {
        return None;
    }
    let mean_of = |run: &RunMeans, label: &str| {
        run.means
            .iter()
            .find(|(l, m, _)| l == label && m.is_finite())
            .map(|(_, m, _)| *m)
    };
    // Labels in first-appearance order, split by whether every run has them.
    let mut labels: Vec<String> = Vec::new();
    for run in &table.runs {
        for (label, _, _) in &run.means {
            if !labels.contains(label) {
                labels.push(label.clone());
            }
        }
    }
    let (common, left_out): (Vec<String>, Vec<String>) = labels
        .into_iter()
        .partition(|l| table.runs.iter().all(|run| mean_of(run, l).is_some()));
    let blocks: Vec<Vec<f64>> = table
        .runs
        .iter()
        .map(|run| {
            common
                .iter()
                .map(|l| {
                    let m = mean_of(run, l).expect("common labels have a mean in every run");
                    match order {
                        RankOrder::LowerIsBetter => m,
                        RankOrder::HigherIsBetter => -m,
                    }
                })
                .collect()
        })
        .collect();
    CriticalDifference::new(common, &blocks, "benchmarks", left_out)
}
