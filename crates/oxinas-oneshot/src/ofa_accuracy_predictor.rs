//! The accuracy predictor of Once-for-All: an MLP from a sub-network's
//! one-hot encoding to its validation accuracy, fitted on sub-networks
//! sampled from the trained supernet and measured, so the search can score
//! thousands of candidates without evaluating them.
//!
//! The encoding, per layer slot, one-hot kernel size (3) and one-hot
//! expansion (3), all zero for a slot its unit's depth leaves out, then per
//! unit one-hot depth (3): 20 x 6 + 5 x 3 = 135 features.

use oxinas_predictors::{MlpEnsemble, MlpEnsembleConfig, MlpLoss, Predictor, PredictorError};
use oxinas_spaces::{OFA_LAYERS, OFA_UNITS, OfaArch};

use crate::ofa_settings::OfaPredictorSettings;

const KERNELS: [u8; 3] = [3, 5, 7];
const EXPANSIONS: [u8; 3] = [3, 4, 6];
const DEPTHS: [u8; 3] = [2, 3, 4];

/// Length of [`ofa_encoding`].
pub const OFA_ENCODING_LEN: usize = OFA_LAYERS * 6 + OFA_UNITS * 3;

/// The one-hot encoding of `arch` (see the module docs).
pub fn ofa_encoding(arch: &OfaArch) -> Vec<f64> {
    let mut x = vec![0.0; OFA_ENCODING_LEN];
    let one_hot = |list: &[u8], v: u8| list.iter().position(|&c| c == v);
    for layer in (0..OFA_LAYERS).filter(|&l| arch.is_active(l)) {
        if let Some(i) = one_hot(&KERNELS, arch.ks[layer]) {
            x[layer * 6 + i] = 1.0;
        }
        if let Some(i) = one_hot(&EXPANSIONS, arch.e[layer]) {
            x[layer * 6 + 3 + i] = 1.0;
        }
    }
    for unit in 0..OFA_UNITS {
        if let Some(i) = one_hot(&DEPTHS, arch.d[unit]) {
            x[OFA_LAYERS * 6 + unit * 3 + i] = 1.0;
        }
    }
    x
}

/// An MLP predicting validation accuracy from [`ofa_encoding`].
#[derive(Clone, Debug)]
pub struct OfaAccuracyPredictor {
    mlp: MlpEnsemble,
}

impl OfaAccuracyPredictor {
    /// Fits the predictor on (sub-network, accuracy) pairs; weights and
    /// mini-batches are drawn from `seed`.
    pub fn fit(
        settings: &OfaPredictorSettings,
        archs: &[OfaArch],
        accuracies: &[f64],
        seed: u64,
    ) -> Result<Self, PredictorError> {
        let config = MlpEnsembleConfig {
            ensemble_size: 1,
            hidden_layers: settings.hidden_layers,
            width: settings.width,
            epochs: settings.epochs,
            batch_size: 32,
            learning_rate: settings.learning_rate,
            weight_decay: 0.0,
            loss: MlpLoss::Mse,
            // OFA's predictor trains with PyTorch's Adam (beta2 0.999) on
            // standardized inputs, not with BANANAS's Keras settings.
            adam_beta2: 0.999,
            standardize_inputs: true,
        };
        let mut mlp = MlpEnsemble::new(config, seed)?;
        let inputs: Vec<Vec<f64>> = archs.iter().map(ofa_encoding).collect();
        mlp.fit(&inputs, accuracies)?;
        Ok(Self { mlp })
    }

    /// Predicted validation accuracies of `archs`.
    pub fn predict(&self, archs: &[OfaArch]) -> Result<Vec<f64>, PredictorError> {
        let inputs: Vec<Vec<f64>> = archs.iter().map(ofa_encoding).collect();
        Ok(self
            .mlp
            .predict(&inputs)?
            .into_iter()
            .map(|p| p.mean)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::SearchSpace;
    use oxinas_core::seed::rng_from_seed;
    use oxinas_spaces::OfaSpace;

    use oxinas_predictors::rank_correlation::kendall_tau;

    use super::*;
    use crate::ofa_supernet::smallest_arch;

    #[test]
    fn encoding_marks_active_layers_and_depths() {
        let mut arch = smallest_arch();
        arch.ks[0] = 7;
        arch.e[1] = 6;
        arch.ks[2] = 5; // unused: depth 2
        let x = ofa_encoding(&arch);
        assert_eq!(x.len(), 135);
        assert_eq!(&x[0..6], &[0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        assert_eq!(&x[6..12], &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
        assert!(x[12..24].iter().all(|&v| v == 0.0));
        assert_eq!(&x[120..123], &[1.0, 0.0, 0.0]);
        // 2 active layers per unit, 2 ones each, plus 5 depth ones.
        assert_eq!(x.iter().sum::<f64>(), 5.0 * 2.0 * 2.0 + 5.0);
    }

    #[test]
    fn predictor_learns_a_function_of_the_choices() {
        // A synthetic accuracy that grows with kernel size and depth.
        let score = |a: &OfaArch| {
            let active: Vec<usize> = (0..OFA_LAYERS).filter(|&l| a.is_active(l)).collect();
            let k: f64 = active.iter().map(|&l| f64::from(a.ks[l])).sum();
            0.5 + k / 400.0
        };
        let space = OfaSpace::new();
        let mut rng = rng_from_seed(1);
        let archs: Vec<OfaArch> = (0..400).map(|_| space.sample(&mut rng)).collect();
        let y: Vec<f64> = archs.iter().map(score).collect();
        let settings = OfaPredictorSettings {
            samples: 320,
            hidden_layers: 2,
            width: 32,
            epochs: 200,
            learning_rate: 0.003,
        };
        let predictor = OfaAccuracyPredictor::fit(&settings, &archs[..320], &y[..320], 3).unwrap();
        let predicted = predictor.predict(&archs[320..]).unwrap();
        let tau = kendall_tau(&predicted, &y[320..]).unwrap_or(0.0);
        assert!(tau > 0.6, "held-out Kendall tau {tau}");
    }
}
