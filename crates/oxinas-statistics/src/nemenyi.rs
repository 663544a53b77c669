//! The Nemenyi post-hoc test after a Friedman test (Demšar, JMLR 2006,
//! section 3.2.2): two of k treatments differ significantly when their
//! average ranks over n blocks differ by at least the critical difference
//! CD = q_alpha * sqrt(k (k + 1) / (6 n)).

use crate::StatisticsError;
use crate::studentized_range::studentized_range_quantile;

/// q_0.05 for k = 2..=10 treatments: Demšar (2006), "Statistical Comparisons
/// of Classifiers over Multiple Data Sets", JMLR 7:1-30, Table 5(a) (the
/// studentized range statistic divided by sqrt(2)).
const DEMSAR_Q_005: [f64; 9] = [
    1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164,
];

/// The two-tailed Nemenyi critical value q_0.05 for `k` treatments: Demšar's
/// table for k <= 10; beyond it the same quantity computed from the
/// studentized range distribution (infinite degrees of freedom), which
/// reproduces the table to its three decimals.
pub fn nemenyi_q_005(k: usize) -> Result<f64, StatisticsError> {
    if k < 2 {
        return Err(StatisticsError::TooFew {
            statistic: "the Nemenyi test",
            what: "treatments",
            needed: 2,
            got: k,
        });
    }
    Ok(match DEMSAR_Q_005.get(k - 2) {
        Some(&q) => q,
        None => studentized_range_quantile(0.95, k) / 2f64.sqrt(),
    })
}

/// The Nemenyi critical difference of average ranks at alpha = 0.05 for `k`
/// treatments ranked in `n` blocks.
pub fn nemenyi_critical_difference(k: usize, n: usize) -> Result<f64, StatisticsError> {
    if n == 0 {
        return Err(StatisticsError::TooFew {
            statistic: "the Nemenyi test",
            what: "blocks",
            needed: 1,
            got: 0,
        });
    }
    let (kf, nf) = (k as f64, n as f64);
    Ok(nemenyi_q_005(k)? * (kf * (kf + 1.0) / (6.0 * nf)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distribution_reproduces_demsars_table() {
        for (i, &q) in DEMSAR_Q_005.iter().enumerate() {
            let k = i + 2;
            let computed = studentized_range_quantile(0.95, k) / 2f64.sqrt();
            // The table truncates or rounds to three decimals.
            assert!((computed - q).abs() < 1e-3, "k = {k}: {computed} vs {q}");
        }
    }

    #[test]
    fn demsars_worked_example() {
        // Demšar 2006, section 3.2.2: four classifiers on 14 data sets,
        // CD = 2.569 * sqrt(4 * 5 / (6 * 14)) = 1.25.
        let cd = nemenyi_critical_difference(4, 14).unwrap();
        assert!((cd - 1.25).abs() < 0.005, "{cd}");
    }
}
