//! Petridish (Hu et al., NeurIPS 2019): forward architecture search that
//! grows networks layer by layer, as cascade-correlation does.
//!
//! Each round picks parents from the ε-convex hull of validation error vs
//! cost, most cost-efficient first. Candidate layers are attached to a
//! parent invisibly ([`candidates`]: stop-gradient on their inputs,
//! stop-forward on their output), so they accumulate the gradient signal
//! of the parent's loss without changing it; an L1 penalty on their weights
//! selects the best. The selected candidates join the parent as a new layer
//! whose scale starts at 0, which leaves the parent's output unchanged, and
//! the child trains from the parent's weights for a fraction of the
//! from-scratch epochs. The result is a gallery: the models on the final
//! lower convex hull, near-optimal for every cost budget.
//!
//! This is the macro variant: layers grow on the whole network, at one
//! resolution and width.

pub mod architecture;
pub mod candidate_phase;
pub mod candidates;
pub mod job_pool;
pub mod network;
pub mod operation;
pub mod report;
pub mod search;
pub mod settings;

pub use architecture::{CostMeasure, LayerInput, MacroArchitecture, NetworkFrame};
pub use candidates::{CandidateLayer, ParentWithCandidates, stop_forward, stop_gradient};
pub use network::{GrownLayer, OpModule, PetridishNetwork};
pub use operation::LayerOp;
pub use report::{PetridishModel, PetridishProgress, PetridishReport, ScratchComparison};
pub use search::{frame_for, run_petridish};
pub use settings::PetridishSettings;
