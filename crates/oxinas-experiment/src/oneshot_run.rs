//! Running a one-shot search from its config file: telling one-shot configs
//! apart, parsing them with line-numbered errors, and the run directory with
//! its manifest.
//!
//! A one-shot config has a top-level `method` key (`darts`, `enas`, ...), a
//! `name`, an optional `description`, a `seed`, the `[data]` table
//! ([`DataSettings`]) and the method's own table.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use oxinas_core::ConfigError;
use oxinas_record::{CodeVersion, DataFile, Host, Manifest, RunDirectory, Seeds};
use oxinas_train::{DataSettings, DataSplits, TrainDevice, TrainEvaluatorError};

use crate::compute_settings::OpenedDevice;
use crate::config::with_key_line;
use crate::error::ExperimentError;
use crate::progress::Progress;

/// The `method` of a one-shot config, or `None` for a black-box experiment
/// (whose configs have no top-level `method`).
pub fn oneshot_method(config_text: &str) -> Option<String> {
    let table: toml::Table = config_text.parse().ok()?;
    table.get("method")?.as_str().map(str::to_owned)
}

/// Parses a one-shot config file into its method's file struct.
pub(crate) fn parse_oneshot_file<F: DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<F, ExperimentError> {
    toml::from_str(text).map_err(|e| ExperimentError::Config {
        path: path.to_owned(),
        message: with_key_line(text, &e),
    })
}

/// Reads the `[data]` of the config at `config_path`: a relative `data_dir`
/// is resolved against the config's directory. Returns the resolved settings
/// and the splits.
pub(crate) fn load_data(
    data: &DataSettings,
    config_path: &Path,
) -> Result<(DataSettings, DataSplits), ExperimentError> {
    let mut data = data.clone();
    if let Some(dir) = data.data_dir.as_mut().filter(|d| d.is_relative()) {
        *dir = config_path.parent().unwrap_or(Path::new("")).join(&*dir);
    }
    let splits = data.load().map_err(|e| match e {
        TrainEvaluatorError::Config(source) => ExperimentError::Setting {
            path: config_path.to_owned(),
            source: prefixed(source, "data"),
        },
        TrainEvaluatorError::Data(source) => source.into(),
        other => ExperimentError::Config {
            path: config_path.to_owned(),
            message: other.to_string(),
        },
    })?;
    Ok((data, splits))
}

/// `error` with its field named inside `table` (`epochs` -> `darts.epochs`).
fn prefixed(error: ConfigError, table: &str) -> ConfigError {
    ConfigError::new(format!("{table}.{}", error.field), error.message)
}

/// A method's settings checked, a bad one named with its table.
pub(crate) fn check_settings(
    config_path: &Path,
    table: &str,
    check: Result<(), ConfigError>,
) -> Result<(), ExperimentError> {
    check.map_err(|source| ExperimentError::Setting {
        path: config_path.to_owned(),
        source: prefixed(source, table),
    })
}

/// Where a one-shot run writes, and what it needs to know.
pub struct OneShotOptions<'a> {
    /// The config file.
    pub config_path: &'a Path,
    /// The run directory (default `runs/<name>`).
    pub out: Option<&'a Path>,
    /// The repository, for the manifest's code version.
    pub repo_dir: &'a Path,
    /// Receives one tick per epoch (or unit of work the method reports).
    pub progress: &'a dyn Progress,
    /// Receives a line of text per epoch.
    pub log: &'a mut dyn FnMut(&str),
    /// The device to train on, over the config's `[compute] device`.
    pub device: Option<TrainDevice>,
}

/// What a finished one-shot run reports.
#[derive(Clone, Debug, PartialEq)]
pub struct OneShotSummary {
    /// The config's name.
    pub name: String,
    /// The method.
    pub method: String,
    /// The run directory.
    pub run_dir: PathBuf,
    /// The result as Markdown (also in `summary.md`).
    pub markdown: String,
}

/// A run directory with its manifest, for a one-shot search.
pub(crate) struct OneShotRun {
    dir: RunDirectory,
    manifest: Manifest,
}

impl OneShotRun {
    /// Creates the run directory and writes the manifest: the config text,
    /// the seed, the code version, the host, the training device and the
    /// checksums of the data files (those of `data_files` that exist).
    pub(crate) fn start(
        options: &OneShotOptions<'_>,
        text: &str,
        name: &str,
        seed: u64,
        data_files: &[PathBuf],
        device: &OpenedDevice,
    ) -> Result<Self, ExperimentError> {
        let out = options
            .out
            .map_or_else(|| PathBuf::from("runs").join(name), Path::to_path_buf);
        let dir = RunDirectory::create(&out)?;
        let crates = [
            "oxinas-core",
            "oxinas-spaces",
            "oxinas-train",
            "oxinas-oneshot",
        ]
        .into_iter()
        .map(|name| (name.to_owned(), env!("CARGO_PKG_VERSION").to_owned()))
        .collect();
        let mut manifest = Manifest::start(
            name,
            &options.config_path.display().to_string(),
            text,
            Seeds {
                experiment: seed,
                trials: vec![seed],
            },
            CodeVersion::detect(options.repo_dir, crates),
            Host::detect(rayon::current_num_threads()),
        );
        manifest.data_files = data_files
            .iter()
            .filter_map(|path| DataFile::read(path).ok())
            .collect();
        manifest.code.backend = device.description.backend.clone();
        manifest.code.features = oxinas_train::compiled_gpu_backends();
        manifest.compute = Some(device.record());
        dir.write_manifest(&manifest)?;
        Ok(Self { dir, manifest })
    }

    /// The run directory.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `value` as pretty JSON to `file` in the run directory.
    pub(crate) fn write_json(
        &self,
        file: &str,
        value: &impl Serialize,
    ) -> Result<PathBuf, ExperimentError> {
        let text = serde_json::to_string_pretty(value).map_err(|e| ExperimentError::Config {
            path: self.path().join(file),
            message: format!("cannot serialise the report: {e}"),
        })?;
        Ok(self.dir.write_text(file, &(text + "\n"))?)
    }

    /// Writes `summary.md` and marks the manifest finished.
    pub(crate) fn finish(
        mut self,
        name: &str,
        method: &str,
        markdown: String,
    ) -> Result<OneShotSummary, ExperimentError> {
        self.dir.write_text("summary.md", &markdown)?;
        self.dir.finish_manifest(&mut self.manifest)?;
        Ok(OneShotSummary {
            name: name.to_owned(),
            method: method.to_owned(),
            run_dir: self.path().to_path_buf(),
            markdown,
        })
    }
}

/// Runs the one-shot config at `options.config_path` with the method its
/// `method` key names.
pub fn run_oneshot_config(options: OneShotOptions<'_>) -> Result<OneShotSummary, ExperimentError> {
    let path = options.config_path;
    let text = std::fs::read_to_string(path).map_err(|source| ExperimentError::ReadConfig {
        path: path.to_owned(),
        source,
    })?;
    let method = oneshot_method(&text).unwrap_or_default();
    match method.as_str() {
        "darts" if crate::task_darts_run::names_a_task(&text) => {
            crate::task_darts_run::run_task_darts_config(options, &text)
        }
        "darts" => crate::darts_run::run_darts_config(options, &text),
        "enas" => crate::enas_run::run_enas_config(options, &text),
        "ofa" => crate::ofa_run::run_ofa_run_config(options, &text),
        "petridish" => crate::petridish_run::run_petridish_oneshot(options, &text),
        "wrn" => crate::wrn_run::run_wrn_config(options, &text),
        other => Err(ExperimentError::Config {
            path: path.to_owned(),
            message: format!(
                "method = \"{other}\": expected one of \"darts\", \"enas\", \"ofa\", \"petridish\", \"wrn\""
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configs_with_a_method_are_one_shot() {
        assert_eq!(
            oneshot_method("method = \"darts\"\nname = \"x\"\n[data]\nseed = 0\n"),
            Some("darts".to_owned())
        );
        assert_eq!(oneshot_method("name = \"x\"\nseed = 1\n"), None);
        assert_eq!(oneshot_method("not toml ["), None);
    }
}
