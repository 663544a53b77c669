//! A graph convolutional network predictor (as in NPENAS and BONAS): GCN
//! layers over the cell's op-on-node DAG, mean pooling over the real nodes,
//! a linear output; optionally a Bayesian linear regression head on the
//! pooled embeddings (BONAS), which gives calibrated uncertainty.

use rand::Rng;
use rand::seq::SliceRandom;

use oxinas_core::seed::rng_from_seed;
use oxinas_encodings::GraphTensors;

use crate::adam::Adam;
use crate::error::hyper;
use crate::{
    BayesianLinearRegression, BayesianLinearRegressionConfig, Prediction, Predictor,
    PredictorError, Standardizer,
};

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
    /// Replace the linear output by a BLR on the pooled embeddings (BONAS).
    pub blr_head: bool,
    /// With a BLR head: retrain the network on every `retrain_every`-th
    /// fit only, and in between refit just the head on the current
    /// network's embeddings (BONAS's schedule; 1 retrains every time).
    pub retrain_every: usize,
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
        }
    }
}

/// Layer sizes and the flat parameter layout of the network.
#[derive(Clone)]
struct Network {
    sizes: Vec<usize>,
    params: Vec<f64>,
}

/// Activations of one forward pass.
struct Pass {
    /// Input of each layer after aggregation (`Â H`), per layer.
    aggregated: Vec<Vec<f64>>,
    /// Pre-activations per layer.
    pre: Vec<Vec<f64>>,
    /// Pooled embedding.
    pooled: Vec<f64>,
    output: f64,
}

impl Network {
    fn new(input: usize, config: &GcnConfig, seed: u64) -> Self {
        let mut rng = rng_from_seed(seed);
        let mut sizes = vec![input];
        sizes.extend(std::iter::repeat_n(config.hidden, config.layers));
        let mut params = Vec::new();
        for w in sizes.windows(2) {
            let bound = (6.0 / (w[0] + w[1]) as f64).sqrt();
            params.extend((0..w[0] * w[1]).map(|_| rng.random_range(-bound..bound)));
            params.extend(std::iter::repeat_n(0.0, w[1]));
        }
        let h = *sizes.last().unwrap_or(&input);
        let bound = (6.0 / (h + 1) as f64).sqrt();
        params.extend((0..h).map(|_| rng.random_range(-bound..bound)));
        params.push(0.0);
        Self { sizes, params }
    }

    fn layer_offset(&self, l: usize) -> usize {
        (0..l)
            .map(|k| self.sizes[k] * self.sizes[k + 1] + self.sizes[k + 1])
            .sum()
    }

    fn forward(&self, g: &GraphTensors) -> Pass {
        let n = g.max_nodes;
        let mut h = g.node_features.clone();
        let mut aggregated = Vec::new();
        let mut pre = Vec::new();
        for l in 0..self.sizes.len() - 1 {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            let mut m = vec![0.0; n * fi];
            for i in 0..g.num_nodes {
                for j in 0..g.num_nodes {
                    let a = g.adjacency[i * n + j];
                    if a != 0.0 {
                        for k in 0..fi {
                            m[i * fi + k] += a * h[j * fi + k];
                        }
                    }
                }
            }
            let off = self.layer_offset(l);
            let w = &self.params[off..off + fi * fo];
            let b = &self.params[off + fi * fo..off + fi * fo + fo];
            // z_i = b + sum_k m_ik W_k, accumulated row-wise (contiguous
            // in W, so it vectorises; the same order of additions per entry).
            let mut z = vec![0.0; n * fo];
            for i in 0..g.num_nodes {
                let zi = &mut z[i * fo..(i + 1) * fo];
                zi.copy_from_slice(b);
                for (k, &mik) in m[i * fi..(i + 1) * fi].iter().enumerate() {
                    for (zo, wo) in zi.iter_mut().zip(&w[k * fo..(k + 1) * fo]) {
                        *zo += mik * wo;
                    }
                }
            }
            h = z.iter().map(|v| v.max(0.0)).collect();
            aggregated.push(m);
            pre.push(z);
        }
        let f = *self.sizes.last().unwrap_or(&0);
        let count = g.num_nodes.max(1) as f64;
        let mut pooled = vec![0.0; f];
        for i in 0..g.num_nodes {
            for k in 0..f {
                pooled[k] += h[i * f + k] / count;
            }
        }
        let head = self.layer_offset(self.sizes.len() - 1);
        let output = self.params[head + f]
            + pooled
                .iter()
                .zip(&self.params[head..head + f])
                .map(|(a, b)| a * b)
                .sum::<f64>();
        Pass {
            aggregated,
            pre,
            pooled,
            output,
        }
    }

    /// Adds `d_out * d output / d params` at `g` to `grad`.
    fn backward(&self, g: &GraphTensors, pass: &Pass, d_out: f64, grad: &mut [f64]) {
        let n = g.max_nodes;
        let layers = self.sizes.len() - 1;
        let f = self.sizes[layers];
        let head = self.layer_offset(layers);
        for k in 0..f {
            grad[head + k] += d_out * pass.pooled[k];
        }
        grad[head + f] += d_out;
        let count = g.num_nodes.max(1) as f64;
        let mut dh = vec![0.0; n * f];
        for i in 0..g.num_nodes {
            for k in 0..f {
                dh[i * f + k] = d_out * self.params[head + k] / count;
            }
        }
        for l in (0..layers).rev() {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            let off = self.layer_offset(l);
            let z = &pass.pre[l];
            let m = &pass.aggregated[l];
            let mut dm = vec![0.0; n * fi];
            let mut dz = vec![0.0; fo];
            for i in 0..g.num_nodes {
                // Through the ReLU.
                for ((d, &zo), &ho) in dz
                    .iter_mut()
                    .zip(&z[i * fo..(i + 1) * fo])
                    .zip(&dh[i * fo..(i + 1) * fo])
                {
                    *d = if zo > 0.0 { ho } else { 0.0 };
                }
                for (gb, d) in grad[off + fi * fo..off + fi * fo + fo].iter_mut().zip(&dz) {
                    *gb += d;
                }
                // dW_k += m_ik dz and dm_ik = W_k . dz, row by row of W.
                for (k, &mik) in m[i * fi..(i + 1) * fi].iter().enumerate() {
                    let row = off + k * fo..off + (k + 1) * fo;
                    for (gw, d) in grad[row.clone()].iter_mut().zip(&dz) {
                        *gw += mik * d;
                    }
                    if l > 0 {
                        dm[i * fi + k] = self.params[row]
                            .iter()
                            .zip(&dz)
                            .map(|(w, d)| w * d)
                            .sum::<f64>();
                    }
                }
            }
            if l == 0 {
                break;
            }
            // dH_j = sum_i A[i][j] dM_i.
            let mut next = vec![0.0; n * fi];
            for i in 0..g.num_nodes {
                for j in 0..g.num_nodes {
                    let a = g.adjacency[i * n + j];
                    if a != 0.0 {
                        for k in 0..fi {
                            next[j * fi + k] += a * dm[i * fi + k];
                        }
                    }
                }
            }
            dh = next;
        }
    }
}

#[derive(Debug)]
struct Fitted {
    network: Network,
    y_scale: Standardizer,
    head: Option<BayesianLinearRegression>,
    shape: (usize, usize),
}

/// The GCN predictor on graph tensors.
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
        let y_scale = Standardizer::fit(targets);
        let y: Vec<f64> = targets.iter().map(|&v| y_scale.forward(v)).collect();
        let fit_index = self.fits;
        self.fits += 1;
        if let Some(fitted) = self.fitted.as_mut().filter(|f| {
            f.head.is_some()
                && f.shape == shape
                && !fit_index.is_multiple_of(self.config.retrain_every)
        }) {
            // Between retrains only the head learns the new points.
            let embeddings: Vec<Vec<f64>> = inputs
                .iter()
                .map(|g| fitted.network.forward(g).pooled)
                .collect();
            let mut blr = BayesianLinearRegression::new(BayesianLinearRegressionConfig::default())?;
            blr.fit(&embeddings, &y)?;
            fitted.head = Some(blr);
            fitted.y_scale = y_scale;
            return Ok(());
        }
        let seed = self.seed;
        let mut network = Network::new(shape.1, &self.config, seed);
        let mut rng = rng_from_seed(seed ^ 0x9e37_79b9_7f4a_7c15);
        let mut adam = Adam::new(network.params.len(), self.config.learning_rate);
        let mut grad = vec![0.0; network.params.len()];
        let mut order: Vec<usize> = (0..inputs.len()).collect();
        for _ in 0..self.config.epochs {
            order.shuffle(&mut rng);
            for batch in order.chunks(self.config.batch_size) {
                grad.iter_mut().for_each(|g| *g = 0.0);
                for &i in batch {
                    let pass = network.forward(&inputs[i]);
                    let d = 2.0 * (pass.output - y[i]) / batch.len() as f64;
                    network.backward(&inputs[i], &pass, d, &mut grad);
                }
                for (g, p) in grad.iter_mut().zip(&network.params) {
                    *g += self.config.weight_decay * p;
                }
                adam.step(&mut network.params, &grad);
            }
        }
        let head = if self.config.blr_head {
            let embeddings: Vec<Vec<f64>> =
                inputs.iter().map(|g| network.forward(g).pooled).collect();
            let mut blr = BayesianLinearRegression::new(BayesianLinearRegressionConfig::default())?;
            blr.fit(&embeddings, &y)?;
            Some(blr)
        } else {
            None
        };
        self.fitted = Some(Fitted {
            network,
            y_scale,
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
        let passes: Vec<Pass> = inputs.iter().map(|g| f.network.forward(g)).collect();
        match &f.head {
            Some(blr) => {
                let embeddings: Vec<Vec<f64>> = passes.into_iter().map(|p| p.pooled).collect();
                Ok(blr
                    .predict(&embeddings)?
                    .into_iter()
                    .map(|p| Prediction {
                        mean: f.y_scale.inverse(p.mean),
                        std: p.std * f.y_scale.std,
                    })
                    .collect())
            }
            None => Ok(passes
                .iter()
                .map(|p| Prediction::point(f.y_scale.inverse(p.output)))
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
    use oxinas_core::seed::rng_from_seed;

    /// Random 5-node chains with one-hot node labels (3 ops); the target is
    /// a fixed weight per op summed over nodes, which mean pooling can express.
    fn graphs(n: usize, seed: u64) -> (Vec<GraphTensors>, Vec<f64>) {
        let mut rng = rng_from_seed(seed);
        let weights = [1.0, -0.5, 0.3];
        let mut gs = Vec::new();
        let mut ys = Vec::new();
        for _ in 0..n {
            let nodes = 5;
            let mut features = vec![0.0; nodes * 3];
            let mut adjacency = vec![0.0; nodes * nodes];
            let mut y = 0.0;
            for i in 0..nodes {
                let op = rng.random_range(0..3);
                features[i * 3 + op] = 1.0;
                y += weights[op];
                adjacency[i * nodes + i] = 0.5;
                if i + 1 < nodes {
                    adjacency[i * nodes + i + 1] = 0.5;
                } else {
                    adjacency[i * nodes + i] = 1.0;
                }
            }
            gs.push(GraphTensors {
                num_nodes: nodes,
                max_nodes: nodes,
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
        let (gs, _) = graphs(1, 9);
        let config = GcnConfig {
            layers: 2,
            hidden: 4,
            ..GcnConfig::default()
        };
        let mut net = Network::new(3, &config, 1);
        // Positive biases keep every unit active, away from ReLU kinks.
        for l in 0..2 {
            let off = net.layer_offset(l);
            let (fi, fo) = (net.sizes[l], net.sizes[l + 1]);
            for b in &mut net.params[off + fi * fo..off + fi * fo + fo] {
                *b = 1.0;
            }
        }
        let pass = net.forward(&gs[0]);
        let mut grad = vec![0.0; net.params.len()];
        net.backward(&gs[0], &pass, 1.0, &mut grad);
        for (k, analytic) in grad.iter().enumerate() {
            let mut plus = net.clone();
            plus.params[k] += 1e-6;
            let mut minus = net.clone();
            minus.params[k] -= 1e-6;
            let numeric = (plus.forward(&gs[0]).output - minus.forward(&gs[0]).output) / 2e-6;
            assert!(
                (numeric - analytic).abs() < 1e-5,
                "param {k}: {numeric} vs {analytic}"
            );
        }
    }

    #[test]
    fn learns_a_sum_of_node_labels_with_and_without_blr_head() {
        let (train, y) = graphs(120, 1);
        let (test, truth) = graphs(150, 2);
        for blr_head in [false, true] {
            let mut p = Gcn::new(
                GcnConfig {
                    blr_head,
                    ..GcnConfig::default()
                },
                4,
            )
            .unwrap();
            p.fit(&train, &y).unwrap();
            let pred = p.predict(&test).unwrap();
            let means: Vec<f64> = pred.iter().map(|q| q.mean).collect();
            let tau = kendall_tau(&means, &truth).unwrap();
            // Untrained or wrongly trained networks score near 0 here.
            assert!(tau > 0.55, "blr_head {blr_head}: tau {tau}");
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
        let (first, y_first) = graphs(40, 5);
        let (second, _) = graphs(40, 6);
        let (probe, _) = graphs(20, 7);
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
