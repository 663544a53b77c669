//! Runs a Once-for-All config file (`method = "ofa"`) on its device:
//! loads the data, trains the supernet by progressive shrinking, fits the
//! accuracy predictor, searches under the FLOPs budget, and writes
//! `report.json`, a copy of the config and the checkpoints (supernet after
//! each phase, measured sub-networks, search, extracted sub-network) into
//! the run directory.
//!
//! ```toml
//! method = "ofa"
//! name = "ofa-tiny"
//! description = "..."
//! seed = 0
//! [data]            # oxinas_train::DataSettings
//! dataset = "digits"
//! seed = 0
//! [ofa]             # oxinas_oneshot::OfaSettings
//! ...
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_oneshot::{OfaError, OfaProgress, OfaReport, OfaSettings, run_ofa};
use oxinas_train::backend::AutodiffBackend;
use oxinas_train::{DataSettings, DataSplits, TrainEvaluatorError, TrainJob};

use crate::compute_settings::{ComputeSettings, open_device};
use crate::error::ExperimentError;
use crate::oneshot_run::{OneShotOptions, OneShotRun, OneShotSummary, load_data};

/// A Once-for-All config file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfaRunConfig {
    /// Must be `"ofa"`.
    pub method: String,
    /// Name of the run; the default run directory is `runs/<name>`.
    pub name: String,
    /// What the run is for.
    #[serde(default)]
    pub description: String,
    /// Seed of everything the run draws.
    pub seed: u64,
    /// The data set and its split.
    pub data: DataSettings,
    /// The method's settings.
    pub ofa: OfaSettings,
    /// Where it trains (`[compute]`; default the CPU).
    #[serde(default)]
    pub compute: ComputeSettings,
}

/// Why a Once-for-All config could not run.
#[derive(Debug, thiserror::Error)]
pub enum OfaRunError {
    /// The config file could not be read.
    #[error("cannot read config {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not follow the schema (the message
    /// gives line, column and key).
    #[error("invalid config {}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong and where.
        message: String,
    },
    /// A setting is out of range.
    #[error("invalid config {}: {source}", path.display())]
    Setting {
        /// The file.
        path: PathBuf,
        /// The setting and what is expected.
        #[source]
        source: ConfigError,
    },
    /// The data could not be loaded.
    #[error("loading the data of {}: {source}", path.display())]
    Data {
        /// The config file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: TrainEvaluatorError,
    },
}

/// Parses and checks the text of a config file read from `path`.
pub fn parse_ofa_config(text: &str, path: &Path) -> Result<OfaRunConfig, OfaRunError> {
    let config: OfaRunConfig = toml::from_str(text).map_err(|e| OfaRunError::Parse {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let setting = |source| OfaRunError::Setting {
        path: path.to_path_buf(),
        source,
    };
    if config.method != "ofa" {
        return Err(setting(ConfigError::new(
            "method",
            format!("\"ofa\", found \"{}\"", config.method),
        )));
    }
    config.data.validate().map_err(setting)?;
    config.ofa.validate().map_err(setting)?;
    Ok(config)
}

/// Reads and checks the config file at `path`.
pub fn load_ofa_config(path: &Path) -> Result<OfaRunConfig, OfaRunError> {
    let text = std::fs::read_to_string(path).map_err(|source| OfaRunError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_ofa_config(&text, path)
}

/// Runs the Once-for-All config `text` (read from `options.config_path`) on
/// its device: the run directory gets the manifest, `report.json`,
/// `summary.md` and the checkpoints (`checkpoints/`). Progress ticks once per
/// epoch, measured sub-network and search generation.
pub(crate) fn run_ofa_run_config(
    options: OneShotOptions<'_>,
    text: &str,
) -> Result<OneShotSummary, ExperimentError> {
    let config_path = options.config_path;
    let config = parse_ofa_config(text, config_path).map_err(|e| e.into_experiment_error())?;
    let device = open_device(config_path, &config.compute, options.device)?;
    let (data, splits) = load_data(&config.data, config_path)?;
    let run = OneShotRun::start(
        &options,
        text,
        &config.name,
        config.seed,
        &data.data_files(),
        &device,
    )?;
    let checkpoints = run.path().join("checkpoints");

    let settings = &config.ofa;
    let epochs = &settings.epochs;
    let total = epochs.full
        + epochs.kernel
        + 2 * epochs.depth
        + 2 * epochs.width
        + settings.predictor.samples
        + settings.search.generations;
    let progress = options.progress;
    let log = options.log;
    progress.start(total as u64);
    let mut on_progress = |p: &OfaProgress| match p {
        OfaProgress::Epoch(e) => {
            log(&format!(
                "{} epoch {}/{}: loss {:.4}, train acc {:.4}",
                e.phase.name(),
                e.epoch,
                e.epochs,
                e.train_loss,
                e.train_accuracy
            ));
            progress.advance(1);
        }
        OfaProgress::Phase(r) => log(&format!(
            "{}: validation accuracy smallest {:.4}, largest {:.4} ({:.1} s)",
            r.phase.name(),
            r.smallest_validation_accuracy,
            r.largest_validation_accuracy,
            r.wall_seconds
        )),
        OfaProgress::PredictorSample { .. } | OfaProgress::Generation { .. } => {
            progress.advance(1);
        }
    };
    let report = device
        .run(
            config_path,
            OfaJob {
                splits: &splits,
                settings,
                seed: config.seed,
                checkpoints: &checkpoints,
                on_progress: &mut on_progress,
            },
        )?
        .map_err(|source| ExperimentError::Ofa {
            path: config_path.to_owned(),
            source,
        })?;
    progress.finish();
    run.write_json("report.json", &report)?;
    let markdown = summary(&config, &report, run.path());
    run.finish(&config.name, "ofa", markdown)
}

/// Once-for-All's pipeline, on whichever backend the device selects.
struct OfaJob<'a> {
    splits: &'a DataSplits,
    settings: &'a OfaSettings,
    seed: u64,
    checkpoints: &'a Path,
    on_progress: &'a mut dyn FnMut(&OfaProgress),
}

impl TrainJob for OfaJob<'_> {
    type Output = Result<OfaReport, OfaError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        run_ofa::<B>(
            self.splits,
            self.settings,
            self.seed,
            &device,
            Some(self.checkpoints),
            self.on_progress,
        )
        .map(|outcome| outcome.report)
    }
}

impl OfaRunError {
    fn into_experiment_error(self) -> ExperimentError {
        match self {
            OfaRunError::Read { path, source } => ExperimentError::ReadConfig { path, source },
            OfaRunError::Parse { path, message } => ExperimentError::Config { path, message },
            OfaRunError::Setting { path, source } => ExperimentError::Setting { path, source },
            OfaRunError::Data { path, source } => match source {
                TrainEvaluatorError::Config(source) => ExperimentError::Setting { path, source },
                TrainEvaluatorError::Data(source) => source.into(),
                other => ExperimentError::Config {
                    path,
                    message: other.to_string(),
                },
            },
        }
    }
}

/// What the run found, as Markdown.
fn summary(config: &OfaRunConfig, report: &OfaReport, dir: &Path) -> String {
    let mut lines = vec![
        format!("# {}\n", config.name),
        format!("{}\n", config.description),
        format!("Run directory: {}\n", dir.display()),
        "```".to_owned(),
    ];
    for s in report.sizes.iter().chain([&report.chosen]) {
        lines.push(format!(
            "  {:<9} {:>9.4} MFLOPs  validation {:.4}  test {:.4}",
            s.label, s.mflops, s.validation_accuracy, s.test_accuracy
        ));
    }
    lines.push(format!(
        "  predictor: held-out Kendall tau {:.3} on {} sub-networks; search budget {} MFLOPs",
        report.predictor.held_out_kendall_tau,
        report.predictor.held_out,
        config.ofa.search.max_mflops
    ));
    lines.push(format!(
        "  extraction: max |logit difference| {:.2e}; wall {:.1} s (training {:.1} s)",
        report.extraction_max_abs_diff, report.wall_seconds.total, report.wall_seconds.training
    ));
    lines.push("```".to_owned());
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = include_str!("../../../configs/oneshot/ofa_tiny.toml");

    #[test]
    fn tiny_config_parses() {
        let config = parse_ofa_config(TINY, Path::new("ofa_tiny.toml")).unwrap();
        assert_eq!(config.method, "ofa");
        assert_eq!(config.ofa, OfaSettings::tiny());
    }

    #[test]
    fn cifar_config_parses() {
        let text = include_str!("../../../configs/oneshot/ofa_cifar10.toml");
        let config = parse_ofa_config(text, Path::new("ofa_cifar10.toml")).unwrap();
        assert_eq!(config.ofa.network.unit_widths, vec![24, 40, 80, 112, 160]);
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let path = Path::new("bad.toml");
        let text = TINY.replace("kd_ratio = 1.0", "kd_ratio = -1.0");
        let err = parse_ofa_config(&text, path).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("bad.toml") && message.contains("ofa.kd_ratio"),
            "{message}"
        );

        let text = TINY.replace("kd_ratio", "kd_weight");
        let message = parse_ofa_config(&text, path).unwrap_err().to_string();
        assert!(
            message.contains("kd_weight") && message.contains("line"),
            "{message}"
        );

        let text = TINY.replace("method = \"ofa\"", "method = \"darts\"");
        let OfaRunError::Setting { source, .. } = parse_ofa_config(&text, path).unwrap_err() else {
            panic!("expected a setting error");
        };
        assert_eq!(source.field, "method");
    }
}
