//! The benchmark cases, one file per subject, and what they share.

mod bananas_nb201;
mod benchmark_loading;
mod nb101_enumeration;
mod nb201_encodings;
mod nb201_search_vs_python;
mod nb201_table5;
mod nb301_surrogate;
mod predictor_fit_query;
mod search_overhead;
mod train_step;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxinas_benchmarks::Nb201Table;
use oxinas_core::data_root;
use oxinas_experiment::ExperimentConfig;

use crate::{BenchError, Case};

/// Every case, in the order the table lists them.
pub fn all_cases() -> Vec<Case> {
    let mut cases = vec![nb201_table5::case(), nb201_search_vs_python::case()];
    cases.extend(search_overhead::cases());
    cases.push(nb101_enumeration::case());
    cases.extend(nb201_encodings::cases());
    cases.extend(predictor_fit_query::cases());
    cases.push(bananas_nb201::case());
    cases.extend(nb301_surrogate::cases());
    cases.extend(benchmark_loading::cases());
    cases.extend(train_step::cases());
    cases
}

/// The NB201 table, relative to the data directory.
const NB201_CSV: &str = "nb201/nb201_merged.csv";

/// The NB201 Table 5 config, compiled in so the suite always times the
/// protocol the repository reproduces.
const TABLE5_TOML: &str = include_str!("../../configs/nb201-table5.toml");

/// Where [`TABLE5_TOML`] lives, relative to the workspace root.
const TABLE5_PATH: &str = "configs/nb201-table5.toml";

/// The workspace root (the checkout the run manifest describes).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// The parsed Table 5 config and its text.
fn table5_config() -> Result<(ExperimentConfig, &'static str), BenchError> {
    let config = ExperimentConfig::from_toml(TABLE5_TOML, Path::new(TABLE5_PATH))
        .map_err(|e| BenchError::setup(format!("parsing {TABLE5_PATH}"), e))?;
    Ok((config, TABLE5_TOML))
}

/// The NB201 table from the data directory.
fn load_nb201() -> Result<Arc<Nb201Table>, BenchError> {
    let path = Nb201Table::csv_path(&data_root());
    let table = Nb201Table::from_csv(&path)
        .map_err(|e| BenchError::setup(format!("loading {}", path.display()), e))?;
    Ok(Arc::new(table))
}
