//! The complete NAS-Bench-101 table, read from an official TFRecord file:
//! every cell's training runs, with test accuracy.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oxinas_core::DataError;
use oxinas_spaces::{Nb101Arch, Nb101Hash};

use crate::{NB101_EPOCHS, Nb101Run, Nb101TfRecordReader};

/// What one training run of a cell measured, halfway and at the end (the
/// official API's `halfway_*` and `final_*` values).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nb101RunResult {
    /// Validation accuracy (fraction) at the end of training.
    pub final_valid: f64,
    /// Test accuracy (fraction) at the end of training.
    pub final_test: f64,
    /// Training-set accuracy (fraction) at the end of training.
    pub final_train: f64,
    /// Training time of the whole run, seconds.
    pub final_seconds: f64,
    /// Validation accuracy (fraction) halfway through training.
    pub halfway_valid: f64,
    /// Test accuracy (fraction) halfway through training.
    pub halfway_test: f64,
    /// Training time up to halfway, seconds.
    pub halfway_seconds: f64,
}

/// Everything the TFRecord file holds about one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Nb101Cell {
    /// The official hash.
    pub hash: Nb101Hash,
    /// The stored (pruned) spec.
    pub spec: Nb101Arch,
    /// Trainable parameters.
    pub params: i32,
    /// The runs per epoch budget, in [`NB101_EPOCHS`] order (4, 12, 36, 108);
    /// empty for budgets the file lacks (the 108-only file has only the last).
    pub runs: [Vec<Nb101RunResult>; 4],
}

impl Nb101Cell {
    /// The runs at `epochs` (empty when the file has none).
    pub fn runs_at(&self, epochs: u32) -> &[Nb101RunResult] {
        NB101_EPOCHS
            .iter()
            .position(|&e| e == epochs)
            .map_or(&[], |i| &self.runs[i])
    }
}

/// The NB101 table from `nasbench_full.tfrecord` (all budgets, 3 runs each)
/// or `nasbench_only108.tfrecord` (108 epochs only).
#[derive(Clone, Debug)]
pub struct Nb101FullTable {
    cells: Vec<Nb101Cell>,
    by_hash: HashMap<Nb101Hash, usize>,
    epochs: Vec<u32>,
    source: PathBuf,
}

impl Nb101FullTable {
    /// Reads a TFRecord file. Checks, per cell, that the stored spec hashes to
    /// the stored key and is the same in every record, that budgets are among
    /// 4, 12, 36, 108, and that each run has its three evaluations (start,
    /// halfway, end).
    pub fn from_tfrecord(path: &Path) -> Result<Self, DataError> {
        let mut table = Self {
            cells: Vec::new(),
            by_hash: HashMap::new(),
            epochs: Vec::new(),
            source: path.to_owned(),
        };
        for (index, run) in Nb101TfRecordReader::open(path)?.enumerate() {
            table.add(run?, index)?;
        }
        table.epochs.sort_unstable();
        Ok(table)
    }

    fn add(&mut self, run: Nb101Run, index: usize) -> Result<(), DataError> {
        let error = |field: &str, message: String| {
            DataError::malformed(
                &self.source,
                format!("record {index}, field `{field}`"),
                message,
            )
        };
        let slot = NB101_EPOCHS
            .iter()
            .position(|&e| e == run.epochs)
            .ok_or_else(|| {
                error(
                    "epochs",
                    format!("expected 4, 12, 36 or 108, found {}", run.epochs),
                )
            })?;
        let evaluations = &run.metrics.evaluation_data;
        if evaluations.len() < 3 {
            return Err(error(
                "metrics",
                format!(
                    "expected 3 evaluations (start, halfway, end of training), found {}",
                    evaluations.len()
                ),
            ));
        }
        let cell = match self.by_hash.get(&run.hash) {
            Some(&i) => {
                if self.cells[i].spec != run.spec {
                    return Err(error(
                        "adjacency",
                        format!(
                            "expected the spec of earlier records of {}, {}",
                            run.hash, self.cells[i].spec
                        ),
                    ));
                }
                i
            }
            None => {
                let spec_hash = Nb101Hash::of(&run.spec);
                if spec_hash != run.hash {
                    return Err(error(
                        "module_hash",
                        format!(
                            "expected the hash of the record's spec, {spec_hash}, found {}",
                            run.hash
                        ),
                    ));
                }
                self.by_hash.insert(run.hash, self.cells.len());
                self.cells.push(Nb101Cell {
                    hash: run.hash,
                    spec: run.spec,
                    params: run.metrics.trainable_parameters,
                    runs: Default::default(),
                });
                self.cells.len() - 1
            }
        };
        let (half, end) = (&evaluations[1], &evaluations[2]);
        self.cells[cell].runs[slot].push(Nb101RunResult {
            final_valid: end.validation_accuracy,
            final_test: end.test_accuracy,
            final_train: end.train_accuracy,
            final_seconds: end.training_time,
            halfway_valid: half.validation_accuracy,
            halfway_test: half.test_accuracy,
            halfway_seconds: half.training_time,
        });
        if !self.epochs.contains(&run.epochs) {
            self.epochs.push(run.epochs);
        }
        Ok(())
    }

    /// The cell with `hash`.
    pub fn get(&self, hash: &Nb101Hash) -> Option<&Nb101Cell> {
        self.by_hash.get(hash).map(|&i| &self.cells[i])
    }

    /// The cell of `arch` (found through its hash).
    pub fn cell_of(&self, arch: &Nb101Arch) -> Option<&Nb101Cell> {
        self.get(&Nb101Hash::of(arch))
    }

    /// All cells, in order of first appearance in the file.
    pub fn cells(&self) -> &[Nb101Cell] {
        &self.cells
    }

    /// The epoch budgets present in the file, ascending.
    pub fn epochs(&self) -> &[u32] {
        &self.epochs
    }

    /// The file the table was read from.
    pub fn source(&self) -> &Path {
        &self.source
    }
}
