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

mod ofa_accuracy_predictor;
mod ofa_evaluation;
mod ofa_flops;
mod ofa_pipeline;
mod ofa_progressive_shrinking;
mod ofa_search;
mod ofa_settings;
mod ofa_subnet;
mod ofa_supernet;

pub use ofa_accuracy_predictor::{
    OFA_ENCODING_LEN, OfaAccuracyPredictor, kendall_tau, ofa_encoding,
};
pub use ofa_evaluation::OfaEvaluator;
pub use ofa_flops::{ofa_macs, ofa_mflops};
pub use ofa_pipeline::{
    OfaError, OfaOutcome, OfaPhaseReport, OfaPredictorReport, OfaProgress, OfaReport,
    OfaSubnetReport, OfaWallTimes, run_ofa,
};
pub use ofa_progressive_shrinking::{OfaEpochReport, OfaPhase, train_phase};
pub use ofa_search::{OfaSearchError, OfaSearchResult, PredictFn, ofa_evolutionary_search};
pub use ofa_settings::{
    OfaNetworkSettings, OfaPhaseEpochs, OfaPredictorSettings, OfaSearchSettings, OfaSettings,
};
pub use ofa_subnet::{OfaExtractError, OfaSubnet, OfaSubnetLayer};
pub use ofa_supernet::{
    OFA_BN_EPSILON, OFA_MAX_EXPANSION, OFA_MAX_KERNEL, OfaBnStatistics, OfaForward, OfaMbConv,
    OfaNorm, OfaSupernet, importance_order, largest_arch, smallest_arch, uniform_arch,
};
