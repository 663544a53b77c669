use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::RecordError;

/// One query of one trial, as a line of `trajectories.jsonl`.
///
/// Only validation values appear: the trajectory is what the optimizer saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrajectoryLine<'a> {
    /// The optimizer's label.
    pub optimizer: &'a str,
    /// Trial index within the optimizer.
    pub trial: u64,
    /// The trial's seed.
    pub trial_seed: u64,
    /// Query index within the trial, from 0.
    pub query: u64,
    /// The architecture in its space's string format.
    pub arch: &'a str,
    /// Fidelity (epochs).
    pub fidelity: u32,
    /// Validation value (`None` for a failed run).
    pub validation: Option<f64>,
    /// Cost of this query, seconds.
    pub cost: f64,
    /// Total cost so far, seconds.
    pub cumulative_cost: f64,
    /// Simulated wall-clock time at which the result arrived, seconds; only
    /// written for searches on a simulated cluster of workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall_time: Option<f64>,
    /// Query index of the incumbent (best validation so far).
    pub incumbent: u64,
    /// Validation value of the incumbent.
    pub incumbent_validation: Option<f64>,
}

impl TrajectoryLine<'_> {
    /// Appends this line, JSON and a newline, to `buffer`. Trials running in
    /// parallel serialise their lines this way; one writer then appends the
    /// buffers in trial order.
    pub fn append_to(&self, buffer: &mut Vec<u8>) {
        // Serialising plain numbers and strings into memory cannot fail.
        serde_json::to_writer(&mut *buffer, self).expect("a trajectory line serialises");
        buffer.push(b'\n');
    }
}

/// Appends [`TrajectoryLine`]s to a JSONL file.
pub struct TrajectoryWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl TrajectoryWriter {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: &Path) -> Result<Self, RecordError> {
        let file = File::create(path).map_err(|e| RecordError::new(path, e))?;
        Ok(Self {
            path: path.to_owned(),
            out: BufWriter::with_capacity(1 << 20, file),
        })
    }

    /// Writes one line.
    pub fn write(&mut self, line: &TrajectoryLine<'_>) -> Result<(), RecordError> {
        serde_json::to_writer(&mut self.out, line)
            .map_err(|e| RecordError::new(&self.path, e.into()))?;
        self.out
            .write_all(b"\n")
            .map_err(|e| RecordError::new(&self.path, e))
    }

    /// Writes lines already serialised with [`TrajectoryLine::append_to`].
    pub fn write_raw(&mut self, lines: &[u8]) -> Result<(), RecordError> {
        self.out
            .write_all(lines)
            .map_err(|e| RecordError::new(&self.path, e))
    }

    /// Flushes buffered lines to the file.
    pub fn flush(&mut self) -> Result<(), RecordError> {
        self.out
            .flush()
            .map_err(|e| RecordError::new(&self.path, e))
    }
}
