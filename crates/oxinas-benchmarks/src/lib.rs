//! Benchmark adapters.

mod nb_macro;
mod nlp;
mod nlp_log;

pub use nb_macro::{NB_MACRO_EPOCHS, NB_MACRO_FILE, NbMacroRecord, NbMacroTabular};
pub use nlp::{NLP_EPOCHS, NlpDataset, NlpLearningCurve, NlpTabular};
pub use nlp_log::{COMPLETE_STATUS, NlpRun, read_nlp_logs};
