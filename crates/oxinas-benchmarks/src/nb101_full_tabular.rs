//! The complete NAS-Bench-101 (from its TFRecord file) as an evaluator and a
//! ground truth.

use std::sync::Arc;

use oxinas_core::{
    Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation, RngCore,
};
use oxinas_spaces::Nb101Arch;
use rand::Rng;

use crate::{Nb101FullTable, Nb101RunResult};

/// Which of a cell's training runs a query reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Nb101Noise {
    /// One run drawn at random, as the official API's `query` does.
    #[default]
    RandomRepeat,
    /// The mean over the runs (deterministic).
    Mean,
}

/// Queries the complete NAS-Bench-101 on CIFAR-10.
///
/// * **Fidelities**: the epoch budgets in the file (4, 12, 36, 108, or 108
///   only), each a separate training run with its own schedule.
/// * **Metric**: `valid_acc`, final validation accuracy in percent.
/// * **Cost**: the reported run's training time (the mean over runs for
///   [`Nb101Noise::Mean`]), as the official API charges.
/// * **Test**: [`Evaluation::test`] is the final test accuracy (percent) of
///   the same run (or the mean), kept from the optimizer.
#[derive(Clone, Debug)]
pub struct Nb101FullTabular {
    table: Arc<Nb101FullTable>,
    noise: Nb101Noise,
}

impl Nb101FullTabular {
    /// An evaluator over `table`.
    pub fn new(table: Arc<Nb101FullTable>, noise: Nb101Noise) -> Self {
        Self { table, noise }
    }
}

/// The mean of `f` over `runs` (not empty).
fn mean(runs: &[Nb101RunResult], f: impl Fn(&Nb101RunResult) -> f64) -> f64 {
    runs.iter().map(f).sum::<f64>() / runs.len() as f64
}

impl Evaluator<Nb101Arch> for Nb101FullTabular {
    fn name(&self) -> String {
        "nb101/cifar10".to_owned()
    }

    fn metric(&self) -> &str {
        "valid_acc"
    }

    fn goal(&self) -> Goal {
        Goal::Maximize
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        self.table
            .epochs()
            .iter()
            .map(|&e| Fidelity::epochs(e))
            .collect()
    }

    fn evaluate(
        &self,
        arch: &Nb101Arch,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let cell = self
            .table
            .cell_of(arch)
            .ok_or_else(|| EvaluationError::UnknownArch {
                benchmark: self.name(),
                arch: arch.to_string(),
            })?;
        let runs = cell.runs_at(fidelity.get_epochs());
        if runs.is_empty() {
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: self.name(),
                fidelity,
                available: self
                    .table
                    .epochs()
                    .iter()
                    .map(|e| format!("{e} epochs"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let (valid, test, seconds) = match self.noise {
            Nb101Noise::RandomRepeat => {
                let run = &runs[rng.random_range(0..runs.len())];
                (run.final_valid, run.final_test, run.final_seconds)
            }
            Nb101Noise::Mean => (
                mean(runs, |r| r.final_valid),
                mean(runs, |r| r.final_test),
                mean(runs, |r| r.final_seconds),
            ),
        };
        let mut observation = Observation::ok(100.0 * valid, Goal::Maximize, seconds);
        observation.params = Some(f64::from(cell.params));
        Ok(Evaluation {
            observation,
            test: Some(100.0 * test),
        })
    }
}

impl GroundTruth<Nb101Arch> for Nb101FullTable {
    /// `cifar10/valid@E`, `cifar10/test@E` (percent, mean over runs) and
    /// `train_time@E` (seconds, mean) for each budget `E` in the file, and
    /// `params`.
    fn metrics(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for e in self.epochs() {
            out.push((
                format!("cifar10/valid@{e}"),
                format!("validation accuracy (%), {e}-epoch runs, mean"),
            ));
            out.push((
                format!("cifar10/test@{e}"),
                format!("test accuracy (%), {e}-epoch runs, mean"),
            ));
            out.push((
                format!("train_time@{e}"),
                format!("training time (s), {e}-epoch runs, mean"),
            ));
        }
        out.push(("params".to_owned(), "trainable parameters".to_owned()));
        out
    }

    /// `Ok(None)` for a cell that is not in the file.
    fn metric(&self, arch: &Nb101Arch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let unknown = || EvaluationError::UnknownMetric {
            benchmark: "nb101".to_owned(),
            metric: metric.to_owned(),
            available: self
                .metrics()
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
                .join(", "),
        };
        if metric == "params" {
            return Ok(self.cell_of(arch).map(|c| f64::from(c.params)));
        }
        let (name, epochs) = metric.rsplit_once('@').ok_or_else(unknown)?;
        let epochs: u32 = epochs.parse().map_err(|_| unknown())?;
        if !self.epochs().contains(&epochs) {
            return Err(unknown());
        }
        let value: fn(&Nb101RunResult) -> f64 = match name {
            "cifar10/valid" => |r| 100.0 * r.final_valid,
            "cifar10/test" => |r| 100.0 * r.final_test,
            "train_time" => |r| r.final_seconds,
            _ => return Err(unknown()),
        };
        Ok(self
            .cell_of(arch)
            .map(|c| c.runs_at(epochs))
            .filter(|runs| !runs.is_empty())
            .map(|runs| mean(runs, value)))
    }
}
