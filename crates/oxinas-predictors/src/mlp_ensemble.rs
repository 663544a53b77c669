//! BANANAS's meta neural network: an ensemble of fully connected ReLU networks
//! whose mean is the prediction and whose spread is the uncertainty.

use rand::seq::SliceRandom;
use rayon::prelude::*;

use oxinas_core::seed::{derive_seed, rng_from_seed};

use crate::adam::Adam;
use crate::dense_network::{DenseNetwork, SparseRows};
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
    /// Mean absolute error on standardized targets: the loss of BANANAS's
    /// reference code on NAS-Bench-101 and -201 (`params.py`, `loss: mae`).
    Mae,
    /// Mean absolute percentage error, BANANAS's loss on the DARTS space:
    /// `|p - t| / t` with `t` the distance above a floor just below the
    /// best loss, so the best architectures weigh most. Scores (larger is
    /// better) become such losses as `t = 1 + (best - y) / (best - worst)`
    /// over the training set: the best at 1, the worst at 2.
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
    /// Training epochs (BANANAS's NB101/NB201 runs: 150).
    pub epochs: usize,
    /// Mini-batch size (BANANAS: 32).
    pub batch_size: usize,
    /// Adam learning rate (BANANAS: 0.01).
    pub learning_rate: f64,
    /// L2 penalty on weights.
    pub weight_decay: f64,
    /// Loss.
    pub loss: MlpLoss,
    /// Adam's second-moment decay (BANANAS: 0.99).
    pub adam_beta2: f64,
    /// Standardize each input column before training (BANANAS feeds the raw
    /// 0/1 encoding).
    pub standardize_inputs: bool,
}

impl Default for MlpEnsembleConfig {
    fn default() -> Self {
        Self {
            ensemble_size: 5,
            hidden_layers: 10,
            width: 20,
            epochs: 150,
            batch_size: 32,
            learning_rate: 0.01,
            weight_decay: 0.0,
            loss: MlpLoss::Mae,
            adam_beta2: 0.99,
            standardize_inputs: false,
        }
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
            // The best training score maps to 1, the worst to 2.
            MlpLoss::Mape => 1.0 + (self.high() - v) / self.span,
            MlpLoss::Mse | MlpLoss::Mae => (v - self.mean) / self.std,
        }
    }
    fn inverse(&self, z: f64) -> f64 {
        match self.loss {
            MlpLoss::Mape => self.high() - (z - 1.0) * self.span,
            MlpLoss::Mse | MlpLoss::Mae => z * self.std + self.mean,
        }
    }
    fn high(&self) -> f64 {
        self.low + self.span
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
        if !(0.0..1.0).contains(&config.adam_beta2) {
            return Err(hyper(NAME, "adam_beta2", "in [0, 1)"));
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

    /// Trains ensemble member `member` on standardized inputs `x` and
    /// rescaled targets `t`. The member's RNG (initialisation and batch
    /// order) is seeded from the ensemble seed and the member's index only,
    /// so the result does not depend on which thread trains it.
    ///
    /// With `sparse`, the same inputs as raw sparse rows, the first layer
    /// runs on those (same function and gradient, less work).
    fn train_one(
        &self,
        member: usize,
        x: &[Vec<f64>],
        sparse: Option<&SparseRows>,
        t: &[f64],
    ) -> DenseNetwork {
        let mut rng = rng_from_seed(derive_seed(self.seed, &[member as u64]));
        let mut net = DenseNetwork::new(self.layer_sizes(x[0].len()), &mut rng);
        let dim = net.input_dim();
        let mut adam = Adam::with_beta2(
            net.num_params(),
            self.config.learning_rate,
            self.config.adam_beta2,
        );
        let mut grad = vec![0.0; net.num_params()];
        let mut order: Vec<usize> = (0..x.len()).collect();
        let mut buffers = net.buffers(self.config.batch_size.min(x.len()));
        let loss = self.config.loss;
        for _ in 0..self.config.epochs {
            order.shuffle(&mut rng);
            for batch in order.chunks(self.config.batch_size) {
                let rows = batch.len();
                let sparse_batch = sparse.map(|s| (s, batch));
                if sparse.is_none() {
                    for (slot, &i) in buffers.input_mut(rows).chunks_exact_mut(dim).zip(batch) {
                        slot.copy_from_slice(&x[i]);
                    }
                }
                net.forward(&mut buffers, rows, sparse_batch);
                // Mean loss over the batch: each row's derivative is scaled by 1 / rows.
                let scale = 1.0 / rows as f64;
                let (outputs, gradient) = buffers.outputs_and_gradient_mut(rows);
                for ((g, &p), &i) in gradient.iter_mut().zip(outputs).zip(batch) {
                    let target = t[i];
                    *g = scale
                        * match loss {
                            MlpLoss::Mse => 2.0 * (p - target),
                            MlpLoss::Mae => (p - target).signum(),
                            MlpLoss::Mape => (p - target).signum() / target,
                        };
                }
                grad.iter_mut().for_each(|g| *g = 0.0);
                net.backward(&mut buffers, rows, &mut grad, sparse_batch);
                if self.config.weight_decay > 0.0 {
                    for (g, p) in grad.iter_mut().zip(net.params()) {
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
        let standardizer = if self.config.standardize_inputs {
            ColumnStandardizer::fit(inputs)
        } else {
            ColumnStandardizer::identity(width)
        };
        let x = standardizer.transform_all(inputs);
        let scale = TargetScale::fit(targets, self.config.loss);
        let t: Vec<f64> = targets.iter().map(|&v| scale.forward(v)).collect();
        let columns = standardizer.columns();
        let sparse = SparseRows::new(
            inputs,
            columns.iter().map(|c| c.mean).collect(),
            columns.iter().map(|c| c.std).collect(),
        );
        // Sparse first layer when rows are mostly zeros (one-hot and path
        // encodings); its bookkeeping costs about four dense rows per batch.
        let sparse = (sparse.mean_nonzeros() * 4.0 <= width as f64).then_some(sparse);
        let networks = (0..self.config.ensemble_size)
            .into_par_iter()
            .map(|m| self.train_one(m, &x, sparse.as_ref(), &t))
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
        let x = fitted.inputs.transform_all(inputs);
        let outputs: Vec<Vec<f64>> = fitted.networks.iter().map(|n| n.predict_rows(&x)).collect();
        Ok((0..inputs.len())
            .map(|i| {
                let member: Vec<f64> = outputs.iter().map(|o| fitted.scale.inverse(o[i])).collect();
                mean_std(&member)
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
    fn mape_targets_put_the_best_architecture_nearest_the_floor() {
        // Scores 10 (worst), 20, 30 (best): losses 2, 1.5, 1, so |p - t| / t
        // weighs an error on the best architecture twice the worst's.
        let scale = TargetScale::fit(&[20.0, 10.0, 30.0], MlpLoss::Mape);
        assert_eq!(scale.forward(30.0), 1.0);
        assert_eq!(scale.forward(20.0), 1.5);
        assert_eq!(scale.forward(10.0), 2.0);
        assert_eq!(scale.inverse(1.25), 25.0);
        // MAE (the default) trains on standardized scores: mean 20, sd
        // sqrt(200 / 3).
        let scale = TargetScale::fit(&[20.0, 10.0, 30.0], MlpLoss::Mae);
        assert!((scale.forward(30.0) - 10.0 / (200.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!(MlpEnsembleConfig::default().loss, MlpLoss::Mae);
    }

    #[test]
    fn predictions_do_not_depend_on_the_thread_count() {
        let config = MlpEnsembleConfig {
            epochs: 20,
            ..MlpEnsembleConfig::default()
        };
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    let mut p = MlpEnsemble::new(config.clone(), 7).unwrap();
                    learn_binary(&mut p, 10).1
                })
        };
        let one = run(1);
        assert_eq!(one, run(3));
        // Members are seeded apart: they disagree, so the spread is not zero.
        assert!(one.iter().all(|q| q.std > 0.0));
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
