//! Percentile bootstrap confidence interval of a mean (Efron & Tibshirani,
//! 1993, ch. 13): resample the values with replacement, take each
//! resample's mean, and read the interval off those means' quantiles.

use oxinas_core::seed::rng_from_seed;
use rand::Rng;

use crate::StatisticsError;
use crate::error::check_finite;

/// A confidence interval of a mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanInterval {
    /// The sample mean.
    pub mean: f64,
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// The percentile bootstrap interval of the mean of `values` at `confidence`
/// (e.g. 0.95) from `resamples` resamples drawn from a generator seeded by
/// `seed`: the same inputs give the same interval on any machine. Quantiles
/// interpolate linearly between order statistics (NumPy's default, which
/// `scipy.stats.bootstrap(method="percentile")` uses).
pub fn bootstrap_mean_interval(
    values: &[f64],
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> Result<MeanInterval, StatisticsError> {
    const NAME: &str = "the bootstrap interval";
    if values.is_empty() || resamples == 0 {
        return Err(StatisticsError::TooFew {
            statistic: NAME,
            what: if values.is_empty() {
                "values"
            } else {
                "resamples"
            },
            needed: 1,
            got: 0,
        });
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(StatisticsError::OutOfRange {
            statistic: NAME,
            parameter: "confidence",
            value: confidence,
            range: "(0, 1)",
        });
    }
    check_finite(NAME, values)?;
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let mut rng = rng_from_seed(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| (0..n).map(|_| values[rng.random_range(0..n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let alpha = (1.0 - confidence) / 2.0;
    Ok(MeanInterval {
        mean,
        low: quantile(&means, alpha),
        high: quantile(&means, 1.0 - alpha),
    })
}

/// The `q` quantile of sorted `values`, interpolating linearly.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    let fraction = position - below as f64;
    sorted[below] + fraction * (sorted[above] - sorted[below])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_values_have_a_point_interval() {
        let i = bootstrap_mean_interval(&[0.25; 7], 0.95, 500, 1).unwrap();
        assert_eq!((i.mean, i.low, i.high), (0.25, 0.25, 0.25));
    }

    #[test]
    fn same_seed_same_interval() {
        let v = [1.31, 4.07, 2.73, 8.97, 5.21, 0.43, 3.39];
        let a = bootstrap_mean_interval(&v, 0.95, 1000, 9).unwrap();
        assert_eq!(a, bootstrap_mean_interval(&v, 0.95, 1000, 9).unwrap());
        assert_ne!(a, bootstrap_mean_interval(&v, 0.95, 1000, 10).unwrap());
        assert!(a.low <= a.mean && a.mean <= a.high);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // np.percentile([1, 2, 3, 4], 25) == 1.75
        assert!((quantile(&[1.0, 2.0, 3.0, 4.0], 0.25) - 1.75).abs() < 1e-15);
    }
}
