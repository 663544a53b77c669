//! Benchmark adapters.

mod nb301;
mod nb301_encoding;
mod nb301_surrogate;

pub use nb301::{NB301_YAHPO_DIR, Nb301Benchmark};
pub use nb301_encoding::{NB301_CATEGORICAL_INPUTS, Nb301Encoding, nb301_input_names};
pub use nb301_surrogate::{NB301_EPOCHS, Nb301Prediction, Nb301Surrogate};
