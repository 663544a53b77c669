//! BANANAS's meta neural network: an ensemble of fully connected ReLU networks
//! whose mean is the prediction and whose spread is the uncertainty.

use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use oxinas_core::seed::{SeededRng, derive_seed, rng_from_seed};

use crate::adam::Adam;
use crate::error::hyper;
use crate::predictor::{check_rows, check_training};
use crate::standardizer::ColumnStandardizer;
use crate::{Prediction, Predictor, PredictorError};

/// The training loss of each network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MlpLoss {
    /// Mean squared error on standardized targets.
    Mse,
    /// Mean absolute percentage error, BANANAS's choice, on targets rescaled
    /// to `[1, 2]` (so the percentage is well defined whatever the units).
    Mape,
}

/// Hyperparameters of [`MlpEnsemble`]; defaults are BANANAS's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct MlpEnsembleConfig {
    /// Networks in the ensemble (BANANAS: 5).
    pub ensemble_size: usize,
    /// Hidden layers (BANANAS: 10).
    pub hidden_layers: usize,
    /// Units per hidden layer (BANANAS: 20).
    pub width: usize,
    /// Training epochs (BANANAS: 200).
    pub epochs: usize,
    /// Mini-batch size (BANANAS: 32).
    pub batch_size: usize,
    /// Adam learning rate (BANANAS: 0.01).
    pub learning_rate: f64,
    /// L2 penalty on weights.
    pub weight_decay: f64,
    /// Loss.
    pub loss: MlpLoss,
}

impl Default for MlpEnsembleConfig {
    fn default() -> Self {
        Self {
            ensemble_size: 5,
            hidden_layers: 10,
            width: 20,
            epochs: 200,
            batch_size: 32,
            learning_rate: 0.01,
            weight_decay: 0.0,
            loss: MlpLoss::Mape,
        }
    }
}

/// One fully connected ReLU network with a linear output, parameters in one
/// flat vector (layer by layer: weights `out x in`, then biases).
#[derive(Clone, Debug)]
pub(crate) struct DenseNetwork {
    sizes: Vec<usize>,
    params: Vec<f64>,
}

impl DenseNetwork {
    /// He-initialised network with layer sizes `sizes` (input first, output last).
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

    /// Forward pass keeping every layer's activations (post-ReLU; the output is linear).
    fn forward_all(&self, x: &[f64], acts: &mut Vec<Vec<f64>>) {
        acts.clear();
        acts.push(x.to_vec());
        let mut offset = 0;
        let layers = self.sizes.len() - 1;
        for l in 0..layers {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            let w = &self.params[offset..offset + n_in * n_out];
            let b = &self.params[offset + n_in * n_out..offset + n_in * n_out + n_out];
            let input = &acts[l];
            let mut out = vec![0.0; n_out];
            for o in 0..n_out {
                let row = &w[o * n_in..(o + 1) * n_in];
                let mut s = b[o];
                for (wi, xi) in row.iter().zip(input) {
                    s += wi * xi;
                }
                out[o] = if l + 1 < layers { s.max(0.0) } else { s };
            }
            offset += n_in * n_out + n_out;
            acts.push(out);
        }
    }

    /// The network's output (first unit) at `x`.
    pub(crate) fn predict(&self, x: &[f64]) -> f64 {
        let mut acts = Vec::with_capacity(self.sizes.len());
        self.forward_all(x, &mut acts);
        acts[acts.len() - 1][0]
    }

    /// Runs the network at `x`, asks `loss_derivative` for d loss / d output,
    /// adds the parameter gradient to `grad` and returns the gradient with
    /// respect to the input (for networks stacked on others).
    pub(crate) fn backward(
        &self,
        x: &[f64],
        loss_derivative: impl FnOnce(f64) -> f64,
        grad: &mut [f64],
        acts: &mut Vec<Vec<f64>>,
    ) -> Vec<f64> {
        self.forward_all(x, acts);
        let d_out = loss_derivative(acts[acts.len() - 1][0]);
        let layers = self.sizes.len() - 1;
        let mut offsets = Vec::with_capacity(layers);
        let mut offset = 0;
        for l in 0..layers {
            offsets.push(offset);
            offset += self.sizes[l] * self.sizes[l + 1] + self.sizes[l + 1];
        }
        let mut delta = vec![0.0; self.sizes[layers]];
        delta[0] = d_out;
        for l in (0..layers).rev() {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            let off = offsets[l];
            let input = &acts[l];
            let mut d_in = vec![0.0; n_in];
            for o in 0..n_out {
                let d = delta[o];
                if d == 0.0 {
                    continue;
                }
                let w = &self.params[off + o * n_in..off + (o + 1) * n_in];
                let gw = &mut grad[off + o * n_in..off + (o + 1) * n_in];
                for i in 0..n_in {
                    gw[i] += d * input[i];
                    d_in[i] += d * w[i];
                }
                grad[off + n_in * n_out + o] += d;
            }
            if l > 0 {
                // ReLU derivative of the layer below.
                for (di, a) in d_in.iter_mut().zip(input) {
                    if *a <= 0.0 {
                        *di = 0.0;
                    }
                }
            }
            delta = d_in;
        }
        delta
    }

    pub(crate) fn params_mut(&mut self) -> &mut Vec<f64> {
        &mut self.params
    }
}

/// Target rescaling fitted on the training targets.
#[derive(Clone, Copy, Debug)]
struct TargetScale {
    low: f64,
    span: f64,
    loss: MlpLoss,
    mean: f64,
    std: f64,
}

impl TargetScale {
    fn fit(y: &[f64], loss: MlpLoss) -> Self {
        let low = y.iter().copied().fold(f64::INFINITY, f64::min);
        let high = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let s = crate::Standardizer::fit(y);
        Self {
            low,
            span: (high - low).max(1e-12),
            loss,
            mean: s.mean,
            std: s.std,
        }
    }
    fn forward(&self, v: f64) -> f64 {
        match self.loss {
            MlpLoss::Mape => 1.0 + (v - self.low) / self.span,
            MlpLoss::Mse => (v - self.mean) / self.std,
        }
    }
    fn inverse(&self, z: f64) -> f64 {
        match self.loss {
            MlpLoss::Mape => self.low + (z - 1.0) * self.span,
            MlpLoss::Mse => z * self.std + self.mean,
        }
    }
}

#[derive(Clone, Debug)]
struct Fitted {
    inputs: ColumnStandardizer,
    scale: TargetScale,
    networks: Vec<DenseNetwork>,
    width: usize,
}

/// An ensemble of MLPs (BANANAS's meta neural network) on feature vectors.
#[derive(Clone, Debug)]
pub struct MlpEnsemble {
    config: MlpEnsembleConfig,
    seed: u64,
    fitted: Option<Fitted>,
}

const NAME: &str = "mlp_ensemble";

impl MlpEnsemble {
    /// Validates `config`.
    pub fn new(config: MlpEnsembleConfig, seed: u64) -> Result<Self, PredictorError> {
        if config.ensemble_size == 0 {
            return Err(hyper(NAME, "ensemble_size", "at least 1"));
        }
        if config.width == 0 {
            return Err(hyper(NAME, "width", "at least 1"));
        }
        if config.epochs == 0 || config.batch_size == 0 {
            return Err(hyper(NAME, "epochs/batch_size", "at least 1"));
        }
        if !(config.learning_rate > 0.0 && config.learning_rate.is_finite()) {
            return Err(hyper(
                NAME,
                "learning_rate",
                format!("positive, got {}", config.learning_rate),
            ));
        }
        if !(config.weight_decay >= 0.0 && config.weight_decay.is_finite()) {
            return Err(hyper(NAME, "weight_decay", "non-negative"));
        }
        Ok(Self {
            config,
            seed,
            fitted: None,
        })
    }

    /// Parameters of each network for inputs of `input_dim` features.
    pub fn parameters_per_network(&self, input_dim: usize) -> usize {
        let sizes = self.layer_sizes(input_dim);
        sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    fn layer_sizes(&self, input_dim: usize) -> Vec<usize> {
        let mut sizes = vec![input_dim];
        sizes.extend(std::iter::repeat_n(
            self.config.width,
            self.config.hidden_layers,
        ));
        sizes.push(1);
        sizes
    }

    fn train_one(&self, member: usize, x: &[Vec<f64>], t: &[f64]) -> DenseNetwork {
        let mut rng = rng_from_seed(derive_seed(self.seed, &[member as u64]));
        let mut net = DenseNetwork::new(self.layer_sizes(x[0].len()), &mut rng);
        let mut adam = Adam::new(net.num_params(), self.config.learning_rate);
        let mut grad = vec![0.0; net.num_params()];
        let mut order: Vec<usize> = (0..x.len()).collect();
        let mut acts = Vec::new();
        for _ in 0..self.config.epochs {
            order.shuffle(&mut rng);
            for batch in order.chunks(self.config.batch_size) {
                grad.iter_mut().for_each(|g| *g = 0.0);
                let scale = 1.0 / batch.len() as f64;
                for &i in batch {
                    let loss = self.config.loss;
                    let target = t[i];
                    net.backward(
                        &x[i],
                        |p| {
                            scale
                                * match loss {
                                    MlpLoss::Mse => 2.0 * (p - target),
                                    MlpLoss::Mape => (p - target).signum() / target,
                                }
                        },
                        &mut grad,
                        &mut acts,
                    );
                }
                if self.config.weight_decay > 0.0 {
                    for (g, p) in grad.iter_mut().zip(net.params_mut().iter()) {
                        *g += self.config.weight_decay * p;
                    }
                }
                adam.step(net.params_mut(), &grad);
            }
        }
        net
    }
}

impl Predictor<Vec<f64>> for MlpEnsemble {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, inputs: &[Vec<f64>], targets: &[f64]) -> Result<(), PredictorError> {
        let width = check_training(NAME, inputs, targets, 2)?;
        let standardizer = ColumnStandardizer::fit(inputs);
        let x = standardizer.transform_all(inputs);
        let scale = TargetScale::fit(targets, self.config.loss);
        let t: Vec<f64> = targets.iter().map(|&v| scale.forward(v)).collect();
        let networks = (0..self.config.ensemble_size)
            .into_par_iter()
            .map(|m| self.train_one(m, &x, &t))
            .collect();
        self.fitted = Some(Fitted {
            inputs: standardizer,
            scale,
            networks,
            width,
        });
        Ok(())
    }

    fn predict(&self, inputs: &[Vec<f64>]) -> Result<Vec<Prediction>, PredictorError> {
        let fitted = self
            .fitted
            .as_ref()
            .ok_or(PredictorError::NotFitted { predictor: NAME })?;
        check_rows(NAME, inputs, fitted.width)?;
        Ok(inputs
            .iter()
            .map(|row| {
                let x = fitted.inputs.transform(row);
                let outs: Vec<f64> = fitted
                    .networks
                    .iter()
                    .map(|n| fitted.scale.inverse(n.predict(&x)))
                    .collect();
                mean_std(&outs)
            })
            .collect())
    }

    fn has_uncertainty(&self) -> bool {
        self.config.ensemble_size > 1
    }
}

/// Mean and population standard deviation of an ensemble's outputs.
pub(crate) fn mean_std(values: &[f64]) -> Prediction {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    Prediction {
        mean,
        std: var.sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::learn_binary;

    #[test]
    fn learns_a_linear_function_of_binary_features() {
        let mut p = MlpEnsemble::new(MlpEnsembleConfig::default(), 3).unwrap();
        let (tau, pred, _) = learn_binary(&mut p, 20);
        assert!(tau > 0.7, "tau {tau}");
        assert!(pred.iter().any(|q| q.std > 0.0));
    }

    #[test]
    fn same_seed_same_predictions_and_bad_config_refused() {
        let config = MlpEnsembleConfig {
            epochs: 20,
            ..MlpEnsembleConfig::default()
        };
        let mut a = MlpEnsemble::new(config.clone(), 5).unwrap();
        let mut b = MlpEnsemble::new(config, 5).unwrap();
        let (_, pa, _) = learn_binary(&mut a, 10);
        let (_, pb, _) = learn_binary(&mut b, 10);
        assert_eq!(pa, pb);
        let bad = MlpEnsembleConfig {
            learning_rate: -1.0,
            ..MlpEnsembleConfig::default()
        };
        assert!(matches!(
            MlpEnsemble::new(bad, 0),
            Err(PredictorError::Hyperparameter {
                field: "learning_rate",
                ..
            })
        ));
        assert!(matches!(
            a.predict(&[vec![0.0; 3]]),
            Err(PredictorError::Shape { .. })
        ));
    }
}
