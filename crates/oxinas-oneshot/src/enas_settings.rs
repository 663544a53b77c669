//! Settings of an ENAS search on the NB201 supernet.

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;

use crate::enas_controller::SamplingShape;
use crate::search_augmentation::SearchAugmentation;
use crate::shared_weight_training::SupernetSettings;

/// Settings of [`run_enas`](crate::run_enas). Missing keys take the
/// defaults below: the supernet of the NAS-Bench-201 search (`C = 16`,
/// `N = 5`), ENAS' shared-weight schedule (Pham et al., 2018: Nesterov SGD
/// 0.05 cosine to 0.0005, gradient bound 5) and a controller shaped like the
/// benchmark's ENAS controller (32 units, temperature 5, tanh constant 2.5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnasSettings {
    /// Supernet stem channels `C`.
    pub channels: usize,
    /// Supernet cells per stage `N`.
    pub cells_per_stage: usize,
    /// Epochs, each a pass of shared-weight training then controller steps.
    pub epochs: usize,
    /// Images per shared-weight step, and per reward batch.
    pub batch_size: usize,
    /// Peak learning rate of the shared weights (Nesterov SGD, cosine schedule).
    pub weight_lr: f64,
    /// Final learning rate of the shared weights.
    pub weight_min_lr: f64,
    /// SGD momentum of the shared weights.
    pub momentum: f64,
    /// L2 weight decay of the shared weights.
    pub weight_decay: f64,
    /// Clip the shared weights' global gradient norm to this value.
    pub grad_clip_norm: f64,
    /// Stop each shared-weight pass after this many steps (the whole training split when absent).
    pub steps_per_epoch: Option<usize>,
    /// Hidden units of the controller's LSTM.
    pub controller_hidden: usize,
    /// Adam learning rate of the controller.
    pub controller_lr: f64,
    /// Controller updates per epoch (one sampled cell, one reward batch each).
    pub controller_steps: usize,
    /// Weight of the entropy bonus in the controller's loss.
    pub entropy_weight: f64,
    /// Decay of the reward's moving-average baseline.
    pub baseline_decay: f64,
    /// Logits are divided by this before sampling.
    pub temperature: f64,
    /// Logits become `c * tanh(logits)` (0 = off).
    pub tanh_constant: f64,
    /// Cells sampled from the final controller; the best on validation is returned.
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
            weight_decay: 5e-4,
            grad_clip_norm: 5.0,
            steps_per_epoch: None,
            controller_hidden: 32,
            controller_lr: 0.001,
            controller_steps: 50,
            entropy_weight: 1e-4,
            baseline_decay: 0.95,
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
