//! Search spaces as plain data.
//!
//! Each space implements [`oxinas_core::SearchSpace`]: sampling, mutation,
//! neighbourhoods, a canonical key that merges architectures computing the same
//! function, and the official string format of its benchmark.

mod asr;
mod darts;
mod darts_arch;
mod darts_cell;
mod darts_compact;
mod darts_genotype;
mod darts_literal;
mod darts_op;
mod declared_build;
mod declared_file;
mod declared_format;
mod declared_graph;
mod declared_network;
mod declared_space;
mod nb101;
mod nb101_arch;
mod nb101_enumeration;
mod nb101_hash;
mod nb101_mutation;
mod nb101_op;
mod nb101_prune;
mod nb101_relabel;
mod nb201;
mod nb201_index;
mod nb_macro;
mod nlp;
mod nlp_canonical;
mod nlp_cell;
mod nlp_generator;
mod nlp_recipe;
mod ofa;
mod subset;
mod transnas_macro;
mod transnas_micro;

pub use asr::{ASR_NODES, ASR_OPS, ASR_SIZE, AsrArch, AsrSpace, asr_model_hash};
pub use darts::DartsSpace;
pub use darts_arch::{DartsArch, DartsCellKind};
pub use darts_cell::{DARTS_EDGES, DARTS_NODES, DartsCell, DartsCellError, DartsEdge};
pub use darts_op::DartsOp;
pub use declared_file::{DeclarationError, OpsOn};
pub use declared_format::INACTIVE_TEXT;
pub use declared_graph::{CellView, DeclaredGraph};
pub use declared_network::{DeclaredNetwork, LayerOp, LayerSpec};
pub use declared_space::{DeclaredArch, DeclaredChoice, DeclaredSpace};
pub use nb_macro::{
    NB_MACRO_LAYERS, NB_MACRO_SIZE, NB_MACRO_STAGES, NbMacroArch, NbMacroOp, NbMacroSpace,
};
pub use nb101::{NB101_NUM_CELLS, Nb101Space};
pub use nb101_arch::{NB101_MAX_EDGES, NB101_MAX_VERTICES, Nb101Arch};
pub use nb101_hash::Nb101Hash;
pub use nb101_op::Nb101Op;
pub use nb201::{NB201_EDGES, Nb201Arch, Nb201Op, Nb201Space};
pub use nlp::NlpSpace;
pub use nlp_cell::{NlpCell, NlpGeneratorRule, NlpInput, NlpNode, NlpOp, NlpStructureError};
pub use ofa::{OFA_LAYERS, OFA_MAX_DEPTH, OFA_UNITS, OfaArch, OfaSpace};
pub use subset::SubsetSpace;
pub use transnas_macro::{TRANSNAS_MACRO_SIZE, TransNasMacroArch, TransNasMacroSpace};
pub use transnas_micro::{
    TRANSNAS_MICRO_SIZE, TransNasMicroArch, TransNasMicroOp, TransNasMicroSpace,
};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
