//! What a Petridish search returns and reports while it runs.

use serde::{Deserialize, Serialize};

use super::architecture::{CostMeasure, MacroArchitecture, NetworkFrame};

/// One model of the search tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PetridishModel {
    /// Index in [`PetridishReport::models`].
    pub id: usize,
    /// The model it was grown from (`None` for the seed model).
    pub parent: Option<usize>,
    /// The expansion round that created it (0 for the seed model).
    pub round: usize,
    /// The architecture.
    pub architecture: MacroArchitecture,
    /// [`MacroArchitecture::describe`].
    pub description: String,
    /// Trainable parameters.
    pub params: usize,
    /// Multiply-accumulates per image.
    pub macs: usize,
    /// The cost the hull uses (`params` or `macs`).
    pub cost: f64,
    /// Validation error (fraction) after its training; drives the hull.
    pub validation_error: f64,
    /// Test error (fraction); reported only, never used by the search.
    pub test_error: f64,
    /// Epochs of its own training (from scratch for the seed, from the parent otherwise).
    pub epochs: usize,
    /// Epochs along its lineage: its ancestors' training, the candidate
    /// phases that grew it, and its own.
    pub lineage_epochs: usize,
    /// Why its training stopped early (a non-finite loss), if it did.
    pub failure: Option<String>,
}

/// A gallery model trained incrementally and the same architecture trained from scratch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScratchComparison {
    /// The model's id.
    pub id: usize,
    /// Validation error of the incrementally trained model.
    pub incremental_validation_error: f64,
    /// Test error of the incrementally trained model.
    pub incremental_test_error: f64,
    /// Validation error after training from scratch for the full budget.
    pub scratch_validation_error: f64,
    /// Test error after training from scratch for the full budget.
    pub scratch_test_error: f64,
    /// Epochs spent to obtain the model from its parent: the candidate phase and the child's training.
    pub incremental_epochs: usize,
    /// The from-scratch budget.
    pub scratch_epochs: usize,
    /// `scratch_epochs - incremental_epochs`.
    pub epochs_saved: i64,
}

/// The result of a search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PetridishReport {
    /// Shapes shared by all models.
    pub frame: NetworkFrame,
    /// The cost the hull trades error against.
    pub cost_measure: CostMeasure,
    /// Every model trained, by id.
    pub models: Vec<PetridishModel>,
    /// Ids of the models expanded as parents, in order.
    pub expanded: Vec<usize>,
    /// Ids of the gallery, the models on the final lower convex hull of
    /// validation error vs cost, by increasing cost (and decreasing error).
    pub gallery: Vec<usize>,
    /// Gallery children against the same architectures trained from scratch
    /// (empty unless asked for).
    pub comparison: Vec<ScratchComparison>,
    /// Epochs trained in the whole search, candidate phases included
    /// (the from-scratch comparison excluded).
    pub search_epochs: usize,
}

impl PetridishReport {
    /// The gallery's models, by increasing cost.
    pub fn gallery_models(&self) -> impl Iterator<Item = &PetridishModel> {
        self.gallery.iter().map(|&id| &self.models[id])
    }
}

/// Progress of a running search.
#[derive(Clone, Debug, PartialEq)]
pub enum PetridishProgress {
    /// A round picked its parents from the ε-hull.
    RoundStarted {
        /// The round, from 1.
        round: usize,
        /// Ids of the parents.
        parents: Vec<usize>,
    },
    /// A model finished training.
    ModelTrained {
        /// Its id.
        id: usize,
        /// Its validation error.
        validation_error: f64,
        /// Its cost.
        cost: f64,
    },
    /// A gallery model finished training from scratch.
    ScratchTrained {
        /// Its id.
        id: usize,
        /// Validation error after training from scratch.
        validation_error: f64,
    },
}
