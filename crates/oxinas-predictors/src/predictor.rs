//! The interface every predictor implements.

use crate::PredictorError;

/// A predicted value with its uncertainty.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// Predicted mean.
    pub mean: f64,
    /// Predicted standard deviation (0 for predictors without uncertainty).
    pub std: f64,
}

impl Prediction {
    /// A prediction without uncertainty.
    pub fn point(mean: f64) -> Self {
        Self { mean, std: 0.0 }
    }
}

/// A performance predictor over inputs of type `I` (feature vectors, graph
/// tensors, architectures through an encoding, study records).
///
/// Hyperparameters and the seed are given at construction and validated there;
/// `fit` replaces whatever an earlier `fit` learned, and the same seed and data
/// give bit-identical predictions on any number of threads.
pub trait Predictor<I>: Send + Sync {
    /// The predictor's name, as used in configs and tables.
    fn name(&self) -> &'static str;

    /// Learns from `inputs` and their `targets` (same length).
    fn fit(&mut self, inputs: &[I], targets: &[f64]) -> Result<(), PredictorError>;

    /// Predicts mean and standard deviation for each input.
    fn predict(&self, inputs: &[I]) -> Result<Vec<Prediction>, PredictorError>;

    /// Whether [`Prediction::std`] carries a meaningful uncertainty.
    fn has_uncertainty(&self) -> bool {
        false
    }

    /// Whether the predictor learns from the training set (`false` for
    /// zero-training baselines and learning-curve extrapolation, whose `fit`
    /// only checks its inputs).
    fn needs_training(&self) -> bool {
        true
    }
}

impl<I, P: Predictor<I> + ?Sized> Predictor<I> for Box<P> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn fit(&mut self, inputs: &[I], targets: &[f64]) -> Result<(), PredictorError> {
        (**self).fit(inputs, targets)
    }
    fn predict(&self, inputs: &[I]) -> Result<Vec<Prediction>, PredictorError> {
        (**self).predict(inputs)
    }
    fn has_uncertainty(&self) -> bool {
        (**self).has_uncertainty()
    }
    fn needs_training(&self) -> bool {
        (**self).needs_training()
    }
}

/// Checks a training set of feature rows: equal lengths, equal widths, finite
/// values, at least `needed` points. Returns the width.
pub(crate) fn check_training(
    predictor: &'static str,
    inputs: &[Vec<f64>],
    targets: &[f64],
    needed: usize,
) -> Result<usize, PredictorError> {
    if inputs.len() != targets.len() {
        return Err(PredictorError::Shape {
            predictor,
            message: format!("{} inputs but {} targets", inputs.len(), targets.len()),
        });
    }
    if inputs.len() < needed {
        return Err(PredictorError::TooFewPoints {
            predictor,
            needed,
            got: inputs.len(),
        });
    }
    if let Some(row) = targets.iter().position(|t| !t.is_finite()) {
        return Err(PredictorError::NonFinite {
            predictor,
            what: "target",
            row,
        });
    }
    check_rows(predictor, inputs, inputs[0].len())?;
    Ok(inputs[0].len())
}

/// Checks that every row has `width` finite entries.
pub(crate) fn check_rows(
    predictor: &'static str,
    inputs: &[Vec<f64>],
    width: usize,
) -> Result<(), PredictorError> {
    for (row, x) in inputs.iter().enumerate() {
        if x.len() != width {
            return Err(PredictorError::Shape {
                predictor,
                message: format!("row {row} has {} features, expected {width}", x.len()),
            });
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(PredictorError::NonFinite {
                predictor,
                what: "feature",
                row,
            });
        }
    }
    Ok(())
}
