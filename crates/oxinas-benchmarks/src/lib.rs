//! Benchmark adapters.

mod nb_macro;
mod nlp;
mod nlp_log;
mod transnas;

pub use nb_macro::{NB_MACRO_EPOCHS, NB_MACRO_FILE, NbMacroRecord, NbMacroTabular};
pub use nlp::{NLP_EPOCHS, NlpDataset, NlpLearningCurve, NlpTabular};
pub use nlp_log::{COMPLETE_STATUS, NlpRun, read_nlp_logs};
pub use transnas::{
    TRANSNAS_FINAL, TRANSNAS_MACRO_FILE, TRANSNAS_MICRO_FILE, TransNasMacroSubset,
    TransNasMicroSubset, TransNasRecord, TransNasSubset, TransNasTask,
};
