//! Random forest regression: bagged CART trees with random feature subsets;
//! the spread of the trees is the uncertainty.

use rayon::prelude::*;

use oxinas_core::seed::{derive_seed, rng_from_seed};

use crate::error::hyper;
use crate::mlp_ensemble::mean_std;
use crate::predictor::{check_rows, check_training};
use crate::regression_tree::{RegressionTree, TreeSettings, bootstrap};
use crate::{Prediction, Predictor, PredictorError};

/// Hyperparameters of [`RandomForest`] (scikit-learn-like defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct RandomForestConfig {
    /// Number of trees.
    pub trees: usize,
    /// Maximum depth of each tree.
    pub max_depth: usize,
    /// Minimum points per leaf.
    pub min_samples_leaf: usize,
    /// Fraction of features tried per split (0, 1].
    pub max_features_fraction: f64,
}

impl Default for RandomForestConfig {
    fn default() -> Self {
        Self {
            trees: 100,
            max_depth: 20,
            min_samples_leaf: 1,
            max_features_fraction: 0.5,
        }
    }
}

/// A random forest on feature vectors.
#[derive(Clone, Debug)]
pub struct RandomForest {
    config: RandomForestConfig,
    seed: u64,
    trees: Vec<RegressionTree>,
    width: usize,
}

const NAME: &str = "rf";

impl RandomForest {
    /// Validates `config`.
    pub fn new(config: RandomForestConfig, seed: u64) -> Result<Self, PredictorError> {
        if config.trees == 0 {
            return Err(hyper(NAME, "trees", "at least 1"));
        }
        if config.min_samples_leaf == 0 {
            return Err(hyper(NAME, "min_samples_leaf", "at least 1"));
        }
        if !(config.max_features_fraction > 0.0 && config.max_features_fraction <= 1.0) {
            return Err(hyper(NAME, "max_features_fraction", "in (0, 1]"));
        }
        Ok(Self {
            config,
            seed,
            trees: Vec::new(),
            width: 0,
        })
    }
}

impl Predictor<Vec<f64>> for RandomForest {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, inputs: &[Vec<f64>], targets: &[f64]) -> Result<(), PredictorError> {
        let width = check_training(NAME, inputs, targets, 2)?;
        let g: Vec<f64> = targets.iter().map(|v| -v).collect();
        let h = vec![1.0; targets.len()];
        let settings = TreeSettings {
            max_depth: self.config.max_depth,
            min_samples_leaf: self.config.min_samples_leaf,
            max_features: Some(
                ((width as f64 * self.config.max_features_fraction).ceil() as usize).max(1),
            ),
            lambda: 0.0,
        };
        self.trees = (0..self.config.trees)
            .into_par_iter()
            .map(|t| {
                let mut rng = rng_from_seed(derive_seed(self.seed, &[t as u64]));
                let rows = bootstrap(inputs.len(), &mut rng);
                RegressionTree::fit(inputs, &g, &h, &rows, &settings, &mut rng)
            })
            .collect();
        self.width = width;
        Ok(())
    }

    fn predict(&self, inputs: &[Vec<f64>]) -> Result<Vec<Prediction>, PredictorError> {
        if self.trees.is_empty() {
            return Err(PredictorError::NotFitted { predictor: NAME });
        }
        check_rows(NAME, inputs, self.width)?;
        Ok(inputs
            .iter()
            .map(|row| {
                let outs: Vec<f64> = self.trees.iter().map(|t| t.predict(row)).collect();
                mean_std(&outs)
            })
            .collect())
    }

    fn has_uncertainty(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::learn_binary;

    #[test]
    fn learns_a_linear_function() {
        let mut p = RandomForest::new(RandomForestConfig::default(), 1).unwrap();
        let (tau, pred, _) = learn_binary(&mut p, 20);
        assert!(tau > 0.5, "tau {tau}");
        assert!(pred.iter().all(|q| q.std >= 0.0) && pred.iter().any(|q| q.std > 0.0));
        assert!(
            RandomForest::new(
                RandomForestConfig {
                    trees: 0,
                    ..Default::default()
                },
                0
            )
            .is_err()
        );
    }
}
