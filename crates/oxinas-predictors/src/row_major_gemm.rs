//! Matrix products on row-major `f64` buffers, the inner loop of the batched
//! neural networks. The products go through `ndarray`'s general matrix
//! multiply (the `matrixmultiply` GEMM kernels, which pick AVX/FMA at run
//! time), single-threaded so results do not depend on the thread count.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};

/// A read-only matrix stored row-major in a slice, used as-is or transposed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatRef<'a> {
    data: &'a [f64],
    rows: usize,
    cols: usize,
    transposed: bool,
}

impl<'a> MatRef<'a> {
    /// The `rows x cols` matrix whose rows lie one after another in `data`
    /// (`data` holds at least `rows * cols` values; the rest is ignored).
    pub(crate) fn new(data: &'a [f64], rows: usize, cols: usize) -> Self {
        Self {
            data: &data[..rows * cols],
            rows,
            cols,
            transposed: false,
        }
    }

    /// The transpose (no copy).
    pub(crate) fn t(self) -> Self {
        Self {
            transposed: !self.transposed,
            ..self
        }
    }

    /// Rows and columns as used in a product.
    fn shape(&self) -> (usize, usize) {
        if self.transposed {
            (self.cols, self.rows)
        } else {
            (self.rows, self.cols)
        }
    }

    fn view(&self) -> ArrayView2<'a, f64> {
        let v = ArrayView2::from_shape((self.rows, self.cols), self.data)
            .expect("MatRef::new sized the slice to rows * cols");
        if self.transposed {
            v.reversed_axes()
        } else {
            v
        }
    }
}

/// `c = beta * c + a b`, with `c` the row-major `a.rows x b.cols` matrix at
/// the start of `c`. With `beta = 0` the old contents of `c` are ignored.
pub(crate) fn gemm(a: MatRef<'_>, b: MatRef<'_>, beta: f64, c: &mut [f64]) {
    let (m, k) = a.shape();
    let (k2, n) = b.shape();
    debug_assert_eq!(k, k2, "inner dimensions of a product");
    let mut cv = ArrayViewMut2::from_shape((m, n), &mut c[..m * n])
        .expect("the output slice holds rows * cols values");
    general_mat_mul(1.0, &a.view(), &b.view(), beta, &mut cv);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook triple loop, on explicit (row, col) accessors.
    fn naive(a: &[f64], (m, k): (usize, usize), b: &[f64], n: usize) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    fn transpose(x: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        let mut t = vec![0.0; x.len()];
        for i in 0..rows {
            for j in 0..cols {
                t[j * rows + i] = x[i * cols + j];
            }
        }
        t
    }

    #[test]
    fn products_with_and_without_transposes_match_the_triple_loop() {
        let (m, k, n) = (7, 5, 3);
        let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i as f64 * 0.91).cos()).collect();
        let want = naive(&a, (m, k), &b, n);
        let close = |c: &[f64]| c.iter().zip(&want).all(|(x, y)| (x - y).abs() < 1e-12);

        let mut c = vec![f64::NAN; m * n];
        gemm(MatRef::new(&a, m, k), MatRef::new(&b, k, n), 0.0, &mut c);
        assert!(close(&c), "{c:?} vs {want:?}");

        let (at, bt) = (transpose(&a, m, k), transpose(&b, k, n));
        let mut c = vec![0.0; m * n];
        gemm(
            MatRef::new(&at, k, m).t(),
            MatRef::new(&bt, n, k).t(),
            0.0,
            &mut c,
        );
        assert!(close(&c));

        // beta = 1 accumulates onto what is there.
        let mut c = vec![1.0; m * n + 4];
        gemm(
            MatRef::new(&a, m, k),
            MatRef::new(&bt, n, k).t(),
            1.0,
            &mut c,
        );
        assert!(
            c[..m * n]
                .iter()
                .zip(&want)
                .all(|(x, y)| (x - 1.0 - y).abs() < 1e-12)
        );
        assert_eq!(c[m * n..], [1.0; 4]);
    }
}
