//! Pearson's chi-square goodness-of-fit test, as used by the sampling checks.

/// The outcome of a chi-square goodness-of-fit test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChiSquare {
    /// The statistic: sum over cells of (observed - expected)^2 / expected.
    pub statistic: f64,
    /// Degrees of freedom (cells - 1).
    pub degrees_of_freedom: usize,
    /// The statistic's upper quantile at the test's significance level: a
    /// statistic above it rejects the hypothesis that sampling is as expected.
    pub threshold: f64,
}

impl ChiSquare {
    /// Compares `observed` counts with `expected` counts (same cells, same
    /// order) at the upper-tail probability whose standard-normal quantile is
    /// `z` (e.g. 4.75 for about 1e-6).
    pub fn new(observed: &[u64], expected: &[f64], z: f64) -> Self {
        let statistic = observed
            .iter()
            .zip(expected)
            .map(|(&o, &e)| {
                let d = o as f64 - e;
                d * d / e
            })
            .sum();
        let degrees_of_freedom = observed.len().saturating_sub(1).max(1);
        Self {
            statistic,
            degrees_of_freedom,
            threshold: chi_square_quantile(degrees_of_freedom, z),
        }
    }

    /// Whether the observed counts are consistent with the expected ones.
    pub fn passes(&self) -> bool {
        self.statistic <= self.threshold
    }
}

/// The upper quantile of the chi-square distribution with `df` degrees of
/// freedom whose standard-normal equivalent is `z`, by the Wilson-Hilferty
/// approximation (relative error well below 1% for `df >= 10`, conservative
/// enough for smaller `df` at the far-tail levels these checks use).
pub fn chi_square_quantile(df: usize, z: f64) -> f64 {
    let k = df as f64;
    let a = 2.0 / (9.0 * k);
    k * (1.0 - a + z * a.sqrt()).powi(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_matches_tabulated_values() {
        // Tabulated chi-square quantiles: df=100 at p=0.001 is 149.449 (z=3.0902),
        // df=10 at p=0.01 is 23.209 (z=2.3263).
        assert!((chi_square_quantile(100, 3.0902) - 149.449).abs() < 0.3);
        assert!((chi_square_quantile(10, 2.3263) - 23.209).abs() < 0.3);
    }

    #[test]
    fn statistic_is_pearsons() {
        let test = ChiSquare::new(&[10, 30], &[20.0, 20.0], 3.0);
        assert_eq!(test.statistic, 10.0);
        assert_eq!(test.degrees_of_freedom, 1);
        assert!(!ChiSquare::new(&[0, 40], &[20.0, 20.0], 3.0).passes());
        assert!(ChiSquare::new(&[19, 21], &[20.0, 20.0], 3.0).passes());
    }
}
