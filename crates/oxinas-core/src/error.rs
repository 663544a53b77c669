use std::path::PathBuf;

use thiserror::Error;

use crate::Fidelity;

/// An architecture string that does not follow its space's format.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("malformed {space} architecture `{input}`: {expected}")]
pub struct ParseArchError {
    /// The search space whose format was expected.
    pub space: &'static str,
    /// The offending input, verbatim.
    pub input: String,
    /// What was expected instead, and where.
    pub expected: String,
}

impl ParseArchError {
    /// Builds the error for `input` in `space`.
    pub fn new(space: &'static str, input: &str, expected: impl Into<String>) -> Self {
        Self {
            space,
            input: input.to_owned(),
            expected: expected.into(),
        }
    }
}

/// Why an evaluator could not evaluate an architecture.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum EvaluationError {
    /// The benchmark has no record of this architecture.
    #[error("architecture `{arch}` is not in benchmark {benchmark}")]
    UnknownArch {
        /// The benchmark's name.
        benchmark: String,
        /// The architecture, formatted.
        arch: String,
    },
    /// The benchmark has no data at this fidelity.
    #[error("benchmark {benchmark} has no data at {fidelity}; available: {available}")]
    UnsupportedFidelity {
        /// The benchmark's name.
        benchmark: String,
        /// The requested fidelity.
        fidelity: Fidelity,
        /// The fidelities it does have, listed.
        available: String,
    },
    /// The benchmark does not know this metric.
    #[error("benchmark {benchmark} has no metric `{metric}`; available: {available}")]
    UnknownMetric {
        /// The benchmark's name.
        benchmark: String,
        /// The requested metric.
        metric: String,
        /// The metrics it does have, listed.
        available: String,
    },
    /// Anything else the evaluator reports (a failed training run, say).
    #[error("{0}")]
    Other(String),
}

/// An optimizer that cannot propose anything more.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OptimizerError {
    /// Every architecture the optimizer could propose has been proposed.
    #[error("{optimizer} has exhausted the search space")]
    Exhausted {
        /// The optimizer's name.
        optimizer: String,
    },
    /// `ask` was called while the optimizer waits for results it needs.
    #[error("{optimizer} is waiting for {pending} pending results before it can propose more")]
    WaitingForResults {
        /// The optimizer's name.
        optimizer: String,
        /// How many results it waits for.
        pending: usize,
    },
}

/// A hyperparameter or setting outside its valid range.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid setting `{field}`: {message}")]
pub struct ConfigError {
    /// The setting's name.
    pub field: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl ConfigError {
    /// Builds the error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A data file that cannot be read or does not hold what it should.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file's content is not what the format requires.
    #[error("{}: {location}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Where in the file: a line, a row and column, a key.
        location: String,
        /// What was found and what was expected.
        message: String,
    },
}

impl DataError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// Malformed content in `path` at `location`.
    pub fn malformed(
        path: impl Into<PathBuf>,
        location: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::Malformed {
            path: path.into(),
            location: location.into(),
            message: message.into(),
        }
    }
}
