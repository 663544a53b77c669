//! Settings of a Once-for-All run: the supernet's shape, the progressive
//! shrinking schedule, the accuracy predictor and the constrained search.
//!
//! The `[ofa]` table of a config file. The paper's network (MobileNetV3 at
//! 224x224, widths 24-40-80-112-160) is one choice of [`OfaNetworkSettings`];
//! the tiny CI setting shrinks widths and strides so 8x8 digits still pass
//! through five units.

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_spaces::OFA_UNITS;
use oxinas_train::AugmentationSettings;

/// Shape of the supernet (its largest sub-network).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfaNetworkSettings {
    /// Output channels of the 3x3 stem convolution.
    pub stem_channels: usize,
    /// Stride of the stem convolution.
    pub stem_stride: usize,
    /// Output channels of each of the 5 units.
    pub unit_widths: Vec<usize>,
    /// Stride of the first layer of each of the 5 units (1 or 2).
    pub unit_strides: Vec<usize>,
}

impl OfaNetworkSettings {
    /// Checks the shape.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.stem_channels == 0 {
            return Err(ConfigError::new("ofa.network.stem_channels", "at least 1"));
        }
        if !(1..=2).contains(&self.stem_stride) {
            return Err(ConfigError::new(
                "ofa.network.stem_stride",
                format!("1 or 2, found {}", self.stem_stride),
            ));
        }
        if self.unit_widths.len() != OFA_UNITS || self.unit_widths.contains(&0) {
            return Err(ConfigError::new(
                "ofa.network.unit_widths",
                format!(
                    "{OFA_UNITS} positive channel counts, found {:?}",
                    self.unit_widths
                ),
            ));
        }
        if self.unit_strides.len() != OFA_UNITS
            || self.unit_strides.iter().any(|s| !(1..=2).contains(s))
        {
            return Err(ConfigError::new(
                "ofa.network.unit_strides",
                format!(
                    "{OFA_UNITS} strides of 1 or 2, found {:?}",
                    self.unit_strides
                ),
            ));
        }
        Ok(())
    }
}

/// Epochs of each phase of training. Progressive shrinking runs the phases
/// in this order, each with its own cosine schedule, as in the paper.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfaPhaseEpochs {
    /// The full network alone (kernel 7, expansion 6, depth 4): the teacher.
    pub full: usize,
    /// Elastic kernel (3, 5, 7) at full depth and width.
    pub kernel: usize,
    /// Elastic depth, first stage (3, 4), then second stage (2, 3, 4); each stage.
    pub depth: usize,
    /// Elastic width, first stage (4, 6), then second stage (3, 4, 6); each stage.
    pub width: usize,
}

/// The accuracy predictor: an MLP on the one-hot encoding of a sub-network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfaPredictorSettings {
    /// (sub-network, validation accuracy) pairs measured to fit it.
    pub samples: usize,
    /// Hidden layers.
    pub hidden_layers: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Training epochs.
    pub epochs: usize,
    /// Adam learning rate.
    pub learning_rate: f64,
}

/// The evolutionary search under a FLOPs budget (the paper's settings by default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfaSearchSettings {
    /// Largest multiply-accumulate count (in millions) of the returned sub-network.
    pub max_mflops: f64,
    /// Sub-networks per generation.
    pub population: usize,
    /// Generations.
    pub generations: usize,
    /// Fraction of the population kept as parents.
    pub parent_ratio: f64,
    /// Fraction of each new generation made by mutation (the rest by crossover).
    pub mutation_ratio: f64,
    /// Probability that mutation resamples each choice.
    pub mutate_probability: f64,
}

/// Everything a Once-for-All run needs besides the data and the seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfaSettings {
    /// The supernet.
    pub network: OfaNetworkSettings,
    /// Epochs per phase.
    pub epochs: OfaPhaseEpochs,
    /// Images per training step.
    pub batch_size: usize,
    /// Images per evaluation batch.
    pub eval_batch_size: usize,
    /// Peak learning rate of the full network's training.
    pub lr: f64,
    /// Peak learning rate of every progressive-shrinking phase.
    pub shrink_lr: f64,
    /// Nesterov momentum of SGD.
    pub momentum: f64,
    /// L2 weight decay of SGD.
    pub weight_decay: f64,
    /// Weight of the distillation loss (soft targets of the full network).
    pub kd_ratio: f64,
    /// Sub-networks sampled (and their gradients summed) per training step.
    pub subnets_per_step: usize,
    /// Training images whose statistics re-set batch norm before a
    /// sub-network is evaluated.
    pub calibration_images: usize,
    /// Augmentation of training batches.
    #[serde(default)]
    pub augmentation: Option<AugmentationSettings>,
    /// The accuracy predictor.
    pub predictor: OfaPredictorSettings,
    /// The constrained search.
    pub search: OfaSearchSettings,
}

impl OfaSettings {
    /// Checks every range; the error names the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.network.validate()?;
        let positive = |field: &str, v: usize| {
            if v == 0 {
                Err(ConfigError::new(field, "at least 1"))
            } else {
                Ok(())
            }
        };
        if self.batch_size < 2 {
            return Err(ConfigError::new(
                "ofa.batch_size",
                format!(
                    "at least 2 (batch norm needs two images), found {}",
                    self.batch_size
                ),
            ));
        }
        positive("ofa.eval_batch_size", self.eval_batch_size)?;
        positive("ofa.subnets_per_step", self.subnets_per_step)?;
        if self.calibration_images < 2 {
            return Err(ConfigError::new(
                "ofa.calibration_images",
                format!("at least 2, found {}", self.calibration_images),
            ));
        }
        for (field, lr) in [("ofa.lr", self.lr), ("ofa.shrink_lr", self.shrink_lr)] {
            if !(lr > 0.0 && lr.is_finite()) {
                return Err(ConfigError::new(
                    field,
                    format!("a positive number, found {lr}"),
                ));
            }
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(ConfigError::new(
                "ofa.momentum",
                format!("in [0, 1), found {}", self.momentum),
            ));
        }
        for (field, v) in [
            ("ofa.weight_decay", self.weight_decay),
            ("ofa.kd_ratio", self.kd_ratio),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(ConfigError::new(
                    field,
                    format!("a non-negative number, found {v}"),
                ));
            }
        }
        let p = &self.predictor;
        if p.samples < 2 {
            return Err(ConfigError::new(
                "ofa.predictor.samples",
                format!("at least 2, found {}", p.samples),
            ));
        }
        positive("ofa.predictor.width", p.width)?;
        positive("ofa.predictor.epochs", p.epochs)?;
        if !(p.learning_rate > 0.0 && p.learning_rate.is_finite()) {
            return Err(ConfigError::new(
                "ofa.predictor.learning_rate",
                format!("a positive number, found {}", p.learning_rate),
            ));
        }
        let s = &self.search;
        if !(s.max_mflops > 0.0 && s.max_mflops.is_finite()) {
            return Err(ConfigError::new(
                "ofa.search.max_mflops",
                format!("a positive number, found {}", s.max_mflops),
            ));
        }
        if s.population < 2 {
            return Err(ConfigError::new(
                "ofa.search.population",
                format!("at least 2, found {}", s.population),
            ));
        }
        positive("ofa.search.generations", s.generations)?;
        for (field, v) in [
            ("ofa.search.parent_ratio", s.parent_ratio),
            ("ofa.search.mutation_ratio", s.mutation_ratio),
            ("ofa.search.mutate_probability", s.mutate_probability),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(ConfigError::new(
                    field,
                    format!("a fraction in [0, 1], found {v}"),
                ));
            }
        }
        if s.parent_ratio * (s.population as f64) < 1.0 {
            return Err(ConfigError::new(
                "ofa.search.parent_ratio",
                "keeps no parent: parent_ratio x population must be at least 1",
            ));
        }
        Ok(())
    }

    /// The tiny setting CI runs on the 8x8 digits: a few channels; the
    /// second and third units halve the resolution (8x8 -> 4x4 -> 2x2).
    pub fn tiny() -> Self {
        Self {
            network: OfaNetworkSettings {
                stem_channels: 8,
                stem_stride: 1,
                unit_widths: vec![8, 12, 12, 16, 16],
                unit_strides: vec![1, 2, 2, 1, 1],
            },
            epochs: OfaPhaseEpochs {
                full: 3,
                kernel: 1,
                depth: 1,
                width: 1,
            },
            batch_size: 32,
            eval_batch_size: 512,
            lr: 0.1,
            shrink_lr: 0.03,
            momentum: 0.9,
            weight_decay: 5e-5,
            kd_ratio: 1.0,
            subnets_per_step: 1,
            calibration_images: 128,
            augmentation: None,
            predictor: OfaPredictorSettings {
                samples: 40,
                hidden_layers: 2,
                width: 64,
                epochs: 300,
                learning_rate: 0.003,
            },
            search: OfaSearchSettings {
                max_mflops: 0.3,
                population: 40,
                generations: 20,
                parent_ratio: 0.25,
                mutation_ratio: 0.5,
                mutate_probability: 0.1,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_settings_are_valid() {
        OfaSettings::tiny().validate().unwrap();
    }

    #[test]
    fn errors_name_the_field() {
        let mut s = OfaSettings::tiny();
        s.network.unit_strides = vec![1, 2, 3, 1, 1];
        assert_eq!(s.validate().unwrap_err().field, "ofa.network.unit_strides");
        let mut s = OfaSettings::tiny();
        s.network.unit_widths = vec![8, 8, 8, 8];
        assert_eq!(s.validate().unwrap_err().field, "ofa.network.unit_widths");
        let mut s = OfaSettings::tiny();
        s.search.mutate_probability = 1.5;
        assert_eq!(
            s.validate().unwrap_err().field,
            "ofa.search.mutate_probability"
        );
        let mut s = OfaSettings::tiny();
        s.batch_size = 1;
        assert_eq!(s.validate().unwrap_err().field, "ofa.batch_size");
        let mut s = OfaSettings::tiny();
        s.search.max_mflops = 0.0;
        assert_eq!(s.validate().unwrap_err().field, "ofa.search.max_mflops");
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let mut text = toml::to_string(&OfaSettings::tiny()).unwrap();
        text = text.replace("kd_ratio", "kd_weight");
        let err = toml::from_str::<OfaSettings>(&text).unwrap_err();
        assert!(err.to_string().contains("kd_weight"), "{err}");
    }
}
