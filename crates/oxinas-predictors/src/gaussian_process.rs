//! Gaussian-process regression on encodings, with the kernel's length scale
//! and the noise level chosen by maximising the marginal likelihood.

use crate::cholesky::{cholesky_with_jitter, solve_cholesky, solve_lower};
use crate::error::hyper;
use crate::predictor::{check_rows, check_training};
use crate::{Prediction, Predictor, PredictorError, Standardizer};

/// The covariance function of [`GaussianProcess`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kernel {
    /// `exp(-r^2 / 2l^2)`.
    Rbf,
    /// Matérn 5/2: `(1 + s + s^2/3) exp(-s)`, `s = sqrt(5) r / l`.
    Matern52,
}

impl Kernel {
    fn correlation(self, sq_dist: f64, length: f64) -> f64 {
        match self {
            Kernel::Rbf => (-sq_dist / (2.0 * length * length)).exp(),
            Kernel::Matern52 => {
                let s = 5f64.sqrt() * sq_dist.sqrt() / length;
                (1.0 + s + s * s / 3.0) * (-s).exp()
            }
        }
    }
}

/// Hyperparameters of [`GaussianProcess`].
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianProcessConfig {
    /// Covariance function.
    pub kernel: Kernel,
    /// Candidate length scales, as multiples of the median pairwise distance
    /// of the training inputs.
    pub length_scale_grid: Vec<f64>,
    /// Candidate noise-to-signal variance ratios.
    pub noise_grid: Vec<f64>,
}

impl Default for GaussianProcessConfig {
    fn default() -> Self {
        Self {
            kernel: Kernel::Matern52,
            length_scale_grid: vec![0.25, 0.35, 0.5, 0.7, 1.0, 1.4, 2.0, 3.0, 5.0],
            noise_grid: vec![1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0],
        }
    }
}

#[derive(Clone, Debug)]
struct Fitted {
    x: Vec<Vec<f64>>,
    y_scale: Standardizer,
    length: f64,
    signal: f64,
    noise_ratio: f64,
    factor: Vec<f64>,
    alpha: Vec<f64>,
}

/// A zero-mean GP on standardized targets; the signal variance is profiled
/// out analytically and (length scale, noise ratio) is the grid point of
/// highest marginal likelihood.
#[derive(Clone, Debug)]
pub struct GaussianProcess {
    config: GaussianProcessConfig,
    fitted: Option<Fitted>,
}

const NAME: &str = "gp";

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

impl GaussianProcess {
    /// Validates `config` (non-empty grids of positive values).
    pub fn new(config: GaussianProcessConfig) -> Result<Self, PredictorError> {
        for (field, grid) in [
            ("length_scale_grid", &config.length_scale_grid),
            ("noise_grid", &config.noise_grid),
        ] {
            if grid.is_empty() || grid.iter().any(|v| !(*v > 0.0 && v.is_finite())) {
                return Err(hyper(NAME, field, "a non-empty list of positive numbers"));
            }
        }
        Ok(Self {
            config,
            fitted: None,
        })
    }

    /// The chosen (length scale, noise ratio) after `fit`.
    pub fn hyperparameters(&self) -> Option<(f64, f64)> {
        self.fitted.as_ref().map(|f| (f.length, f.noise_ratio))
    }
}

impl Predictor<Vec<f64>> for GaussianProcess {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, inputs: &[Vec<f64>], targets: &[f64]) -> Result<(), PredictorError> {
        check_training(NAME, inputs, targets, 2)?;
        let n = inputs.len();
        let y_scale = Standardizer::fit(targets);
        let y: Vec<f64> = targets.iter().map(|&v| y_scale.forward(v)).collect();
        let mut d2 = vec![0.0; n * n];
        let mut off_diag = Vec::with_capacity(n * (n - 1) / 2);
        for i in 0..n {
            for j in 0..i {
                let d = sq_dist(&inputs[i], &inputs[j]);
                d2[i * n + j] = d;
                d2[j * n + i] = d;
                off_diag.push(d.sqrt());
            }
        }
        off_diag.sort_by(f64::total_cmp);
        let median = off_diag
            .iter()
            .copied()
            .find(|d| *d > 0.0)
            .map(|first_pos| off_diag[off_diag.len() / 2].max(first_pos))
            .unwrap_or(1.0);
        let mut best: Option<(f64, Fitted)> = None;
        for &ls in &self.config.length_scale_grid {
            let length = ls * median;
            let corr: Vec<f64> = d2
                .iter()
                .map(|&d| self.config.kernel.correlation(d, length))
                .collect();
            for &noise_ratio in &self.config.noise_grid {
                let mut k = corr.clone();
                for i in 0..n {
                    k[i * n + i] += noise_ratio;
                }
                let Some(factor) = cholesky_with_jitter(&k, n) else {
                    continue;
                };
                let beta = solve_cholesky(&factor, n, &y);
                // Profiled signal variance s2 = yᵀ R⁻¹ y / n.
                let quad: f64 = y.iter().zip(&beta).map(|(a, b)| a * b).sum();
                let signal = (quad / n as f64).max(1e-12);
                let log_det: f64 = (0..n).map(|i| factor[i * n + i].ln()).sum::<f64>() * 2.0;
                let log_ml = -0.5 * (n as f64) * signal.ln() - 0.5 * log_det;
                if best.as_ref().is_none_or(|(b, _)| log_ml > *b) {
                    let alpha = beta;
                    best = Some((
                        log_ml,
                        Fitted {
                            x: inputs.to_vec(),
                            y_scale,
                            length,
                            signal,
                            noise_ratio,
                            factor,
                            alpha,
                        },
                    ));
                }
            }
        }
        let (_, fitted) = best.ok_or(PredictorError::Numerical {
            predictor: NAME,
            message: "no grid point gave a positive definite kernel matrix".into(),
        })?;
        self.fitted = Some(fitted);
        Ok(())
    }

    fn predict(&self, inputs: &[Vec<f64>]) -> Result<Vec<Prediction>, PredictorError> {
        let f = self
            .fitted
            .as_ref()
            .ok_or(PredictorError::NotFitted { predictor: NAME })?;
        check_rows(NAME, inputs, f.x[0].len())?;
        let n = f.x.len();
        Ok(inputs
            .iter()
            .map(|row| {
                let k: Vec<f64> =
                    f.x.iter()
                        .map(|xi| self.config.kernel.correlation(sq_dist(xi, row), f.length))
                        .collect();
                let mean: f64 = k.iter().zip(&f.alpha).map(|(a, b)| a * b).sum();
                let v = solve_lower(&f.factor, n, &k);
                let reduction: f64 = v.iter().map(|a| a * a).sum();
                // Predictive variance of the observed value (latent + noise).
                let var = f.signal * ((1.0 - reduction).max(0.0) + f.noise_ratio);
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
    fn learns_a_linear_function_with_calibrated_bands() {
        for kernel in [Kernel::Rbf, Kernel::Matern52] {
            let mut p = GaussianProcess::new(GaussianProcessConfig {
                kernel,
                ..GaussianProcessConfig::default()
            })
            .unwrap();
            let (tau, pred, truth) = learn_binary(&mut p, 20);
            assert!(tau > 0.75, "{kernel:?} tau {tau}");
            let c = coverage(&pred, &truth);
            assert!((0.5..=0.95).contains(&c), "{kernel:?} 1-sigma coverage {c}");
        }
        assert!(
            GaussianProcess::new(GaussianProcessConfig {
                noise_grid: vec![],
                ..GaussianProcessConfig::default()
            })
            .is_err()
        );
    }
}
