use std::collections::BTreeMap;
use std::path::Path;

use oxinas_core::Budget;
use serde::Deserialize;

use crate::{BenchmarkConfig, ComputeSettings, ExecutorConfig, ExperimentError, OptimizerConfig};

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
    /// Where trials run (`[executor]`; default: a local thread pool).
    #[serde(default)]
    pub executor: ExecutorConfig,
    /// Where networks train (`[compute]`; default the CPU); only for
    /// benchmarks that train (`train`, `nb360`).
    #[serde(default)]
    pub compute: ComputeSettings,
}

/// How each trial searches.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// Fidelity (epochs) at which optimizers evaluate; may be left out when
    /// the benchmark has one fidelity.
    #[serde(default)]
    pub fidelity: Option<u32>,
    /// The budget of each trial.
    pub budget: Budget,
    /// Simulated workers evaluating queries in parallel
    /// ([`oxinas_optimizers::run_search_on_cluster`]): each query occupies a
    /// worker for its recorded training time, results arrive in simulated
    /// time order, a time budget limits simulated wall-clock time, and the
    /// anytime figures are drawn against it. Unset: the sequential loop.
    #[serde(default)]
    pub workers: Option<usize>,
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
    /// The published standard deviations of those means, by optimizer label
    /// (shown next to them in generated tables).
    #[serde(default)]
    pub reference_std: BTreeMap<String, f64>,
    /// Largest acceptable absolute difference from the reference mean.
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// Report the regret instead of the value: how far the returned
    /// architecture's metric is from the best value of that metric over every
    /// architecture the benchmark records (0 = optimal, never negative). The
    /// metric is taken to have the benchmark's goal (e.g. higher accuracy is
    /// better).
    #[serde(default)]
    pub regret: bool,
}

impl ExperimentConfig {
    /// Parses a config from TOML text; `path` is only used in error messages.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ExperimentError> {
        toml::from_str(text).map_err(|e| ExperimentError::Config {
            path: path.to_owned(),
            message: with_key_line(text, &e),
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

/// The parser's message, preceded by the line of the offending key when the
/// parser could only point at the enclosing table.
///
/// Tables chosen by a tag (`kind`, `name`) are buffered before they are
/// checked, so an unknown key there is reported at the table's header (or the
/// start of its array of tables); the key's own line is what a user needs.
pub(crate) fn with_key_line(text: &str, error: &toml::de::Error) -> String {
    let message = error.to_string();
    let key = error
        .message()
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(key, _)| key);
    let (Some(key), Some(span)) = (key, error.span()) else {
        return message;
    };
    // The span points at the table's header, or at the first header of an
    // array of tables: look through that table or array for the key.
    let first_line = text[..span.start].matches('\n').count();
    let header = text.lines().nth(first_line).unwrap_or("").trim();
    let found = text
        .lines()
        .enumerate()
        .skip(first_line + 1)
        .take_while(|(_, line)| {
            let line = line.trim_start();
            !line.starts_with('[') || line.trim_end() == header
        })
        .find(|(_, line)| {
            line.trim_start()
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        });
    match found {
        Some((index, _)) => format!("line {}: unknown key `{key}`\n{message}", index + 1),
        None => message,
    }
}
