//! Benchmark adapters.

mod nlp;
mod nlp_log;

pub use nlp::{NLP_EPOCHS, NlpDataset, NlpLearningCurve, NlpTabular};
pub use nlp_log::{COMPLETE_STATUS, NlpRun, read_nlp_logs};
