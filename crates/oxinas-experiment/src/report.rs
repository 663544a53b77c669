use std::fmt::Write;
use std::path::PathBuf;

use oxinas_record::MeanStd;

/// What an experiment produced: per-optimizer summaries of the reported
/// metrics over trials, and comparisons with published references.
#[derive(Clone, Debug, PartialEq)]
pub struct ExperimentReport {
    /// The experiment's name.
    pub name: String,
    /// What it reproduces or shows.
    pub description: String,
    /// The run directory.
    pub run_dir: PathBuf,
    /// Column labels of the reported metrics.
    pub metric_labels: Vec<String>,
    /// One row per optimizer, in config order.
    pub optimizers: Vec<OptimizerSummary>,
    /// Comparisons with reference values given in the config.
    pub references: Vec<ReferenceCheck>,
    /// Worker threads used.
    pub threads: usize,
    /// Queries this process evaluated (none when a Slurm job's array tasks
    /// ran the trials).
    pub queries_evaluated: u64,
    /// Queries this process answered from the run's journal instead of
    /// evaluating them again (a resumed run).
    pub queries_replayed: u64,
}

/// The summary of one optimizer's trials.
#[derive(Clone, Debug, PartialEq)]
pub struct OptimizerSummary {
    /// The optimizer's label.
    pub label: String,
    /// Number of trials.
    pub trials: u64,
    /// Queries per trial.
    pub queries: MeanStd,
    /// Each reported metric of the returned architecture, over trials that
    /// have a value (`None` if none has).
    pub metrics: Vec<Option<MeanStd>>,
    /// The returned architecture with the best validation value over this
    /// optimizer's trials (the first such trial on ties); `None` when no
    /// trial returned one.
    pub best: Option<ReturnedArch>,
}

/// The architecture a trial returned, with what was reported about it.
#[derive(Clone, Debug, PartialEq)]
pub struct ReturnedArch {
    /// The trial that returned it.
    pub trial: u64,
    /// The architecture in its space's string form.
    pub arch: String,
    /// The validation value the optimizer saw.
    pub validation: f64,
    /// The reported metrics, in config order.
    pub metrics: Vec<Option<f64>>,
}

/// Our mean of a metric next to a published one.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceCheck {
    /// The optimizer's label.
    pub optimizer: String,
    /// The metric's label.
    pub metric: String,
    /// Our mean.
    pub ours: f64,
    /// The standard error of our mean: sample std / sqrt(trials).
    pub standard_error: f64,
    /// The published mean.
    pub reference: f64,
    /// The published standard deviation, where the config gives it.
    pub reference_std: Option<f64>,
    /// Largest acceptable absolute difference, if given.
    pub tolerance: Option<f64>,
}

impl ReferenceCheck {
    /// Whether the difference is within tolerance (`None` without a tolerance).
    pub fn within_tolerance(&self) -> Option<bool> {
        self.tolerance
            .map(|t| (self.ours - self.reference).abs() <= t)
    }
}

impl ExperimentReport {
    /// The summary of the optimizer labelled `label`.
    pub fn optimizer(&self, label: &str) -> Option<&OptimizerSummary> {
        self.optimizers.iter().find(|o| o.label == label)
    }

    /// The results table in Markdown: mean ± sample std over trials.
    pub fn table_markdown(&self) -> String {
        let mut out = String::from("| optimizer | trials | queries |");
        for label in &self.metric_labels {
            let _ = write!(out, " {label} |");
        }
        out.push_str("\n|---|---:|---:|");
        out.push_str(&"---:|".repeat(self.metric_labels.len()));
        out.push('\n');
        for row in &self.optimizers {
            let _ = write!(
                out,
                "| {} | {} | {:.1} |",
                row.label, row.trials, row.queries.mean
            );
            for metric in &row.metrics {
                match metric {
                    Some(m) => {
                        let _ = write!(out, " {m:.2} |");
                    }
                    None => out.push_str(" n/a |"),
                }
            }
            out.push('\n');
        }
        out
    }

    /// The table of README.md and docs (see [`crate::find_generated_blocks`]):
    /// per optimizer its mean queries and each metric as mean ± std over
    /// trials, labelled `(oxinas)`, followed by a `(paper)` row of the
    /// published values where the config gives references.
    pub fn comparison_markdown(&self) -> String {
        let mut out = String::from("| optimizer | queries |");
        for label in &self.metric_labels {
            let _ = write!(out, " {label} |");
        }
        out.push_str("\n|---|---:|");
        out.push_str(&"---:|".repeat(self.metric_labels.len()));
        out.push('\n');
        for row in &self.optimizers {
            let published: Vec<Option<&ReferenceCheck>> = self
                .metric_labels
                .iter()
                .map(|metric| {
                    self.references
                        .iter()
                        .find(|r| r.optimizer == row.label && &r.metric == metric)
                })
                .collect();
            let suffix = if published.iter().any(Option::is_some) {
                " (oxinas)"
            } else {
                ""
            };
            let _ = write!(out, "| {}{suffix} | {:.1} |", row.label, row.queries.mean);
            for metric in &row.metrics {
                match metric {
                    Some(m) => {
                        let _ = write!(out, " {:.2} ± {:.2} |", m.mean, m.std);
                    }
                    None => out.push_str(" n/a |"),
                }
            }
            out.push('\n');
            if suffix.is_empty() {
                continue;
            }
            let _ = write!(out, "| {} (paper) | |", row.label);
            for reference in &published {
                match reference {
                    Some(ReferenceCheck {
                        reference,
                        reference_std: Some(std),
                        ..
                    }) => {
                        let _ = write!(out, " {reference:.2} ± {std:.2} |");
                    }
                    Some(r) => {
                        let _ = write!(out, " {:.2} |", r.reference);
                    }
                    None => out.push_str(" |"),
                }
            }
            out.push('\n');
        }
        out
    }

    /// One line per optimizer naming the best architecture it returned, its
    /// validation value and its reported metrics.
    pub fn best_markdown(&self) -> String {
        let mut out = String::new();
        for row in &self.optimizers {
            let Some(best) = &row.best else { continue };
            let _ = write!(
                out,
                "- {} (trial {}): `{}`, validation {:.2}",
                row.label, best.trial, best.arch, best.validation
            );
            for (label, value) in self.metric_labels.iter().zip(&best.metrics) {
                if let Some(v) = value {
                    let _ = write!(out, ", {label} {v:.2}");
                }
            }
            out.push('\n');
        }
        out
    }

    /// The reference comparison in Markdown (empty without references).
    pub fn references_markdown(&self) -> String {
        if self.references.is_empty() {
            return String::new();
        }
        let mut out = String::from(
            "| optimizer | metric | ours | SE (ours) | reference | difference | tolerance |\n|---|---|---:|---:|---:|---:|---|\n",
        );
        for r in &self.references {
            let verdict = match (r.tolerance, r.within_tolerance()) {
                (Some(t), Some(true)) => format!("±{t} ok"),
                (Some(t), _) => format!("±{t} EXCEEDED"),
                (None, _) => "-".to_owned(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} | {:.3} | {:.2} | {:+.2} | {} |",
                r.optimizer,
                r.metric,
                r.ours,
                r.standard_error,
                r.reference,
                r.ours - r.reference,
                verdict
            );
        }
        out
    }

    /// The whole `summary.md`.
    pub fn summary_markdown(&self) -> String {
        let mut out = format!("# {}\n\n", self.name);
        if !self.description.trim().is_empty() {
            let _ = writeln!(out, "{}\n", self.description.trim());
        }
        out.push_str(
            "Mean ± sample standard deviation over trials of the architecture each trial returned.\n\n",
        );
        out.push_str(&self.table_markdown());
        let best = self.best_markdown();
        if !best.is_empty() {
            out.push_str("\nThe best architecture each optimizer returned (by validation):\n\n");
            out.push_str(&best);
        }
        let references = self.references_markdown();
        if !references.is_empty() {
            out.push_str("\n## Compared with the published values\n\n");
            out.push_str(&references);
        }
        let _ = write!(
            out,
            "\nFiles: `manifest.json` (config and its hash, seeds, code, host, environment, data checksums), `results.jsonl` (the crash-safe journal: every evaluated query as it finished, and every finished trial), `trajectories.jsonl` (every query), `trials.jsonl` (each trial's result), `incumbent_test.jsonl` (the incumbent's test value after each query, for reports only), `checklist.md` (best-practices checklist). Worker threads: {}.\n",
            self.threads
        );
        out
    }
}
