//! Holm's step-down correction (Holm, Scand. J. Statist. 1979) of a family
//! of p-values for multiple comparisons: it controls the chance of any false
//! "significant" at alpha while staying more powerful than Bonferroni.

use crate::StatisticsError;

/// Holm-adjusted p-values, in the order given: sorted ascending, the i-th
/// smallest (from 0) of m is multiplied by m - i, kept monotone by a running
/// maximum, and capped at 1 (as `statsmodels`' `multipletests(method="holm")`).
/// A hypothesis is rejected at level alpha when its adjusted p-value is at
/// most alpha.
pub fn holm_adjust(p_values: &[f64]) -> Result<Vec<f64>, StatisticsError> {
    for &p in p_values {
        if !(0.0..=1.0).contains(&p) {
            return Err(StatisticsError::OutOfRange {
                statistic: "Holm's correction",
                parameter: "p",
                value: p,
                range: "[0, 1]",
            });
        }
    }
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (i, &index) in order.iter().enumerate() {
        running = running.max(((m - i) as f64 * p_values[index]).min(1.0));
        adjusted[index] = running;
    }
    Ok(adjusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_down_by_hand() {
        // Sorted 0.01, 0.02, 0.04 of m = 3: 0.03, 0.04, 0.04 (kept monotone).
        let adjusted = holm_adjust(&[0.04, 0.01, 0.02]).unwrap();
        let expected = [0.04, 0.03, 0.04];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!((a - e).abs() < 1e-15, "{adjusted:?}");
        }
        assert_eq!(holm_adjust(&[0.6, 0.5]).unwrap(), vec![1.0, 1.0]);
        assert!(holm_adjust(&[1.5]).is_err());
    }
}
