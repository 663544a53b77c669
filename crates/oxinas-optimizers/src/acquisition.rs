//! Acquisition functions: how a model-based optimizer ranks candidates from a
//! predicted mean and standard deviation (scores: larger is better).

use rand::Rng;
use rand::RngCore;

/// How candidates are ranked from the predictor's mean `mu` and standard
/// deviation `sigma`, given the best score observed so far `best`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Acquisition {
    /// Independent Thompson sampling (BANANAS's default): one draw from
    /// `N(mu, sigma^2)` per candidate, independently.
    ThompsonSampling,
    /// Upper confidence bound `mu + beta * sigma`.
    UpperConfidenceBound {
        /// Weight of the uncertainty.
        beta: f64,
    },
    /// Expected improvement over `best`.
    ExpectedImprovement,
    /// Probability of improving on `best`.
    ProbabilityOfImprovement,
    /// The predicted mean alone (no exploration; NPENAS-NP).
    Mean,
}

impl Acquisition {
    /// The value of each candidate; draws from `rng` only for Thompson
    /// sampling, one standard normal per candidate, in order.
    pub fn values(self, predictions: &[(f64, f64)], best: f64, rng: &mut dyn RngCore) -> Vec<f64> {
        predictions
            .iter()
            .map(|&(mu, sigma)| {
                let sigma = sigma.max(0.0);
                match self {
                    Acquisition::ThompsonSampling => mu + sigma * standard_normal(rng),
                    Acquisition::UpperConfidenceBound { beta } => mu + beta * sigma,
                    Acquisition::Mean => mu,
                    Acquisition::ExpectedImprovement => {
                        if sigma == 0.0 {
                            (mu - best).max(0.0)
                        } else {
                            let z = (mu - best) / sigma;
                            (mu - best) * normal_cdf(z) + sigma * normal_pdf(z)
                        }
                    }
                    Acquisition::ProbabilityOfImprovement => {
                        if sigma == 0.0 {
                            f64::from(u8::from(mu > best))
                        } else {
                            normal_cdf((mu - best) / sigma)
                        }
                    }
                }
            })
            .collect()
    }
}

/// One standard normal draw (Box-Muller, two uniforms per draw).
pub(crate) fn standard_normal(rng: &mut dyn RngCore) -> f64 {
    // 1 - u lies in (0, 1], so the logarithm is finite.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (std::f64::consts::TAU).sqrt()
}

/// The standard normal CDF through the complementary error function.
fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxinas_core::seed::rng_from_seed;

    #[test]
    fn normal_cdf_matches_tabulated_values() {
        // Standard normal table: Phi(0) = 0.5, Phi(1) = 0.841345, Phi(-1.96) = 0.024998.
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_746).abs() < 1e-9);
        assert!((normal_cdf(-1.96) - 0.024_997_895).abs() < 1e-9);
    }

    #[test]
    fn expected_improvement_prefers_uncertainty_at_equal_mean() {
        let mut rng = rng_from_seed(0);
        let v = Acquisition::ExpectedImprovement.values(&[(1.0, 0.1), (1.0, 1.0)], 1.5, &mut rng);
        assert!(v[1] > v[0] && v[0] > 0.0);
        // EI of a certain improvement is the improvement.
        let v = Acquisition::ExpectedImprovement.values(&[(2.0, 0.0)], 1.5, &mut rng);
        assert_eq!(v, vec![0.5]);
        let v = Acquisition::ProbabilityOfImprovement.values(&[(1.5, 1.0)], 1.5, &mut rng);
        assert!((v[0] - 0.5).abs() < 1e-7);
    }

    #[test]
    fn thompson_draws_have_the_predicted_moments() {
        let mut rng = rng_from_seed(3);
        let n = 20_000;
        let v = Acquisition::ThompsonSampling.values(&vec![(2.0, 3.0); n], 0.0, &mut rng);
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        // Four standard errors of the mean (3 / sqrt(20000) = 0.021) and of the variance.
        assert!((mean - 2.0).abs() < 0.09, "{mean}");
        assert!((var - 9.0).abs() < 0.4, "{var}");
    }
}
