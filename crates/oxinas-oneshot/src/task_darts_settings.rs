//! Settings of a DARTS search on a NAS-Bench-360 task.

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;

use crate::darts_settings::{DartsOrder, DartsSettings, SupernetSpace};

/// Settings of [`run_task_darts`](crate::run_task_darts): DARTS over
/// NAS-Bench-201 cells on a task's supernet. The keys and the
/// defaults are those of [`DartsSettings`] for the NB201 space (DARTS'
/// CIFAR-10 values, `C = 16`, `N = 5`), plus the seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TaskDartsSettings {
    /// Supernet channels `C` of the first stage (dense tasks: every cell).
    pub channels: usize,
    /// Cells per stage `N` (three stages).
    pub cells_per_stage: usize,
    /// Search epochs (passes over the training split).
    pub epochs: usize,
    /// Samples per step, for both the weight and the architecture step.
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
    /// Samples per evaluation batch (batch statistics come from each batch).
    pub eval_batch_size: usize,
    /// Seed of the weights, the architecture logits and the batch order.
    pub seed: u64,
}

impl Default for TaskDartsSettings {
    fn default() -> Self {
        let d = DartsSettings::default();
        Self {
            channels: d.channels,
            cells_per_stage: d.cells_per_stage,
            epochs: d.epochs,
            batch_size: d.batch_size,
            order: d.order,
            weight_lr: d.weight_lr,
            weight_min_lr: d.weight_min_lr,
            momentum: d.momentum,
            weight_decay: d.weight_decay,
            arch_lr: d.arch_lr,
            arch_weight_decay: d.arch_weight_decay,
            grad_clip_norm: d.grad_clip_norm,
            steps_per_epoch: d.steps_per_epoch,
            eval_batch_size: d.eval_batch_size,
            seed: 0,
        }
    }
}

impl TaskDartsSettings {
    /// Checks every setting, naming the first one out of range (the same
    /// ranges as [`DartsSettings::validate`]).
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.as_darts_settings().validate()
    }

    /// The same values as NB201 [`DartsSettings`].
    pub fn as_darts_settings(&self) -> DartsSettings {
        DartsSettings {
            space: SupernetSpace::Nb201,
            channels: self.channels,
            cells_per_stage: self.cells_per_stage,
            epochs: self.epochs,
            batch_size: self.batch_size,
            order: self.order,
            weight_lr: self.weight_lr,
            weight_min_lr: self.weight_min_lr,
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            arch_lr: self.arch_lr,
            arch_weight_decay: self.arch_weight_decay,
            grad_clip_norm: self.grad_clip_norm,
            steps_per_epoch: self.steps_per_epoch,
            eval_batch_size: self.eval_batch_size,
            ..DartsSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_keys_take_dartss_values_and_bad_ones_are_named() {
        let s: TaskDartsSettings = toml::from_str("epochs = 3\nseed = 7\nchannels = 4").unwrap();
        assert_eq!((s.epochs, s.seed, s.channels), (3, 7, 4));
        assert_eq!(s.weight_lr, 0.025);
        assert_eq!(s.cells_per_stage, 5);
        assert!(s.validate().is_ok());
        assert_eq!(s.order, DartsOrder::First);
        let second: TaskDartsSettings = toml::from_str("order = \"second\"").unwrap();
        assert_eq!(second.order, DartsOrder::Second);
        // The space is always NB201 cells: DARTS' `space` and `layers` are refused.
        let err = toml::from_str::<TaskDartsSettings>("space = \"darts\"").unwrap_err();
        assert!(err.to_string().contains("space"), "{err}");
        for (toml_text, field) in [
            ("batch_size = 1", "batch_size"),
            ("arch_lr = 0.0", "arch_lr"),
            ("momentum = -0.5", "momentum"),
            ("cells_per_stage = 0", "cells_per_stage"),
            ("steps_per_epoch = 0", "steps_per_epoch"),
        ] {
            let s: TaskDartsSettings = toml::from_str(toml_text).unwrap();
            assert_eq!(s.validate().unwrap_err().field, field, "{toml_text}");
        }
    }
}
