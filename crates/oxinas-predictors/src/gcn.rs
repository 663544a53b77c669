//! A graph convolutional network predictor over a cell's op-labelled DAG,
//! in two published forms:
//!
//! - [`GcnConfig::default`]: GCN layers gathering from each node's
//!   successors, mean pooling over the real nodes, a linear output trained
//!   by squared error on standardized targets.
//! - [`GcnConfig::bonas`]: the predictor of BONAS (Shi et al., NeurIPS 2020)
//!   as its authors' code runs it. Four GCN layers with batch norm gather
//!   along incoming edges (the code transposes the adjacency), so the global
//!   node, which every node feeds, gathers from all of them; its embedding
//!   is read out into a sigmoid output trained by the exponentially weighted
//!   squared error `exp(y - 1) (p - y)^2`. A Bayesian linear regression on
//!   the global node's embeddings fits the logit of the targets, and the
//!   prediction is the probit-approximated mean and deviation of its sigmoid
//!   (Bayesian sigmoid regression).

use rand::Rng;
use rand::seq::SliceRandom;

use oxinas_core::seed::rng_from_seed;
use oxinas_encodings::GraphTensors;

use crate::adam::Adam;
use crate::column_moments::{batch_norm_backward, column_moments};
use crate::error::hyper;
use crate::row_major_gemm::{MatRef, gemm};
use crate::sigmoid_moments::{logit, sigmoid, sigmoid_moments};
use crate::{
    BayesianLinearRegression, BayesianLinearRegressionConfig, Prediction, Predictor,
    PredictorError, Standardizer,
};

/// Which neighbours a node gathers from in a GCN layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcnAggregation {
    /// `m_i = sum_j A[i][j] h_j`: along outgoing edges (rows are sources).
    Successors,
    /// `m_i = sum_j A[j][i] h_j`: along incoming edges, so a node that every
    /// node feeds (BONAS's global node) gathers from all of them.
    Predecessors,
}

/// How a graph's node embeddings become one vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcnReadout {
    /// The mean over the real nodes.
    MeanPool,
    /// The last real node's embedding (the global node of a `gcn_bonas`
    /// encoding, which sits right after the cell's nodes).
    LastNode,
}

/// The training loss of the network's output `p` against target `y`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GcnLoss {
    /// `(p - y)^2`.
    SquaredError,
    /// `exp(y - 1) (p - y)^2`, targets in [0, 1]: BONAS's `weighted_exp`
    /// (its `loss_num = 3`), which weights the best architectures most.
    ExpWeightedSquaredError,
}

/// Hyperparameters of [`Gcn`].
#[derive(Clone, Debug, PartialEq)]
pub struct GcnConfig {
    /// GCN layers.
    pub layers: usize,
    /// Hidden units per layer.
    pub hidden: usize,
    /// Training epochs.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch_size: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
    /// L2 penalty on weights.
    pub weight_decay: f64,
    /// Replace the network's output by a Bayesian regression on the read-out
    /// embeddings: linear on standardized targets, or, with
    /// `sigmoid_output`, a Bayesian sigmoid regression (BONAS).
    pub blr_head: bool,
    /// With a BLR head: retrain the network on every `retrain_every`-th
    /// fit only, and in between refit just the head on the current
    /// network's embeddings (1 retrains every time, as BONAS's code does).
    pub retrain_every: usize,
    /// Which neighbours each node gathers from.
    pub aggregation: GcnAggregation,
    /// How the graph embedding is read out.
    pub readout: GcnReadout,
    /// Batch norm after each GCN layer (statistics over every node of the
    /// mini-batch; running averages at prediction), before the ReLU.
    pub batch_norm: bool,
    /// Squash the output with a sigmoid and train on targets mapped onto
    /// [0.05, 0.95] (see [`Gcn`]); otherwise a linear output on standardized
    /// targets.
    pub sigmoid_output: bool,
    /// Training loss.
    pub loss: GcnLoss,
    /// Initial GCN weights uniform in `[-b, b]` with biases uniform in
    /// `±1/sqrt(fan_out)` and a PyTorch-default output layer (BONAS:
    /// `Some(0.05)`); `None`: Glorot-uniform weights, zero biases.
    pub uniform_init: Option<f64>,
}

impl Default for GcnConfig {
    fn default() -> Self {
        Self {
            layers: 3,
            hidden: 64,
            epochs: 100,
            batch_size: 16,
            learning_rate: 3e-3,
            weight_decay: 1e-4,
            blr_head: false,
            retrain_every: 1,
            aggregation: GcnAggregation::Successors,
            readout: GcnReadout::MeanPool,
            batch_norm: false,
            sigmoid_output: false,
            loss: GcnLoss::SquaredError,
            uniform_init: None,
        }
    }
}

impl GcnConfig {
    /// BONAS's predictor as its authors' code runs it (`predictors/models.py`,
    /// `BO_tools/`, `settings.py`): 4 GCN layers of 64 units with batch norm,
    /// incoming-edge aggregation, the global node read out, a sigmoid output
    /// trained by `weighted_exp` with Adam (learning rate 1e-3, batch 128, 100
    /// epochs, no weight decay), weights uniform in ±0.05, the network and a
    /// Bayesian sigmoid regression head refitted on every fit.
    pub fn bonas() -> Self {
        Self {
            layers: 4,
            hidden: 64,
            epochs: 100,
            batch_size: 128,
            learning_rate: 1e-3,
            weight_decay: 0.0,
            blr_head: true,
            retrain_every: 1,
            aggregation: GcnAggregation::Predecessors,
            readout: GcnReadout::LastNode,
            batch_norm: true,
            sigmoid_output: true,
            loss: GcnLoss::ExpWeightedSquaredError,
            uniform_init: Some(0.05),
        }
    }
}

/// PyTorch's `BatchNorm1d` defaults.
const BN_EPS: f64 = 1e-5;
const BN_MOMENTUM: f64 = 0.1;

/// Where the affine map of sigmoid-output targets puts the training set's
/// worst and best values.
const UNIT_LOW: f64 = 0.05;
const UNIT_HIGH: f64 = 0.95;

/// Layer sizes, the flat parameter vector and the batch-norm running
/// statistics. Per layer the parameters are `W` (`fi x fo`, row-major),
/// `b` (`fo`) and, with batch norm, `gamma` and `beta` (`fo` each); the
/// output layer's `fo` weights and bias come last.
#[derive(Clone)]
struct Network {
    sizes: Vec<usize>,
    params: Vec<f64>,
    aggregation: GcnAggregation,
    readout: GcnReadout,
    batch_norm: bool,
    sigmoid_output: bool,
    running_mean: Vec<Vec<f64>>,
    running_var: Vec<Vec<f64>>,
}

/// Whether batch norm uses the mini-batch's statistics or the running ones.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Train,
    Eval,
}

/// Activations of one forward pass over a mini-batch, its nodes stacked.
/// Its buffers are resized, not reallocated, when one pass is reused for
/// the next batch.
#[derive(Default)]
struct Pass {
    /// First stacked row of each graph, and the total row count last.
    offsets: Vec<usize>,
    /// Every message of the batch, `(dst, src, A[i][j])` in stacked rows, in
    /// the order of the adjacency's rows then columns (the order the sums
    /// were written in).
    edges: Vec<(usize, usize, f64)>,
    /// The current layer's input, then the last layer's output.
    h: Vec<f64>,
    /// Per layer: the aggregated inputs `M` (rows x fi).
    aggregated: Vec<Vec<f64>>,
    /// Per layer, with batch norm: normalized pre-activations.
    normalized: Vec<Vec<f64>>,
    /// Per layer: batch means and variances (biased) in training mode.
    batch_stats: Vec<(Vec<f64>, Vec<f64>)>,
    /// Per layer: `1 / sqrt(var + eps)` of the statistics used.
    inv_std: Vec<Vec<f64>>,
    /// Per layer: the ReLU's input.
    pre: Vec<Vec<f64>>,
    /// Per graph: the read-out embedding.
    embeddings: Vec<Vec<f64>>,
    /// Per graph: the output (after the sigmoid when there is one).
    outputs: Vec<f64>,
}

/// Gradient buffers of the backward pass, kept across steps.
#[derive(Default)]
struct Scratch {
    dh: Vec<f64>,
    dz: Vec<f64>,
    dm: Vec<f64>,
    sums: Vec<f64>,
}

impl Network {
    fn new(input: usize, config: &GcnConfig, seed: u64) -> Self {
        let mut rng = rng_from_seed(seed);
        let mut sizes = vec![input];
        sizes.extend(std::iter::repeat_n(config.hidden, config.layers));
        let mut params = Vec::new();
        for w in sizes.windows(2) {
            let (fi, fo) = (w[0], w[1]);
            match config.uniform_init {
                Some(bound) => {
                    params.extend((0..fi * fo).map(|_| rng.random_range(-bound..=bound)));
                    let b = 1.0 / (fo as f64).sqrt();
                    params.extend((0..fo).map(|_| rng.random_range(-b..=b)));
                }
                None => {
                    let bound = (6.0 / (fi + fo) as f64).sqrt();
                    params.extend((0..fi * fo).map(|_| rng.random_range(-bound..bound)));
                    params.extend(std::iter::repeat_n(0.0, fo));
                }
            }
            if config.batch_norm {
                params.extend(std::iter::repeat_n(1.0, fo));
                params.extend(std::iter::repeat_n(0.0, fo));
            }
        }
        let h = *sizes.last().unwrap_or(&input);
        let bound = match config.uniform_init {
            // PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
            Some(_) => 1.0 / (h as f64).sqrt(),
            None => (6.0 / (h + 1) as f64).sqrt(),
        };
        params.extend((0..h).map(|_| rng.random_range(-bound..bound)));
        params.push(match config.uniform_init {
            Some(_) => rng.random_range(-bound..bound),
            None => 0.0,
        });
        Self {
            running_mean: sizes[1..].iter().map(|&fo| vec![0.0; fo]).collect(),
            running_var: sizes[1..].iter().map(|&fo| vec![1.0; fo]).collect(),
            sizes,
            params,
            aggregation: config.aggregation,
            readout: config.readout,
            batch_norm: config.batch_norm,
            sigmoid_output: config.sigmoid_output,
        }
    }

    fn layer_width(&self, l: usize) -> usize {
        let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
        fi * fo + fo * if self.batch_norm { 3 } else { 1 }
    }

    fn layer_offset(&self, l: usize) -> usize {
        (0..l).map(|k| self.layer_width(k)).sum()
    }

    fn head_offset(&self) -> usize {
        self.layer_offset(self.sizes.len() - 1)
    }

    /// `(dst, src)` of the message along entry `A[i][j]`.
    fn message(&self, i: usize, j: usize) -> (usize, usize) {
        match self.aggregation {
            GcnAggregation::Successors => (i, j),
            GcnAggregation::Predecessors => (j, i),
        }
    }

    fn forward(&self, graphs: &[&GraphTensors], mode: Mode) -> Pass {
        let mut pass = Pass::default();
        self.forward_into(graphs, mode, &mut pass);
        pass
    }

    /// [`Network::forward`] into the buffers of `pass`.
    fn forward_into(&self, graphs: &[&GraphTensors], mode: Mode, pass: &mut Pass) {
        pass.offsets.clear();
        pass.edges.clear();
        let mut rows = 0;
        for g in graphs {
            pass.offsets.push(rows);
            // The adjacency's non-zeros, once per batch instead of once per
            // layer and pass.
            let side = g.max_nodes;
            for i in 0..g.num_nodes {
                for j in 0..g.num_nodes {
                    let a = g.adjacency[i * side + j];
                    if a != 0.0 {
                        let (dst, src) = self.message(i, j);
                        pass.edges.push((rows + dst, rows + src, a));
                    }
                }
            }
            rows += g.num_nodes;
        }
        pass.offsets.push(rows);
        let f0 = self.sizes[0];
        pass.h.resize(rows * f0, 0.0);
        for (g, &start) in graphs.iter().zip(&pass.offsets) {
            pass.h[start * f0..(start + g.num_nodes) * f0]
                .copy_from_slice(&g.node_features[..g.num_nodes * f0]);
        }
        let layers = self.sizes.len() - 1;
        for buffers in [
            &mut pass.aggregated,
            &mut pass.normalized,
            &mut pass.inv_std,
            &mut pass.pre,
        ] {
            buffers.resize_with(layers, Vec::new);
        }
        pass.batch_stats.resize_with(layers, Default::default);
        for l in 0..layers {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            let m = &mut pass.aggregated[l];
            m.clear();
            m.resize(rows * fi, 0.0);
            for &(dst, src, a) in &pass.edges {
                let from = &pass.h[src * fi..(src + 1) * fi];
                for (mk, hk) in m[dst * fi..(dst + 1) * fi].iter_mut().zip(from) {
                    *mk += a * hk;
                }
            }
            let off = self.layer_offset(l);
            let b = &self.params[off + fi * fo..off + fi * fo + fo];
            // Z = M W + b, one matrix product over the batch.
            let (normalized, pre) = (&mut pass.normalized[l], &mut pass.pre[l]);
            let z = if self.batch_norm {
                &mut *normalized
            } else {
                &mut *pre
            };
            z.resize(rows * fo, 0.0);
            for zr in z.chunks_exact_mut(fo) {
                zr.copy_from_slice(b);
            }
            if rows > 0 {
                let w = MatRef::new(&self.params[off..off + fi * fo], fi, fo);
                gemm(MatRef::new(m, rows, fi), w, 1.0, z);
            }
            if self.batch_norm {
                let (mean, var) = match mode {
                    Mode::Train => column_moments(normalized, rows, fo),
                    Mode::Eval => (self.running_mean[l].clone(), self.running_var[l].clone()),
                };
                let inv_std = &mut pass.inv_std[l];
                inv_std.clear();
                inv_std.extend(var.iter().map(|v| 1.0 / (v + BN_EPS).sqrt()));
                let gamma = &self.params[off + fi * fo + fo..off + fi * fo + 2 * fo];
                let beta = &self.params[off + fi * fo + 2 * fo..off + fi * fo + 3 * fo];
                pre.resize(rows * fo, 0.0);
                for (nr, pr) in normalized
                    .chunks_exact_mut(fo)
                    .zip(pre.chunks_exact_mut(fo))
                {
                    for k in 0..fo {
                        let n = (nr[k] - mean[k]) * inv_std[k];
                        nr[k] = n;
                        pr[k] = gamma[k] * n + beta[k];
                    }
                }
                pass.batch_stats[l] = (mean, var);
            }
            pass.h.clear();
            pass.h.extend(pass.pre[l].iter().map(|v| v.max(0.0)));
        }
        let f = self.sizes[layers];
        let head = self.head_offset();
        let h = &pass.h;
        pass.embeddings.resize_with(graphs.len(), Vec::new);
        pass.outputs.clear();
        for (gi, g) in graphs.iter().enumerate() {
            let start = pass.offsets[gi];
            let n = g.num_nodes.max(1);
            let embedding = &mut pass.embeddings[gi];
            embedding.clear();
            match self.readout {
                GcnReadout::MeanPool => {
                    embedding.resize(f, 0.0);
                    for r in start..start + g.num_nodes {
                        for (ek, hk) in embedding.iter_mut().zip(&h[r * f..(r + 1) * f]) {
                            *ek += hk / n as f64;
                        }
                    }
                }
                GcnReadout::LastNode => {
                    let r = start + n - 1;
                    embedding.extend_from_slice(&h[r * f..(r + 1) * f]);
                }
            }
            let o = self.params[head + f]
                + embedding
                    .iter()
                    .zip(&self.params[head..head + f])
                    .map(|(a, b)| a * b)
                    .sum::<f64>();
            pass.outputs
                .push(if self.sigmoid_output { sigmoid(o) } else { o });
        }
    }

    /// Folds a training pass's batch statistics into the running ones
    /// (PyTorch: momentum 0.1, the unbiased variance).
    fn update_running_stats(&mut self, pass: &Pass) {
        let rows = *pass.offsets.last().unwrap_or(&0);
        if !self.batch_norm || rows < 2 {
            return;
        }
        let unbias = rows as f64 / (rows - 1) as f64;
        for (l, (mean, var)) in pass.batch_stats.iter().enumerate() {
            for k in 0..mean.len() {
                let rm = &mut self.running_mean[l][k];
                *rm = (1.0 - BN_MOMENTUM) * *rm + BN_MOMENTUM * mean[k];
                let rv = &mut self.running_var[l][k];
                *rv = (1.0 - BN_MOMENTUM) * *rv + BN_MOMENTUM * var[k] * unbias;
            }
        }
    }

    /// Adds the gradient of `sum_b d_out[b] * output_b` (a training-mode
    /// pass of `graphs`) to `grad`.
    #[cfg(test)]
    fn backward(&self, graphs: &[&GraphTensors], pass: &Pass, d_out: &[f64], grad: &mut [f64]) {
        debug_assert_eq!(graphs.len() + 1, pass.offsets.len());
        self.backward_with(pass, d_out, grad, &mut Scratch::default());
    }

    /// [`Network::backward`] with gradient buffers from `s`.
    fn backward_with(&self, pass: &Pass, d_out: &[f64], grad: &mut [f64], s: &mut Scratch) {
        let layers = self.sizes.len() - 1;
        let f = self.sizes[layers];
        let head = self.head_offset();
        let rows = *pass.offsets.last().unwrap_or(&0);
        s.dh.clear();
        s.dh.resize(rows * f, 0.0);
        for (gi, &d) in d_out.iter().enumerate().take(pass.offsets.len() - 1) {
            let mut d = d;
            if self.sigmoid_output {
                let p = pass.outputs[gi];
                d *= p * (1.0 - p);
            }
            for (gk, e) in grad[head..head + f].iter_mut().zip(&pass.embeddings[gi]) {
                *gk += d * e;
            }
            grad[head + f] += d;
            let (start, end) = (pass.offsets[gi], pass.offsets[gi + 1]);
            let n = (end - start).max(1);
            let weights = &self.params[head..head + f];
            match self.readout {
                GcnReadout::MeanPool => {
                    for r in start..end {
                        for (dk, wk) in s.dh[r * f..(r + 1) * f].iter_mut().zip(weights) {
                            *dk += d * wk / n as f64;
                        }
                    }
                }
                GcnReadout::LastNode => {
                    let r = start + n - 1;
                    for (dk, wk) in s.dh[r * f..(r + 1) * f].iter_mut().zip(weights) {
                        *dk += d * wk;
                    }
                }
            }
        }
        for l in (0..layers).rev() {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            let off = self.layer_offset(l);
            // Through the ReLU.
            s.dz.clear();
            s.dz.extend(
                s.dh.iter()
                    .zip(&pass.pre[l])
                    .map(|(d, &p)| if p > 0.0 { *d } else { 0.0 }),
            );
            if self.batch_norm {
                let xhat = &pass.normalized[l];
                let inv_std = &pass.inv_std[l];
                let gamma_at = off + fi * fo + fo;
                let beta_at = gamma_at + fo;
                let gamma = &self.params[gamma_at..gamma_at + fo];
                let (d_gamma, d_beta) = grad[gamma_at..beta_at + fo].split_at_mut(fo);
                batch_norm_backward(
                    &mut s.dz,
                    xhat,
                    gamma,
                    inv_std,
                    fo,
                    d_gamma,
                    d_beta,
                    &mut s.sums,
                );
            }
            for dzr in s.dz.chunks_exact(fo) {
                for (gb, d) in grad[off + fi * fo..off + fi * fo + fo].iter_mut().zip(dzr) {
                    *gb += d;
                }
            }
            if rows == 0 {
                break;
            }
            let m = &pass.aggregated[l];
            let w = MatRef::new(&self.params[off..off + fi * fo], fi, fo);
            // dW += M^T dZ.
            gemm(
                MatRef::new(m, rows, fi).t(),
                MatRef::new(&s.dz, rows, fo),
                1.0,
                &mut grad[off..off + fi * fo],
            );
            if l == 0 {
                break;
            }
            // dM = dZ W^T.
            s.dm.resize(rows * fi, 0.0);
            gemm(MatRef::new(&s.dz, rows, fo), w.t(), 0.0, &mut s.dm);
            // The transpose of the aggregation: dH_src += A dM_dst.
            s.dh.clear();
            s.dh.resize(rows * fi, 0.0);
            for &(dst, src, a) in &pass.edges {
                let from = &s.dm[dst * fi..(dst + 1) * fi];
                for (dk, mk) in s.dh[src * fi..(src + 1) * fi].iter_mut().zip(from) {
                    *dk += a * mk;
                }
            }
        }
    }
}

/// The map from targets to what the network trains on.
#[derive(Clone, Copy, Debug)]
enum TargetMap {
    /// Standardized targets (linear output).
    Standard(Standardizer),
    /// The training set's range mapped affinely onto [0.05, 0.95] (sigmoid
    /// output): `u = low + (y - min) * scale`.
    Unit { min: f64, scale: f64 },
}

impl TargetMap {
    fn fit(targets: &[f64], sigmoid_output: bool) -> Self {
        if !sigmoid_output {
            return TargetMap::Standard(Standardizer::fit(targets));
        }
        let min = targets.iter().copied().fold(f64::INFINITY, f64::min);
        let max = targets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let range = max - min;
        // A constant training set maps to the middle of the interval.
        let scale = if range > 1e-12 {
            (UNIT_HIGH - UNIT_LOW) / range
        } else {
            1.0
        };
        let min = if range > 1e-12 { min } else { min - 0.45 };
        TargetMap::Unit { min, scale }
    }

    fn forward(&self, y: f64) -> f64 {
        match *self {
            TargetMap::Standard(s) => s.forward(y),
            TargetMap::Unit { min, scale } => UNIT_LOW + (y - min) * scale,
        }
    }

    fn inverse(&self, u: f64) -> f64 {
        match *self {
            TargetMap::Standard(s) => s.inverse(u),
            TargetMap::Unit { min, scale } => min + (u - UNIT_LOW) / scale,
        }
    }

    /// Target units per network unit (for deviations).
    fn unit(&self) -> f64 {
        match *self {
            TargetMap::Standard(s) => s.std,
            TargetMap::Unit { scale, .. } => 1.0 / scale,
        }
    }
}

#[derive(Debug)]
struct Fitted {
    network: Network,
    targets: TargetMap,
    head: Option<BayesianLinearRegression>,
    shape: (usize, usize),
}

/// The GCN predictor on graph tensors.
///
/// With `sigmoid_output` the targets are mapped affinely so the training
/// set spans [0.05, 0.95]: BONAS trains on accuracies as fractions, while
/// oxinas scores come in any unit (percent, negated perplexity); predictions
/// are mapped back.
#[derive(Debug)]
pub struct Gcn {
    config: GcnConfig,
    seed: u64,
    fitted: Option<Fitted>,
    fits: usize,
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Network({:?})", self.sizes)
    }
}

impl Gcn {
    /// Validates `config`.
    pub fn new(config: GcnConfig, seed: u64) -> Result<Self, PredictorError> {
        let name = if config.blr_head { "gcn_blr" } else { "gcn" };
        if config.layers == 0 || config.hidden == 0 {
            return Err(hyper(name, "layers/hidden", "at least 1"));
        }
        if config.epochs == 0 || config.batch_size == 0 {
            return Err(hyper(name, "epochs/batch_size", "at least 1"));
        }
        if !(config.learning_rate > 0.0 && config.learning_rate.is_finite()) {
            return Err(hyper(name, "learning_rate", "positive"));
        }
        if config.weight_decay.is_nan() || config.weight_decay < 0.0 {
            return Err(hyper(name, "weight_decay", "non-negative"));
        }
        if config.retrain_every == 0 {
            return Err(hyper(name, "retrain_every", "at least 1"));
        }
        if config
            .uniform_init
            .is_some_and(|b| !(b > 0.0 && b.is_finite()))
        {
            return Err(hyper(name, "uniform_init", "a positive bound"));
        }
        Ok(Self {
            config,
            seed,
            fitted: None,
            fits: 0,
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
                    predictor: self.name(),
                    message: format!(
                        "graph {row} has {} nodes x {} features, expected {} x {} with matching buffers",
                        g.max_nodes, g.num_node_features, shape.0, shape.1
                    ),
                });
            }
        }
        Ok(())
    }

    /// The Bayesian head's regression and its training targets: BONAS's
    /// regression on the logit of the mapped targets, or the default one on
    /// the standardized targets.
    fn fit_head(
        &self,
        embeddings: &[Vec<f64>],
        mapped: &[f64],
    ) -> Result<BayesianLinearRegression, PredictorError> {
        let (config, targets): (_, Vec<f64>) = if self.config.sigmoid_output {
            (
                BayesianLinearRegressionConfig::bonas(),
                mapped.iter().map(|&u| logit(u)).collect(),
            )
        } else {
            (BayesianLinearRegressionConfig::default(), mapped.to_vec())
        };
        let mut blr = BayesianLinearRegression::new(config)?;
        blr.fit(embeddings, &targets)?;
        Ok(blr)
    }
}

/// Read-out embeddings of `inputs` with running batch-norm statistics.
fn embed(network: &Network, inputs: &[GraphTensors]) -> Vec<Vec<f64>> {
    let refs: Vec<&GraphTensors> = inputs.iter().collect();
    network.forward(&refs, Mode::Eval).embeddings
}

impl Predictor<GraphTensors> for Gcn {
    fn name(&self) -> &'static str {
        if self.config.blr_head {
            "gcn_blr"
        } else {
            "gcn"
        }
    }

    fn fit(&mut self, inputs: &[GraphTensors], targets: &[f64]) -> Result<(), PredictorError> {
        if inputs.len() != targets.len() || inputs.len() < 2 {
            return Err(PredictorError::TooFewPoints {
                predictor: self.name(),
                needed: 2,
                got: inputs.len().min(targets.len()),
            });
        }
        let shape = (inputs[0].max_nodes, inputs[0].num_node_features);
        self.check(inputs, shape)?;
        let target_map = TargetMap::fit(targets, self.config.sigmoid_output);
        let y: Vec<f64> = targets.iter().map(|&v| target_map.forward(v)).collect();
        let fit_index = self.fits;
        self.fits += 1;
        let keep_network = self.fitted.as_ref().is_some_and(|f| {
            f.head.is_some()
                && f.shape == shape
                && !fit_index.is_multiple_of(self.config.retrain_every)
        });
        if keep_network && let Some(network) = self.fitted.as_ref().map(|f| &f.network) {
            // Between retrains only the head learns the new points.
            let head = self.fit_head(&embed(network, inputs), &y)?;
            if let Some(fitted) = self.fitted.as_mut() {
                fitted.head = Some(head);
                fitted.targets = target_map;
            }
            return Ok(());
        }
        let seed = self.seed;
        let mut network = Network::new(shape.1, &self.config, seed);
        let mut rng = rng_from_seed(seed ^ 0x9e37_79b9_7f4a_7c15);
        let mut adam = Adam::new(network.params.len(), self.config.learning_rate);
        let mut grad = vec![0.0; network.params.len()];
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        // Buffers for every step of the fit.
        let mut pass = Pass::default();
        let mut scratch = Scratch::default();
        let mut graphs: Vec<&GraphTensors> = Vec::with_capacity(self.config.batch_size);
        let mut d_out = Vec::new();
        for _ in 0..self.config.epochs {
            order.shuffle(&mut rng);
            for batch in order.chunks(self.config.batch_size) {
                grad.iter_mut().for_each(|g| *g = 0.0);
                graphs.clear();
                graphs.extend(batch.iter().map(|&i| &inputs[i]));
                network.forward_into(&graphs, Mode::Train, &mut pass);
                d_out.clear();
                d_out.extend(batch.iter().zip(&pass.outputs).map(|(&i, &p)| {
                    let weight = match self.config.loss {
                        GcnLoss::SquaredError => 1.0,
                        GcnLoss::ExpWeightedSquaredError => (y[i] - 1.0).exp(),
                    };
                    2.0 * weight * (p - y[i]) / batch.len() as f64
                }));
                network.backward_with(&pass, &d_out, &mut grad, &mut scratch);
                network.update_running_stats(&pass);
                for (g, p) in grad.iter_mut().zip(&network.params) {
                    *g += self.config.weight_decay * p;
                }
                adam.step(&mut network.params, &grad);
            }
        }
        let head = if self.config.blr_head {
            Some(self.fit_head(&embed(&network, inputs), &y)?)
        } else {
            None
        };
        self.fitted = Some(Fitted {
            network,
            targets: target_map,
            head,
            shape,
        });
        Ok(())
    }

    fn predict(&self, inputs: &[GraphTensors]) -> Result<Vec<Prediction>, PredictorError> {
        let f = self.fitted.as_ref().ok_or(PredictorError::NotFitted {
            predictor: self.name(),
        })?;
        self.check(inputs, f.shape)?;
        let refs: Vec<&GraphTensors> = inputs.iter().collect();
        let pass = f.network.forward(&refs, Mode::Eval);
        let unit = f.targets.unit();
        match &f.head {
            Some(blr) => Ok(blr
                .predict(&pass.embeddings)?
                .into_iter()
                .map(|p| {
                    if self.config.sigmoid_output {
                        // The regression is on logits: report the moments
                        // of its sigmoid, in target units.
                        let (mean, std) = sigmoid_moments(p.mean, p.std);
                        Prediction {
                            mean: f.targets.inverse(mean),
                            std: std * unit,
                        }
                    } else {
                        Prediction {
                            mean: f.targets.inverse(p.mean),
                            std: p.std * unit,
                        }
                    }
                })
                .collect()),
            None => Ok(pass
                .outputs
                .iter()
                .map(|&o| Prediction::point(f.targets.inverse(o)))
                .collect()),
        }
    }

    fn has_uncertainty(&self) -> bool {
        self.config.blr_head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank_correlation::kendall_tau;
    use oxinas_core::SearchSpace;
    use oxinas_core::seed::rng_from_seed;
    use oxinas_encodings::EncodableSpace;
    use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};

    /// Random 5-node chains with one-hot node labels (3 ops); the target is
    /// a fixed weight per op summed over nodes, which mean pooling can
    /// express. With `global`, a sixth node that every node feeds (own
    /// label column), as the `gcn_bonas` encodings write it.
    fn graphs(n: usize, seed: u64, global: bool) -> (Vec<GraphTensors>, Vec<f64>) {
        let mut rng = rng_from_seed(seed);
        let weights = [1.0, -0.5, 0.3];
        let mut gs = Vec::new();
        let mut ys = Vec::new();
        let side = if global { 6 } else { 5 };
        let width = if global { 4 } else { 3 };
        for _ in 0..n {
            let mut features = vec![0.0; side * width];
            let mut adjacency = vec![0.0; side * side];
            let mut y = 0.0;
            for i in 0..5 {
                let op = rng.random_range(0..3);
                features[i * width + op] = 1.0;
                y += weights[op];
                adjacency[i * side + i] = 0.5;
                if i + 1 < 5 {
                    adjacency[i * side + i + 1] = 0.5;
                } else {
                    adjacency[i * side + i] = 1.0;
                }
            }
            if global {
                features[5 * width + 3] = 1.0;
                for i in 0..6 {
                    adjacency[i * side + 5] = 1.0;
                }
            }
            gs.push(GraphTensors {
                num_nodes: side,
                max_nodes: side,
                num_node_features: width,
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
        let small = |config: GcnConfig| GcnConfig {
            layers: 2,
            hidden: 4,
            ..config
        };
        for (config, global) in [
            (small(GcnConfig::default()), false),
            (small(GcnConfig::bonas()), true),
        ] {
            let (gs, _) = graphs(3, 9, global);
            let refs: Vec<&GraphTensors> = gs.iter().collect();
            let mut net = Network::new(gs[0].num_node_features, &config, 1);
            // Positive biases keep the unnormalized units away from ReLU kinks.
            if !config.batch_norm {
                for l in 0..2 {
                    let off = net.layer_offset(l);
                    let (fi, fo) = (net.sizes[l], net.sizes[l + 1]);
                    for b in &mut net.params[off + fi * fo..off + fi * fo + fo] {
                        *b = 1.0;
                    }
                }
            }
            // The gradient of sum_b c_b output_b, batch norm in training mode.
            let c = [0.7, -1.3, 0.4];
            let objective = |n: &Network| {
                let pass = n.forward(&refs, Mode::Train);
                pass.outputs.iter().zip(&c).map(|(o, c)| o * c).sum::<f64>()
            };
            let pass = net.forward(&refs, Mode::Train);
            let mut grad = vec![0.0; net.params.len()];
            net.backward(&refs, &pass, &c, &mut grad);
            for (k, analytic) in grad.iter().enumerate() {
                let mut plus = net.clone();
                plus.params[k] += 1e-6;
                let mut minus = net.clone();
                minus.params[k] -= 1e-6;
                let numeric = (objective(&plus) - objective(&minus)) / 2e-6;
                assert!(
                    (numeric - analytic).abs() < 1e-5 * (1.0 + analytic.abs()),
                    "batch_norm {}: param {k}: {numeric} vs {analytic}",
                    config.batch_norm
                );
            }
        }
    }

    /// One GCN layer of one unit, weights set by hand, on input -> a -> b with
    /// a global node that all four nodes (itself included) feed.
    fn hand_network(aggregation: GcnAggregation) -> (Network, GraphTensors) {
        let config = GcnConfig {
            layers: 1,
            hidden: 1,
            aggregation,
            readout: GcnReadout::LastNode,
            ..GcnConfig::default()
        };
        let mut net = Network::new(4, &config, 0);
        // W = (1, 2, 3, 4), b = 0.5; output = 2 * embedding - 1.
        net.params = vec![1.0, 2.0, 3.0, 4.0, 0.5, 2.0, -1.0];
        #[rustfmt::skip]
        let adjacency = vec![
            1.0, 1.0, 0.0, 1.0,
            0.0, 1.0, 1.0, 1.0,
            0.0, 0.0, 1.0, 1.0,
            0.0, 0.0, 0.0, 1.0,
        ];
        #[rustfmt::skip]
        let node_features = vec![
            1.0, 0.0, 0.0, 0.0,
            0.0, 1.0, 0.0, 0.0,
            0.0, 0.0, 1.0, 0.0,
            0.0, 0.0, 0.0, 1.0,
        ];
        let g = GraphTensors {
            num_nodes: 4,
            max_nodes: 4,
            num_node_features: 4,
            node_features,
            adjacency,
            graph_features: vec![],
        };
        (net, g)
    }

    #[test]
    fn the_global_node_gathers_from_every_node_by_hand() {
        let (net, g) = hand_network(GcnAggregation::Predecessors);
        // m_global = h_0 + h_1 + h_2 + h_global = (1, 1, 1, 1):
        // relu(1 + 2 + 3 + 4 + 0.5) = 10.5, output 2 * 10.5 - 1 = 20.
        let pass = net.forward(&[&g], Mode::Eval);
        assert_eq!(pass.embeddings[0], vec![10.5]);
        assert_eq!(pass.outputs[0], 20.0);
        // Relabelling any one node moves it: node 0 to label 1 gives
        // m_global = (0, 2, 1, 1), 4 + 3 + 4 + 0.5 = 11.5; node 1 to label 0
        // (2, 0, 1, 1), 9.5; node 2 to label 0 (2, 1, 0, 1), 8.5.
        for (node, label, expected) in [(0, 1, 11.5), (1, 0, 9.5), (2, 0, 8.5)] {
            let mut relabelled = g.clone();
            let row = &mut relabelled.node_features[node * 4..node * 4 + 4];
            row.fill(0.0);
            row[label] = 1.0;
            let embedding = net.forward(&[&relabelled], Mode::Eval).embeddings;
            assert_eq!(embedding[0], vec![expected], "node {node}");
        }
        // Gathering from successors instead, the global node sees only
        // itself: relu(4 + 0.5), whatever the cell.
        let (net, mut g) = hand_network(GcnAggregation::Successors);
        assert_eq!(net.forward(&[&g], Mode::Eval).embeddings[0], vec![4.5]);
        g.node_features[4..8].copy_from_slice(&[1.0, 0.0, 0.0, 0.0]);
        assert_eq!(net.forward(&[&g], Mode::Eval).embeddings[0], vec![4.5]);
    }

    #[test]
    fn bonas_readout_changes_with_every_nodes_op() {
        let space = Nb201Space::new();
        let encoding = space.graph_encoding("gcn_bonas").unwrap();
        let arch = space.sample(&mut rng_from_seed(5));
        let readout = |net: &Network, a: &Nb201Arch| -> Vec<f64> {
            let g = encoding.encode(a).unwrap();
            net.forward(&[&g], Mode::Eval).embeddings.remove(0)
        };
        let bonas = GcnConfig::bonas();
        let inert = GcnConfig {
            aggregation: GcnAggregation::Successors,
            ..GcnConfig::bonas()
        };
        let features = encoding.num_node_features();
        let net = Network::new(features, &bonas, 3);
        let successors = Network::new(features, &inert, 3);
        let base = readout(&net, &arch);
        // Every op node of the cell: a different op changes the global
        // node's embedding.
        for edge in 0..arch.ops.len() {
            for op in Nb201Op::ALL {
                if op == arch.ops[edge] {
                    continue;
                }
                let mut changed = arch;
                changed.ops[edge] = op;
                assert_ne!(readout(&net, &changed), base, "edge {edge} -> {op:?}");
                // Gathering along outgoing edges leaves it inert.
                assert_eq!(
                    readout(&successors, &changed),
                    readout(&successors, &arch),
                    "edge {edge}"
                );
            }
        }
    }

    #[test]
    fn learns_a_sum_of_node_labels_with_and_without_blr_head() {
        for (config, global) in [
            (GcnConfig::default(), false),
            (
                GcnConfig {
                    blr_head: true,
                    ..GcnConfig::default()
                },
                false,
            ),
            (GcnConfig::bonas(), true),
        ] {
            let (train, y) = graphs(120, 1, global);
            let (test, truth) = graphs(150, 2, global);
            let blr_head = config.blr_head;
            let mut p = Gcn::new(config, 4).unwrap();
            p.fit(&train, &y).unwrap();
            let pred = p.predict(&test).unwrap();
            let means: Vec<f64> = pred.iter().map(|q| q.mean).collect();
            let tau = kendall_tau(&means, &truth).unwrap();
            // Untrained or wrongly trained networks score near 0 here.
            assert!(
                tau > 0.55,
                "blr_head {blr_head}, global {global}: tau {tau}"
            );
            assert_eq!(pred.iter().any(|q| q.std > 0.0), blr_head);
        }
        assert!(
            Gcn::new(
                GcnConfig {
                    layers: 0,
                    ..GcnConfig::default()
                },
                0
            )
            .is_err()
        );
    }

    #[test]
    fn between_retrains_only_the_head_learns() {
        let (first, y_first) = graphs(40, 5, false);
        let (second, _) = graphs(40, 6, false);
        let (probe, _) = graphs(20, 7, false);
        // Targets the first network never saw: the head must follow them.
        let y_flipped: Vec<f64> = y_first.iter().map(|v| -v).collect();
        let config = GcnConfig {
            epochs: 30,
            blr_head: true,
            retrain_every: 2,
            ..GcnConfig::default()
        };
        let mut scheduled = Gcn::new(config.clone(), 3).unwrap();
        scheduled.fit(&first, &y_first).unwrap();
        let network_before = scheduled.fitted.as_ref().unwrap().network.params.clone();
        scheduled.fit(&first, &y_flipped).unwrap();
        let after = scheduled.fitted.as_ref().unwrap();
        assert_eq!(
            after.network.params, network_before,
            "fit 2 of 2 keeps the network"
        );
        let head_only: Vec<f64> = scheduled
            .predict(&first)
            .unwrap()
            .iter()
            .map(|p| p.mean)
            .collect();
        let tau = kendall_tau(&head_only, &y_flipped).unwrap();
        assert!(
            tau > 0.5,
            "the refitted head follows the new targets: tau {tau}"
        );
        // The third fit retrains, as a fresh predictor would.
        scheduled.fit(&second, &y_first[..40]).unwrap();
        let mut fresh = Gcn::new(config, 3).unwrap();
        fresh.fit(&second, &y_first[..40]).unwrap();
        let a: Vec<f64> = scheduled
            .predict(&probe)
            .unwrap()
            .iter()
            .map(|p| p.mean)
            .collect();
        let b: Vec<f64> = fresh
            .predict(&probe)
            .unwrap()
            .iter()
            .map(|p| p.mean)
            .collect();
        assert_eq!(a, b);
        assert!(
            Gcn::new(
                GcnConfig {
                    retrain_every: 0,
                    ..GcnConfig::default()
                },
                0
            )
            .is_err()
        );
    }
}
