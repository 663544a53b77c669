//! Settings of an ENAS search on the NB201 supernet.

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;

use crate::enas_controller::SamplingShape;
use crate::search_augmentation::SearchAugmentation;
use crate::shared_weight_training::SupernetSettings;

/// Settings of [`run_enas`](crate::run_enas). Missing keys take the values
/// of ENAS as NAS-Bench-201 runs it (`exps/algos/ENAS.py`, its
/// `configs/nas-benchmark/algos/ENAS.config` and `scripts-search/algos/ENAS.sh`),
/// each field's docs naming its source: the supernet of the benchmark's
/// search (`C = 16`, `N = 5`); shared weights by Nesterov SGD 0.05 cosine to
/// 0.0005, weight decay 2.5e-4, gradient bound 5; a controller of 32 units
/// (temperature 5, tanh constant 2.5) updated 50 times an epoch, each update
/// from 20 sampled cells, by Adam (beta1 0, beta2 0.999, eps 1e-3, lr 1e-3)
/// with its gradient clipped at norm 5, baseline decay 0.99, entropy weight
/// 1e-4. Where ENAS' own code (Pham et al., 2018, micro search) differs, the
/// field says so.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnasSettings {
    /// Supernet stem channels `C`.
    pub channels: usize,
    /// Supernet cells per stage `N`.
    pub cells_per_stage: usize,
    /// Epochs, each a pass of shared-weight training then controller steps.
    pub epochs: usize,
    /// Images per shared-weight step, and per reward batch (NAS-Bench-201: 128).
    pub batch_size: usize,
    /// Peak learning rate of the shared weights (Nesterov SGD, cosine
    /// schedule; NAS-Bench-201: 0.05).
    pub weight_lr: f64,
    /// Final learning rate of the shared weights (NAS-Bench-201: 0.0005).
    pub weight_min_lr: f64,
    /// SGD momentum of the shared weights (NAS-Bench-201: 0.9).
    pub momentum: f64,
    /// L2 weight decay of the shared weights (NAS-Bench-201's ENAS config:
    /// 2.5e-4; ENAS' micro search uses 1e-4, its macro search 2.5e-4).
    pub weight_decay: f64,
    /// Clip the shared weights' global gradient norm to this value
    /// (NAS-Bench-201: 5).
    pub grad_clip_norm: f64,
    /// Stop each shared-weight pass after this many steps (the whole training split when absent).
    pub steps_per_epoch: Option<usize>,
    /// Hidden units of the controller's LSTM (NAS-Bench-201: 32).
    pub controller_hidden: usize,
    /// Adam learning rate of the controller (NAS-Bench-201: 1e-3; ENAS'
    /// micro search: 3.5e-3). The Adam is NAS-Bench-201's: beta1 0, beta2
    /// 0.999, eps 1e-3.
    pub controller_lr: f64,
    /// Controller updates per epoch (NAS-Bench-201: 50; ENAS: 30).
    pub controller_steps: usize,
    /// Sampled cells per controller update, each scored on its own reward
    /// batch, their losses averaged (NAS-Bench-201: 20; the ENAS paper: 10).
    pub controller_aggregate: usize,
    /// Clip the controller's global gradient norm to this value before each
    /// update (NAS-Bench-201: 5).
    pub controller_grad_clip_norm: f64,
    /// Weight of the entropy bonus in the controller's loss (NAS-Bench-201
    /// and ENAS: 1e-4).
    pub entropy_weight: f64,
    /// Decay of the reward's moving-average baseline (NAS-Bench-201 and
    /// ENAS: 0.99).
    pub baseline_decay: f64,
    /// Logits are divided by this before sampling (NAS-Bench-201: 5).
    pub temperature: f64,
    /// Logits become `c * tanh(logits)` (0 = off; NAS-Bench-201: 2.5).
    pub tanh_constant: f64,
    /// Cells sampled from the final controller; the best on validation is
    /// returned (NAS-Bench-201: 100).
    pub final_samples: usize,
    /// Images per evaluation batch (batch statistics come from each batch).
    pub eval_batch_size: usize,
    /// Augmentation of the shared-weight batches and of the controller's
    /// reward batches (NAS-Bench-201's ENAS gives its validation loader the
    /// training transform); the final choice's evaluation is not augmented.
    pub augmentation: SearchAugmentation,
}

impl Default for EnasSettings {
    fn default() -> Self {
        Self {
            channels: 16,
            cells_per_stage: 5,
            epochs: 250,
            batch_size: 128,
            weight_lr: 0.05,
            weight_min_lr: 0.0005,
            momentum: 0.9,
            weight_decay: 2.5e-4,
            grad_clip_norm: 5.0,
            steps_per_epoch: None,
            controller_hidden: 32,
            controller_lr: 0.001,
            controller_steps: 50,
            controller_aggregate: 20,
            controller_grad_clip_norm: 5.0,
            entropy_weight: 1e-4,
            baseline_decay: 0.99,
            temperature: 5.0,
            tanh_constant: 2.5,
            final_samples: 100,
            eval_batch_size: 256,
            augmentation: SearchAugmentation::Standard,
        }
    }
}

impl EnasSettings {
    /// How the controller's logits become probabilities.
    pub fn sampling_shape(&self) -> SamplingShape {
        SamplingShape {
            temperature: self.temperature,
            tanh_constant: self.tanh_constant,
        }
    }

    /// The shared weights' training settings.
    pub fn supernet(&self) -> SupernetSettings {
        SupernetSettings {
            channels: self.channels,
            cells_per_stage: self.cells_per_stage,
            epochs: self.epochs,
            batch_size: self.batch_size,
            lr: self.weight_lr,
            min_lr: self.weight_min_lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            grad_clip_norm: self.grad_clip_norm,
            steps_per_epoch: self.steps_per_epoch,
            augmentation: self.augmentation,
        }
    }

    /// Checks every setting, naming the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("channels", self.channels),
            ("cells_per_stage", self.cells_per_stage),
            ("epochs", self.epochs),
            ("controller_hidden", self.controller_hidden),
            ("controller_aggregate", self.controller_aggregate),
            ("final_samples", self.final_samples),
            ("eval_batch_size", self.eval_batch_size),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1"));
            }
        }
        if self.batch_size < 2 {
            return Err(ConfigError::new(
                "batch_size",
                "at least 2 (batch statistics need two images)",
            ));
        }
        if self.steps_per_epoch == Some(0) {
            return Err(ConfigError::new("steps_per_epoch", "must be at least 1"));
        }
        for (field, value) in [
            ("weight_lr", self.weight_lr),
            ("controller_lr", self.controller_lr),
            ("grad_clip_norm", self.grad_clip_norm),
            ("controller_grad_clip_norm", self.controller_grad_clip_norm),
            ("temperature", self.temperature),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::new(field, "a positive number"));
            }
        }
        for (field, value) in [
            ("weight_min_lr", self.weight_min_lr),
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
            ("entropy_weight", self.entropy_weight),
            ("tanh_constant", self.tanh_constant),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ConfigError::new(field, "a number >= 0"));
            }
        }
        if !(0.0..1.0).contains(&self.baseline_decay) {
            return Err(ConfigError::new("baseline_decay", "a number in [0, 1)"));
        }
        Ok(())
    }
}
