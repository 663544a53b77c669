//! Gradient-boosted regression trees in the XGBoost form (second-order leaf
//! values with an L2 penalty, row and column subsampling, shrinkage).

use oxinas_core::seed::rng_from_seed;

use crate::error::hyper;
use crate::predictor::{check_rows, check_training};
use crate::regression_tree::{RegressionTree, TreeSettings, subsample};
use crate::{Prediction, Predictor, PredictorError, Standardizer};

/// Hyperparameters of [`GradientBoosting`] (NASLib's XGBoost defaults where they apply).
#[derive(Clone, Debug, PartialEq)]
pub struct GradientBoostingConfig {
    /// Boosting rounds.
    pub rounds: usize,
    /// Shrinkage per round.
    pub learning_rate: f64,
    /// Maximum depth of each tree.
    pub max_depth: usize,
    /// Minimum points per leaf.
    pub min_samples_leaf: usize,
    /// L2 penalty on leaf values.
    pub lambda: f64,
    /// Fraction of rows per round (0, 1].
    pub subsample: f64,
    /// Fraction of features per tree (0, 1].
    pub colsample: f64,
}

impl Default for GradientBoostingConfig {
    fn default() -> Self {
        Self {
            rounds: 500,
            learning_rate: 0.05,
            max_depth: 6,
            min_samples_leaf: 1,
            lambda: 1.0,
            subsample: 0.8,
            colsample: 0.8,
        }
    }
}

/// Boosted trees on squared error. A point predictor: it reports no
/// uncertainty (`std` is 0 and [`Predictor::has_uncertainty`] is false), so
/// studies leave it out of calibration; [`crate::NgBoost`] is the boosted
/// model with a predictive distribution.
#[derive(Clone, Debug)]
pub struct GradientBoosting {
    config: GradientBoostingConfig,
    seed: u64,
    fitted: Option<(Standardizer, Vec<RegressionTree>, usize)>,
}

const NAME: &str = "gbdt";

/// Checks the hyperparameters shared by the boosting predictors.
pub(crate) fn check_boosting(
    name: &'static str,
    rounds: usize,
    learning_rate: f64,
    subsample: f64,
    colsample: f64,
) -> Result<(), PredictorError> {
    if rounds == 0 {
        return Err(hyper(name, "rounds", "at least 1"));
    }
    if !(learning_rate > 0.0 && learning_rate <= 1.0) {
        return Err(hyper(name, "learning_rate", "in (0, 1]"));
    }
    if !(subsample > 0.0 && subsample <= 1.0) {
        return Err(hyper(name, "subsample", "in (0, 1]"));
    }
    if !(colsample > 0.0 && colsample <= 1.0) {
        return Err(hyper(name, "colsample", "in (0, 1]"));
    }
    Ok(())
}

impl GradientBoosting {
    /// Validates `config`.
    pub fn new(config: GradientBoostingConfig, seed: u64) -> Result<Self, PredictorError> {
        check_boosting(
            NAME,
            config.rounds,
            config.learning_rate,
            config.subsample,
            config.colsample,
        )?;
        if config.min_samples_leaf == 0 {
            return Err(hyper(NAME, "min_samples_leaf", "at least 1"));
        }
        if config.lambda.is_nan() || config.lambda < 0.0 {
            return Err(hyper(NAME, "lambda", "non-negative"));
        }
        Ok(Self {
            config,
            seed,
            fitted: None,
        })
    }
}

impl Predictor<Vec<f64>> for GradientBoosting {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, inputs: &[Vec<f64>], targets: &[f64]) -> Result<(), PredictorError> {
        let width = check_training(NAME, inputs, targets, 2)?;
        let scale = Standardizer::fit(targets);
        let y: Vec<f64> = targets.iter().map(|&v| scale.forward(v)).collect();
        let n = y.len();
        let mut rng = rng_from_seed(self.seed);
        let mut f = vec![0.0; n];
        let h = vec![1.0; n];
        let mut trees = Vec::with_capacity(self.config.rounds);
        let settings = TreeSettings {
            max_depth: self.config.max_depth,
            min_samples_leaf: self.config.min_samples_leaf,
            max_features: Some(((width as f64 * self.config.colsample).ceil() as usize).max(1)),
            lambda: self.config.lambda,
        };
        for _ in 0..self.config.rounds {
            let g: Vec<f64> = f.iter().zip(&y).map(|(p, t)| p - t).collect();
            let rows = subsample(
                n,
                (n as f64 * self.config.subsample).ceil() as usize,
                &mut rng,
            );
            let tree = RegressionTree::fit(inputs, &g, &h, &rows, &settings, &mut rng);
            for (fi, x) in f.iter_mut().zip(inputs) {
                *fi += self.config.learning_rate * tree.predict(x);
            }
            trees.push(tree);
        }
        self.fitted = Some((scale, trees, width));
        Ok(())
    }

    fn predict(&self, inputs: &[Vec<f64>]) -> Result<Vec<Prediction>, PredictorError> {
        let (scale, trees, width) = self
            .fitted
            .as_ref()
            .ok_or(PredictorError::NotFitted { predictor: NAME })?;
        check_rows(NAME, inputs, *width)?;
        Ok(inputs
            .iter()
            .map(|x| {
                let z: f64 =
                    trees.iter().map(|t| t.predict(x)).sum::<f64>() * self.config.learning_rate;
                Prediction::point(scale.inverse(z))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::learn_binary;

    #[test]
    fn learns_a_linear_function() {
        let mut p = GradientBoosting::new(GradientBoostingConfig::default(), 1).unwrap();
        let (tau, _, _) = learn_binary(&mut p, 20);
        assert!(tau > 0.6, "tau {tau}");
        assert!(
            GradientBoosting::new(
                GradientBoostingConfig {
                    subsample: 0.0,
                    ..Default::default()
                },
                0
            )
            .is_err()
        );
    }
}
