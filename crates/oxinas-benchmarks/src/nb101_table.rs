//! The NAS-Bench-101 subset table (`nb101/nb101_subset30k.csv`): validation
//! accuracy at 4, 12, 36 and 108 epochs, training time and size of 30,001 of
//! the 423,624 cells.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use oxinas_core::DataError;
use oxinas_spaces::{Nb101Arch, Nb101Hash, Nb101Space};

/// The epoch budgets NAS-Bench-101 trained every cell for.
pub const NB101_EPOCHS: [u32; 4] = [4, 12, 36, 108];

/// The columns of the subset file, in order.
const HEADER: [&str; 10] = [
    "hash",
    "source",
    "val4",
    "val12",
    "val36",
    "val108",
    "train_time108_s",
    "params",
    "ops",
    "adjacency",
];

/// Everything the subset file records about one cell.
#[derive(Clone, Debug, PartialEq)]
pub struct Nb101Record {
    /// The official hash, the cell's key.
    pub hash: Nb101Hash,
    /// A spec of the cell: the file's own (pruned) spec where the row has one,
    /// else the cell's spec from the enumeration of the space.
    pub arch: Nb101Arch,
    /// Whether the spec came from the file (`true`) or the enumeration.
    pub spec_in_file: bool,
    /// Which part of the subset the row belongs to (`prefix20k` or `random10k`).
    pub source: String,
    /// Final validation accuracy (fraction, 0-1) after training for 4, 12, 36
    /// and 108 epochs (four separate trainings, one run each).
    pub valid: [f64; 4],
    /// Training time of the 108-epoch run, seconds.
    pub train_seconds_108: f64,
    /// Number of trainable parameters.
    pub params: u64,
}

impl Nb101Record {
    /// The validation accuracy (fraction) after `epochs` epochs, if `epochs` is
    /// one of [`NB101_EPOCHS`].
    pub fn valid_at(&self, epochs: u32) -> Option<f64> {
        NB101_EPOCHS
            .iter()
            .position(|&e| e == epochs)
            .map(|i| self.valid[i])
    }
}

/// The NB101 subset table, keyed by hash, rows in file order.
///
/// The file has no test accuracy; see the data manifest. Rows without a spec
/// are joined to the space through the official hash: the first load in a
/// process enumerates and hashes the whole space once (a few seconds).
#[derive(Clone, Debug)]
pub struct Nb101Table {
    records: Vec<Nb101Record>,
    by_hash: HashMap<Nb101Hash, usize>,
    source: PathBuf,
}

/// Every cell of the space by hash, built once per process.
fn cells_by_hash() -> &'static HashMap<Nb101Hash, Nb101Arch> {
    static CELLS: OnceLock<HashMap<Nb101Hash, Nb101Arch>> = OnceLock::new();
    CELLS.get_or_init(|| {
        Nb101Space::new()
            .enumerate_hashed()
            .into_iter()
            .map(|(arch, hash)| (hash, arch))
            .collect()
    })
}

/// A parsed row before spec-less rows are joined to the space.
struct Row {
    line: usize,
    hash: Nb101Hash,
    arch: Option<Nb101Arch>,
    source: String,
    valid: [f64; 4],
    train_seconds_108: f64,
    params: u64,
}

impl Nb101Table {
    /// The path of the subset file under a data directory.
    pub fn csv_path(data_root: &Path) -> PathBuf {
        data_root.join("nb101").join("nb101_subset30k.csv")
    }

    /// Loads the subset file (columns: `hash, source, val4, val12, val36,
    /// val108, train_time108_s, params, ops, adjacency`; `ops` and `adjacency`
    /// empty in rows without a spec). Checks that every spec hashes to its
    /// row's key, that every key is a cell of the space, that keys are unique,
    /// and that the file ends with a complete line.
    pub fn from_csv(path: &Path) -> Result<Self, DataError> {
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        let malformed = |line: usize, column: Option<&str>, message: String| {
            let location = match column {
                Some(column) => format!("line {line}, column `{column}`"),
                None => format!("line {line}"),
            };
            DataError::malformed(path, location, message)
        };
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let header = lines.next().map(|(_, l)| l).ok_or_else(|| {
            malformed(
                1,
                None,
                "expected a header line, found an empty file".into(),
            )
        })?;
        if header.split(',').ne(HEADER) {
            return Err(malformed(
                1,
                None,
                format!(
                    "expected the header `{}`, found `{header}`",
                    HEADER.join(",")
                ),
            ));
        }
        let mut rows = Vec::new();
        for (line, content) in lines {
            let fields: Vec<&str> = content.split(',').collect();
            if fields.len() != HEADER.len() {
                return Err(malformed(
                    line,
                    None,
                    format!(
                        "expected {} comma-separated fields, found {} (truncated or corrupted row?)",
                        HEADER.len(),
                        fields.len()
                    ),
                ));
            }
            let field_error = |column: usize, expected: String| {
                malformed(
                    line,
                    Some(HEADER[column]),
                    format!("expected {expected}, found `{}`", fields[column]),
                )
            };
            let float = |column: usize| -> Result<f64, DataError> {
                fields[column]
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| field_error(column, "a finite number".into()))
            };
            let hash = Nb101Hash::from_hex(fields[0])
                .map_err(|_| field_error(0, "an NB101 hash of 32 hex digits".into()))?;
            let mut valid = [0.0; 4];
            for (i, slot) in valid.iter_mut().enumerate() {
                *slot = float(2 + i)?;
                if !(0.0..=1.0).contains(slot) {
                    return Err(field_error(2 + i, "an accuracy fraction in [0, 1]".into()));
                }
            }
            let params = fields[7]
                .parse::<u64>()
                .map_err(|_| field_error(7, "a parameter count".into()))?;
            let arch = match (fields[8], fields[9]) {
                ("", "") => None,
                (ops, adjacency) => {
                    let arch = Nb101Arch::from_csv_fields(ops, adjacency)
                        .map_err(|e| field_error(9, format!("a valid NB101 spec ({e})")))?;
                    let spec_hash = Nb101Hash::of(&arch);
                    if spec_hash != hash {
                        return Err(malformed(
                            line,
                            Some("hash"),
                            format!("the row's spec hashes to {spec_hash}, but the key is {hash}"),
                        ));
                    }
                    Some(arch)
                }
            };
            rows.push(Row {
                line,
                hash,
                arch,
                source: fields[1].to_owned(),
                valid,
                train_seconds_108: float(6)?,
                params,
            });
        }
        // A file cut right after a number parses; only the missing final
        // newline shows the truncation.
        if !text.ends_with('\n') {
            let last = text.lines().count();
            return Err(malformed(
                last,
                None,
                "expected the line to end with a newline (truncated file?)".into(),
            ));
        }
        let mut by_hash = HashMap::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if let Some(first) = by_hash.insert(row.hash, i) {
                return Err(malformed(
                    row.line,
                    Some("hash"),
                    format!(
                        "a unique key, found {} again (first on line {})",
                        row.hash, rows[first].line
                    ),
                ));
            }
        }
        // Only rows without a spec need the enumeration; skip it when none do.
        let cells = rows.iter().any(|r| r.arch.is_none()).then(cells_by_hash);
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let (arch, spec_in_file) = match row.arch {
                Some(arch) => (arch, true),
                None => {
                    let arch = cells.and_then(|c| c.get(&row.hash)).ok_or_else(|| {
                        malformed(
                            row.line,
                            Some("hash"),
                            format!("the key of a cell of the NB101 space, found {}", row.hash),
                        )
                    })?;
                    (*arch, false)
                }
            };
            records.push(Nb101Record {
                hash: row.hash,
                arch,
                spec_in_file,
                source: row.source,
                valid: row.valid,
                train_seconds_108: row.train_seconds_108,
                params: row.params,
            });
        }
        Ok(Self {
            records,
            by_hash,
            source: path.to_owned(),
        })
    }

    /// The record of the cell with `hash`.
    pub fn get(&self, hash: &Nb101Hash) -> Option<&Nb101Record> {
        self.by_hash.get(hash).map(|&i| &self.records[i])
    }

    /// The record of `arch`'s cell (found through its hash).
    pub fn record_of(&self, arch: &Nb101Arch) -> Option<&Nb101Record> {
        self.get(&Nb101Hash::of(arch))
    }

    /// All records, in file order.
    pub fn records(&self) -> &[Nb101Record] {
        &self.records
    }

    /// Number of cells in the table.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the table has no cells.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The file the table was read from.
    pub fn source(&self) -> &Path {
        &self.source
    }
}
