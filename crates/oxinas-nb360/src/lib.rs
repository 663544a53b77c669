//! NAS-Bench-360 (Tu et al., NeurIPS 2022 Datasets and Benchmarks) for oxinas:
//! the ten tasks' definitions ([`TaskSpec`]), loaders of their published data
//! files, and their published metrics. No deep-learning dependency: the
//! trainer (`oxinas-train`) and the one-shot methods (`oxinas-oneshot`) build
//! networks for a task from its [`TaskSpec`] and train on its [`TaskData`].
//!
//! Data is read from `$OXINAS_DATA/nb360/<task key>/` in the layout the
//! benchmark publishes (see `docs/NB360.md`), through the pickle, `.npy` and
//! MAT-file readers of `oxinas-formats`.

pub mod cifar100;
pub mod cosmic;
pub mod darcy_flow;
pub mod deepsea;
pub mod ecg;
mod error;
pub mod fsd50k;
pub mod mel_spectrogram;
pub mod metrics;
pub mod ninapro;
pub mod numpy_random_state;
pub mod psicov;
pub mod satellite;
pub mod spherical;
mod task;
mod task_data;

use std::path::{Path, PathBuf};

pub use error::Nb360Error;
// The value types of the format readers (`oxinas-formats`) that the loaders return.
pub use oxinas_formats::{ArrayData, FormatError, NdArray, PyValue};
pub use task::{
    Baseline, LossKind, MetricKind, Nb360Task, TASKS, TargetKind, TaskFamily, TaskSpec, UnknownTask,
};
pub use task_data::{LoadOptions, PointwiseNormalizer, TaskData, TaskSplit};

/// The default data directory of `task`: `$OXINAS_DATA/nb360/<key>`.
pub fn default_task_dir(task: Nb360Task) -> PathBuf {
    oxinas_core::data_root().join("nb360").join(task.key())
}

/// Writes a small synthetic data set for `task` into `dir`, in the task's
/// published layout (file names, keys, dtypes, shapes, label encodings), with
/// `samples_per_split` samples per split (at least) and targets a small
/// network can learn: for trying a config end to end without the real data.
pub fn write_task_fixture(
    task: Nb360Task,
    dir: &Path,
    samples_per_split: usize,
    seed: u64,
) -> Result<(), Nb360Error> {
    match task {
        Nb360Task::Cifar100 => cifar100::write_fixture(dir, samples_per_split, seed),
        Nb360Task::Spherical => spherical::write_fixture(dir, samples_per_split, seed),
        Nb360Task::NinaPro => ninapro::write_fixture(dir, samples_per_split, seed),
        Nb360Task::Fsd50k => fsd50k::write_fixture(dir, samples_per_split, seed),
        Nb360Task::DarcyFlow => darcy_flow::write_fixture(dir, samples_per_split, seed),
        Nb360Task::Psicov => psicov::write_fixture(dir, samples_per_split, seed),
        Nb360Task::Cosmic => cosmic::write_fixture(dir, samples_per_split, seed),
        Nb360Task::Ecg => ecg::write_fixture(dir, samples_per_split, seed),
        Nb360Task::Satellite => satellite::write_fixture(dir, samples_per_split, seed),
        Nb360Task::DeepSea => deepsea::write_fixture(dir, samples_per_split, seed),
    }
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

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
