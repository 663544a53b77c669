use thiserror::Error;

/// Why a predictor could not be built, fitted or queried.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum PredictorError {
    /// A hyperparameter outside its valid range (checked at construction).
    #[error("predictor `{predictor}`: invalid hyperparameter `{field}`: {message}")]
    Hyperparameter {
        /// The predictor's name.
        predictor: &'static str,
        /// The hyperparameter.
        field: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
    /// Inputs and targets of different lengths, or rows of different widths.
    #[error("predictor `{predictor}`: {message}")]
    Shape {
        /// The predictor's name.
        predictor: &'static str,
        /// Which lengths disagree and what was expected.
        message: String,
    },
    /// Fewer training points than the predictor needs.
    #[error("predictor `{predictor}`: needs at least {needed} training points, got {got}")]
    TooFewPoints {
        /// The predictor's name.
        predictor: &'static str,
        /// The minimum.
        needed: usize,
        /// What was given.
        got: usize,
    },
    /// A target or feature that is NaN or infinite.
    #[error("predictor `{predictor}`: non-finite {what} at row {row}")]
    NonFinite {
        /// The predictor's name.
        predictor: &'static str,
        /// `target` or `feature`.
        what: &'static str,
        /// The offending row.
        row: usize,
    },
    /// `predict` before `fit`.
    #[error("predictor `{predictor}` was queried before it was fitted")]
    NotFitted {
        /// The predictor's name.
        predictor: &'static str,
    },
    /// An input that lacks what this predictor reads (a learning curve, zero-cost features, a graph).
    #[error("predictor `{predictor}`: input row {row} has no {what}")]
    MissingInput {
        /// The predictor's name.
        predictor: &'static str,
        /// What is missing.
        what: &'static str,
        /// The offending row.
        row: usize,
    },
    /// A linear system that could not be solved (matrix not positive definite even with jitter).
    #[error("predictor `{predictor}`: numerical failure: {message}")]
    Numerical {
        /// The predictor's name.
        predictor: &'static str,
        /// What failed.
        message: String,
    },
    /// The encoding could not be built or written.
    #[error(transparent)]
    Encoding(#[from] oxinas_encodings::EncodingError),
}

/// Shorthand for a hyperparameter error.
pub(crate) fn hyper(
    predictor: &'static str,
    field: &'static str,
    message: impl Into<String>,
) -> PredictorError {
    PredictorError::Hyperparameter {
        predictor,
        field,
        message: message.into(),
    }
}
