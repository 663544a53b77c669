//! Batch-norm statistics and their backward pass, shared by the graph networks (GCN and GIN).

/// Per-column mean and biased variance of a `rows x cols` matrix (row-major).
pub(crate) fn column_moments(z: &[f64], rows: usize, cols: usize) -> (Vec<f64>, Vec<f64>) {
    let count = rows.max(1) as f64;
    let mut mean = vec![0.0; cols];
    if cols == 0 {
        return (mean, Vec::new());
    }
    // Row slices zipped with the column vectors so the loops vectorize.
    for row in z[..rows * cols].chunks_exact(cols) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v / count;
        }
    }
    let mut var = vec![0.0; cols];
    for row in z[..rows * cols].chunks_exact(cols) {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            let d = v - m;
            *s += d * d / count;
        }
    }
    (mean, var)
}

/// Batch norm's backward pass in training mode (batch statistics) over a
/// `rows x cols` batch: `d` holds the gradient at the output
/// `gamma * xhat + beta` and is overwritten by the gradient at the input;
/// the gradients of `gamma` and `beta` are added to `d_gamma` and `d_beta`.
/// `sums` is scratch space.
#[allow(clippy::too_many_arguments)]
pub(crate) fn batch_norm_backward(
    d: &mut [f64],
    xhat: &[f64],
    gamma: &[f64],
    inv_std: &[f64],
    cols: usize,
    d_gamma: &mut [f64],
    d_beta: &mut [f64],
    sums: &mut Vec<f64>,
) {
    if cols == 0 {
        return;
    }
    let rows = d.len() / cols;
    sums.clear();
    sums.resize(2 * cols, 0.0);
    let (sum_d, sum_dx) = sums.split_at_mut(cols);
    let (gamma, inv_std) = (&gamma[..cols], &inv_std[..cols]);
    let (d_gamma, d_beta) = (&mut d_gamma[..cols], &mut d_beta[..cols]);
    for (dr, xr) in d.chunks_exact(cols).zip(xhat.chunks_exact(cols)) {
        for k in 0..cols {
            let dv = dr[k];
            d_gamma[k] += dv * xr[k];
            d_beta[k] += dv;
            let dxhat = dv * gamma[k];
            sum_d[k] += dxhat;
            sum_dx[k] += dxhat * xr[k];
        }
    }
    let count = rows as f64;
    // sum_d / count once per column: the same quotient as per entry.
    for v in sum_d.iter_mut() {
        *v /= count;
    }
    for (dr, xr) in d.chunks_exact_mut(cols).zip(xhat.chunks_exact(cols)) {
        for k in 0..cols {
            let dxhat = dr[k] * gamma[k];
            dr[k] = inv_std[k] * (dxhat - sum_d[k] - xr[k] * sum_dx[k] / count);
        }
    }
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
