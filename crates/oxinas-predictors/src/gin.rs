//! NPENAS's graph isomorphism network predictors (Wei et al., IEEE TNNLS
//! 2022), as the authors' code (auroua/NPENASv1, `nas_lib/models/`,
//! `nas_lib/eigen/`, `nas_lib/configs.py`) builds and trains them.
//!
//! Three GIN layers of 32 units: node `i` becomes
//! `MLP(h_i + sum over predecessors j of h_j)`, the MLP two linear layers
//! with a ReLU between; then the activation and batch norm. The node
//! embeddings are mean-pooled, and a head of 16 units reads the graph out:
//!
//! - NPENAS-NP ([`GinConfig::npenas_np`]): ReLU, dropout 0.1, one output
//!   through a sigmoid, trained by squared error (300 epochs).
//! - NPENAS-BO ([`GinConfig::npenas_bo`]): CELU, a mean output (dropout
//!   0.1 before it) and a deviation `exp(g / 2)` from a second branch,
//!   trained by the Gaussian negative log-likelihood (1,000 epochs); the
//!   search then samples from that Gaussian (Thompson sampling).
//!
//! Both train with Adam (betas 0 and 0.9, learning rate 0.005 on a cosine
//! schedule, twice that for biases, weight decay 1e-4 on weights only) in
//! batches of 16 (the whole set while it has at most 10 graphs).

use rand::Rng;
use rand::seq::SliceRandom;

use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_encodings::GraphTensors;

use crate::adam::Adam;
use crate::column_moments::{batch_norm_backward, column_moments};
use crate::error::hyper;
use crate::row_major_gemm::{MatRef, gemm};
use crate::sigmoid_moments::sigmoid;
use crate::{Prediction, Predictor, PredictorError, Standardizer};

/// The output of the network and its loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GinHead {
    /// One output through a sigmoid, squared error (NPENAS-NP).
    Sigmoid,
    /// A mean and a deviation, Gaussian negative log-likelihood (NPENAS-BO).
    Gaussian,
}

/// The nonlinearity after each GIN layer and in the head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GinActivation {
    /// `max(x, 0)`.
    Relu,
    /// `x` for `x > 0`, else `e^x - 1`.
    Celu,
}

impl GinActivation {
    fn apply(self, x: f64) -> f64 {
        match self {
            GinActivation::Relu => x.max(0.0),
            GinActivation::Celu => {
                if x > 0.0 {
                    x
                } else {
                    x.exp() - 1.0
                }
            }
        }
    }

    /// `f(x)` and `f'(x)`, one exponential for both.
    fn apply_and_slope(self, x: f64) -> (f64, f64) {
        match self {
            GinActivation::Relu => (x.max(0.0), f64::from(u8::from(x > 0.0))),
            GinActivation::Celu => {
                if x > 0.0 {
                    (x, 1.0)
                } else {
                    let e = x.exp();
                    (e - 1.0, e)
                }
            }
        }
    }

    /// The derivative at `x`.
    fn slope(self, x: f64) -> f64 {
        match self {
            GinActivation::Relu => f64::from(u8::from(x > 0.0)),
            GinActivation::Celu => {
                if x > 0.0 {
                    1.0
                } else {
                    x.exp()
                }
            }
        }
    }
}

/// Hyperparameters of [`Gin`].
#[derive(Clone, Debug, PartialEq)]
pub struct GinConfig {
    /// GIN layers (NPENAS: 3).
    pub layers: usize,
    /// Units per GIN layer (32).
    pub hidden: usize,
    /// Units of the head's hidden layer (16).
    pub head_hidden: usize,
    /// Training epochs (NP 300, BO 1,000).
    pub epochs: usize,
    /// Mini-batch size once the training set has more than 10 graphs (16).
    pub batch_size: usize,
    /// Peak learning rate of the cosine schedule (0.005).
    pub learning_rate: f64,
    /// L2 penalty on weights, not biases (1e-4).
    pub weight_decay: f64,
    /// Dropout before the mean output (0.1).
    pub dropout: f64,
    /// Output and loss.
    pub head: GinHead,
    /// Nonlinearity (NP: ReLU, BO: CELU).
    pub activation: GinActivation,
}

impl GinConfig {
    /// NPENAS-NP's predictor.
    pub fn npenas_np() -> Self {
        Self {
            layers: 3,
            hidden: 32,
            head_hidden: 16,
            epochs: 300,
            batch_size: 16,
            learning_rate: 0.005,
            weight_decay: 1e-4,
            dropout: 0.1,
            head: GinHead::Sigmoid,
            activation: GinActivation::Relu,
        }
    }

    /// NPENAS-BO's predictor.
    pub fn npenas_bo() -> Self {
        Self {
            epochs: 1000,
            head: GinHead::Gaussian,
            activation: GinActivation::Celu,
            ..Self::npenas_np()
        }
    }
}

/// PyTorch's `BatchNorm1d` defaults.
const BN_EPS: f64 = 1e-5;
const BN_MOMENTUM: f64 = 0.1;

/// Where the sigmoid head's affine target map puts the training set's best
/// and worst values (NPENAS trains on the validation error, best lowest).
const UNIT_BEST: f64 = 0.05;
const UNIT_WORST: f64 = 0.95;

/// A dense layer's place in the flat parameter vector: `fi x fo` weights,
/// row-major, then `fo` biases.
#[derive(Clone, Copy, Debug)]
struct Dense {
    at: usize,
    fi: usize,
    fo: usize,
}

impl Dense {
    fn bias(&self) -> usize {
        self.at + self.fi * self.fo
    }

    fn end(&self) -> usize {
        self.bias() + self.fo
    }

    /// `out` (`rows x fo`) = `x` (`rows x fi`) `W` + `b`, one matrix product
    /// over the batch.
    fn forward(&self, params: &[f64], x: &[f64], rows: usize, out: &mut Vec<f64>) {
        let (fi, fo) = (self.fi, self.fo);
        out.resize(rows * fo, 0.0);
        for o in out.chunks_exact_mut(fo) {
            o.copy_from_slice(&params[self.bias()..self.end()]);
        }
        if rows > 0 {
            let w = MatRef::new(&params[self.at..self.bias()], fi, fo);
            gemm(MatRef::new(x, rows, fi), w, 1.0, out);
        }
    }

    /// Adds the parameter gradients for output gradients `d` at inputs `x`
    /// to `grad`, and writes the input gradients (`rows x fi`) to `dx` when
    /// asked for.
    fn backward(
        &self,
        params: &[f64],
        x: &[f64],
        d: &[f64],
        rows: usize,
        grad: &mut [f64],
        dx: Option<&mut Vec<f64>>,
    ) {
        let (fi, fo) = (self.fi, self.fo);
        if let Some(dx) = dx {
            dx.resize(rows * fi, 0.0);
            if rows > 0 {
                // dx = d W^T.
                let w = MatRef::new(&params[self.at..self.bias()], fi, fo);
                gemm(MatRef::new(d, rows, fo), w.t(), 0.0, dx);
            }
        }
        if rows == 0 {
            return;
        }
        for dr in d[..rows * fo].chunks_exact(fo) {
            for (g, dv) in grad[self.bias()..self.end()].iter_mut().zip(dr) {
                *g += dv;
            }
        }
        // dW += x^T d.
        gemm(
            MatRef::new(x, rows, fi).t(),
            MatRef::new(d, rows, fo),
            1.0,
            &mut grad[self.at..self.bias()],
        );
    }
}

/// One GIN layer: its MLP and batch-norm scale and shift (`hidden` each).
#[derive(Clone, Copy, Debug)]
struct GinLayer {
    first: Dense,
    second: Dense,
    gamma: usize,
}

/// The network: layout, parameters and running batch-norm statistics.
#[derive(Clone, Debug)]
struct Network {
    layers: Vec<GinLayer>,
    head: Dense,
    mean_out: Dense,
    /// The deviation branch (Gaussian head only).
    std_branch: Option<(Dense, Dense)>,
    params: Vec<f64>,
    /// Learning-rate multiplier per parameter (2 for biases).
    rates: Vec<f64>,
    /// Whether weight decay applies (weights, not biases or batch norm's).
    decayed: Vec<bool>,
    running_mean: Vec<Vec<f64>>,
    running_var: Vec<Vec<f64>>,
    activation: GinActivation,
    head_kind: GinHead,
    dropout: f64,
}

/// Whether batch norm and dropout act as in training.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Train,
    Eval,
}

/// What the backward pass needs of one forward pass. Its buffers are
/// resized, not reallocated, when one pass is reused for the next batch.
#[derive(Default)]
struct Pass {
    offsets: Vec<usize>,
    /// Stacked rows `(src, dst)` of every edge of the batch, in the order
    /// of the adjacency's rows then columns (the order the sums were
    /// written in).
    edges: Vec<(usize, usize)>,
    /// Nodes in the batch.
    rows: usize,
    /// The current layer's input, then the last layer's output.
    x: Vec<f64>,
    /// Per layer: aggregated input, MLP hidden activations (after the
    /// ReLU), the activation's slope at the MLP output, normalized
    /// activations, `1 / sqrt(var + eps)`, batch statistics.
    aggregated: Vec<Vec<f64>>,
    hidden: Vec<Vec<f64>>,
    slope: Vec<Vec<f64>>,
    normalized: Vec<Vec<f64>>,
    inv_std: Vec<Vec<f64>>,
    stats: Vec<(Vec<f64>, Vec<f64>)>,
    pooled: Vec<f64>,
    head_pre: Vec<f64>,
    /// The activation's slope at `head_pre`.
    head_slope: Vec<f64>,
    /// The head's activations after dropout.
    head_dropped: Vec<f64>,
    dropout_scale: Vec<f64>,
    mean_pre: Vec<f64>,
    /// The deviation branch: pre-activations, activations and slopes of
    /// its hidden layer, and its output's pre-activation.
    std_pre: Vec<f64>,
    std_hidden: Vec<f64>,
    std_slope: Vec<f64>,
    std_out_pre: Vec<f64>,
    /// Per graph: the mean output (after the sigmoid for that head) and
    /// the deviation (1 for the sigmoid head).
    means: Vec<f64>,
    stds: Vec<f64>,
}

/// Gradient buffers of the backward pass, kept across steps.
#[derive(Default)]
struct Scratch {
    d_mean_pre: Vec<f64>,
    d_dropped: Vec<f64>,
    d_head_pre: Vec<f64>,
    d_pooled: Vec<f64>,
    d_out_pre: Vec<f64>,
    d_std_hidden: Vec<f64>,
    d_more: Vec<f64>,
    dx: Vec<f64>,
    d_mlp: Vec<f64>,
    d_hidden: Vec<f64>,
    du: Vec<f64>,
    sums: Vec<f64>,
}

/// `f(x)` and `f'(x)` for each `x` of `values` (overwritten by `f(x)`),
/// the slopes into `slopes`.
fn activate(act: GinActivation, values: &mut [f64], slopes: &mut Vec<f64>) {
    slopes.resize(values.len(), 0.0);
    for (v, s) in values.iter_mut().zip(slopes.iter_mut()) {
        let (a, d) = act.apply_and_slope(*v);
        *v = a;
        *s = d;
    }
}

impl Network {
    fn new(input: usize, config: &GinConfig, rng: &mut SeededRng) -> Self {
        let mut params = Vec::new();
        let mut rates = Vec::new();
        let mut decayed = Vec::new();
        let h = config.hidden;
        // PyTorch's nn.Linear default, U(+-1/sqrt(fan_in)) for weights and
        // biases (the GIN MLPs), or NPENAS's kaiming_uniform(a = 1),
        // U(+-sqrt(3 / fan_in)), with zero biases (the head).
        let mut dense = |fi: usize, fo: usize, kaiming: bool, rng: &mut SeededRng| {
            let at = params.len();
            let bound = if kaiming {
                (3.0 / fi as f64).sqrt()
            } else {
                1.0 / (fi as f64).sqrt()
            };
            params.extend((0..fi * fo).map(|_| rng.random_range(-bound..bound)));
            let b = 1.0 / (fi as f64).sqrt();
            params.extend((0..fo).map(|_| {
                if kaiming {
                    0.0
                } else {
                    rng.random_range(-b..b)
                }
            }));
            rates.extend(std::iter::repeat_n(1.0, fi * fo));
            rates.extend(std::iter::repeat_n(2.0, fo));
            decayed.extend(std::iter::repeat_n(true, fi * fo));
            decayed.extend(std::iter::repeat_n(false, fo));
            Dense { at, fi, fo }
        };
        let mut layers = Vec::new();
        let mut fi = input;
        for _ in 0..config.layers {
            let first = dense(fi, h, false, rng);
            let second = dense(h, h, false, rng);
            layers.push(GinLayer {
                first,
                second,
                gamma: 0,
            });
            fi = h;
        }
        let head = dense(h, config.head_hidden, true, rng);
        let mean_out = dense(config.head_hidden, 1, true, rng);
        let std_branch = (config.head == GinHead::Gaussian).then(|| {
            (
                dense(h, config.head_hidden, true, rng),
                dense(config.head_hidden, 1, true, rng),
            )
        });
        // Batch-norm scale 1 and shift 0 per layer. NPENAS's parameter
        // groups go by name: the shift (`bn.bias`) is a bias (rate 2, no
        // decay), the scale (`bn.weight`) a weight.
        for layer in &mut layers {
            layer.gamma = params.len();
            params.extend(std::iter::repeat_n(1.0, h));
            params.extend(std::iter::repeat_n(0.0, h));
            rates.extend(std::iter::repeat_n(1.0, h));
            rates.extend(std::iter::repeat_n(2.0, h));
            decayed.extend(std::iter::repeat_n(true, h));
            decayed.extend(std::iter::repeat_n(false, h));
        }
        Self {
            running_mean: vec![vec![0.0; h]; config.layers],
            running_var: vec![vec![1.0; h]; config.layers],
            layers,
            head,
            mean_out,
            std_branch,
            params,
            rates,
            decayed,
            activation: config.activation,
            head_kind: config.head,
            dropout: config.dropout,
        }
    }

    fn forward(&self, graphs: &[&GraphTensors], mode: Mode, rng: Option<&mut SeededRng>) -> Pass {
        let mut pass = Pass::default();
        self.forward_into(graphs, mode, rng, &mut pass);
        pass
    }

    /// [`Network::forward`] into the buffers of `pass`.
    fn forward_into(
        &self,
        graphs: &[&GraphTensors],
        mode: Mode,
        rng: Option<&mut SeededRng>,
        pass: &mut Pass,
    ) {
        pass.offsets.clear();
        pass.edges.clear();
        let mut rows = 0;
        for g in graphs {
            pass.offsets.push(rows);
            // (1 + eps) h_i + sum over predecessors, eps = 0: the edges
            // i -> j, i != j, once per batch instead of once per layer.
            let side = g.max_nodes;
            for i in 0..g.num_nodes {
                for j in 0..g.num_nodes {
                    if i != j && g.adjacency[i * side + j] != 0.0 {
                        pass.edges.push((rows + i, rows + j));
                    }
                }
            }
            rows += g.num_nodes;
        }
        pass.offsets.push(rows);
        pass.rows = rows;
        let f0 = graphs.first().map_or(0, |g| g.num_node_features);
        pass.x.resize(rows * f0, 0.0);
        for (g, &start) in graphs.iter().zip(&pass.offsets) {
            pass.x[start * f0..(start + g.num_nodes) * f0]
                .copy_from_slice(&g.node_features[..g.num_nodes * f0]);
        }
        let depth = self.layers.len();
        for buffers in [
            &mut pass.aggregated,
            &mut pass.hidden,
            &mut pass.slope,
            &mut pass.normalized,
            &mut pass.inv_std,
        ] {
            buffers.resize_with(depth, Vec::new);
        }
        pass.stats.resize_with(depth, Default::default);
        let act = self.activation;
        for (l, layer) in self.layers.iter().enumerate() {
            let fi = layer.first.fi;
            let u = &mut pass.aggregated[l];
            u.clear();
            u.extend_from_slice(&pass.x[..rows * fi]);
            for &(src, dst) in &pass.edges {
                let from = &pass.x[src * fi..(src + 1) * fi];
                for (a, b) in u[dst * fi..(dst + 1) * fi].iter_mut().zip(from) {
                    *a += b;
                }
            }
            let hidden = &mut pass.hidden[l];
            layer.first.forward(&self.params, u, rows, hidden);
            for v in hidden.iter_mut() {
                *v = v.max(0.0);
            }
            let activated = &mut pass.normalized[l];
            layer.second.forward(&self.params, hidden, rows, activated);
            activate(act, activated, &mut pass.slope[l]);
            let h = layer.second.fo;
            let (mean, var) = match mode {
                Mode::Train => column_moments(activated, rows, h),
                Mode::Eval => (self.running_mean[l].clone(), self.running_var[l].clone()),
            };
            let inv_std = &mut pass.inv_std[l];
            inv_std.clear();
            inv_std.extend(var.iter().map(|v| 1.0 / (v + BN_EPS).sqrt()));
            let gamma = &self.params[layer.gamma..layer.gamma + h];
            let beta = &self.params[layer.gamma + h..layer.gamma + 2 * h];
            pass.x.resize(rows * h, 0.0);
            for (nr, xr) in activated
                .chunks_exact_mut(h)
                .zip(pass.x.chunks_exact_mut(h))
            {
                for k in 0..h {
                    let n = (nr[k] - mean[k]) * inv_std[k];
                    nr[k] = n;
                    xr[k] = gamma[k] * n + beta[k];
                }
            }
            pass.stats[l] = (mean, var);
        }
        let h = self.head.fi;
        let n_graphs = graphs.len();
        let x = &pass.x;
        pass.pooled.clear();
        pass.pooled.resize(n_graphs * h, 0.0);
        for (gi, g) in graphs.iter().enumerate() {
            let start = pass.offsets[gi];
            let n = g.num_nodes.max(1) as f64;
            let pooled = &mut pass.pooled[gi * h..(gi + 1) * h];
            for r in start..start + g.num_nodes {
                for (p, v) in pooled.iter_mut().zip(&x[r * h..(r + 1) * h]) {
                    *p += v / n;
                }
            }
        }
        self.head
            .forward(&self.params, &pass.pooled, n_graphs, &mut pass.head_pre);
        let keep = 1.0 - self.dropout;
        let width = pass.head_pre.len();
        pass.dropout_scale.clear();
        match (mode, rng) {
            (Mode::Train, Some(rng)) if self.dropout > 0.0 => {
                pass.dropout_scale.extend((0..width).map(|_| {
                    if rng.random::<f64>() < keep {
                        1.0 / keep
                    } else {
                        0.0
                    }
                }));
            }
            _ => pass.dropout_scale.resize(width, 1.0),
        }
        pass.head_dropped.clone_from(&pass.head_pre);
        activate(act, &mut pass.head_dropped, &mut pass.head_slope);
        for (v, s) in pass.head_dropped.iter_mut().zip(&pass.dropout_scale) {
            *v *= s;
        }
        self.mean_out.forward(
            &self.params,
            &pass.head_dropped,
            n_graphs,
            &mut pass.mean_pre,
        );
        pass.means.clear();
        pass.stds.clear();
        match (self.head_kind, &self.std_branch) {
            (GinHead::Gaussian, Some((branch, out))) => {
                branch.forward(&self.params, &pass.pooled, n_graphs, &mut pass.std_pre);
                pass.std_hidden.clone_from(&pass.std_pre);
                activate(act, &mut pass.std_hidden, &mut pass.std_slope);
                out.forward(
                    &self.params,
                    &pass.std_hidden,
                    n_graphs,
                    &mut pass.std_out_pre,
                );
                pass.stds
                    .extend(pass.std_out_pre.iter().map(|&v| (act.apply(v) / 2.0).exp()));
                pass.means.extend_from_slice(&pass.mean_pre);
            }
            _ => {
                pass.means.extend(pass.mean_pre.iter().map(|&v| sigmoid(v)));
                pass.stds.resize(n_graphs, 1.0);
            }
        }
    }

    fn update_running_stats(&mut self, pass: &Pass) {
        let rows = pass.rows;
        if rows < 2 {
            return;
        }
        let unbias = rows as f64 / (rows - 1) as f64;
        for (l, (mean, var)) in pass.stats.iter().enumerate() {
            for k in 0..mean.len() {
                let rm = &mut self.running_mean[l][k];
                *rm = (1.0 - BN_MOMENTUM) * *rm + BN_MOMENTUM * mean[k];
                let rv = &mut self.running_var[l][k];
                *rv = (1.0 - BN_MOMENTUM) * *rv + BN_MOMENTUM * var[k] * unbias;
            }
        }
    }

    /// Adds to `grad` the gradient of `sum_g d_mean[g] * mean_g + d_std[g] *
    /// std_g` at a training pass of `graphs` (means after the sigmoid head's
    /// sigmoid).
    #[cfg(test)]
    fn backward(
        &self,
        graphs: &[&GraphTensors],
        pass: &Pass,
        d_mean: &[f64],
        d_std: &[f64],
        grad: &mut [f64],
    ) {
        debug_assert_eq!(graphs.len() + 1, pass.offsets.len());
        self.backward_with(pass, d_mean, d_std, grad, &mut Scratch::default());
    }

    /// [`Network::backward`] with gradient buffers from `s`.
    fn backward_with(
        &self,
        pass: &Pass,
        d_mean: &[f64],
        d_std: &[f64],
        grad: &mut [f64],
        s: &mut Scratch,
    ) {
        let act = self.activation;
        let n_graphs = pass.offsets.len() - 1;
        let params = &self.params;
        s.d_mean_pre.clear();
        match self.head_kind {
            GinHead::Sigmoid => s.d_mean_pre.extend(
                d_mean
                    .iter()
                    .zip(&pass.means)
                    .map(|(d, p)| d * p * (1.0 - p)),
            ),
            GinHead::Gaussian => s.d_mean_pre.extend_from_slice(d_mean),
        }
        self.mean_out.backward(
            params,
            &pass.head_dropped,
            &s.d_mean_pre,
            n_graphs,
            grad,
            Some(&mut s.d_dropped),
        );
        s.d_head_pre.clear();
        s.d_head_pre.extend(
            s.d_dropped
                .iter()
                .zip(&pass.head_slope)
                .zip(&pass.dropout_scale)
                .map(|((d, slope), scale)| d * scale * slope),
        );
        self.head.backward(
            params,
            &pass.pooled,
            &s.d_head_pre,
            n_graphs,
            grad,
            Some(&mut s.d_pooled),
        );
        if let Some((branch, out)) = &self.std_branch {
            // std = exp(act(o) / 2): d o = d std * std / 2 * act'(o).
            s.d_out_pre.clear();
            s.d_out_pre.extend(
                d_std
                    .iter()
                    .zip(&pass.stds)
                    .zip(&pass.std_out_pre)
                    .map(|((d, s), &o)| d * s / 2.0 * act.slope(o)),
            );
            out.backward(
                params,
                &pass.std_hidden,
                &s.d_out_pre,
                n_graphs,
                grad,
                Some(&mut s.d_std_hidden),
            );
            for (d, slope) in s.d_std_hidden.iter_mut().zip(&pass.std_slope) {
                *d *= slope;
            }
            branch.backward(
                params,
                &pass.pooled,
                &s.d_std_hidden,
                n_graphs,
                grad,
                Some(&mut s.d_more),
            );
            s.d_pooled
                .iter_mut()
                .zip(&s.d_more)
                .for_each(|(a, b)| *a += b);
        }
        let rows = pass.rows;
        let h = self.head.fi;
        s.dx.resize(rows * h, 0.0);
        for gi in 0..n_graphs {
            let (start, end) = (pass.offsets[gi], pass.offsets[gi + 1]);
            let n = (end - start).max(1) as f64;
            let d = &s.d_pooled[gi * h..(gi + 1) * h];
            for r in start..end {
                for (dx, dp) in s.dx[r * h..(r + 1) * h].iter_mut().zip(d) {
                    *dx = dp / n;
                }
            }
        }
        for (l, layer) in self.layers.iter().enumerate().rev() {
            let h = layer.second.fo;
            let xhat = &pass.normalized[l];
            let inv_std = &pass.inv_std[l];
            let (gamma_at, beta_at) = (layer.gamma, layer.gamma + h);
            let gamma = &params[gamma_at..gamma_at + h];
            let (d_gamma, d_beta) = grad[gamma_at..beta_at + h].split_at_mut(h);
            batch_norm_backward(
                &mut s.dx[..rows * h],
                xhat,
                gamma,
                inv_std,
                h,
                d_gamma,
                d_beta,
                &mut s.sums,
            );
            s.d_mlp.clear();
            s.d_mlp.extend(
                s.dx[..rows * h]
                    .iter()
                    .zip(&pass.slope[l])
                    .map(|(d, slope)| d * slope),
            );
            let hidden = &pass.hidden[l];
            layer
                .second
                .backward(params, hidden, &s.d_mlp, rows, grad, Some(&mut s.d_hidden));
            // Through the ReLU: hidden > 0 exactly where its input was.
            for (d, &v) in s.d_hidden.iter_mut().zip(hidden) {
                if v <= 0.0 {
                    *d = 0.0;
                }
            }
            let du = (l > 0).then_some(&mut s.du);
            layer
                .first
                .backward(params, &pass.aggregated[l], &s.d_hidden, rows, grad, du);
            if l == 0 {
                break;
            }
            // u_j = x_j + sum over predecessors i of x_i: x_i feeds itself
            // and every successor.
            let fi = layer.first.fi;
            s.dx.clear();
            s.dx.extend_from_slice(&s.du[..rows * fi]);
            for &(src, dst) in &pass.edges {
                let from = &s.du[dst * fi..(dst + 1) * fi];
                for (a, b) in s.dx[src * fi..(src + 1) * fi].iter_mut().zip(from) {
                    *a += b;
                }
            }
        }
    }
}

/// How scores become training targets and back.
#[derive(Clone, Copy, Debug)]
enum Targets {
    /// Sigmoid head: the best training score at 0.05, the worst at 0.95
    /// (an error-like target, as NPENAS's validation error).
    Unit { best: f64, scale: f64 },
    /// Gaussian head: standardized scores.
    Standard(Standardizer),
}

impl Targets {
    fn fit(y: &[f64], head: GinHead) -> Self {
        match head {
            GinHead::Gaussian => Targets::Standard(Standardizer::fit(y)),
            GinHead::Sigmoid => {
                let best = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let worst = y.iter().copied().fold(f64::INFINITY, f64::min);
                let range = best - worst;
                if range > 1e-12 {
                    Targets::Unit {
                        best,
                        scale: (UNIT_WORST - UNIT_BEST) / range,
                    }
                } else {
                    // A constant training set maps to the middle.
                    Targets::Unit {
                        best: best + 0.45,
                        scale: 1.0,
                    }
                }
            }
        }
    }

    fn forward(&self, y: f64) -> f64 {
        match *self {
            Targets::Unit { best, scale } => UNIT_BEST + (best - y) * scale,
            Targets::Standard(s) => s.forward(y),
        }
    }

    fn inverse(&self, t: f64) -> f64 {
        match *self {
            Targets::Unit { best, scale } => best - (t - UNIT_BEST) / scale,
            Targets::Standard(s) => s.inverse(t),
        }
    }

    fn unit(&self) -> f64 {
        match *self {
            Targets::Unit { scale, .. } => 1.0 / scale,
            Targets::Standard(s) => s.std,
        }
    }
}

#[derive(Debug)]
struct Fitted {
    network: Network,
    targets: Targets,
    shape: (usize, usize),
}

/// NPENAS's GIN predictor on graph tensors: a raw 0/1 adjacency without
/// self-loops (rows are sources), as the `gcn_raw` encodings write it.
#[derive(Debug)]
pub struct Gin {
    config: GinConfig,
    seed: u64,
    fitted: Option<Fitted>,
}

impl Gin {
    /// Validates `config`.
    pub fn new(config: GinConfig, seed: u64) -> Result<Self, PredictorError> {
        let name = "gin";
        if config.layers == 0 || config.hidden == 0 || config.head_hidden == 0 {
            return Err(hyper(name, "layers/hidden/head_hidden", "at least 1"));
        }
        if config.epochs == 0 || config.batch_size == 0 {
            return Err(hyper(name, "epochs/batch_size", "at least 1"));
        }
        if !(config.learning_rate > 0.0 && config.learning_rate.is_finite()) {
            return Err(hyper(name, "learning_rate", "positive"));
        }
        if !(config.weight_decay >= 0.0 && config.weight_decay.is_finite()) {
            return Err(hyper(name, "weight_decay", "non-negative"));
        }
        if !(0.0..1.0).contains(&config.dropout) {
            return Err(hyper(name, "dropout", "in [0, 1)"));
        }
        Ok(Self {
            config,
            seed,
            fitted: None,
        })
    }

    fn check(&self, inputs: &[GraphTensors], shape: (usize, usize)) -> Result<(), PredictorError> {
        for (row, g) in inputs.iter().enumerate() {
            if (g.max_nodes, g.num_node_features) != shape
                || g.node_features.len() != g.max_nodes * g.num_node_features
                || g.adjacency.len() != g.max_nodes * g.max_nodes
                || g.num_nodes > g.max_nodes
            {
                return Err(PredictorError::Shape {
                    predictor: "gin",
                    message: format!(
                        "graph {row} has {} nodes x {} features, expected {} x {} with matching buffers",
                        g.max_nodes, g.num_node_features, shape.0, shape.1
                    ),
                });
            }
        }
        Ok(())
    }
}

impl Predictor<GraphTensors> for Gin {
    fn name(&self) -> &'static str {
        "gin"
    }

    fn fit(&mut self, inputs: &[GraphTensors], targets: &[f64]) -> Result<(), PredictorError> {
        if inputs.len() != targets.len() || inputs.len() < 2 {
            return Err(PredictorError::TooFewPoints {
                predictor: "gin",
                needed: 2,
                got: inputs.len().min(targets.len()),
            });
        }
        let shape = (inputs[0].max_nodes, inputs[0].num_node_features);
        self.check(inputs, shape)?;
        let map = Targets::fit(targets, self.config.head);
        let t: Vec<f64> = targets.iter().map(|&y| map.forward(y)).collect();
        let mut rng = rng_from_seed(self.seed);
        let mut network = Network::new(shape.1, &self.config, &mut rng);
        let mut adam = Adam::with_betas(network.params.len(), self.config.learning_rate, 0.0, 0.9);
        let n = inputs.len();
        let batch_size = if n <= 10 { n } else { self.config.batch_size };
        let total_steps = (self.config.epochs * n / batch_size).max(1);
        let mut grad = vec![0.0; network.params.len()];
        let mut order: Vec<usize> = (0..n).collect();
        let mut step = 0usize;
        // Buffers for every step of the fit.
        let mut pass = Pass::default();
        let mut scratch = Scratch::default();
        let mut graphs: Vec<&GraphTensors> = Vec::with_capacity(batch_size);
        let (mut d_mean, mut d_std) = (Vec::new(), Vec::new());
        for _ in 0..self.config.epochs {
            order.shuffle(&mut rng);
            for batch in order.chunks(batch_size) {
                graphs.clear();
                graphs.extend(batch.iter().map(|&i| &inputs[i]));
                network.forward_into(&graphs, Mode::Train, Some(&mut rng), &mut pass);
                let b = batch.len() as f64;
                d_mean.clear();
                d_std.clear();
                for (k, &i) in batch.iter().enumerate() {
                    let (m, s) = (pass.means[k], pass.stds[k]);
                    let (dm, ds) = match self.config.head {
                        GinHead::Sigmoid => (2.0 * (m - t[i]) / b, 0.0),
                        // d/dm and d/ds of (t - m)^2 / (2 s^2) + ln(sqrt(2 pi) s).
                        GinHead::Gaussian => (
                            (m - t[i]) / (s * s) / b,
                            (1.0 / s - (t[i] - m).powi(2) / s.powi(3)) / b,
                        ),
                    };
                    d_mean.push(dm);
                    d_std.push(ds);
                }
                grad.iter_mut().for_each(|g| *g = 0.0);
                network.backward_with(&pass, &d_mean, &d_std, &mut grad, &mut scratch);
                network.update_running_stats(&pass);
                for ((g, p), &decay) in grad.iter_mut().zip(&network.params).zip(&network.decayed) {
                    if decay {
                        *g += self.config.weight_decay * p;
                    }
                }
                // Cosine schedule over all steps of the fit.
                let progress = ((step + 1) as f64 / total_steps as f64).min(1.0);
                let lr = 0.5
                    * self.config.learning_rate
                    * (1.0 + (std::f64::consts::PI * progress).cos());
                adam.step_with_rates(&mut network.params, &grad, lr, &network.rates);
                step += 1;
            }
        }
        self.fitted = Some(Fitted {
            network,
            targets: map,
            shape,
        });
        Ok(())
    }

    fn predict(&self, inputs: &[GraphTensors]) -> Result<Vec<Prediction>, PredictorError> {
        let f = self
            .fitted
            .as_ref()
            .ok_or(PredictorError::NotFitted { predictor: "gin" })?;
        self.check(inputs, f.shape)?;
        let refs: Vec<&GraphTensors> = inputs.iter().collect();
        let pass = f.network.forward(&refs, Mode::Eval, None);
        let unit = f.targets.unit();
        Ok(pass
            .means
            .iter()
            .zip(&pass.stds)
            .map(|(&m, &s)| match self.config.head {
                GinHead::Sigmoid => Prediction::point(f.targets.inverse(m)),
                GinHead::Gaussian => Prediction {
                    mean: f.targets.inverse(m),
                    std: s * unit,
                },
            })
            .collect())
    }

    fn has_uncertainty(&self) -> bool {
        self.config.head == GinHead::Gaussian
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank_correlation::kendall_tau;

    /// 0 -> 1 -> 2 and 0 -> 2, features (1, 0), (0, 1), (1, 1).
    fn three_nodes() -> GraphTensors {
        #[rustfmt::skip]
        let adjacency = vec![
            0.0, 1.0, 1.0,
            0.0, 0.0, 1.0,
            0.0, 0.0, 0.0,
        ];
        GraphTensors {
            num_nodes: 3,
            max_nodes: 3,
            num_node_features: 2,
            node_features: vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            adjacency,
            graph_features: vec![],
        }
    }

    fn set(net: &mut Network, dense: Dense, weights: &[f64], bias: &[f64]) {
        net.params[dense.at..dense.bias()].copy_from_slice(weights);
        net.params[dense.bias()..dense.end()].copy_from_slice(bias);
    }

    /// One GIN layer of one unit and a head of one unit, weights by hand;
    /// running variance 1 - eps, so batch norm at prediction is the identity.
    fn hand_network(head: GinHead) -> Network {
        let config = GinConfig {
            layers: 1,
            hidden: 1,
            head_hidden: 1,
            head,
            activation: GinActivation::Relu,
            ..GinConfig::npenas_np()
        };
        let mut net = Network::new(2, &config, &mut rng_from_seed(0));
        let layer = net.layers[0];
        set(&mut net, layer.first, &[1.0, -1.0], &[0.5]);
        set(&mut net, layer.second, &[2.0], &[-1.0]);
        let (head, mean_out) = (net.head, net.mean_out);
        set(&mut net, head, &[3.0], &[0.0]);
        set(&mut net, mean_out, &[0.5], &[0.0]);
        if let Some((branch, out)) = net.std_branch {
            set(&mut net, branch, &[1.0], &[0.0]);
            set(&mut net, out, &[3.0], &[0.0]);
        }
        net.running_var = vec![vec![1.0 - BN_EPS]];
        net
    }

    #[test]
    fn gin_output_on_a_three_node_graph_by_hand() {
        let g = three_nodes();
        // GIN sums each node with its predecessors: u0 = (1, 0),
        // u1 = (0, 1) + (1, 0) = (1, 1), u2 = (1, 1) + (1, 0) + (0, 1) = (2, 2).
        // MLP: relu(u . (1, -1) + 0.5) = 1.5, 0.5, 0.5, then 2 x - 1 = 2, 0, 0;
        // relu and batch norm keep them.
        // Mean pool 2 / 3; head relu(3 * 2/3) = 2; output 0.5 * 2 = 1.
        let net = hand_network(GinHead::Sigmoid);
        let pass = net.forward(&[&g], Mode::Eval, None);
        assert!((pass.pooled[0] - 2.0 / 3.0).abs() < 1e-12);
        // sigmoid(1) = 0.7310585786300049.
        assert!((pass.means[0] - 0.731_058_578_630_004_9).abs() < 1e-12);
        // The Gaussian head: mean 1 without a sigmoid; deviation branch
        // relu(1 * 2/3) = 2/3, relu(3 * 2/3) = 2, exp(2 / 2) = e.
        let net = hand_network(GinHead::Gaussian);
        let pass = net.forward(&[&g], Mode::Eval, None);
        assert!((pass.means[0] - 1.0).abs() < 1e-12);
        assert!((pass.stds[0] - std::f64::consts::E).abs() < 1e-12);
        // Summing successors instead (the edges reversed) gives u = (2, 2),
        // (1, 2), (1, 1); MLP 0.5, 0, 0.5 then 0, -1, 0; relu: a pool of 0.
        let mut reversed = three_nodes();
        reversed.adjacency = vec![0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0];
        let other = net.forward(&[&reversed], Mode::Eval, None);
        assert_eq!(other.pooled[0], 0.0);
    }

    /// Random 5-node chains with one-hot labels (3 ops); the target is a
    /// fixed weight per op summed over the nodes.
    fn chains(n: usize, seed: u64) -> (Vec<GraphTensors>, Vec<f64>) {
        let mut rng = rng_from_seed(seed);
        let weights = [1.0, -0.5, 0.3];
        let mut gs = Vec::new();
        let mut ys = Vec::new();
        for _ in 0..n {
            let mut features = vec![0.0; 15];
            let mut adjacency = vec![0.0; 25];
            let mut y = 0.0;
            for i in 0..5 {
                let op = rng.random_range(0..3);
                features[i * 3 + op] = 1.0;
                y += weights[op];
                if i + 1 < 5 {
                    adjacency[i * 5 + i + 1] = 1.0;
                }
            }
            gs.push(GraphTensors {
                num_nodes: 5,
                max_nodes: 5,
                num_node_features: 3,
                node_features: features,
                adjacency,
                graph_features: vec![],
            });
            ys.push(y);
        }
        (gs, ys)
    }

    #[test]
    fn backward_matches_finite_differences() {
        let (gs, _) = chains(4, 3);
        let refs: Vec<&GraphTensors> = gs.iter().collect();
        for config in [GinConfig::npenas_np(), GinConfig::npenas_bo()] {
            let config = GinConfig {
                hidden: 4,
                head_hidden: 3,
                layers: 2,
                ..config
            };
            let net = Network::new(3, &config, &mut rng_from_seed(1));
            let (cm, cs) = ([0.7, -1.3, 0.4, 1.1], [0.2, 0.5, -0.3, 0.9]);
            // The same dropout mask for every evaluation.
            let objective = |n: &Network| {
                let pass = n.forward(&refs, Mode::Train, Some(&mut rng_from_seed(7)));
                (0..4)
                    .map(|g| cm[g] * pass.means[g] + cs[g] * pass.stds[g])
                    .sum::<f64>()
            };
            let pass = net.forward(&refs, Mode::Train, Some(&mut rng_from_seed(7)));
            let mut grad = vec![0.0; net.params.len()];
            net.backward(&refs, &pass, &cm, &cs, &mut grad);
            for (k, analytic) in grad.iter().enumerate() {
                let mut plus = net.clone();
                plus.params[k] += 1e-6;
                let mut minus = net.clone();
                minus.params[k] -= 1e-6;
                let numeric = (objective(&plus) - objective(&minus)) / 2e-6;
                assert!(
                    (numeric - analytic).abs() < 1e-5 * (1.0 + analytic.abs()),
                    "{:?}: param {k}: {numeric} vs {analytic}",
                    config.head
                );
            }
        }
    }

    #[test]
    fn both_npenas_predictors_learn_a_sum_of_node_labels() {
        let (train, y) = chains(100, 1);
        let (test, truth) = chains(100, 2);
        for config in [GinConfig::npenas_np(), GinConfig::npenas_bo()] {
            let head = config.head;
            let mut p = Gin::new(
                GinConfig {
                    epochs: 40,
                    ..config
                },
                3,
            )
            .unwrap();
            p.fit(&train, &y).unwrap();
            let pred = p.predict(&test).unwrap();
            let means: Vec<f64> = pred.iter().map(|q| q.mean).collect();
            let tau = kendall_tau(&means, &truth).unwrap();
            assert!(tau > 0.5, "{head:?}: tau {tau}");
            assert_eq!(pred.iter().all(|q| q.std > 0.0), head == GinHead::Gaussian);
        }
        assert!(
            Gin::new(
                GinConfig {
                    dropout: 1.0,
                    ..GinConfig::npenas_np()
                },
                0
            )
            .is_err()
        );
    }
}
