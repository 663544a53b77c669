//! Bayesian linear regression with evidence-maximised prior and noise
//! precisions (MacKay's fixed-point updates); BONAS uses it as the head on
//! GCN embeddings.

use crate::cholesky::{cholesky_with_jitter, solve_cholesky, solve_lower};
use crate::error::hyper;
use crate::predictor::{check_rows, check_training};
use crate::standardizer::ColumnStandardizer;
use crate::{Prediction, Predictor, PredictorError, Standardizer};

/// Hyperparameters of [`BayesianLinearRegression`].
#[derive(Clone, Debug, PartialEq)]
pub struct BayesianLinearRegressionConfig {
    /// Starting prior precision of the weights.
    pub alpha: f64,
    /// Starting noise precision.
    pub beta: f64,
    /// Evidence-maximisation iterations (0 keeps the starting values).
    pub iterations: usize,
    /// Stop early once both precisions change by less than this relative
    /// amount in one iteration (0 runs every iteration).
    pub tolerance: f64,
    /// Append a constant feature (a bias weight).
    pub intercept: bool,
    /// Standardize each feature column and the targets before fitting.
    pub standardize: bool,
}

impl Default for BayesianLinearRegressionConfig {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            beta: 10.0,
            iterations: 50,
            tolerance: 0.0,
            intercept: true,
            standardize: true,
        }
    }
}

impl BayesianLinearRegressionConfig {
    /// The regression of the BONAS authors' code (`BO_tools/alpha_beta.py`,
    /// `linear_regressor.py`): raw features without an intercept, raw
    /// targets, both precisions starting at 1e-5, at most 200 evidence
    /// iterations with relative tolerance 1e-5.
    pub fn bonas() -> Self {
        Self {
            alpha: 1e-5,
            beta: 1e-5,
            iterations: 200,
            tolerance: 1e-5,
            intercept: false,
            standardize: false,
        }
    }
}

#[derive(Clone, Debug)]
struct Fitted {
    inputs: Option<ColumnStandardizer>,
    intercept: bool,
    y_scale: Standardizer,
    mean: Vec<f64>,
    factor: Vec<f64>,
    beta: f64,
    dim: usize,
    width: usize,
}

/// Bayesian linear regression on standardized features plus a bias.
#[derive(Clone, Debug)]
pub struct BayesianLinearRegression {
    config: BayesianLinearRegressionConfig,
    fitted: Option<Fitted>,
}

const NAME: &str = "blr";

impl BayesianLinearRegression {
    /// Validates `config` (positive precisions).
    pub fn new(config: BayesianLinearRegressionConfig) -> Result<Self, PredictorError> {
        if !(config.alpha > 0.0 && config.alpha.is_finite()) {
            return Err(hyper(NAME, "alpha", "positive"));
        }
        if !(config.beta > 0.0 && config.beta.is_finite()) {
            return Err(hyper(NAME, "beta", "positive"));
        }
        if !(config.tolerance >= 0.0 && config.tolerance.is_finite()) {
            return Err(hyper(NAME, "tolerance", "a finite number >= 0"));
        }
        Ok(Self {
            config,
            fitted: None,
        })
    }

    /// The fitted noise precision (of standardized targets).
    pub fn noise_precision(&self) -> Option<f64> {
        self.fitted.as_ref().map(|f| f.beta)
    }
}

/// The design row of `row`: standardized when asked, with a trailing 1 for
/// the intercept when asked.
fn design_row(row: &[f64], inputs: Option<&ColumnStandardizer>, intercept: bool) -> Vec<f64> {
    let mut v = match inputs {
        Some(s) => s.transform(row),
        None => row.to_vec(),
    };
    if intercept {
        v.push(1.0);
    }
    v
}

impl Predictor<Vec<f64>> for BayesianLinearRegression {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, inputs: &[Vec<f64>], targets: &[f64]) -> Result<(), PredictorError> {
        let width = check_training(NAME, inputs, targets, 2)?;
        let standardize = self.config.standardize;
        let intercept = self.config.intercept;
        let standardizer = standardize.then(|| ColumnStandardizer::fit(inputs));
        let phi: Vec<Vec<f64>> = inputs
            .iter()
            .map(|r| design_row(r, standardizer.as_ref(), intercept))
            .collect();
        let y_scale = if standardize {
            Standardizer::fit(targets)
        } else {
            Standardizer {
                mean: 0.0,
                std: 1.0,
            }
        };
        let y: Vec<f64> = targets.iter().map(|&v| y_scale.forward(v)).collect();
        let n = phi.len();
        let d = width + usize::from(intercept);
        let mut gram = vec![0.0; d * d];
        let mut phity = vec![0.0; d];
        for (row, &t) in phi.iter().zip(&y) {
            for i in 0..d {
                phity[i] += row[i] * t;
                for j in 0..=i {
                    gram[i * d + j] += row[i] * row[j];
                }
            }
        }
        for i in 0..d {
            for j in 0..i {
                gram[j * d + i] = gram[i * d + j];
            }
        }
        // The posterior mean and the Cholesky factor of its precision.
        let posterior = |alpha: f64, beta: f64| {
            let mut a = gram.iter().map(|g| beta * g).collect::<Vec<_>>();
            for i in 0..d {
                a[i * d + i] += alpha;
            }
            let factor = cholesky_with_jitter(&a, d).ok_or(PredictorError::Numerical {
                predictor: NAME,
                message: format!(
                    "posterior precision not positive definite (alpha {alpha}, beta {beta})"
                ),
            })?;
            let rhs: Vec<f64> = phity.iter().map(|v| beta * v).collect();
            Ok::<_, PredictorError>((solve_cholesky(&factor, d, &rhs), factor))
        };
        let tolerance = self.config.tolerance;
        let settled = |new: f64, old: f64| (new - old).abs() <= tolerance * old.abs();
        let (mut alpha, mut beta) = (self.config.alpha, self.config.beta);
        let mut solution = None;
        for iteration in 0..=self.config.iterations {
            let (mean, factor) = posterior(alpha, beta)?;
            if iteration == self.config.iterations {
                solution = Some((mean, factor));
                break;
            }
            // gamma = d - alpha * trace(A^-1): effective number of parameters.
            let mut trace_inv = 0.0;
            let mut unit = vec![0.0; d];
            for i in 0..d {
                unit.iter_mut().for_each(|u| *u = 0.0);
                unit[i] = 1.0;
                let col = solve_lower(&factor, d, &unit);
                trace_inv += col.iter().map(|c| c * c).sum::<f64>();
            }
            let gamma = (d as f64 - alpha * trace_inv).clamp(1e-6, d as f64);
            let m2: f64 = mean.iter().map(|m| m * m).sum();
            let residual: f64 = phi
                .iter()
                .zip(&y)
                .map(|(r, t)| {
                    let p: f64 = r.iter().zip(&mean).map(|(a, b)| a * b).sum();
                    (t - p) * (t - p)
                })
                .sum();
            let (previous_alpha, previous_beta) = (alpha, beta);
            alpha = (gamma / m2.max(1e-12)).clamp(1e-6, 1e6);
            beta = ((n as f64 - gamma).max(1e-6) / residual.max(1e-12)).clamp(1e-6, 1e6);
            if tolerance > 0.0 && settled(alpha, previous_alpha) && settled(beta, previous_beta) {
                solution = Some(posterior(alpha, beta)?);
                break;
            }
        }
        let (mean, factor) = solution.ok_or(PredictorError::Numerical {
            predictor: NAME,
            message: "no solution".into(),
        })?;
        self.fitted = Some(Fitted {
            inputs: standardizer,
            intercept,
            y_scale,
            mean,
            factor,
            beta,
            dim: d,
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
            .map(|row| {
                let phi = design_row(row, f.inputs.as_ref(), f.intercept);
                let mean: f64 = phi.iter().zip(&f.mean).map(|(a, b)| a * b).sum();
                let v = solve_lower(&f.factor, f.dim, &phi);
                let var = 1.0 / f.beta + v.iter().map(|a| a * a).sum::<f64>();
                Prediction {
                    mean: f.y_scale.inverse(mean),
                    std: var.sqrt() * f.y_scale.std,
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
    fn bonas_regression_has_no_intercept_and_raw_units() {
        // y = 3 x0 - 2 x1 + 0.01 e, e a fixed +-1 pattern: a line through the
        // origin, which the regression without intercept recovers in the
        // raw units, its noise precision near 1 / 0.01^2.
        let inputs: Vec<Vec<f64>> = (0..40)
            .map(|i| vec![f64::from(i % 7) - 3.0, f64::from(i % 5) * 0.5])
            .collect();
        let targets: Vec<f64> = inputs
            .iter()
            .enumerate()
            .map(|(i, x)| 3.0 * x[0] - 2.0 * x[1] + if i % 2 == 0 { 0.01 } else { -0.01 })
            .collect();
        let mut p = BayesianLinearRegression::new(BayesianLinearRegressionConfig::bonas()).unwrap();
        p.fit(&inputs, &targets).unwrap();
        let fitted = p.fitted.as_ref().unwrap();
        assert_eq!(fitted.dim, 2, "no intercept column");
        assert!((fitted.mean[0] - 3.0).abs() < 1e-2, "{:?}", fitted.mean);
        assert!((fitted.mean[1] + 2.0).abs() < 1e-2, "{:?}", fitted.mean);
        let prediction = p.predict(&[vec![1.0, 1.0]]).unwrap()[0];
        assert!((prediction.mean - 1.0).abs() < 1e-2, "{prediction:?}");
        let beta = p.noise_precision().unwrap();
        assert!((2_000.0..20_000.0).contains(&beta), "beta {beta}");
    }

    #[test]
    fn learns_a_linear_function_with_calibrated_bands() {
        let mut p =
            BayesianLinearRegression::new(BayesianLinearRegressionConfig::default()).unwrap();
        let (tau, pred, truth) = learn_binary(&mut p, 20);
        assert!(tau > 0.8, "tau {tau}");
        let c = coverage(&pred, &truth);
        assert!((0.5..=0.95).contains(&c), "coverage {c}");
        assert!(
            BayesianLinearRegression::new(BayesianLinearRegressionConfig {
                alpha: 0.0,
                ..Default::default()
            })
            .is_err()
        );
    }
}
