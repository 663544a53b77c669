//! Reproducibility recorder.
//!
//! A run directory holds everything needed to audit and repeat an experiment:
//! `manifest.json` ([`Manifest`]: the config verbatim, every seed, the code
//! version and the machine), `trajectories.jsonl` (one [`TrajectoryLine`] per
//! query, written by [`TrajectoryWriter`]) and `summary.md`.

mod error;
mod manifest;
mod mean_std;
mod run_directory;
mod trajectory;

pub use error::RecordError;
pub use manifest::{CodeVersion, Host, Manifest, Seeds};
pub use mean_std::MeanStd;
pub use run_directory::RunDirectory;
pub use trajectory::{TrajectoryLine, TrajectoryWriter};
