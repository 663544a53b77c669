//! NAS-Bench-101 (subset) as an evaluator (what optimizers query) and a ground
//! truth (what reports read).

use std::sync::Arc;

use oxinas_core::{
    Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation, RngCore,
};
use oxinas_spaces::Nb101Arch;

use crate::{NB101_EPOCHS, Nb101Record, Nb101Table};

/// Queries the NAS-Bench-101 subset table on CIFAR-10, as an optimizer would.
///
/// * **Fidelities**: 4, 12, 36 and 108 epochs. NB101 trained each cell
///   separately for each budget (with its own learning-rate schedule), so a
///   lower fidelity is a different training run, not a prefix of the 108-epoch
///   one.
/// * **Metric**: `valid_acc`, the final validation accuracy in percent (the
///   file's fractions times 100, as NB201 reports percent). The file holds one
///   run per cell and budget, so queries are deterministic and `rng` is unused.
/// * **Cost**: the file records only the 108-epoch training time; a query at
///   `e` epochs costs `e / 108` of it. Training time per epoch is the same in
///   every NB101 run of a cell (same network, same batch size), so this is the
///   budget's training time up to run-to-run timing noise.
/// * **Params**: the cell's trainable parameter count.
/// * **Test**: [`Evaluation::test`] is always `None`: the subset file has no
///   test accuracy.
///
/// Cells missing from the subset (most of the 423,624) answer
/// [`EvaluationError::UnknownArch`]; search over [`crate::Nb101Subset`] to
/// only propose cells that have data.
#[derive(Clone, Debug)]
pub struct Nb101Tabular {
    table: Arc<Nb101Table>,
}

impl Nb101Tabular {
    /// An evaluator over `table`.
    pub fn new(table: Arc<Nb101Table>) -> Self {
        Self { table }
    }

    /// The table queried.
    pub fn table(&self) -> &Nb101Table {
        &self.table
    }

    fn record(&self, arch: &Nb101Arch) -> Result<&Nb101Record, EvaluationError> {
        self.table
            .record_of(arch)
            .ok_or_else(|| EvaluationError::UnknownArch {
                benchmark: self.name(),
                arch: arch.to_string(),
            })
    }
}

impl Evaluator<Nb101Arch> for Nb101Tabular {
    fn name(&self) -> String {
        "nb101-subset/cifar10".to_owned()
    }

    fn metric(&self) -> &str {
        "valid_acc"
    }

    fn goal(&self) -> Goal {
        Goal::Maximize
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        NB101_EPOCHS.iter().map(|&e| Fidelity::epochs(e)).collect()
    }

    fn evaluate(
        &self,
        arch: &Nb101Arch,
        fidelity: Fidelity,
        _rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let epochs = fidelity.get_epochs();
        let record = self.record(arch)?;
        let valid =
            record
                .valid_at(epochs)
                .ok_or_else(|| EvaluationError::UnsupportedFidelity {
                    benchmark: self.name(),
                    fidelity,
                    available: "4, 12, 36, 108 epochs".to_owned(),
                })?;
        let cost = record.train_seconds_108 * f64::from(epochs) / 108.0;
        let mut observation = Observation::ok(100.0 * valid, Goal::Maximize, cost);
        observation.params = Some(record.params as f64);
        Ok(Evaluation {
            observation,
            test: None,
        })
    }
}

/// Metric names answered by the table's [`GroundTruth`] implementation.
const METRICS: [(&str, &str); 6] = [
    (
        "cifar10/valid@4",
        "validation accuracy (%), 4-epoch training run",
    ),
    (
        "cifar10/valid@12",
        "validation accuracy (%), 12-epoch training run",
    ),
    (
        "cifar10/valid@36",
        "validation accuracy (%), 36-epoch training run",
    ),
    (
        "cifar10/valid@108",
        "validation accuracy (%), 108-epoch training run",
    ),
    ("train_time@108", "training time (s) of the 108-epoch run"),
    ("params", "trainable parameters"),
];

impl GroundTruth<Nb101Arch> for Nb101Table {
    /// Validation metrics, time and size only: the subset file has no test
    /// accuracy.
    fn metrics(&self) -> Vec<(String, String)> {
        METRICS
            .iter()
            .map(|(n, d)| ((*n).to_owned(), (*d).to_owned()))
            .collect()
    }

    /// `Ok(None)` for a cell that is not in the subset.
    fn metric(&self, arch: &Nb101Arch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let known = METRICS.iter().any(|(n, _)| *n == metric);
        if !known {
            return Err(EvaluationError::UnknownMetric {
                benchmark: "nb101-subset".to_owned(),
                metric: metric.to_owned(),
                available: METRICS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let Some(record) = self.record_of(arch) else {
            return Ok(None);
        };
        Ok(match metric {
            "train_time@108" => Some(record.train_seconds_108),
            "params" => Some(record.params as f64),
            valid => valid
                .strip_prefix("cifar10/valid@")
                .and_then(|e| e.parse().ok())
                .and_then(|e| record.valid_at(e))
                .map(|v| 100.0 * v),
        })
    }
}
