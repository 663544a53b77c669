//! Settings of a DARTS search, with the paper's values as defaults.

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;

use crate::search_augmentation::SearchAugmentation;

/// Which gradient the architecture step follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DartsOrder {
    /// The validation gradient at the current weights (DARTS' first order).
    First,
    /// The validation gradient after a virtual weight step, with the
    /// Hessian-vector product by finite differences (DARTS' second order).
    Second,
}

/// The cell space DARTS searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SupernetSpace {
    /// NAS-Bench-201 cells on the NB201 macro skeleton (`channels`, `cells_per_stage`).
    Nb201,
    /// DARTS cells (normal and reduction) on DARTS' search network (`channels`, `layers`).
    Darts,
}

/// Settings of [`run_darts`](crate::run_darts). Missing keys take DARTS'
/// values for CIFAR-10 (Liu et al., ICLR 2019, §3.1.1) on the NB201 supernet
/// of the benchmark's search (`C = 16`, `N = 5`); with `space = "darts"`,
/// DARTS' own search network (`C = 16`, 8 layers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DartsSettings {
    /// The cell space.
    pub space: SupernetSpace,
    /// Supernet channels `C` (NB201: the first stage; DARTS: the first cells).
    pub channels: usize,
    /// NB201 supernet: cells per stage `N`.
    pub cells_per_stage: usize,
    /// DARTS supernet: cells `L` (reductions at `L/3` and `2L/3`).
    pub layers: usize,
    /// Search epochs (passes over the training split).
    pub epochs: usize,
    /// Images per step, for both the weight and the architecture step.
    pub batch_size: usize,
    /// First- or second-order architecture gradient.
    pub order: DartsOrder,
    /// Peak learning rate of the weights (SGD, cosine schedule).
    pub weight_lr: f64,
    /// Final learning rate of the weights' cosine schedule.
    pub weight_min_lr: f64,
    /// SGD momentum of the weights.
    pub momentum: f64,
    /// L2 weight decay of the weights.
    pub weight_decay: f64,
    /// Adam learning rate of the architecture logits.
    pub arch_lr: f64,
    /// Weight decay of the architecture logits.
    pub arch_weight_decay: f64,
    /// Clip the weights' global gradient norm to this value.
    pub grad_clip_norm: f64,
    /// Stop each epoch after this many steps (all of the training split when absent).
    pub steps_per_epoch: Option<usize>,
    /// Images per evaluation batch (batch statistics come from each batch).
    pub eval_batch_size: usize,
    /// Augmentation of the weight steps' and the architecture steps' batches
    /// (DARTS' search crops and flips both; evaluation batches never are).
    pub augmentation: SearchAugmentation,
}

impl Default for DartsSettings {
    fn default() -> Self {
        Self {
            space: SupernetSpace::Nb201,
            channels: 16,
            cells_per_stage: 5,
            layers: 8,
            epochs: 50,
            batch_size: 64,
            order: DartsOrder::First,
            weight_lr: 0.025,
            weight_min_lr: 0.001,
            momentum: 0.9,
            weight_decay: 3e-4,
            arch_lr: 3e-4,
            arch_weight_decay: 1e-3,
            grad_clip_norm: 5.0,
            steps_per_epoch: None,
            eval_batch_size: 256,
            augmentation: SearchAugmentation::Standard,
        }
    }
}

impl DartsSettings {
    /// Checks every setting, naming the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("channels", self.channels),
            ("cells_per_stage", self.cells_per_stage),
            ("layers", self.layers),
            ("epochs", self.epochs),
            ("eval_batch_size", self.eval_batch_size),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1"));
            }
        }
        if self.space == SupernetSpace::Darts && !self.channels.is_multiple_of(2) {
            return Err(ConfigError::new(
                "channels",
                "an even number for the DARTS space (its factorised reduction halves it)",
            ));
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
            ("arch_lr", self.arch_lr),
            ("grad_clip_norm", self.grad_clip_norm),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::new(field, "a positive number"));
            }
        }
        for (field, value) in [
            ("weight_min_lr", self.weight_min_lr),
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
            ("arch_weight_decay", self.arch_weight_decay),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ConfigError::new(field, "a number >= 0"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_take_the_papers_values_and_typos_are_refused() {
        let s: DartsSettings = toml::from_str("epochs = 3\norder = \"second\"").unwrap();
        assert_eq!(s.epochs, 3);
        assert_eq!(s.order, DartsOrder::Second);
        assert_eq!(s.weight_lr, 0.025);
        assert!(s.validate().is_ok());
        let err = toml::from_str::<DartsSettings>("epoch = 3").unwrap_err();
        assert!(err.to_string().contains("epoch"), "{err}");
        let bad = DartsSettings {
            batch_size: 1,
            ..DartsSettings::default()
        };
        assert_eq!(bad.validate().unwrap_err().field, "batch_size");
    }
}
