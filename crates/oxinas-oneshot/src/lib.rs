//! Weight-sharing neural architecture search on Burn.
//!
//! One network's weights stand in for many architectures: a supernet holds
//! every candidate operation, and DARTS, ENAS and Once-for-All differ in how
//! they train those shared weights and how they pick an architecture from them.
//! Petridish grows networks forward instead, warm-starting each child from its
//! parent's weights.
//!
//! Everything is generic over a Burn backend and seeded: the same seed gives
//! the same search whatever the thread count. The library never prints; long
//! work reports progress through callbacks.
//!
//! DARTS on the NAS-Bench-201 cells of a small supernet, on the digits that
//! ship with `oxinas-train` (the same search runs from a config file with
//! `cargo xtask experiment configs/oneshot/darts_tiny.toml`):
//!
//! ```no_run
//! use oxinas_oneshot::{DartsSettings, run_darts};
//! use oxinas_train::backend::CpuTrainBackend;
//! use oxinas_train::{DataSettings, DatasetName};
//!
//! let splits = DataSettings {
//!     dataset: DatasetName::Digits,
//!     subset: None,
//!     seed: 0,
//!     downsample: None,
//!     validation_size: None,
//!     test_size: None,
//!     data_dir: None,
//! }
//! .load()?;
//! let settings = DartsSettings {
//!     channels: 4,
//!     cells_per_stage: 1,
//!     epochs: 6,
//!     arch_lr: 0.05,
//!     ..DartsSettings::default()
//! };
//! let report = run_darts::<CpuTrainBackend>(
//!     &splits,
//!     &settings,
//!     0,
//!     &Default::default(),
//!     None,
//!     &mut |epoch| eprintln!("epoch {}: cell {}", epoch.epoch, epoch.arch),
//! )?;
//! println!("{} (validation {:.3})", report.arch_string, report.valid_accuracy);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod architecture_weights;
mod batch_standardize;
mod checkpoint;
mod darts_search;
mod darts_settings;
mod darts_supernet;
mod enas_controller;
mod enas_search;
mod enas_settings;
mod module_shift;
mod nb201_supernet;
mod ofa_accuracy_predictor;
mod ofa_evaluation;
mod ofa_flops;
mod ofa_pipeline;
mod ofa_progressive_shrinking;
mod ofa_search;
mod ofa_settings;
mod ofa_subnet;
mod ofa_supernet;
mod oneshot_error;
mod reinforce;
mod search_augmentation;
mod search_supernet;
mod shared_weight_training;
mod supernet_evaluation;
mod task_darts;
mod task_darts_settings;

pub use architecture_weights::{ArchWeights, mean_entropy};
pub use batch_standardize::{BatchAffine, standardize_batch};
pub use checkpoint::save_module;
pub use darts_search::{DartsEpoch, DartsReport, run_darts};
pub use darts_settings::{DartsOrder, DartsSettings, SupernetSpace};
pub use darts_supernet::{
    DARTS_SEARCH_EDGES, DARTS_SEARCH_OPS, DartsSupernet, DartsSupernetConfig,
};
pub use enas_controller::{ControllerSample, EnasController, SamplingShape};
pub use enas_search::{EnasEpoch, EnasReport, run_enas};
pub use enas_settings::EnasSettings;
pub use module_shift::shift_by_gradients;
pub use nb201_supernet::{NB201_OPS, Nb201Supernet, Nb201TaskConfig, SupernetHead};
pub use ofa_accuracy_predictor::{OFA_ENCODING_LEN, OfaAccuracyPredictor, ofa_encoding};
pub use ofa_evaluation::OfaEvaluator;
pub use ofa_flops::{ofa_macs, ofa_mflops};
pub use ofa_pipeline::{
    OfaError, OfaOutcome, OfaPhaseReport, OfaPredictorReport, OfaProgress, OfaReport,
    OfaSubnetReport, OfaWallTimes, run_ofa,
};
pub use ofa_progressive_shrinking::{OfaEpochReport, OfaPhase, train_phase};
pub use ofa_search::{OfaSearchError, OfaSearchResult, PredictFn, ofa_evolutionary_search};
pub use ofa_settings::{
    OfaNetworkSettings, OfaPhaseEpochs, OfaPhaseLrs, OfaPredictorSettings, OfaSearchSettings,
    OfaSettings,
};
pub use ofa_subnet::{OfaExtractError, OfaSubnet, OfaSubnetLayer};
pub use ofa_supernet::{
    OFA_BN_EPSILON, OFA_MAX_EXPANSION, OFA_MAX_KERNEL, OfaBnStatistics, OfaForward, OfaMbConv,
    OfaNorm, OfaSupernet, importance_order, largest_arch, nested_importance_order, smallest_arch,
    uniform_arch,
};
pub use oneshot_error::OneShotError;
pub use reinforce::{Reinforce, ReinforceUpdate};
pub use search_augmentation::SearchAugmentation;
pub use search_supernet::{Mixture, SearchSupernet};
pub use shared_weight_training::{SupernetEpoch, SupernetSettings, train_supernet_uniform};
pub use supernet_evaluation::supernet_accuracy;
pub use task_darts::{TaskDartsEpoch, TaskDartsReport, run_task_darts};
pub use task_darts_settings::TaskDartsSettings;

pub mod petridish;

pub use petridish::{PetridishProgress, PetridishReport, PetridishSettings, run_petridish};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
