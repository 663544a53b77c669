//! Hyperparameters of a training run.

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;

/// The optimiser and its settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum OptimizerSettings {
    /// SGD with (optionally Nesterov) momentum and L2 weight decay, PyTorch
    /// semantics (no dampening; Burn's default dampening of 0.1 is overridden).
    Sgd {
        /// Momentum factor (0 for plain SGD).
        momentum: f64,
        /// Nesterov momentum.
        nesterov: bool,
        /// L2 penalty added to the gradient.
        weight_decay: f64,
    },
    /// AdamW with decoupled weight decay.
    AdamW {
        /// Decoupled weight decay.
        weight_decay: f64,
        /// First-moment decay.
        beta1: f64,
        /// Second-moment decay.
        beta2: f64,
    },
}

impl OptimizerSettings {
    /// NAS-Bench-201's optimiser: Nesterov SGD, momentum 0.9, weight decay 5e-4.
    pub const NB201: Self = OptimizerSettings::Sgd {
        momentum: 0.9,
        nesterov: true,
        weight_decay: 5e-4,
    };
}

/// Random crop with zero padding and horizontal flip, as settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AugmentationSettings {
    /// Zero padding before the random crop (0 = no crop).
    pub crop_padding: usize,
    /// Random horizontal flips.
    pub horizontal_flip: bool,
}

impl AugmentationSettings {
    /// A random crop scaled to images `side` pixels high, without flips:
    /// zero padding `side / 8` (4 at CIFAR's 32 pixels, 1 at the digits' 8);
    /// `None` under 8 pixels, where a one-pixel shift is already an eighth of
    /// the image.
    pub fn scaled_crop(side: usize) -> Option<Self> {
        (side >= 8).then_some(Self {
            crop_padding: side / 8,
            horizontal_flip: false,
        })
    }
}

impl From<AugmentationSettings> for crate::image_batch::Augmentation {
    fn from(settings: AugmentationSettings) -> Self {
        Self {
            crop_padding: settings.crop_padding,
            horizontal_flip: settings.horizontal_flip,
        }
    }
}

/// Hyperparameters of one training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSettings {
    /// Passes over the training split.
    pub epochs: usize,
    /// Images per optimisation step.
    pub batch_size: usize,
    /// The optimiser.
    pub optimizer: OptimizerSettings,
    /// Peak learning rate.
    pub lr: f64,
    /// Final learning rate of the cosine schedule.
    pub min_lr: f64,
    /// Epochs of linear warm-up.
    pub warmup_epochs: usize,
    /// Label smoothing of the cross-entropy (0 = none).
    pub label_smoothing: f32,
    /// Clip the global gradient norm to this value.
    pub grad_clip_norm: Option<f64>,
    /// Augmentation of training batches.
    pub augmentation: Option<AugmentationSettings>,
    /// Images per evaluation batch.
    pub eval_batch_size: usize,
}

impl TrainSettings {
    /// NAS-Bench-201's recipe for `epochs` epochs: batch 256, Nesterov SGD,
    /// lr 0.1 annealed to 0 by cosine, no warm-up, no label smoothing,
    /// random crop (padding 4) and flip.
    pub fn nb201(epochs: usize) -> Self {
        Self {
            epochs,
            batch_size: 256,
            optimizer: OptimizerSettings::NB201,
            lr: 0.1,
            min_lr: 0.0,
            warmup_epochs: 0,
            label_smoothing: 0.0,
            grad_clip_norm: None,
            augmentation: Some(AugmentationSettings {
                crop_padding: 4,
                horizontal_flip: true,
            }),
            eval_batch_size: 256,
        }
    }

    /// Checks ranges.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.batch_size < 2 {
            return Err(ConfigError::new(
                "batch_size",
                "at least 2 (batch norm needs two images)",
            ));
        }
        if self.eval_batch_size == 0 {
            return Err(ConfigError::new("eval_batch_size", "at least 1"));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(ConfigError::new(
                "lr",
                format!("a positive number, found {}", self.lr),
            ));
        }
        if !(0.0..=self.lr).contains(&self.min_lr) {
            return Err(ConfigError::new(
                "min_lr",
                format!("between 0 and lr, found {}", self.min_lr),
            ));
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return Err(ConfigError::new(
                "label_smoothing",
                format!("in [0, 1), found {}", self.label_smoothing),
            ));
        }
        if let Some(clip) = self.grad_clip_norm
            && clip <= 0.0
        {
            return Err(ConfigError::new(
                "grad_clip_norm",
                format!("positive, found {clip}"),
            ));
        }
        Ok(())
    }
}
