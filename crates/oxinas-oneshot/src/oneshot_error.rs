//! What can go wrong in a one-shot search.

use std::path::PathBuf;

use oxinas_core::ConfigError;

/// Why a one-shot search stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OneShotError {
    /// A setting is out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A checkpoint could not be written.
    #[error("cannot write checkpoint {path}: {message}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What the recorder said.
        message: String,
    },
    /// The training loss became NaN or infinite.
    #[error("the {what} loss is {value} at epoch {epoch}, step {step}")]
    Diverged {
        /// Which loss.
        what: &'static str,
        /// Its value.
        value: f64,
        /// 1-based epoch.
        epoch: usize,
        /// Step within the run.
        step: usize,
    },
}
