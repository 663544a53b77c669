//! Benchmark adapters: published NAS benchmark data as [`oxinas_core::Evaluator`]s
//! and [`oxinas_core::GroundTruth`]s.
//!
//! Each adapter reads the benchmark's published format from the data
//! directory ([`oxinas_core::data_root`]), documents which metric is which,
//! and fails with a [`oxinas_core::DataError`] naming the file and the place
//! when a file is not what it should be.

mod asr;
mod data_catalog;
mod masked_crc32c;
mod nats_archive;
#[cfg(test)]
mod nats_archive_fixture;
mod nats_archive_tabular;
mod nb101_full_table;
mod nb101_full_tabular;
mod nb101_model_metrics;
mod nb101_subset;
mod nb101_table;
mod nb101_tabular;
mod nb101_tfrecord;
mod nb201_dataset;
mod nb201_table;
mod nb201_tabular;
mod nb301;
mod nb301_encoding;
mod nb301_surrogate;
mod nb_macro;
mod nlp;
mod nlp_log;
mod table_benchmark;
mod tfrecord;
mod transnas;

pub use asr::{ASR_DIR, AsrRun, AsrStatic, AsrTabular};
pub use data_catalog::{
    BenchmarkCheck, CATALOG, CatalogEntry, CatalogFile, FileStatus, ImportError, ImportKind,
    ImportOutcome, Presence, catalog_entry, check, check_entry, import, presence,
};
pub use nats_archive::{
    NATS_ARCHIVE_DIR, NATS_FILE_EXTENSION, NatsArchRecord, NatsEvalCurve, NatsRun, NatsSchedule,
    NatsScheduleResults, nats_arch_file, read_nats_arch_file,
};
pub use nats_archive_tabular::{NatsArchive, NatsGroundTruth, NatsTabular};
pub use nb_macro::{NB_MACRO_EPOCHS, NB_MACRO_FILE, NbMacroRecord, NbMacroTabular};
pub use nb101_full_table::{Nb101Cell, Nb101FullTable, Nb101RunResult};
pub use nb101_full_tabular::{Nb101FullTabular, Nb101Noise};
pub use nb101_model_metrics::{Nb101EvaluationData, Nb101ModelMetrics};
pub use nb101_subset::Nb101Subset;
pub use nb101_table::{NB101_EPOCHS, Nb101Record, Nb101Table};
pub use nb101_tabular::Nb101Tabular;
pub use nb101_tfrecord::{Nb101Run, Nb101TfRecordReader};
pub use nb201_dataset::Nb201Dataset;
pub use nb201_table::{Nb201Record, Nb201Table, Nb201TrainResult};
pub use nb201_tabular::{Nb201Noise, Nb201Tabular};
pub use nb301::{NB301_YAHPO_DIR, Nb301Benchmark};
pub use nb301_encoding::{NB301_CATEGORICAL_INPUTS, Nb301Encoding, nb301_input_names};
pub use nb301_surrogate::{NB301_EPOCHS, Nb301Prediction, Nb301Surrogate};
pub use nlp::{NLP_EPOCHS, NlpDataset, NlpLearningCurve, NlpTabular};
pub use nlp_log::{COMPLETE_STATUS, NlpRun, read_nlp_logs};
pub use table_benchmark::{TableBenchmark, TableConfig, TableObjective};
pub use tfrecord::{TfRecordReader, TfRecordWriter};
pub use transnas::{
    TRANSNAS_FINAL, TRANSNAS_MACRO_FILE, TRANSNAS_MICRO_FILE, TransNasMacroSubset,
    TransNasMicroSubset, TransNasRecord, TransNasSubset, TransNasTask,
};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
