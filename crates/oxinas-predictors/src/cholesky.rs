//! Dense Cholesky factorisation of symmetric positive definite matrices
//! (row-major `Vec<f64>`), for the GP and Bayesian linear regression.

/// The lower-triangular factor `L` of `A = L Lᵀ`, row-major `n x n`;
/// `None` when `A` is not (numerically) positive definite.
pub fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut sum = a[i * n + j];
            let (ri, rj) = (&l[i * n..i * n + j], &l[j * n..j * n + j]);
            for k in 0..j {
                sum -= ri[k] * rj[k];
            }
            if i == j {
                if sum <= 0.0 || !sum.is_finite() {
                    return None;
                }
                l[i * n + i] = sum.sqrt();
            } else {
                l[i * n + j] = sum / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Cholesky with growing diagonal jitter (relative to the mean diagonal),
/// the usual remedy for kernels of near-duplicate inputs.
pub fn cholesky_with_jitter(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mean_diag = (0..n).map(|i| a[i * n + i]).sum::<f64>() / n.max(1) as f64;
    let mut jitter = 0.0;
    for _ in 0..8 {
        let mut b = a.to_vec();
        for i in 0..n {
            b[i * n + i] += jitter;
        }
        if let Some(l) = cholesky(&b, n) {
            return Some(l);
        }
        jitter = if jitter == 0.0 {
            1e-10 * mean_diag.max(1e-12)
        } else {
            jitter * 10.0
        };
    }
    None
}

/// Solves `L x = b` (forward substitution).
pub fn solve_lower(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut x = b.to_vec();
    for i in 0..n {
        let mut s = x[i];
        for k in 0..i {
            s -= l[i * n + k] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    x
}

/// Solves `Lᵀ x = b` (back substitution).
pub fn solve_upper_transposed(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut x = b.to_vec();
    for i in (0..n).rev() {
        let mut s = x[i];
        for k in i + 1..n {
            s -= l[k * n + i] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    x
}

/// Solves `A x = b` given the factor `L` of `A`.
pub fn solve_cholesky(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    solve_upper_transposed(l, n, &solve_lower(l, n, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_a_known_system() {
        // A = [[4,2],[2,3]], x = [1,-1] -> b = [2,-1].
        let a = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&a, 2).unwrap();
        assert!((l[0] - 2.0).abs() < 1e-12 && (l[2] - 1.0).abs() < 1e-12);
        let x = solve_cholesky(&l, 2, &[2.0, -1.0]);
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] + 1.0).abs() < 1e-12);
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }
}
