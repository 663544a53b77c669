//! Small dense linear algebra in `f64` for the proxies' `batch x batch` matrices.

/// Eigenvalues of the symmetric `n x n` matrix `a` (row-major), ascending,
/// by cyclic Jacobi rotations (accurate to rounding for the small matrices here).
pub fn symmetric_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    let mut m = a.to_vec();
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (m[k * n + p], m[k * n + q]);
                    m[k * n + p] = c * akp - s * akq;
                    m[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (m[p * n + k], m[q * n + k]);
                    m[p * n + k] = c * apk - s * aqk;
                    m[q * n + k] = s * apk + c * aqk;
                }
            }
        }
    }
    let mut values: Vec<f64> = (0..n).map(|i| m[i * n + i]).collect();
    values.sort_by(f64::total_cmp);
    values
}

/// `log |det a|` of the `n x n` matrix `a` (row-major) by LU decomposition with
/// partial pivoting; negative infinity for a singular matrix.
pub fn log_abs_determinant(a: &[f64], n: usize) -> f64 {
    let mut m = a.to_vec();
    let mut log_det = 0.0;
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| m[i * n + col].abs().total_cmp(&m[j * n + col].abs()))
            .unwrap_or(col);
        let p = m[pivot * n + col];
        if p == 0.0 {
            return f64::NEG_INFINITY;
        }
        if pivot != col {
            for k in 0..n {
                m.swap(pivot * n + k, col * n + k);
            }
        }
        log_det += p.abs().ln();
        for row in col + 1..n {
            let factor = m[row * n + col] / p;
            for k in col..n {
                m[row * n + k] -= factor * m[col * n + k];
            }
        }
    }
    log_det
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_of_a_known_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let v = symmetric_eigenvalues(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!(
            (v[0] - 1.0).abs() < 1e-12 && (v[1] - 3.0).abs() < 1e-12,
            "{v:?}"
        );
        // A diagonal matrix keeps its diagonal.
        let v = symmetric_eigenvalues(&[5.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 2.0], 3);
        assert_eq!(v, vec![-1.0, 2.0, 5.0]);
    }

    #[test]
    fn log_determinant_by_hand() {
        // det [[0, 2], [3, 1]] = -6 (needs a pivot swap).
        let d = log_abs_determinant(&[0.0, 2.0, 3.0, 1.0], 2);
        assert!((d - 6f64.ln()).abs() < 1e-12);
        assert_eq!(
            log_abs_determinant(&[1.0, 2.0, 2.0, 4.0], 2),
            f64::NEG_INFINITY
        );
    }
}
