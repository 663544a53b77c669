//! The studentized range distribution with infinite degrees of freedom: the
//! range of k independent standard normal draws. Its quantiles give the
//! Nemenyi test's critical values beyond the published table.

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

/// P(range of `k` standard normal draws <= `w`), for k >= 2:
/// k * integral of phi(z) * (Phi(z + w) - Phi(z))^(k-1) dz over the reals.
pub fn studentized_range_cdf(w: f64, k: usize) -> f64 {
    if w <= 0.0 {
        return 0.0;
    }
    let normal = Normal::standard();
    // Composite Simpson's rule; the integrand is smooth and below 1e-20
    // outside [-10, 10], so 4,000 panels give ~1e-12 accuracy.
    let (low, high, panels) = (-10.0, 10.0, 4000usize);
    let h = (high - low) / panels as f64;
    let f = |z: f64| {
        let inner = normal.cdf(z + w) - normal.cdf(z);
        normal.pdf(z) * inner.max(0.0).powi(k as i32 - 1)
    };
    let mut sum = f(low) + f(high);
    for i in 1..panels {
        let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += weight * f(low + i as f64 * h);
    }
    (k as f64 * sum * h / 3.0).clamp(0.0, 1.0)
}

/// The `p` quantile of the range of `k` standard normal draws (k >= 2,
/// 0 < p < 1), by bisection on [`studentized_range_cdf`].
pub fn studentized_range_quantile(p: f64, k: usize) -> f64 {
    let (mut low, mut high) = (0.0, 20.0);
    for _ in 0..200 {
        let mid = 0.5 * (low + high);
        if studentized_range_cdf(mid, k) < p {
            low = mid;
        } else {
            high = mid;
        }
        if high - low < 1e-13 {
            break;
        }
    }
    0.5 * (low + high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_draws_have_a_half_normal_range() {
        // The range of two draws is |X - Y| ~ |N(0, 2)|: its 95% quantile is
        // 1.959964 * sqrt(2).
        let q = studentized_range_quantile(0.95, 2);
        assert!(
            (q - 1.959_963_984_540_054 * 2f64.sqrt()).abs() < 1e-9,
            "{q}"
        );
    }
}
