//! NAS-Bench-301 as an evaluator: DARTS architectures scored by the YAHPO
//! Gym surrogate.

use std::path::Path;

use oxinas_core::{
    DataError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation,
    RngCore, data_root,
};
use oxinas_spaces::DartsArch;

use crate::nb301_encoding::default_encoding_path;
use crate::{NB301_EPOCHS, Nb301Encoding, Nb301Prediction, Nb301Surrogate};

/// Where the YAHPO NB301 files live under the data directory.
pub const NB301_YAHPO_DIR: &str = "nb301/yahpo_nb301";

/// The benchmark's name in reports and errors.
const NAME: &str = "nb301";

/// NAS-Bench-301 (CIFAR-10, DARTS space) through YAHPO Gym's surrogate
/// `new_model.onnx`, run in pure Rust.
///
/// [`Evaluator::evaluate`] reports the predicted validation accuracy (%) after
/// `fidelity` epochs (1..=98) and the predicted training time to that epoch as
/// cost. There is no test split: [`Evaluation::test`] is `None`.
///
/// The surrogate is deterministic. NB301's own surrogates can sample noisy
/// predictions to mimic seed variance; that noise is not modelled here, so
/// evaluating an architecture twice gives the same value and `rng` is unused.
#[derive(Clone, Debug)]
pub struct Nb301Benchmark {
    encoding: Nb301Encoding,
    surrogate: Nb301Surrogate,
}

impl Nb301Benchmark {
    /// Loads `encoding.json` and `new_model.onnx` from `dir`.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, DataError> {
        let dir = dir.as_ref();
        Ok(Self::new(
            Nb301Encoding::load(default_encoding_path(dir))?,
            Nb301Surrogate::load(dir.join("new_model.onnx"))?,
        ))
    }

    /// Loads the benchmark from `$OXINAS_DATA/nb301/yahpo_nb301`.
    pub fn from_data_root() -> Result<Self, DataError> {
        Self::load(data_root().join(NB301_YAHPO_DIR))
    }

    /// The benchmark made of an encoding and a surrogate.
    pub fn new(encoding: Nb301Encoding, surrogate: Nb301Surrogate) -> Self {
        Self {
            encoding,
            surrogate,
        }
    }

    /// The surrogate model.
    pub fn surrogate(&self) -> &Nb301Surrogate {
        &self.surrogate
    }

    /// The input encoding.
    pub fn encoding(&self) -> &Nb301Encoding {
        &self.encoding
    }

    /// Checks that `epoch` is one the surrogate was trained on.
    fn check_epoch(&self, epoch: u32) -> Result<(), EvaluationError> {
        if NB301_EPOCHS.contains(&epoch) {
            Ok(())
        } else {
            Err(EvaluationError::UnsupportedFidelity {
                benchmark: NAME.to_owned(),
                fidelity: Fidelity::epochs(epoch),
                available: "1..=98 epochs".to_owned(),
            })
        }
    }

    /// Predicts `arch` after `epoch` epochs (1..=98).
    pub fn predict(
        &self,
        arch: &DartsArch,
        epoch: u32,
    ) -> Result<Nb301Prediction, EvaluationError> {
        self.check_epoch(epoch)?;
        self.surrogate
            .predict(&self.encoding.encode(arch), epoch)
            .map_err(|e| EvaluationError::Other(format!("{NAME} surrogate: {e}")))
    }

    /// Predicts every architecture after `epoch` epochs, in one pass where the
    /// model allows (see [`Nb301Surrogate::predict_batch`]).
    pub fn predict_batch(
        &self,
        archs: &[DartsArch],
        epoch: u32,
    ) -> Result<Vec<Nb301Prediction>, EvaluationError> {
        self.check_epoch(epoch)?;
        let x_cat: Vec<_> = archs.iter().map(|a| self.encoding.encode(a)).collect();
        self.surrogate
            .predict_batch(&x_cat, &vec![epoch; archs.len()])
            .map_err(|e| EvaluationError::Other(format!("{NAME} surrogate: {e}")))
    }

    /// The predicted validation accuracy after each epoch 1..=`epochs`.
    pub fn learning_curve(
        &self,
        arch: &DartsArch,
        epochs: u32,
    ) -> Result<Vec<f64>, EvaluationError> {
        self.check_epoch(epochs)?;
        let x = self.encoding.encode(arch);
        let all: Vec<u32> = (1..=epochs).collect();
        self.surrogate
            .predict_batch(&vec![x; all.len()], &all)
            .map(|p| p.iter().map(|p| p.val_accuracy).collect())
            .map_err(|e| EvaluationError::Other(format!("{NAME} surrogate: {e}")))
    }
}

impl Evaluator<DartsArch> for Nb301Benchmark {
    fn name(&self) -> String {
        NAME.to_owned()
    }

    fn metric(&self) -> &str {
        "valid_acc"
    }

    fn goal(&self) -> Goal {
        Goal::Maximize
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        NB301_EPOCHS.map(Fidelity::epochs).collect()
    }

    fn evaluate(
        &self,
        arch: &DartsArch,
        fidelity: Fidelity,
        _rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let p = self.predict(arch, fidelity.get_epochs())?;
        Ok(Evaluation {
            observation: Observation::ok(p.val_accuracy, Goal::Maximize, p.runtime_seconds),
            test: None,
        })
    }
}

/// Splits `name@epoch` into the metric and its epoch (98 without `@`).
fn split_metric(metric: &str) -> Option<(&str, u32)> {
    match metric.split_once('@') {
        Some((name, epoch)) => epoch.parse().ok().map(|e| (name, e)),
        None => Some((metric, *NB301_EPOCHS.end())),
    }
}

impl GroundTruth<DartsArch> for Nb301Benchmark {
    fn metrics(&self) -> Vec<(String, String)> {
        vec![
            (
                "val_accuracy".to_owned(),
                "surrogate CIFAR-10 validation accuracy (%) after 98 epochs; `val_accuracy@E` for epoch E in 1..=98".to_owned(),
            ),
            (
                "runtime".to_owned(),
                "surrogate training time (s) for 98 epochs; `runtime@E` for epoch E in 1..=98".to_owned(),
            ),
        ]
    }

    fn metric(&self, arch: &DartsArch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let unknown = || EvaluationError::UnknownMetric {
            benchmark: NAME.to_owned(),
            metric: metric.to_owned(),
            available: "val_accuracy, runtime, val_accuracy@E, runtime@E (E in 1..=98)".to_owned(),
        };
        let (name, epoch) = split_metric(metric).ok_or_else(unknown)?;
        let pick: fn(&Nb301Prediction) -> f64 = match name {
            "val_accuracy" => |p| p.val_accuracy,
            "runtime" => |p| p.runtime_seconds,
            _ => return Err(unknown()),
        };
        Ok(Some(pick(&self.predict(arch, epoch)?)))
    }
}
