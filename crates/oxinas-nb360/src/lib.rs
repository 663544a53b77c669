//! NAS-Bench-360 (Tu et al., NeurIPS 2022 Datasets and Benchmarks) for oxinas:
//! the ten tasks' definitions ([`TaskSpec`]), loaders of their published data
//! files, and their published metrics. No deep-learning dependency: the
//! trainer (`oxinas-train`) and the one-shot methods (`oxinas-oneshot`) build
//! networks for a task from its [`TaskSpec`] and train on its [`TaskData`].
//!
//! Data is read from `$OXINAS_DATA/nb360/<task key>/` in the layout the
//! benchmark publishes (see `docs/NB360.md`).

pub mod cifar100;
pub mod cosmic;
pub mod darcy_flow;
pub mod deepsea;
pub mod ecg;
mod error;
pub mod fsd50k;
pub mod mat_file;
pub mod mel_spectrogram;
pub mod metrics;
pub mod ninapro;
pub mod npy;
pub mod numpy_pickle;
pub mod pickle_writer;
pub mod psicov;
mod py_value;
pub mod satellite;
pub mod spherical;
mod task;
mod task_data;

use std::path::{Path, PathBuf};

pub use error::Nb360Error;
pub use py_value::{ArrayData, NdArray, PyValue};
pub use task::{
    Baseline, LossKind, MetricKind, Nb360Task, TASKS, TargetKind, TaskFamily, TaskSpec, UnknownTask,
};
pub use task_data::{LoadOptions, PointwiseNormalizer, TaskData, TaskSplit};

/// The default data directory of `task`: `$OXINAS_DATA/nb360/<key>`.
pub fn default_task_dir(task: Nb360Task) -> PathBuf {
    oxinas_core::data_root().join("nb360").join(task.key())
}

/// Loads `task` from `dir` in the published layout, then checks its shapes.
pub fn load_task(
    task: Nb360Task,
    dir: &Path,
    options: &LoadOptions,
) -> Result<TaskData, Nb360Error> {
    let data = match task {
        Nb360Task::Cifar100 => cifar100::load(dir, options),
        Nb360Task::Spherical => spherical::load(dir, options),
        Nb360Task::NinaPro => ninapro::load(dir, options),
        Nb360Task::Fsd50k => fsd50k::load(dir, options),
        Nb360Task::DarcyFlow => darcy_flow::load(dir, options),
        Nb360Task::Psicov => psicov::load(dir, options),
        Nb360Task::Cosmic => cosmic::load(dir, options),
        Nb360Task::Ecg => ecg::load(dir, options),
        Nb360Task::Satellite => satellite::load(dir, options),
        Nb360Task::DeepSea => deepsea::load(dir, options),
    }?;
    data.check()?;
    Ok(data)
}
