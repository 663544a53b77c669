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

/// The peak learning rates of the progressive-shrinking phases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OfaPhaseLrs {
    /// Once-for-All's own schedule (`train_ofa_net.py`: elastic kernel 3e-2,
    /// the first depth and width stages 2.5e-3, the second ones 7.5e-3 per
    /// 64 images): `shrink_lr` for the elastic-kernel phase, `shrink_lr / 12`
    /// for the first stage of depth and of width, `shrink_lr / 4` for the
    /// second stages.
    #[default]
    Reference,
    /// `shrink_lr` for every shrinking phase (not the reference's schedule).
    Uniform,
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
    /// Peak learning rate of the elastic-kernel phase; the later phases
    /// follow [`phase_lrs`](Self::phase_lrs).
    pub shrink_lr: f64,
    /// How the later phases' peak learning rates follow from `shrink_lr`
    /// (default: the reference's ratios).
    #[serde(default)]
    pub phase_lrs: OfaPhaseLrs,
    /// Nesterov momentum of SGD.
    pub momentum: f64,
    /// L2 weight decay of SGD, on convolution and linear weights only: as in
    /// Once-for-All (`no_decay_keys = "bn#bias"`), batch norm's scales and
    /// shifts and the classifier's bias are not decayed.
    pub weight_decay: f64,
    /// Label smoothing of the cross-entropy on the true labels (the
    /// reference's 0.1 when absent; the distillation term is not smoothed).
    #[serde(default = "reference_label_smoothing")]
    pub label_smoothing: f32,
    /// Weight of the distillation loss (soft targets of the full network).
    pub kd_ratio: f64,
    /// Sub-networks sampled (and their gradients summed) per training step;
    /// absent, the reference's per phase (its "dynamic batch size": 1 for the
    /// full network and elastic kernel, 2 for elastic depth, 4 for elastic
    /// width).
    #[serde(default)]
    pub subnets_per_step: Option<usize>,
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
    /// Sub-networks per training step in `phase`: `subnets_per_step` when
    /// set, the reference's otherwise (the full network always trains alone).
    pub fn subnets_for(&self, phase: crate::ofa_progressive_shrinking::OfaPhase) -> usize {
        use crate::ofa_progressive_shrinking::OfaPhase;
        match (phase, self.subnets_per_step) {
            (OfaPhase::Full, _) => 1,
            (_, Some(n)) => n,
            (OfaPhase::ElasticKernel, None) => 1,
            (OfaPhase::ElasticDepth1 | OfaPhase::ElasticDepth2, None) => 2,
            (OfaPhase::ElasticWidth1 | OfaPhase::ElasticWidth2, None) => 4,
        }
    }

    /// The peak learning rate of `phase` (see [`OfaPhaseLrs`]).
    pub fn phase_lr(&self, phase: crate::ofa_progressive_shrinking::OfaPhase) -> f64 {
        use crate::ofa_progressive_shrinking::OfaPhase;
        match (phase, self.phase_lrs) {
            (OfaPhase::Full, _) => self.lr,
            (_, OfaPhaseLrs::Uniform) | (OfaPhase::ElasticKernel, OfaPhaseLrs::Reference) => {
                self.shrink_lr
            }
            (OfaPhase::ElasticDepth1 | OfaPhase::ElasticWidth1, OfaPhaseLrs::Reference) => {
                self.shrink_lr / 12.0
            }
            (OfaPhase::ElasticDepth2 | OfaPhase::ElasticWidth2, OfaPhaseLrs::Reference) => {
                self.shrink_lr / 4.0
            }
        }
    }
}

/// Once-for-All's label smoothing (`train_ofa_net.py`).
fn reference_label_smoothing() -> f32 {
    0.1
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
        if self.subnets_per_step == Some(0) {
            return Err(ConfigError::new("ofa.subnets_per_step", "at least 1"));
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return Err(ConfigError::new(
                "ofa.label_smoothing",
                format!("in [0, 1), found {}", self.label_smoothing),
            ));
        }
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
    /// second and third units halve the resolution (8x8 -> 4x4 -> 2x2); one
    /// epoch per shrinking phase, so one learning rate for all of them, one
    /// sub-network per step and no label smoothing (not the reference's
    /// schedule: see each field).
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
            // One epoch per phase: the reference's 1/12 and 1/4 rates for the
            // depth and width stages assume 25 to 120 epochs each, and in one
            // epoch leave the smallest sub-network near chance.
            phase_lrs: OfaPhaseLrs::Uniform,
            momentum: 0.9,
            weight_decay: 5e-5,
            // Measured on the digits with these one-epoch phases: the
            // smallest sub-network reached 0.33 validation accuracy with the
            // reference's smoothing of 0.1 and 0.56 without.
            label_smoothing: 0.0,
            kd_ratio: 1.0,
            // One sub-network per step for speed (the reference's 1, 2, 4 by
            // phase would double and quadruple the shrinking phases' cost).
            subnets_per_step: Some(1),
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
    fn phases_take_the_references_learning_rates_and_subnet_counts() {
        use crate::ofa_progressive_shrinking::OfaPhase;
        let s = OfaSettings {
            lr: 0.5,
            shrink_lr: 0.03,
            phase_lrs: OfaPhaseLrs::Reference,
            subnets_per_step: None,
            ..OfaSettings::tiny()
        };
        // train_ofa_net.py: kernel 3e-2, depth and width phase 1 2.5e-3,
        // phase 2 7.5e-3; dynamic batch size 1, 2, 4.
        let expected = [
            (OfaPhase::Full, 0.5, 1),
            (OfaPhase::ElasticKernel, 3e-2, 1),
            (OfaPhase::ElasticDepth1, 2.5e-3, 2),
            (OfaPhase::ElasticDepth2, 7.5e-3, 2),
            (OfaPhase::ElasticWidth1, 2.5e-3, 4),
            (OfaPhase::ElasticWidth2, 7.5e-3, 4),
        ];
        for (phase, lr, subnets) in expected {
            assert!((s.phase_lr(phase) - lr).abs() < 1e-12, "{phase:?}");
            assert_eq!(s.subnets_for(phase), subnets, "{phase:?}");
        }
        let uniform = OfaSettings {
            phase_lrs: OfaPhaseLrs::Uniform,
            subnets_per_step: Some(3),
            ..s
        };
        assert_eq!(uniform.phase_lr(OfaPhase::ElasticWidth1), 0.03);
        assert_eq!(uniform.subnets_for(OfaPhase::ElasticDepth1), 3);
        assert_eq!(uniform.subnets_for(OfaPhase::Full), 1);
    }

    #[test]
    fn absent_keys_take_the_references_values() {
        let mut text = toml::to_string(&OfaSettings::tiny()).unwrap();
        text = text
            .lines()
            .filter(|l| {
                !l.starts_with("subnets_per_step")
                    && !l.starts_with("label_smoothing")
                    && !l.starts_with("phase_lrs")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let s: OfaSettings = toml::from_str(&text).unwrap();
        assert_eq!(s.subnets_per_step, None);
        assert_eq!(s.label_smoothing, 0.1);
        assert_eq!(s.phase_lrs, OfaPhaseLrs::Reference);
    }

    #[test]
    fn unknown_keys_are_rejected_by_name() {
        let mut text = toml::to_string(&OfaSettings::tiny()).unwrap();
        text = text.replace("kd_ratio", "kd_weight");
        let err = toml::from_str::<OfaSettings>(&text).unwrap_err();
        assert!(err.to_string().contains("kd_weight"), "{err}");
    }
}
