//! NGBoost: boosting of a Gaussian's mean and log standard deviation along the
//! natural gradient of the negative log-likelihood (Duan et al., 2020).

use oxinas_core::seed::rng_from_seed;

use crate::error::hyper;
use crate::gradient_boosting::check_boosting;
use crate::predictor::{check_rows, check_training};
use crate::regression_tree::{RegressionTree, TreeSettings, subsample};
use crate::{Prediction, Predictor, PredictorError, Standardizer};

/// Hyperparameters of [`NgBoost`] (NGBoost's defaults: 500 rounds, rate 0.01
/// on depth-3 trees; OMNI uses this learner).
#[derive(Clone, Debug, PartialEq)]
pub struct NgBoostConfig {
    /// Boosting rounds.
    pub rounds: usize,
    /// Shrinkage per round.
    pub learning_rate: f64,
    /// Depth of the base trees.
    pub max_depth: usize,
    /// Minimum points per leaf.
    pub min_samples_leaf: usize,
    /// Fraction of rows per round.
    pub subsample: f64,
    /// Fraction of features per tree.
    pub colsample: f64,
}

impl Default for NgBoostConfig {
    fn default() -> Self {
        Self {
            rounds: 500,
            learning_rate: 0.01,
            max_depth: 3,
            min_samples_leaf: 2,
            subsample: 0.8,
            colsample: 1.0,
        }
    }
}

#[derive(Clone, Debug)]
struct Stage {
    mean_tree: RegressionTree,
    log_std_tree: RegressionTree,
    /// Line-search scaling of this stage's step.
    scale: f64,
}

#[derive(Clone, Debug)]
struct Fitted {
    y_scale: Standardizer,
    init: (f64, f64),
    stages: Vec<Stage>,
    width: usize,
}

/// NGBoost with a Gaussian output distribution.
#[derive(Clone, Debug)]
pub struct NgBoost {
    config: NgBoostConfig,
    seed: u64,
    fitted: Option<Fitted>,
}

const NAME: &str = "ngboost";

fn nll(mu: &[f64], log_sigma: &[f64], y: &[f64]) -> f64 {
    mu.iter()
        .zip(log_sigma)
        .zip(y)
        .map(|((m, s), t)| s + 0.5 * ((t - m) * (-s).exp()).powi(2))
        .sum()
}

impl NgBoost {
    /// Validates `config`.
    pub fn new(config: NgBoostConfig, seed: u64) -> Result<Self, PredictorError> {
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
        Ok(Self {
            config,
            seed,
            fitted: None,
        })
    }
}

impl Predictor<Vec<f64>> for NgBoost {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, inputs: &[Vec<f64>], targets: &[f64]) -> Result<(), PredictorError> {
        let width = check_training(NAME, inputs, targets, 2)?;
        let y_scale = Standardizer::fit(targets);
        let y: Vec<f64> = targets.iter().map(|&v| y_scale.forward(v)).collect();
        let n = y.len();
        // Standardized targets: the marginal fit is mean 0, std 1.
        let init: (f64, f64) = (0.0, 0.0);
        let mut mu = vec![init.0; n];
        let mut ls: Vec<f64> = vec![init.1; n];
        let mut rng = rng_from_seed(self.seed);
        let settings = TreeSettings {
            max_depth: self.config.max_depth,
            min_samples_leaf: self.config.min_samples_leaf,
            max_features: Some(((width as f64 * self.config.colsample).ceil() as usize).max(1)),
            lambda: 0.0,
        };
        let h = vec![1.0; n];
        let mut stages = Vec::with_capacity(self.config.rounds);
        for _ in 0..self.config.rounds {
            // Natural gradient of the NLL in (mu, log sigma): the Fisher
            // information is diag(1/sigma^2, 2), so the step is
            // (y - mu, ((y - mu)^2 / sigma^2 - 1) / 2) (descent direction).
            let mut g_mu = vec![0.0; n];
            let mut g_ls = vec![0.0; n];
            for i in 0..n {
                let r = y[i] - mu[i];
                let s2 = (2.0 * ls[i]).exp();
                g_mu[i] = -r; // tree fits -gradient through leaf = -G/H
                g_ls[i] = -0.5 * (r * r / s2 - 1.0);
            }
            let rows = subsample(
                n,
                (n as f64 * self.config.subsample).ceil() as usize,
                &mut rng,
            );
            let mean_tree = RegressionTree::fit(inputs, &g_mu, &h, &rows, &settings, &mut rng);
            let log_std_tree = RegressionTree::fit(inputs, &g_ls, &h, &rows, &settings, &mut rng);
            let d_mu: Vec<f64> = inputs.iter().map(|x| mean_tree.predict(x)).collect();
            let d_ls: Vec<f64> = inputs.iter().map(|x| log_std_tree.predict(x)).collect();
            // Line search: halve from 1 until the NLL does not increase (as NGBoost does).
            let base = nll(&mu, &ls, &y);
            let mut scale = 1.0;
            loop {
                let m2: Vec<f64> = mu.iter().zip(&d_mu).map(|(a, b)| a + scale * b).collect();
                let l2: Vec<f64> = ls.iter().zip(&d_ls).map(|(a, b)| a + scale * b).collect();
                if nll(&m2, &l2, &y) <= base || scale < 1.0 / 256.0 {
                    break;
                }
                scale *= 0.5;
            }
            let step = scale * self.config.learning_rate;
            for i in 0..n {
                mu[i] += step * d_mu[i];
                ls[i] = (ls[i] + step * d_ls[i]).clamp(-7.0, 3.0);
            }
            stages.push(Stage {
                mean_tree,
                log_std_tree,
                scale: step,
            });
        }
        self.fitted = Some(Fitted {
            y_scale,
            init,
            stages,
            width,
        });
        Ok(())
    }

    fn predict(&self, inputs: &[Vec<f64>]) -> Result<Vec<Prediction>, PredictorError> {
        let f = self
            .fitted
            .as_ref()
            .ok_or(PredictorError::NotFitted { predictor: NAME })?;
        check_rows(NAME, inputs, f.width)?;
        Ok(inputs
            .iter()
            .map(|x| {
                let (mut mu, mut ls) = f.init;
                for s in &f.stages {
                    mu += s.scale * s.mean_tree.predict(x);
                    ls = (ls + s.scale * s.log_std_tree.predict(x)).clamp(-7.0, 3.0);
                }
                Prediction {
                    mean: f.y_scale.inverse(mu),
                    std: ls.exp() * f.y_scale.std,
                }
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
    use crate::synthetic::{coverage, learn_binary};

    #[test]
    fn learns_a_linear_function_with_a_gaussian_output() {
        let mut p = NgBoost::new(NgBoostConfig::default(), 1).unwrap();
        let (tau, pred, truth) = learn_binary(&mut p, 20);
        assert!(tau > 0.6, "tau {tau}");
        let c = coverage(&pred, &truth);
        assert!((0.3..=0.98).contains(&c), "coverage {c}");
        assert!(
            NgBoost::new(
                NgBoostConfig {
                    learning_rate: 2.0,
                    ..Default::default()
                },
                0
            )
            .is_err()
        );
    }
}
