//! Batch-norm statistics, shared by the graph networks (GCN and GIN).

/// Per-column mean and biased variance of a `rows x cols` matrix (row-major).
pub(crate) fn column_moments(z: &[f64], rows: usize, cols: usize) -> (Vec<f64>, Vec<f64>) {
    let count = rows.max(1) as f64;
    let mut mean = vec![0.0; cols];
    for r in 0..rows {
        for k in 0..cols {
            mean[k] += z[r * cols + k] / count;
        }
    }
    let mut var = vec![0.0; cols];
    for r in 0..rows {
        for k in 0..cols {
            let d = z[r * cols + k] - mean[k];
            var[k] += d * d / count;
        }
    }
    (mean, var)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_and_biased_variances_by_column() {
        // Columns (1, 3, 5) and (2, 2, 8): means 3 and 4; squared deviations
        // 4 + 0 + 4 = 8 and 4 + 4 + 16 = 24, over 3 rows.
        let (mean, var) = column_moments(&[1.0, 2.0, 3.0, 2.0, 5.0, 8.0], 3, 2);
        assert_eq!(mean, [3.0, 4.0]);
        assert!((var[0] - 8.0 / 3.0).abs() < 1e-12);
        assert!((var[1] - 8.0).abs() < 1e-12);
    }
}
