use std::path::{Path, PathBuf};

use oxinas_benchmarks::{Nb101Table, Nb201Table, TableConfig};
use oxinas_core::data_root;
use oxinas_train::{Nb360EvaluatorSettings, TrainEvaluatorSettings};

use crate::{BenchmarkConfig, ExperimentConfig};

/// A trained benchmark's settings with a relative `data_dir` resolved
/// against the directory of the config file, where it was written.
pub(crate) fn resolved_train_settings(
    settings: &TrainEvaluatorSettings,
    config_path: &Path,
) -> TrainEvaluatorSettings {
    let mut settings = settings.clone();
    if let Some(dir) = settings.data_dir.as_mut().filter(|d| d.is_relative()) {
        *dir = config_path.parent().unwrap_or(Path::new("")).join(&*dir);
    }
    if let Some(file) = settings.space_file.as_mut() {
        *file = resolved_config_path(file, config_path);
    }
    settings
}

/// NAS-Bench-360 evaluator settings with a relative `data_dir` resolved
/// against the directory of the config file.
pub(crate) fn resolved_nb360_settings(
    settings: &Nb360EvaluatorSettings,
    config_path: &Path,
) -> Nb360EvaluatorSettings {
    let mut settings = settings.clone();
    if let Some(dir) = settings.data_dir.as_mut().filter(|d| d.is_relative()) {
        *dir = config_path.parent().unwrap_or(Path::new("")).join(&*dir);
    }
    settings
}

/// `path` as written in a config: `$OXINAS_DATA/...` under the data root, a
/// relative path against the config's directory.
pub(crate) fn resolved_config_path(path: &Path, config_path: &Path) -> PathBuf {
    match path.strip_prefix("$OXINAS_DATA") {
        Ok(rest) => data_root().join(rest),
        Err(_) if path.is_relative() => config_path.parent().unwrap_or(Path::new("")).join(path),
        Err(_) => path.to_path_buf(),
    }
}

/// A table benchmark's settings with its table and space file resolved
/// ([`resolved_config_path`]).
pub(crate) fn resolved_table_settings(settings: &TableConfig, config_path: &Path) -> TableConfig {
    let mut settings = settings.clone();
    settings.path = resolved_config_path(&settings.path, config_path);
    if let Some(file) = settings.space_file.as_mut() {
        *file = resolved_config_path(file, config_path);
    }
    settings
}

/// The data files the config's benchmark reads, for the manifest's checksums.
/// The benchmark data files `config` (read from `config_path`) needs, as
/// absolute paths under the data root (`OXINAS_DATA`).
pub fn config_data_files(config: &ExperimentConfig, config_path: &Path) -> Vec<PathBuf> {
    data_files(config, config_path)
}

pub(crate) fn data_files(config: &ExperimentConfig, config_path: &Path) -> Vec<PathBuf> {
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
        BenchmarkConfig::Train(settings) => {
            let settings = resolved_train_settings(settings, config_path);
            let mut files = settings.data_files();
            files.extend(settings.space_file);
            files
        }
        BenchmarkConfig::Table(settings) => {
            let settings = resolved_table_settings(settings, config_path);
            std::iter::once(settings.path)
                .chain(settings.space_file)
                .collect()
        }
        BenchmarkConfig::Nb360(settings) => {
            let settings = resolved_nb360_settings(settings, config_path);
            match (settings.task(), settings.data_dir()) {
                (Ok(task), Ok(dir)) => task
                    .spec()
                    .files
                    .iter()
                    .map(|f| dir.join(f))
                    .filter(|p| p.is_file())
                    .collect(),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}
