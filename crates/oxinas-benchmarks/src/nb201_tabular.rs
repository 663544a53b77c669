//! NAS-Bench-201 as an evaluator (what optimizers query) and a ground truth
//! (what reports read).

use std::sync::Arc;

use oxinas_core::{
    Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation, RngCore,
};
use oxinas_spaces::{Nb201Arch, Nb201Space};
use rand::Rng;

use crate::{Nb201Dataset, Nb201Record, Nb201Table, Nb201TrainResult};

/// Which 200-epoch validation value a query returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Nb201Noise {
    /// The mean over training seeds (deterministic).
    #[default]
    Mean,
    /// One training seed drawn at random, as the official API's `is_random=True`.
    RandomSeed,
}

/// Queries NAS-Bench-201 on one dataset, as an optimizer would.
///
/// Fidelities are 12 and 200 epochs. The validation metric is accuracy (%) on
/// the dataset's validation split (`cifar10-valid`'s for `cifar10`, as in the
/// official API). A query costs the cell's training time at that fidelity,
/// taken as `epochs / 200` of its recorded 200-epoch training time. The test
/// accuracy, where the benchmark has it, goes to [`Evaluation::test`] only.
#[derive(Clone, Debug)]
pub struct Nb201Tabular {
    table: Arc<Nb201Table>,
    dataset: Nb201Dataset,
    noise: Nb201Noise,
    space: Nb201Space,
}

const FIDELITIES: [Fidelity; 2] = [Fidelity::epochs(12), Fidelity::epochs(200)];

impl Nb201Tabular {
    /// An evaluator over `table` for `dataset`.
    pub fn new(table: Arc<Nb201Table>, dataset: Nb201Dataset, noise: Nb201Noise) -> Self {
        Self {
            table,
            dataset,
            noise,
            space: Nb201Space::new(),
        }
    }

    /// The dataset queried.
    pub fn dataset(&self) -> Nb201Dataset {
        self.dataset
    }

    fn record(&self, arch: &Nb201Arch) -> &Nb201Record {
        // Every cell has an index and the table holds all 15,625.
        &self.table.records()[self.space.index_of(arch)]
    }

    fn missing(&self, fidelity: Fidelity) -> EvaluationError {
        EvaluationError::UnsupportedFidelity {
            benchmark: self.name(),
            fidelity,
            available: format!("no {fidelity} values in {}", self.table.source().display()),
        }
    }
}

/// The 200-epoch results that answer validation queries on `dataset`.
fn train_result(record: &Nb201Record, dataset: Nb201Dataset) -> &Nb201TrainResult {
    match dataset {
        Nb201Dataset::Cifar10Valid | Nb201Dataset::Cifar10 => &record.cifar10_valid,
        Nb201Dataset::Cifar100 => &record.cifar100,
        Nb201Dataset::ImageNet16_120 => &record.imagenet16,
    }
}

/// Position of `dataset` in the 12-epoch arrays.
fn slot12(dataset: Nb201Dataset) -> usize {
    match dataset {
        Nb201Dataset::Cifar10Valid | Nb201Dataset::Cifar10 => 0,
        Nb201Dataset::Cifar100 => 1,
        Nb201Dataset::ImageNet16_120 => 2,
    }
}

/// The test accuracy at 200 epochs for `dataset`, where recorded.
fn test200(record: &Nb201Record, dataset: Nb201Dataset) -> Option<f64> {
    match dataset {
        Nb201Dataset::Cifar10Valid => record.cifar10_valid_test200,
        Nb201Dataset::Cifar10 => record.cifar10_test200,
        // The published data has no 200-epoch test accuracy for these two.
        Nb201Dataset::Cifar100 | Nb201Dataset::ImageNet16_120 => None,
    }
}

impl Evaluator<Nb201Arch> for Nb201Tabular {
    fn name(&self) -> String {
        format!("nb201/{}", self.dataset)
    }

    fn metric(&self) -> &str {
        "valid_acc"
    }

    fn goal(&self) -> Goal {
        Goal::Maximize
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        FIDELITIES.to_vec()
    }

    fn evaluate(
        &self,
        arch: &Nb201Arch,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let record = self.record(arch);
        let full = train_result(record, self.dataset);
        let (validation, test) = match fidelity.get_epochs() {
            200 => {
                let validation = match self.noise {
                    Nb201Noise::Mean => full.valid_mean(),
                    Nb201Noise::RandomSeed => {
                        full.valid_seeds()[rng.random_range(0..usize::from(full.seeds))]
                    }
                };
                (validation, test200(record, self.dataset))
            }
            12 => {
                let slot = slot12(self.dataset);
                let validation = record.valid12[slot].ok_or_else(|| self.missing(fidelity))?;
                (validation, record.test12[slot])
            }
            _ => {
                return Err(EvaluationError::UnsupportedFidelity {
                    benchmark: self.name(),
                    fidelity,
                    available: "12 epochs, 200 epochs".to_owned(),
                });
            }
        };
        let cost = full.train_seconds * f64::from(fidelity.get_epochs()) / 200.0;
        let mut observation = Observation::ok(validation, Goal::Maximize, cost);
        observation.params = Some(full.params_m * 1e6);
        observation.latency_seconds = Some(full.latency_seconds);
        Ok(Evaluation { observation, test })
    }
}

/// Metric names answered by the table's [`GroundTruth`] implementation.
const METRICS: [(&str, &str); 13] = [
    (
        "cifar10-valid/valid@200",
        "cifar10-valid validation accuracy (%), 200 epochs, mean over seeds",
    ),
    (
        "cifar10-valid/test@200",
        "CIFAR-10 test accuracy (%) of the cifar10-valid model, 200 epochs (NB201 v1.1)",
    ),
    (
        "cifar10/test@200",
        "CIFAR-10 test accuracy (%) of the model trained on train+valid, 200 epochs (NB201 v1.1)",
    ),
    (
        "cifar100/valid@200",
        "cifar100 validation accuracy (%), 200 epochs, mean over seeds",
    ),
    (
        "ImageNet16-120/valid@200",
        "ImageNet16-120 validation accuracy (%), 200 epochs, mean over seeds",
    ),
    (
        "cifar10-valid/valid@12",
        "cifar10-valid validation accuracy (%), 12 epochs",
    ),
    ("cifar10/test@12", "CIFAR-10 test accuracy (%), 12 epochs"),
    (
        "cifar100/valid@12",
        "cifar100 validation accuracy (%), 12 epochs",
    ),
    ("cifar100/test@12", "cifar100 test accuracy (%), 12 epochs"),
    (
        "ImageNet16-120/valid@12",
        "ImageNet16-120 validation accuracy (%), 12 epochs",
    ),
    (
        "ImageNet16-120/test@12",
        "ImageNet16-120 test accuracy (%), 12 epochs",
    ),
    ("params", "parameters (millions), CIFAR-10 network"),
    ("naswot", "NASWOT score"),
];

impl GroundTruth<Nb201Arch> for Nb201Table {
    fn metrics(&self) -> Vec<(String, String)> {
        METRICS
            .iter()
            .map(|(n, d)| ((*n).to_owned(), (*d).to_owned()))
            .collect()
    }

    fn metric(&self, arch: &Nb201Arch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let record = &self.records()[Nb201Space::new().index_of(arch)];
        Ok(match metric {
            "cifar10-valid/valid@200" => Some(record.cifar10_valid.valid_mean()),
            "cifar10-valid/test@200" => record.cifar10_valid_test200,
            "cifar10/test@200" => record.cifar10_test200,
            "cifar100/valid@200" => Some(record.cifar100.valid_mean()),
            "ImageNet16-120/valid@200" => Some(record.imagenet16.valid_mean()),
            "cifar10-valid/valid@12" => record.valid12[0],
            "cifar10/test@12" => record.test12[0],
            "cifar100/valid@12" => record.valid12[1],
            "cifar100/test@12" => record.test12[1],
            "ImageNet16-120/valid@12" => record.valid12[2],
            "ImageNet16-120/test@12" => record.test12[2],
            "params" => Some(record.cifar10_valid.params_m),
            "naswot" => record.naswot,
            _ => {
                return Err(EvaluationError::UnknownMetric {
                    benchmark: "nb201".to_owned(),
                    metric: metric.to_owned(),
                    available: METRICS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
        })
    }
}
