//! A fully connected ReLU network with a linear output, run on whole
//! mini-batches: each layer's forward and backward pass is one matrix product
//! over the batch, into buffers allocated once per fit.
//!
//! Encodings are mostly zeros (an NB201 path encoding has at most 4 ones in
//! 155 features), but the network sees them standardized, which makes them
//! dense. For such inputs the first layer works on the raw sparse rows with
//! the standardization folded into the weights: with `x = (r - mu) / sigma`,
//! `W x = V r - V mu` where `V = W diag(1 / sigma)`, and the weight gradient
//! `delta^T x` is `(delta^T r - (delta^T 1) mu^T) diag(1 / sigma)`. Same
//! function and gradient, a fraction of the work.

use rand::Rng;

use oxinas_core::seed::SeededRng;

use crate::row_major_gemm::{MatRef, gemm};

/// Layer sizes and parameters in one flat vector (layer by layer: weights
/// `out x in` row-major, then biases).
#[derive(Clone, Debug)]
pub(crate) struct DenseNetwork {
    sizes: Vec<usize>,
    params: Vec<f64>,
}

/// Activation and gradient buffers for batches of up to `capacity` rows.
#[derive(Clone, Debug)]
pub(crate) struct BatchBuffers {
    capacity: usize,
    /// Per layer (input first), `capacity x size` row-major; hidden layers hold post-ReLU values.
    activations: Vec<Vec<f64>>,
    /// Per layer, d loss / d pre-activation (`capacity x size`).
    deltas: Vec<Vec<f64>>,
    /// Sparse first layer: `V^T` (`in x out`), then its gradient accumulator.
    folded: Vec<f64>,
    folded_grad: Vec<f64>,
}

/// Raw input rows kept as their non-zero entries, with the per-column
/// standardization `x = (r - mean) / scale` the network sees.
#[derive(Clone, Debug)]
pub(crate) struct SparseRows {
    rows: Vec<Vec<(usize, f64)>>,
    mean: Vec<f64>,
    /// `1 / scale` per column.
    inv_scale: Vec<f64>,
}

impl SparseRows {
    /// The non-zero entries of `raw` (rows of one width) and the column
    /// standardization `(mean, scale)`.
    pub(crate) fn new(raw: &[Vec<f64>], mean: Vec<f64>, scale: Vec<f64>) -> Self {
        let rows = raw
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(_, v)| **v != 0.0)
                    .map(|(j, v)| (j, *v))
                    .collect()
            })
            .collect();
        let inv_scale = scale.iter().map(|s| 1.0 / s).collect();
        Self {
            rows,
            mean,
            inv_scale,
        }
    }

    /// Mean non-zeros per row.
    pub(crate) fn mean_nonzeros(&self) -> f64 {
        let total: usize = self.rows.iter().map(Vec::len).sum();
        total as f64 / self.rows.len().max(1) as f64
    }
}

impl DenseNetwork {
    /// He-initialised (uniform) network with layer sizes `sizes` (input
    /// first, output last), biases zero.
    pub(crate) fn new(sizes: Vec<usize>, rng: &mut SeededRng) -> Self {
        let mut params = Vec::new();
        for w in sizes.windows(2) {
            let (fan_in, fan_out) = (w[0], w[1]);
            let bound = (6.0 / fan_in.max(1) as f64).sqrt();
            params.extend((0..fan_in * fan_out).map(|_| rng.random_range(-bound..bound)));
            params.extend(std::iter::repeat_n(0.0, fan_out));
        }
        Self { sizes, params }
    }

    pub(crate) fn num_params(&self) -> usize {
        self.params.len()
    }

    pub(crate) fn input_dim(&self) -> usize {
        self.sizes[0]
    }

    pub(crate) fn params(&self) -> &[f64] {
        &self.params
    }

    pub(crate) fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }

    /// Buffers for batches of up to `capacity` rows.
    pub(crate) fn buffers(&self, capacity: usize) -> BatchBuffers {
        let block = |s: usize| vec![0.0; capacity * s];
        BatchBuffers {
            capacity,
            activations: self.sizes.iter().map(|&s| block(s)).collect(),
            deltas: self.sizes.iter().map(|&s| block(s)).collect(),
            folded: vec![0.0; self.sizes[0] * self.sizes[1]],
            folded_grad: vec![0.0; self.sizes[0] * self.sizes[1]],
        }
    }

    /// Offset of layer `l`'s weights in the parameter vector.
    fn offset(&self, l: usize) -> usize {
        (0..l)
            .map(|k| self.sizes[k] * self.sizes[k + 1] + self.sizes[k + 1])
            .sum()
    }

    /// Runs a batch of `rows` rows: with `sparse = None` the rows of
    /// `buffers`' input block (filled by the caller through
    /// [`BatchBuffers::input_mut`]), else rows `batch` of the sparse inputs.
    /// The outputs are then in [`BatchBuffers::outputs`].
    pub(crate) fn forward(
        &self,
        buffers: &mut BatchBuffers,
        rows: usize,
        sparse: Option<(&SparseRows, &[usize])>,
    ) {
        debug_assert!(rows <= buffers.capacity);
        let layers = self.sizes.len() - 1;
        let mut off = 0;
        for l in 0..layers {
            if l == 0
                && let Some((inputs, batch)) = sparse
            {
                self.forward_sparse_first(buffers, inputs, batch, layers == 1);
                off += self.sizes[0] * self.sizes[1] + self.sizes[1];
                continue;
            }
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            let w = MatRef::new(&self.params[off..], n_out, n_in);
            let bias = &self.params[off + n_in * n_out..off + n_in * n_out + n_out];
            let (below, above) = buffers.activations.split_at_mut(l + 1);
            let out = &mut above[0][..rows * n_out];
            for row in out.chunks_exact_mut(n_out) {
                row.copy_from_slice(bias);
            }
            // out (rows x n_out) += input (rows x n_in) * W^T.
            gemm(MatRef::new(&below[l], rows, n_in), w.t(), 1.0, out);
            if l + 1 < layers {
                for v in out.iter_mut() {
                    *v = v.max(0.0);
                }
            }
            off += n_in * n_out + n_out;
        }
    }

    /// First layer on sparse rows: `out = b - V mu + V r` per row.
    fn forward_sparse_first(
        &self,
        buffers: &mut BatchBuffers,
        inputs: &SparseRows,
        batch: &[usize],
        linear: bool,
    ) {
        let (n_in, n_out) = (self.sizes[0], self.sizes[1]);
        let bias = &self.params[n_in * n_out..n_in * n_out + n_out];
        // V^T (in x out): column j of W scaled by 1 / scale_j.
        let folded = &mut buffers.folded;
        for o in 0..n_out {
            let w = &self.params[o * n_in..(o + 1) * n_in];
            for (j, (wj, s)) in w.iter().zip(&inputs.inv_scale).enumerate() {
                folded[j * n_out + o] = wj * s;
            }
        }
        // base = b - V mu.
        let mut base = bias.to_vec();
        for (j, m) in inputs.mean.iter().enumerate() {
            if *m != 0.0 {
                for (b, v) in base.iter_mut().zip(&folded[j * n_out..(j + 1) * n_out]) {
                    *b -= v * m;
                }
            }
        }
        let out = &mut buffers.activations[1];
        for (row, &i) in out.chunks_exact_mut(n_out).zip(batch) {
            row.copy_from_slice(&base);
            for &(j, r) in &inputs.rows[i] {
                for (o, v) in row.iter_mut().zip(&folded[j * n_out..(j + 1) * n_out]) {
                    *o += r * v;
                }
            }
            if !linear {
                for v in row.iter_mut() {
                    *v = v.max(0.0);
                }
            }
        }
    }

    /// First-layer weight gradient on sparse rows:
    /// `dW[o][j] += (sum_rows delta_o r_j - mu_j sum_rows delta_o) / scale_j`.
    fn backward_sparse_first(
        &self,
        buffers: &mut BatchBuffers,
        inputs: &SparseRows,
        batch: &[usize],
        grad: &mut [f64],
    ) {
        let (n_in, n_out) = (self.sizes[0], self.sizes[1]);
        let acc = &mut buffers.folded_grad;
        acc.iter_mut().for_each(|v| *v = 0.0);
        let mut delta_sum = vec![0.0; n_out];
        for (delta, &i) in buffers.deltas[1].chunks_exact(n_out).zip(batch) {
            for (s, d) in delta_sum.iter_mut().zip(delta) {
                *s += d;
            }
            for &(j, r) in &inputs.rows[i] {
                for (a, d) in acc[j * n_out..(j + 1) * n_out].iter_mut().zip(delta) {
                    *a += r * d;
                }
            }
        }
        for (o, s) in delta_sum.iter().enumerate() {
            let gw = &mut grad[o * n_in..(o + 1) * n_in];
            for (j, g) in gw.iter_mut().enumerate() {
                *g += (acc[j * n_out + o] - inputs.mean[j] * s) * inputs.inv_scale[j];
            }
        }
        let db = &mut grad[n_in * n_out..n_in * n_out + n_out];
        for (g, s) in db.iter_mut().zip(&delta_sum) {
            *g += s;
        }
    }

    /// After [`DenseNetwork::forward`] on the same rows (and the same
    /// `sparse`), with d loss / d output of each row in
    /// [`BatchBuffers::outputs_and_gradient_mut`], adds the parameter
    /// gradient summed over the rows to `grad`.
    pub(crate) fn backward(
        &self,
        buffers: &mut BatchBuffers,
        rows: usize,
        grad: &mut [f64],
        sparse: Option<(&SparseRows, &[usize])>,
    ) {
        let layers = self.sizes.len() - 1;
        for l in (0..layers).rev() {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            let off = self.offset(l);
            if l == 0
                && let Some((inputs, batch)) = sparse
            {
                self.backward_sparse_first(buffers, inputs, batch, grad);
                continue;
            }
            let (d_below, d_above) = buffers.deltas.split_at_mut(l + 1);
            let delta = &d_above[0][..rows * n_out];
            let input = &buffers.activations[l][..rows * n_in];
            // dW (n_out x n_in) += delta^T (n_out x rows) * input (rows x n_in).
            gemm(
                MatRef::new(delta, rows, n_out).t(),
                MatRef::new(input, rows, n_in),
                1.0,
                &mut grad[off..off + n_in * n_out],
            );
            let db = &mut grad[off + n_in * n_out..off + n_in * n_out + n_out];
            for row in delta.chunks_exact(n_out) {
                for (g, d) in db.iter_mut().zip(row) {
                    *g += d;
                }
            }
            if l > 0 {
                // d input (rows x n_in) = delta (rows x n_out) * W (n_out x n_in),
                // then through the ReLU of the layer below.
                let below = &mut d_below[l][..rows * n_in];
                gemm(
                    MatRef::new(delta, rows, n_out),
                    MatRef::new(&self.params[off..], n_out, n_in),
                    0.0,
                    below,
                );
                // A select, not a branch, so the loop vectorises.
                for (d, a) in below.iter_mut().zip(input) {
                    *d = if *a > 0.0 { *d } else { 0.0 };
                }
            }
        }
    }

    /// The network's output (first unit) at each row of `rows`.
    pub(crate) fn predict_rows(&self, rows: &[Vec<f64>]) -> Vec<f64> {
        let mut buffers = self.buffers(rows.len());
        for (slot, row) in buffers
            .input_mut(rows.len())
            .chunks_exact_mut(self.sizes[0])
            .zip(rows)
        {
            slot.copy_from_slice(row);
        }
        self.forward(&mut buffers, rows.len(), None);
        let out = self.sizes[self.sizes.len() - 1];
        buffers
            .outputs(rows.len())
            .chunks_exact(out)
            .map(|r| r[0])
            .collect()
    }
}

impl BatchBuffers {
    /// The input block of the first `rows` rows (`rows x input_dim`).
    pub(crate) fn input_mut(&mut self, rows: usize) -> &mut [f64] {
        let width = self.activations[0].len() / self.capacity.max(1);
        &mut self.activations[0][..rows * width]
    }

    /// The output block of the first `rows` rows (`rows x output_dim`).
    pub(crate) fn outputs(&self, rows: usize) -> &[f64] {
        let last = self.activations.len() - 1;
        let width = self.activations[last].len() / self.capacity.max(1);
        &self.activations[last][..rows * width]
    }

    /// The outputs of the first `rows` rows (as [`BatchBuffers::outputs`])
    /// and, to be filled by the caller before [`DenseNetwork::backward`],
    /// d loss / d output of those rows (`rows x output_dim` each).
    pub(crate) fn outputs_and_gradient_mut(&mut self, rows: usize) -> (&[f64], &mut [f64]) {
        let last = self.deltas.len() - 1;
        let width = self.deltas[last].len() / self.capacity.max(1);
        (
            &self.activations[last][..rows * width],
            &mut self.deltas[last][..rows * width],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxinas_core::seed::rng_from_seed;

    /// Squared-error loss of the network on `x`, `y` with parameters `p`.
    fn loss(net: &DenseNetwork, p: &[f64], x: &[Vec<f64>], y: &[f64]) -> f64 {
        let mut n = net.clone();
        n.params_mut().copy_from_slice(p);
        n.predict_rows(x)
            .iter()
            .zip(y)
            .map(|(o, t)| (o - t) * (o - t))
            .sum()
    }

    #[test]
    fn batched_gradient_matches_finite_differences() {
        let mut rng = rng_from_seed(4);
        let net = DenseNetwork::new(vec![4, 6, 5, 1], &mut rng);
        let x: Vec<Vec<f64>> = (0..5)
            .map(|i| (0..4).map(|j| ((i * 4 + j) as f64 * 0.7).sin()).collect())
            .collect();
        let y: Vec<f64> = (0..5).map(|i| i as f64 * 0.3 - 0.5).collect();
        // Capacity above the batch: only the first rows may be used.
        let mut buffers = net.buffers(8);
        for (slot, row) in buffers.input_mut(5).chunks_exact_mut(4).zip(&x) {
            slot.copy_from_slice(row);
        }
        net.forward(&mut buffers, 5, None);
        let (outputs, gradient) = buffers.outputs_and_gradient_mut(5);
        for ((g, o), t) in gradient.iter_mut().zip(outputs).zip(&y) {
            *g = 2.0 * (o - t);
        }
        let mut grad = vec![0.0; net.num_params()];
        net.backward(&mut buffers, 5, &mut grad, None);
        let base = net.params().to_vec();
        let mut checked = 0;
        for i in 0..base.len() {
            let h = 1e-6;
            let (mut up, mut down) = (base.clone(), base.clone());
            up[i] += h;
            down[i] -= h;
            let numeric = (loss(&net, &up, &x, &y) - loss(&net, &down, &x, &y)) / (2.0 * h);
            assert!(
                (numeric - grad[i]).abs() < 1e-5 * (1.0 + numeric.abs()),
                "param {i}: numeric {numeric}, backprop {}",
                grad[i]
            );
            checked += usize::from(grad[i] != 0.0);
        }
        // Most parameters get a gradient (not a vacuous all-zero match).
        assert!(checked > base.len() / 2, "{checked} of {}", base.len());
    }

    #[test]
    fn sparse_first_layer_matches_the_dense_one_on_standardized_rows() {
        let mut rng = rng_from_seed(9);
        let net = DenseNetwork::new(vec![6, 5, 4, 1], &mut rng);
        let raw: Vec<Vec<f64>> = (0..7)
            .map(|i| {
                (0..6)
                    .map(|j| {
                        if (i + j) % 3 == 0 {
                            1.0 + j as f64
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let mean: Vec<f64> = (0..6).map(|j| 0.1 * j as f64).collect();
        let scale: Vec<f64> = (0..6).map(|j| 0.5 + 0.25 * j as f64).collect();
        let sparse = SparseRows::new(&raw, mean.clone(), scale.clone());
        assert!(sparse.mean_nonzeros() < 6.0);
        // Rows 4, 1, 6 of the batch, in that order.
        let batch = [4, 1, 6];
        let run = |use_sparse: bool| {
            let mut buffers = net.buffers(4);
            if !use_sparse {
                for (slot, &i) in buffers.input_mut(3).chunks_exact_mut(6).zip(&batch) {
                    for (j, v) in slot.iter_mut().enumerate() {
                        *v = (raw[i][j] - mean[j]) / scale[j];
                    }
                }
            }
            let arg = use_sparse.then_some((&sparse, &batch[..]));
            net.forward(&mut buffers, 3, arg);
            let (outputs, gradient) = buffers.outputs_and_gradient_mut(3);
            let outputs = outputs.to_vec();
            for (g, o) in gradient.iter_mut().zip(&outputs) {
                *g = o - 0.25;
            }
            let mut grad = vec![0.0; net.num_params()];
            net.backward(&mut buffers, 3, &mut grad, arg);
            (outputs, grad)
        };
        let (dense_out, dense_grad) = run(false);
        let (sparse_out, sparse_grad) = run(true);
        let close = |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(
            close(&dense_out, &sparse_out),
            "{dense_out:?} vs {sparse_out:?}"
        );
        assert!(close(&dense_grad, &sparse_grad));
        assert!(dense_grad[..30].iter().any(|g| *g != 0.0));
    }
}
