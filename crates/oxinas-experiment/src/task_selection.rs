//! `[task]`: which NAS-Bench-360 task a config runs on, and where its data is.

use std::path::{Path, PathBuf};

use oxinas_core::ConfigError;
use oxinas_nb360::{LoadOptions, Nb360Task, TaskData, default_task_dir, load_task};
use serde::Deserialize;

use crate::compute_settings::OpenedDevice;
use crate::error::ExperimentError;
use crate::oneshot_run::{OneShotOptions, OneShotRun};

/// The `[task]` table of a config that runs on a NAS-Bench-360 task.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSelection {
    /// The task's key: `cifar100`, `spherical`, `ninapro`, `fsd50k`,
    /// `darcy-flow`, `psicov`, `cosmic`, `ecg`, `satellite` or `deepsea`.
    pub name: String,
    /// The directory holding the task's published files, relative to the
    /// config file (default `$OXINAS_DATA/nb360/<key>`).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Keep at most this many samples of each split (the first ones).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Seed of the loader's own random choices (PSICOV crops, the order of
    /// ECG's training windows).
    #[serde(default)]
    pub seed: u64,
}

impl TaskSelection {
    /// The task named by `name`.
    pub fn task(&self) -> Result<Nb360Task, ConfigError> {
        self.name
            .parse()
            .map_err(|e: oxinas_nb360::UnknownTask| ConfigError::new("task.name", e.to_string()))
    }

    /// The data directory, a relative one resolved against `config_path`'s directory.
    pub fn resolved_dir(&self, task: Nb360Task, config_path: &Path) -> PathBuf {
        match &self.data_dir {
            Some(dir) if dir.is_relative() => {
                config_path.parent().unwrap_or(Path::new("")).join(dir)
            }
            Some(dir) => dir.clone(),
            None => default_task_dir(task),
        }
    }

    /// The task's published files that exist in its data directory (for the
    /// run manifest's checksums).
    pub fn data_files(&self, config_path: &Path) -> Vec<PathBuf> {
        let Ok(task) = self.task() else {
            return Vec::new();
        };
        let dir = self.resolved_dir(task, config_path);
        task.spec()
            .files
            .iter()
            .map(|f| dir.join(f))
            .filter(|p| p.is_file())
            .collect()
    }

    /// Loads the task's splits.
    pub fn load(&self, config_path: &Path) -> Result<TaskData, ExperimentError> {
        let task = self.task().map_err(|source| ExperimentError::Setting {
            path: config_path.to_owned(),
            source,
        })?;
        if self.limit == Some(0) {
            return Err(ExperimentError::Setting {
                path: config_path.to_owned(),
                source: ConfigError::new("task.limit", "must be at least 1"),
            });
        }
        let dir = self.resolved_dir(task, config_path);
        let options = LoadOptions {
            limit: self.limit,
            seed: self.seed,
        };
        load_task(task, &dir, &options).map_err(|source| ExperimentError::Task {
            path: config_path.to_owned(),
            task: task.key().to_owned(),
            source: Box::new(source),
        })
    }

    /// Loads the task's splits, then opens the run directory of the config
    /// `text` with the task's files in its manifest: the start every run on
    /// a task shares (nothing is written when the data cannot be read).
    pub(crate) fn load_and_start(
        &self,
        options: &OneShotOptions<'_>,
        text: &str,
        name: &str,
        seed: u64,
        device: &OpenedDevice,
    ) -> Result<(TaskData, OneShotRun), ExperimentError> {
        let path = options.config_path;
        let data = self.load(path)?;
        let run = OneShotRun::start(options, text, name, seed, &self.data_files(path), device)?;
        Ok((data, run))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_task_is_named_with_the_choices() {
        let selection: TaskSelection = toml::from_str("name = \"ecgg\"").unwrap();
        let err = selection.task().unwrap_err();
        assert_eq!(err.field, "task.name");
        assert!(err.message.contains("ecgg") && err.message.contains("satellite"));
    }

    #[test]
    fn relative_data_dirs_are_found_next_to_the_config() {
        let selection: TaskSelection =
            toml::from_str("name = \"ecg\"\ndata_dir = \"fixtures/ecg\"").unwrap();
        let dir = selection.resolved_dir(Nb360Task::Ecg, Path::new("configs/nb360/x.toml"));
        assert_eq!(dir, Path::new("configs/nb360/fixtures/ecg"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<TaskSelection>("name = \"ecg\"\nlimt = 3").is_err());
    }
}
