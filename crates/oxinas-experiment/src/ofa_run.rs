//! Runs a Once-for-All config file (`method = "ofa"`) on the CPU backend:
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

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_oneshot::{OfaError, OfaProgress, OfaReport, OfaSettings, run_ofa};
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::{DataSettings, TrainEvaluatorError};

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
    /// The run failed.
    #[error(transparent)]
    Run(#[from] OfaError),
    /// A result file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// What went wrong.
        message: String,
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

/// Runs the Once-for-All config at `config_path` on the CPU backend, writing
/// into `run_dir` (default `runs/<name>`), on `threads` worker threads
/// (default: all cores). Shows a progress bar; returns a summary.
pub fn run_ofa_config(
    config_path: &Path,
    run_dir: Option<&Path>,
    threads: Option<usize>,
) -> Result<String, OfaRunError> {
    let config = load_ofa_config(config_path)?;
    let dir = run_dir.map_or_else(|| Path::new("runs").join(&config.name), Path::to_path_buf);
    let checkpoints = dir.join("checkpoints");
    std::fs::create_dir_all(&checkpoints).map_err(|source| OfaRunError::Write {
        path: checkpoints.clone(),
        source,
    })?;
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| OfaRunError::Write { path, source })
    };
    write(
        "config.toml",
        std::fs::read_to_string(config_path).unwrap_or_default(),
    )?;
    let splits = config.data.load().map_err(|source| OfaRunError::Data {
        path: config_path.to_path_buf(),
        source,
    })?;

    let settings = &config.ofa;
    let epochs = &settings.epochs;
    let total = epochs.full
        + epochs.kernel
        + 2 * epochs.depth
        + 2 * epochs.width
        + settings.predictor.samples
        + settings.search.generations;
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg} (eta {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    let mut on_progress = |p: &OfaProgress| match p {
        OfaProgress::Epoch(e) => {
            bar.set_message(format!(
                "{} epoch {}/{} loss {:.3} acc {:.3}",
                e.phase.name(),
                e.epoch,
                e.epochs,
                e.train_loss,
                e.train_accuracy
            ));
            bar.inc(1);
        }
        OfaProgress::Phase(r) => bar.println(format!(
            "{}: validation accuracy smallest {:.4}, largest {:.4} ({:.1} s)",
            r.phase.name(),
            r.smallest_validation_accuracy,
            r.largest_validation_accuracy,
            r.wall_seconds
        )),
        OfaProgress::PredictorSample { done, total } => {
            bar.set_message(format!("measuring sub-networks {done}/{total}"));
            bar.inc(1);
        }
        OfaProgress::Generation {
            generation,
            generations,
            best_predicted,
        } => {
            bar.set_message(format!(
                "search generation {generation}/{generations}, best predicted {best_predicted:.4}"
            ));
            bar.inc(1);
        }
    };
    let device = Default::default();
    let mut job = || {
        run_ofa::<CpuTrainBackend>(
            &splits,
            settings,
            config.seed,
            &device,
            Some(&checkpoints),
            &mut on_progress,
        )
    };
    let outcome = match threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| OfaRunError::Threads {
                threads: n,
                message: e.to_string(),
            })?
            .install(job),
        None => job(),
    }?;
    bar.finish_and_clear();
    let report = outcome.report;
    write(
        "report.json",
        serde_json::to_string_pretty(&report).unwrap_or_default(),
    )?;
    Ok(summary(&config, &report, &dir))
}

/// A few lines on what the run found.
fn summary(config: &OfaRunConfig, report: &OfaReport, dir: &Path) -> String {
    let mut lines = vec![format!("{} ({})", config.name, dir.display())];
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
    lines.join("\n")
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
