//! A fully connected ReLU network with a linear output, run on whole
//! mini-batches: each layer's forward and backward pass is one matrix product
//! over the batch, into buffers allocated once per fit.

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
        BatchBuffers {
            capacity,
            activations: self
                .sizes
                .iter()
                .map(|&s| vec![0.0; capacity * s])
                .collect(),
            deltas: self
                .sizes
                .iter()
                .map(|&s| vec![0.0; capacity * s])
                .collect(),
        }
    }

    /// Offset of layer `l`'s weights in the parameter vector.
    fn offset(&self, l: usize) -> usize {
        (0..l)
            .map(|k| self.sizes[k] * self.sizes[k + 1] + self.sizes[k + 1])
            .sum()
    }

    /// Runs the first `rows` rows of `buffers`' input block (filled by the
    /// caller through [`BatchBuffers::input_mut`]); the outputs are then in
    /// [`BatchBuffers::outputs`].
    pub(crate) fn forward(&self, buffers: &mut BatchBuffers, rows: usize) {
        debug_assert!(rows <= buffers.capacity);
        let layers = self.sizes.len() - 1;
        let mut off = 0;
        for l in 0..layers {
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

    /// After [`DenseNetwork::forward`] on the same rows, with d loss / d
    /// output of each row in [`BatchBuffers::outputs_and_gradient_mut`], adds the
    /// parameter gradient summed over the rows to `grad`.
    pub(crate) fn backward(&self, buffers: &mut BatchBuffers, rows: usize, grad: &mut [f64]) {
        let layers = self.sizes.len() - 1;
        for l in (0..layers).rev() {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            let off = self.offset(l);
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
                for (d, a) in below.iter_mut().zip(input) {
                    if *a <= 0.0 {
                        *d = 0.0;
                    }
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
        self.forward(&mut buffers, rows.len());
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
        net.forward(&mut buffers, 5);
        let (outputs, gradient) = buffers.outputs_and_gradient_mut(5);
        for ((g, o), t) in gradient.iter_mut().zip(outputs).zip(&y) {
            *g = 2.0 * (o - t);
        }
        let mut grad = vec![0.0; net.num_params()];
        net.backward(&mut buffers, 5, &mut grad);
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
}
