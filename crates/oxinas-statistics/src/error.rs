use thiserror::Error;

/// Why a statistic could not be computed from the data given.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum StatisticsError {
    /// Fewer observations (or groups) than the statistic needs.
    #[error("{statistic} needs at least {needed} {what}, got {got}")]
    TooFew {
        /// The statistic asked for.
        statistic: &'static str,
        /// What is counted (blocks, treatments, values).
        what: &'static str,
        /// The smallest number it works with.
        needed: usize,
        /// The number given.
        got: usize,
    },
    /// Rows or paired samples of different lengths.
    #[error("{statistic}: {what} {index} has {got} values, expected {expected}")]
    Ragged {
        /// The statistic asked for.
        statistic: &'static str,
        /// What has the wrong length (block, sample).
        what: &'static str,
        /// Its index.
        index: usize,
        /// Its length.
        got: usize,
        /// The length of the first one.
        expected: usize,
    },
    /// A NaN or infinite value.
    #[error("{statistic}: value {index} is {value}, expected a finite number")]
    NotFinite {
        /// The statistic asked for.
        statistic: &'static str,
        /// The position of the value (flattened, row by row).
        index: usize,
        /// The value.
        value: f64,
    },
    /// A parameter outside its range (a p-value outside [0, 1], a confidence
    /// level outside (0, 1)).
    #[error("{statistic}: {parameter} = {value} is outside {range}")]
    OutOfRange {
        /// The statistic asked for.
        statistic: &'static str,
        /// The parameter's name.
        parameter: &'static str,
        /// Its value.
        value: f64,
        /// The accepted range, in words.
        range: &'static str,
    },
}

/// Checks that every value is finite.
pub(crate) fn check_finite<'a>(
    statistic: &'static str,
    values: impl IntoIterator<Item = &'a f64>,
) -> Result<(), StatisticsError> {
    for (index, &value) in values.into_iter().enumerate() {
        if !value.is_finite() {
            return Err(StatisticsError::NotFinite {
                statistic,
                index,
                value,
            });
        }
    }
    Ok(())
}
