//! The Wilcoxon signed-rank test on paired samples (Wilcoxon 1945): is the
//! median of the paired differences zero? Used on two optimizers' results
//! paired by seed.
//!
//! Defaults are those of `scipy.stats.wilcoxon` (SciPy 1.17) with its default
//! arguments (`zero_method="wilcox"`, `correction=False`,
//! `alternative="two-sided"`, `method="auto"`):
//! - zero differences are dropped before ranking;
//! - with at most 50 pairs, no zero differences and no tied |differences|:
//!   the exact null distribution of the rank sum;
//! - with at most 13 pairs and zeros or ties: the exact permutation
//!   distribution over all sign flips (what SciPy's permutation test
//!   enumerates at that size);
//! - otherwise: the normal approximation with the tie correction of the
//!   variance, and a continuity correction only when asked
//!   ([`WilcoxonTest::with_continuity_correction`]).
//!
//! The p-value is two-sided. Where every difference is zero SciPy returns NaN
//! for more than 13 pairs; here the p-value is 1 (no evidence of a
//! difference).

use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::check_finite;
use crate::{StatisticsError, average_ranks};

/// How the p-value was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WilcoxonMethod {
    /// The exact null distribution (no zeros, no ties, n <= 50).
    Exact,
    /// All 2^n sign flips enumerated (zeros or ties, n <= 13).
    Permutation,
    /// The normal approximation with tie correction.
    Normal,
}

/// The outcome of a two-sided Wilcoxon signed-rank test of x - y.
#[derive(Clone, Debug, PartialEq)]
pub struct WilcoxonTest {
    /// min(R+, R-), the statistic SciPy reports for a two-sided test.
    pub statistic: f64,
    /// Sum of the ranks of |x - y| where x > y.
    pub rank_sum_positive: f64,
    /// Sum of the ranks of |x - y| where x < y.
    pub rank_sum_negative: f64,
    /// Number of non-zero differences (the pairs that count).
    pub nonzero: usize,
    /// The two-sided p-value.
    pub p_value: f64,
    /// How the p-value was computed.
    pub method: WilcoxonMethod,
}

impl WilcoxonTest {
    /// Tests the paired samples `x` and `y` (same length, at least one pair)
    /// with SciPy's defaults: no continuity correction.
    pub fn new(x: &[f64], y: &[f64]) -> Result<Self, StatisticsError> {
        Self::compute(x, y, false)
    }

    /// As [`WilcoxonTest::new`], with the continuity correction in the normal
    /// approximation (SciPy's `correction=True`).
    pub fn with_continuity_correction(x: &[f64], y: &[f64]) -> Result<Self, StatisticsError> {
        Self::compute(x, y, true)
    }

    fn compute(x: &[f64], y: &[f64], correction: bool) -> Result<Self, StatisticsError> {
        const NAME: &str = "the Wilcoxon signed-rank test";
        if x.is_empty() {
            return Err(StatisticsError::TooFew {
                statistic: NAME,
                what: "pairs",
                needed: 1,
                got: 0,
            });
        }
        if y.len() != x.len() {
            return Err(StatisticsError::Ragged {
                statistic: NAME,
                what: "sample",
                index: 1,
                got: y.len(),
                expected: x.len(),
            });
        }
        check_finite(NAME, x.iter().chain(y))?;
        let pairs = x.len();
        let differences: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
        let nonzero: Vec<f64> = differences.iter().copied().filter(|d| *d != 0.0).collect();
        let zeros = pairs - nonzero.len();
        let magnitudes: Vec<f64> = nonzero.iter().map(|d| d.abs()).collect();
        let (ranks, ties) = average_ranks(&magnitudes);
        let positive: f64 = ranks
            .iter()
            .zip(&nonzero)
            .filter(|(_, d)| **d > 0.0)
            .map(|(r, _)| r)
            .sum();
        let negative: f64 = ranks
            .iter()
            .zip(&nonzero)
            .filter(|(_, d)| **d < 0.0)
            .map(|(r, _)| r)
            .sum();
        // An empty f64 sum is -0.0; report it as 0.
        let (positive, negative) = (positive + 0.0, negative + 0.0);
        let has_ties = ties.iter().any(|&t| t > 1);
        let method = if pairs > 50 {
            WilcoxonMethod::Normal
        } else if zeros == 0 && !has_ties {
            WilcoxonMethod::Exact
        } else if pairs <= 13 {
            WilcoxonMethod::Permutation
        } else {
            WilcoxonMethod::Normal
        };
        let p_value = if nonzero.is_empty() {
            1.0
        } else {
            match method {
                WilcoxonMethod::Exact | WilcoxonMethod::Permutation => {
                    exact_p_value(&ranks, positive)
                }
                WilcoxonMethod::Normal => {
                    normal_p_value(nonzero.len(), &ties, positive, correction)
                }
            }
        };
        Ok(Self {
            statistic: positive.min(negative),
            rank_sum_positive: positive,
            rank_sum_negative: negative,
            nonzero: nonzero.len(),
            p_value,
            method,
        })
    }
}

/// Two-sided p-value of the rank sum `observed` under all 2^n equally likely
/// sign assignments of `ranks`. Ranks are multiples of 1/2, so the sums are
/// counted exactly on doubled ranks.
fn exact_p_value(ranks: &[f64], observed: f64) -> f64 {
    let doubled: Vec<usize> = ranks.iter().map(|r| (2.0 * r).round() as usize).collect();
    let total: usize = doubled.iter().sum();
    // counts[s] = number of subsets of the ranks whose doubled sum is s; at
    // most 2^50 here, exact in an f64.
    let mut counts = vec![0.0f64; total + 1];
    counts[0] = 1.0;
    let mut reached = 0;
    for &r in &doubled {
        for s in (0..=reached).rev() {
            if counts[s] != 0.0 {
                counts[s + r] += counts[s];
            }
        }
        reached += r;
    }
    let t = (2.0 * observed).round() as usize;
    let all = 2f64.powi(ranks.len() as i32);
    let below: f64 = counts[..=t].iter().sum::<f64>() / all;
    let above: f64 = counts[t..].iter().sum::<f64>() / all;
    (2.0 * below.min(above)).min(1.0)
}

/// Two-sided p-value from the normal approximation of the rank sum, with the
/// variance corrected for ties.
fn normal_p_value(n: usize, ties: &[usize], positive: f64, correction: bool) -> f64 {
    let n = n as f64;
    let mean = n * (n + 1.0) / 4.0;
    let tie_term: f64 = ties.iter().map(|&t| (t * t * t - t) as f64).sum();
    let sd = ((n * (n + 1.0) * (2.0 * n + 1.0) - tie_term / 2.0) / 24.0).sqrt();
    let mut z = (positive - mean) / sd;
    if correction {
        z -= z.signum() * 0.5 / sd;
    }
    2.0 * Normal::standard().sf(z.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_distribution_by_hand() {
        // n = 3, all differences positive: R+ = 6, the largest of the 8
        // equally likely sign patterns; P(R+ >= 6) = 1/8, two-sided 1/4.
        let t = WilcoxonTest::new(&[1.0, 2.0, 3.0], &[0.0, 0.0, 0.0]).unwrap();
        assert_eq!(t.method, WilcoxonMethod::Exact);
        assert!(t.statistic == 0.0 && t.statistic.is_sign_positive());
        assert_eq!(t.rank_sum_positive, 6.0);
        assert!((t.p_value - 0.25).abs() < 1e-15);
    }

    #[test]
    fn identical_samples_are_not_different() {
        let x = vec![0.5; 20];
        let t = WilcoxonTest::new(&x, &x).unwrap();
        assert_eq!(t.p_value, 1.0);
        assert_eq!(t.nonzero, 0);
    }

    #[test]
    fn mismatched_lengths_are_an_error() {
        assert!(matches!(
            WilcoxonTest::new(&[1.0, 2.0], &[1.0]),
            Err(StatisticsError::Ragged { .. })
        ));
    }
}
