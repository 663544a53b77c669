use std::path::{Path, PathBuf};

use oxinas_benchmarks::{Nb101Table, Nb201Table};
use oxinas_core::data_root;

use crate::{BenchmarkConfig, ExperimentConfig};

/// The data files the config's benchmark reads, for the manifest's checksums.
pub(crate) fn data_files(config: &ExperimentConfig) -> Vec<PathBuf> {
    // Benchmarks without an entry here are recorded without data files.
    #[allow(unreachable_patterns)]
    match &config.benchmark {
        BenchmarkConfig::Nb201(settings) => {
            let relative = settings
                .data
                .clone()
                .unwrap_or_else(|| Nb201Table::csv_path(Path::new("")));
            vec![data_root().join(relative)]
        }
        BenchmarkConfig::Nb101 { data } => {
            let relative = data
                .clone()
                .unwrap_or_else(|| Nb101Table::csv_path(Path::new("")));
            vec![data_root().join(relative)]
        }
        BenchmarkConfig::Train(settings) => settings.data_files(),
        _ => Vec::new(),
    }
}
