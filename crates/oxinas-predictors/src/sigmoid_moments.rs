//! Mean and standard deviation of `sigmoid(f)` for a Gaussian `f`, by the
//! probit approximations BONAS's Bayesian sigmoid regression uses (MacKay
//! 1992; Bishop, PRML 4.5.2): with `kappa(s) = (1 + pi s^2 / 8)^(-1/2)`,
//! `E = sigmoid(kappa(s) mu)` and
//! `E[sigmoid^2] ~ sigmoid(kappa(a s) a (mu + b))`, `a = 4 - 2 sqrt 2`,
//! `b = -ln(sqrt 2 + 1)`.

/// `1 / (1 + e^-x)`.
pub(crate) fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `ln(p / (1 - p))`.
pub(crate) fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// The approximate mean and standard deviation of `sigmoid(f)`,
/// `f ~ N(mu, s^2)`; the variance is floored at 0 (the approximation can
/// dip below).
pub(crate) fn sigmoid_moments(mu: f64, s: f64) -> (f64, f64) {
    let kappa = |s2: f64| 1.0 / (1.0 + std::f64::consts::PI * s2 / 8.0).sqrt();
    let a = 4.0 - 2.0 * std::f64::consts::SQRT_2;
    let b = -(std::f64::consts::SQRT_2 + 1.0).ln();
    let mean = sigmoid(mu * kappa(s * s));
    let second = sigmoid(a * (mu + b) * kappa(a * a * s * s));
    (mean, (second - mean * mean).max(0.0).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_match_the_formulas_evaluated_by_hand() {
        // python3: from math import *; sg=lambda x:1/(1+exp(-x)); a=4-2*sqrt(2);
        // b=-log(sqrt(2)+1); m,s=0.5,1.2; k=lambda v:1/sqrt(1+pi*v/8)
        // E=sg(m*k(s*s)); sd=sqrt(sg(a*(m+b)*k(a*a*s*s))-E*E)
        // -> E = 0.5985959..., sd = 0.2421677...
        let (mean, std) = sigmoid_moments(0.5, 1.2);
        assert!((mean - 0.598_595_9).abs() < 1e-6, "{mean}");
        assert!((std - 0.242_167_7).abs() < 1e-6, "{std}");
        // Without uncertainty the mean is the plain sigmoid.
        assert_eq!(sigmoid_moments(0.0, 0.0).0, 0.5);
        assert!((logit(sigmoid(1.3)) - 1.3).abs() < 1e-12);
    }
}
