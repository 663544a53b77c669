//! Why a benchmark case could not run (as opposed to a failed check, which is
//! a result and is reported in the table).

use std::path::PathBuf;

use thiserror::Error;

/// A case that could not run to its end.
#[derive(Debug, Error)]
pub enum BenchError {
    /// Data or setup failed (a loader, the experiment runner, an encoding).
    #[error("{what}: {source}")]
    Setup {
        /// What was being done.
        what: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A reference implementation ran but did not answer as expected.
    #[error("reference `{command}`: {message}")]
    Reference {
        /// The command line that was run.
        command: String,
        /// What went wrong.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl BenchError {
    /// Wraps `source` with what was being done.
    pub fn setup(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        BenchError::Setup {
            what: what.into(),
            source: source.into(),
        }
    }
}
