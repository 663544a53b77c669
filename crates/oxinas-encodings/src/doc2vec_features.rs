//! The precomputed doc2vec embeddings of NAS-Bench-NLP cells.
//!
//! The NAS-Bench-NLP release ships a low-dimensional doc2vec embedding of
//! every recipe (`nasbench_nlp/original/doc2vec_features_lowdim.csv`: header
//! `recepie_id,v00,..,v09`, then one row per recipe). Predictors on that space
//! use it next to the GCN tensors, as per-graph features.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oxinas_core::DataError;

/// Where the file lives under the data directory.
pub const DOC2VEC_FEATURES_FILE: &str = "nasbench_nlp/original/doc2vec_features_lowdim.csv";

/// Embedding vectors by recipe id.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc2VecFeatures {
    dim: usize,
    rows: HashMap<u64, usize>,
    values: Vec<f64>,
}

impl Doc2VecFeatures {
    /// Reads the CSV file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        Self::parse(&text, path)
    }

    /// Parses the CSV `text`; `path` names the source in errors.
    pub fn parse(text: &str, path: impl Into<PathBuf>) -> Result<Self, DataError> {
        let path = path.into();
        let malformed = |line: usize, message: String| {
            DataError::malformed(&path, format!("line {line}"), message)
        };
        let mut lines = text.lines();
        let header = lines.next().ok_or_else(|| {
            malformed(
                1,
                "a header `recepie_id,v00,..`, found an empty file".into(),
            )
        })?;
        let columns: Vec<&str> = header.trim_end_matches('\r').split(',').collect();
        if columns.first() != Some(&"recepie_id") || columns.len() < 2 {
            return Err(malformed(
                1,
                format!("a header `recepie_id,v00,..` with at least one feature, found `{header}`"),
            ));
        }
        let dim = columns.len() - 1;
        let mut rows = HashMap::new();
        let mut values = Vec::new();
        for (offset, line) in lines.enumerate() {
            let number = offset + 2;
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let mut fields = line.split(',');
            let id_field = fields.next().unwrap_or_default();
            let id: u64 = id_field.parse().map_err(|_| {
                malformed(number, format!("an integer recepie_id, found `{id_field}`"))
            })?;
            let start = values.len();
            for (column, field) in fields.enumerate() {
                if column == dim {
                    return Err(malformed(
                        number,
                        format!("{} fields as in the header, found more", dim + 1),
                    ));
                }
                let value: f64 = field.parse().map_err(|_| {
                    malformed(
                        number,
                        format!(
                            "a number in column {}, found `{field}`",
                            columns[column + 1]
                        ),
                    )
                })?;
                values.push(value);
            }
            if values.len() - start != dim {
                return Err(malformed(
                    number,
                    format!(
                        "{} fields as in the header, found {}",
                        dim + 1,
                        values.len() - start + 1
                    ),
                ));
            }
            if rows.insert(id, rows.len()).is_some() {
                return Err(malformed(number, format!("recepie_id {id} appears twice")));
            }
        }
        Ok(Self { dim, rows, values })
    }

    /// Features per recipe.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of recipes.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the file had no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The embedding of recipe `recepie_id`, if the file has it.
    pub fn get(&self, recepie_id: u64) -> Option<&[f64]> {
        let row = *self.rows.get(&recepie_id)?;
        Some(&self.values[row * self.dim..(row + 1) * self.dim])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_by_id() {
        let features =
            Doc2VecFeatures::parse("recepie_id,v00,v01\n7,0.5,-1\r\n9,2,3e-1\n", "x.csv").unwrap();
        assert_eq!((features.dim(), features.len()), (2, 2));
        assert_eq!(features.get(7), Some(&[0.5, -1.0][..]));
        assert_eq!(features.get(9), Some(&[2.0, 0.3][..]));
        assert_eq!(features.get(8), None);
    }

    #[test]
    fn malformed_files_name_line_and_expectation() {
        let cases = [
            ("", "line 1", "empty file"),
            ("id,v00\n", "line 1", "header `recepie_id"),
            (
                "recepie_id,v00,v01\n1,0.1\n",
                "line 2",
                "3 fields as in the header, found 2",
            ),
            ("recepie_id,v00\n1,0.1,0.2\n", "line 2", "found more"),
            (
                "recepie_id,v00\n1,0.1\nx,0.2\n",
                "line 3",
                "integer recepie_id, found `x`",
            ),
            (
                "recepie_id,v00\n1,abc\n",
                "line 2",
                "number in column v00, found `abc`",
            ),
            ("recepie_id,v00\n1,0\n1,1\n", "line 3", "appears twice"),
        ];
        for (text, line, expected) in cases {
            let message = Doc2VecFeatures::parse(text, "doc2vec.csv")
                .unwrap_err()
                .to_string();
            assert!(message.contains("doc2vec.csv"), "{message}");
            assert!(message.contains(line), "{text:?}: {message}");
            assert!(message.contains(expected), "{text:?}: {message}");
        }
    }

    #[test]
    fn the_release_file_has_every_recipe() {
        let Some(path) = oxinas_testkit::data_file(DOC2VEC_FEATURES_FILE) else {
            return;
        };
        let features = Doc2VecFeatures::load(&path).unwrap();
        // 14,322 PTB recipes, 10 doc2vec dimensions (MANIFEST).
        assert_eq!((features.len(), features.dim()), (14_322, 10));
        let first = features.get(1_013_370).unwrap();
        assert_eq!(first[0], 0.9287520051002502);
        assert_eq!(first[9], -2.4723777770996094);
        // The LSTM-like baseline recipe.
        assert!(features.get(1_000_001).is_some());
    }
}
