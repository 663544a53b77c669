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
    /// A task's data does not fit the search, or its metric failed.
    #[error(transparent)]
    Task(#[from] oxinas_nb360::Nb360Error),
    /// Weights or their gradients became NaN or infinite while the loss
    /// stayed finite (ReLU maps NaN activations to 0 on some backends).
    #[error("the {what} is {value} at epoch {epoch}, step {step}")]
    NonFinite {
        /// Which quantity.
        what: &'static str,
        /// Its value.
        value: f64,
        /// 1-based epoch.
        epoch: usize,
        /// Step within the run.
        step: usize,
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
