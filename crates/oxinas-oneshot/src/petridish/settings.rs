//! The `[petridish]` table of a config.

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_train::TrainSettings;

use super::architecture::CostMeasure;
use super::operation::LayerOp;

/// Settings of a Petridish search (macro variant).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PetridishSettings {
    /// Channels of every feature map.
    pub channels: usize,
    /// Operations a candidate may apply.
    pub ops: Vec<LayerOp>,
    /// Candidates read the last this many feature maps (the stem's included).
    pub candidate_sources: usize,
    /// The cost the hull trades validation error against.
    pub cost: CostMeasure,
    /// Expansion rounds (each expands parents from the current ε-hull).
    pub rounds: usize,
    /// Parents expanded per round, most cost-efficient first.
    pub parents_per_round: usize,
    /// One child per entry: a new layer of this many of the best candidates.
    pub layer_sizes: Vec<usize>,
    /// Relative slack of the ε-hull that parents are drawn from.
    pub epsilon: f64,
    /// Epochs of the candidate phase (the parent training on, its candidates learning).
    pub candidate_epochs: usize,
    /// Learning rate of the candidates (SGD with momentum 0.9, constant).
    pub candidate_lr: f64,
    /// L1 penalty on the candidates' weights `α`.
    pub l1_penalty: f64,
    /// Epochs a child trains from its parent's weights.
    pub child_epochs: usize,
    /// Peak learning rate of a child's training (lower than `train.lr`: the
    /// child starts from trained weights).
    pub child_lr: f64,
    /// Also train every gallery model from scratch for `train.epochs` and
    /// report both errors.
    #[serde(default)]
    pub compare_from_scratch: bool,
    /// Worker threads for candidates and children (results do not depend on it).
    #[serde(default = "one")]
    pub threads: usize,
    /// The training recipe; `epochs` is the from-scratch budget (the seed
    /// model and the from-scratch comparison train that long).
    pub train: TrainSettings,
}

fn one() -> usize {
    1
}

impl PetridishSettings {
    /// Checks ranges; the error names the field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.train.validate()?;
        let positive = [
            ("channels", self.channels),
            ("candidate_sources", self.candidate_sources),
            ("parents_per_round", self.parents_per_round),
            ("child_epochs", self.child_epochs),
            ("threads", self.threads),
            ("train.epochs", self.train.epochs),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(ConfigError::new(field, "at least 1, found 0"));
            }
        }
        if self.ops.is_empty() {
            return Err(ConfigError::new("ops", "at least one operation"));
        }
        if self.layer_sizes.is_empty() || self.layer_sizes.contains(&0) {
            return Err(ConfigError::new(
                "layer_sizes",
                format!(
                    "a non-empty list of positive sizes, found {:?}",
                    self.layer_sizes
                ),
            ));
        }
        if !(self.epsilon >= 0.0 && self.epsilon.is_finite()) {
            return Err(ConfigError::new(
                "epsilon",
                format!("a non-negative number, found {}", self.epsilon),
            ));
        }
        if !(self.candidate_lr > 0.0 && self.candidate_lr.is_finite()) {
            return Err(ConfigError::new(
                "candidate_lr",
                format!("a positive number, found {}", self.candidate_lr),
            ));
        }
        if !(self.child_lr > 0.0 && self.child_lr.is_finite()) || self.train.min_lr > self.child_lr
        {
            return Err(ConfigError::new(
                "child_lr",
                format!(
                    "a positive number, at least train.min_lr, found {}",
                    self.child_lr
                ),
            ));
        }
        if !(self.l1_penalty >= 0.0 && self.l1_penalty.is_finite()) {
            return Err(ConfigError::new(
                "l1_penalty",
                format!("a non-negative number, found {}", self.l1_penalty),
            ));
        }
        Ok(())
    }
}
