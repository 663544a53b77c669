//! The official NAS-Bench-101 data files, `nasbench_only108.tfrecord` and
//! `nasbench_full.tfrecord`.
//!
//! Each TFRecord record is one training run: the UTF-8 JSON array
//! `[module_hash, epochs, adjacency, operations, metrics]` where `adjacency`
//! is the pruned matrix as a string of `n*n` 0/1 digits (row by row),
//! `operations` the `n` vertex labels separated by commas, and `metrics` the
//! base64 of a `ModelMetrics` protocol buffer ([`Nb101ModelMetrics`]). The full
//! file has 3 runs per cell and budget (4, 12, 36, 108 epochs), the other only
//! the 108-epoch runs.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oxinas_core::DataError;
use oxinas_spaces::{NB101_MAX_VERTICES, Nb101Arch, Nb101Hash};
use serde_json::Value;

use crate::{Nb101ModelMetrics, TfRecordReader};

/// One record of an NB101 TFRecord file: one training run of one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Nb101Run {
    /// The cell's official hash, as stored.
    pub hash: Nb101Hash,
    /// The epoch budget of the run (4, 12, 36 or 108).
    pub epochs: u32,
    /// The cell's pruned spec, as stored.
    pub spec: Nb101Arch,
    /// What the run measured.
    pub metrics: Nb101ModelMetrics,
}

/// The names of the JSON array's elements, for errors.
const FIELDS: [&str; 5] = [
    "module_hash",
    "epochs",
    "adjacency",
    "operations",
    "metrics",
];

/// Reads the runs of an NB101 TFRecord file one by one; an error (naming the
/// file, the record and the field) ends the iteration.
#[derive(Debug)]
pub struct Nb101TfRecordReader {
    records: TfRecordReader,
    failed: bool,
}

impl Nb101TfRecordReader {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<Self, DataError> {
        Ok(Self {
            records: TfRecordReader::open(path)?,
            failed: false,
        })
    }

    /// Reads every run of `path`.
    pub fn read_all(path: &Path) -> Result<Vec<Nb101Run>, DataError> {
        Self::open(path)?.collect()
    }
}

impl Iterator for Nb101TfRecordReader {
    type Item = Result<Nb101Run, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let index = self.records.records_read();
        let result = match self.records.next()? {
            Ok(bytes) => decode_run(&bytes, self.records.path(), index),
            Err(error) => Err(error),
        };
        self.failed = result.is_err();
        Some(result)
    }
}

/// Decodes record `index` of `path`.
fn decode_run(bytes: &[u8], path: &Path, index: u64) -> Result<Nb101Run, DataError> {
    let error = |field: Option<usize>, message: String| {
        let location = match field {
            Some(f) => format!("record {index}, field `{}`", FIELDS[f]),
            None => format!("record {index}"),
        };
        DataError::malformed(path, location, message)
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        error(
            None,
            format!("expected UTF-8 JSON text, found invalid UTF-8 ({e})"),
        )
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        error(
            None,
            format!("expected a JSON array, found invalid JSON ({e})"),
        )
    })?;
    let items = value
        .as_array()
        .filter(|items| items.len() == FIELDS.len())
        .ok_or_else(|| {
            error(
                None,
                "expected a JSON array [module_hash, epochs, adjacency, operations, metrics]"
                    .into(),
            )
        })?;
    let string = |f: usize| {
        items[f]
            .as_str()
            .ok_or_else(|| error(Some(f), format!("expected a string, found {}", items[f])))
    };
    let hash = Nb101Hash::from_hex(string(0)?).map_err(|_| {
        error(
            Some(0),
            format!("expected 32 hex digits, found {}", items[0]),
        )
    })?;
    let epochs = items[1]
        .as_u64()
        .and_then(|e| u32::try_from(e).ok())
        .filter(|&e| e > 0)
        .ok_or_else(|| {
            error(
                Some(1),
                format!("expected a positive epoch count, found {}", items[1]),
            )
        })?;
    let adjacency = string(2)?;
    // Rows are cut by byte offset below, which needs one byte per character.
    if !adjacency.is_ascii() {
        return Err(error(
            Some(2),
            format!(
                "expected n*n digits 0 and 1, found non-ASCII text {}",
                items[2]
            ),
        ));
    }
    let dim = (1..=NB101_MAX_VERTICES)
        .find(|d| d * d == adjacency.len())
        .ok_or_else(|| {
            error(
                Some(2),
                format!(
                    "expected n*n digits for n of 1 to 7, found {} characters",
                    adjacency.len()
                ),
            )
        })?;
    let rows: Vec<&str> = (0..dim)
        .map(|r| &adjacency[r * dim..(r + 1) * dim])
        .collect();
    let operations = string(3)?;
    let labels = operations.split(',').count();
    if labels != dim {
        return Err(error(
            Some(3),
            format!("expected {dim} comma-separated labels (one per matrix row), found {labels}"),
        ));
    }
    let spec = Nb101Arch::from_csv_fields(&operations.replace(',', " "), &rows.join(";"))
        .map_err(|e| error(Some(2), format!("expected a valid NB101 module ({e})")))?;
    let encoded = string(4)?;
    let decoded = STANDARD.decode(encoded).map_err(|e| {
        error(
            Some(4),
            format!("expected base64 text, found invalid base64 ({e})"),
        )
    })?;
    let metrics = Nb101ModelMetrics::decode(&decoded).map_err(|e| {
        error(
            Some(4),
            format!("expected a ModelMetrics protocol buffer; {e}"),
        )
    })?;
    Ok(Nb101Run {
        hash,
        epochs,
        spec,
        metrics,
    })
}
