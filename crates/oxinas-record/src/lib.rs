//! Reproducibility recorder.
//!
//! A run directory holds everything needed to audit and repeat an experiment:
//! `manifest.json` ([`Manifest`]: the config verbatim, every seed, the code
//! version and the machine), `trajectories.jsonl` (one [`TrajectoryLine`] per
//! query, written by [`TrajectoryWriter`]) and `summary.md`. Results are first
//! appended, one line per finished trial, to an [`AppendLog`] that survives a
//! crash, so that an interrupted run can resume.

mod append_log;
mod error;
mod manifest;
mod mean_std;
mod run_directory;
mod trajectory;

pub use append_log::AppendLog;
pub use error::RecordError;
pub use manifest::{
    CodeVersion, ComputeDevice, DataFile, Host, Manifest, Seeds, now_rfc3339, oxinas_environment,
};
pub use mean_std::MeanStd;
pub use oxinas_formats::{sha256_file, sha256_hex};
pub use run_directory::RunDirectory;
pub use trajectory::{TrajectoryLine, TrajectoryWriter};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
