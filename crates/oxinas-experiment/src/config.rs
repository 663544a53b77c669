use std::collections::BTreeMap;
use std::path::Path;

use oxinas_core::Budget;
use serde::Deserialize;

use crate::{BenchmarkConfig, ExperimentError, OptimizerConfig};

/// An experiment as written in its TOML file. Unknown keys are errors.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Name of the experiment; the default run directory is `runs/<name>`.
    pub name: String,
    /// What the experiment reproduces or shows.
    #[serde(default)]
    pub description: String,
    /// The experiment seed; every trial seed derives from it.
    pub seed: u64,
    /// Trials (independent repetitions) per optimizer.
    pub trials: u64,
    /// The benchmark to search.
    pub benchmark: BenchmarkConfig,
    /// Fidelity and budget of each trial.
    pub search: SearchConfig,
    /// The optimizers compared (`[[optimizer]]` tables).
    #[serde(rename = "optimizer")]
    pub optimizers: Vec<OptimizerConfig>,
    /// What to report about each trial's returned architecture (`[[report]]` tables).
    #[serde(rename = "report", default)]
    pub reports: Vec<ReportMetric>,
}

/// How each trial searches.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// Fidelity (epochs) at which optimizers evaluate.
    pub fidelity: u32,
    /// The budget of each trial.
    pub budget: Budget,
}

/// A benchmark metric reported for the architecture each trial returns.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportMetric {
    /// Column heading.
    pub label: String,
    /// The benchmark's metric name (e.g. `cifar10/test@200`).
    pub metric: String,
    /// Published means to compare with, by optimizer label.
    #[serde(default)]
    pub reference: BTreeMap<String, f64>,
    /// Largest acceptable absolute difference from the reference mean.
    #[serde(default)]
    pub tolerance: Option<f64>,
}

impl ExperimentConfig {
    /// Parses a config from TOML text; `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ExperimentError> {
        toml::from_str(text).map_err(|e| ExperimentError::Config {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Reads and parses the config file at `path`.
    pub fn load(path: &Path) -> Result<(Self, String), ExperimentError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExperimentError::ReadConfig {
            path: path.to_owned(),
            source,
        })?;
        Ok((Self::from_toml(&text, path)?, text))
    }
}
