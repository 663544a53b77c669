//! A user's own table as a benchmark: a CSV file with one architecture per
//! row in a space's official string format, a validation column, optionally a
//! test column, a cost column and a parameter column.
//!
//! Configured by a TOML table such as
//!
//! ```toml
//! path = "results/my_nb201_runs.csv"
//! space = "nb201"
//! arch_column = "arch_str"
//! validation = { column = "valid_acc", goal = "maximize" }
//! test = { column = "test_acc", goal = "maximize" }
//! cost_column = "train_seconds"
//! epochs = 200
//! ```
//!
//! Several rows for one architecture are repeated runs: each query draws one
//! with the evaluator's generator, and ground truth averages them. An empty
//! validation cell is a failed run ([`Outcome::Failed`]); an empty test, cost
//! or parameter cell is an unknown value.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oxinas_core::{
    DataError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation,
    Outcome, RngCore, SearchSpace,
};
use oxinas_spaces::SubsetSpace;
use rand::Rng;
use serde::Deserialize;

/// One objective column and its direction.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvObjective {
    /// The column's header.
    pub column: String,
    /// Whether larger (`maximize`) or smaller (`minimize`) is better.
    pub goal: Goal,
}

/// The TOML table that describes a CSV benchmark.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvBenchmarkConfig {
    /// The CSV file (relative paths are resolved by the caller).
    pub path: PathBuf,
    /// The name of the space whose string format the architecture column uses
    /// (as [`SearchSpace::name`] says it, e.g. `nb201`).
    pub space: String,
    /// Header of the architecture column.
    pub arch_column: String,
    /// The validation objective the optimizer sees.
    pub validation: CsvObjective,
    /// The held-out objective reports use, if the table has one.
    #[serde(default)]
    pub test: Option<CsvObjective>,
    /// Header of a column with the cost of a run in seconds.
    #[serde(default)]
    pub cost_column: Option<String>,
    /// Header of a column with parameter counts.
    #[serde(default)]
    pub params_column: Option<String>,
    /// Training epochs the table's values belong to (its one fidelity); 0 when unknown.
    #[serde(default)]
    pub epochs: u32,
}

#[derive(Clone, Debug, PartialEq)]
struct CsvRow {
    validation: Option<f64>,
    test: Option<f64>,
    cost: Option<f64>,
    params: Option<f64>,
}

/// A CSV table as an evaluator over the architectures of space `S`.
#[derive(Debug)]
pub struct CsvTabular<S: SearchSpace> {
    space: S,
    config: CsvBenchmarkConfig,
    rows: HashMap<S::Arch, Vec<CsvRow>>,
    order: Vec<S::Arch>,
}

impl<S: SearchSpace> CsvTabular<S> {
    /// Reads the table `config.path` of architectures of `space`.
    pub fn load(space: S, config: CsvBenchmarkConfig) -> Result<Self, DataError> {
        let path = config.path.clone();
        if config.space != space.name() {
            return Err(DataError::malformed(
                &path,
                "configuration, field `space`",
                format!(
                    "`{}` for this evaluator, found `{}`",
                    space.name(),
                    config.space
                ),
            ));
        }
        let mut reader = csv::Reader::from_path(&path).map_err(|e| csv_error(&path, e))?;
        let headers = reader.headers().map_err(|e| csv_error(&path, e))?.clone();
        let index = |name: &str| {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                DataError::malformed(
                    &path,
                    "header row",
                    format!(
                        "a column `{name}`; the columns are {}",
                        headers.iter().collect::<Vec<_>>().join(", ")
                    ),
                )
            })
        };
        let arch_at = index(&config.arch_column)?;
        let val_at = index(&config.validation.column)?;
        let test_at = config.test.as_ref().map(|t| index(&t.column)).transpose()?;
        let cost_at = config.cost_column.as_deref().map(index).transpose()?;
        let params_at = config.params_column.as_deref().map(index).transpose()?;
        let mut rows: HashMap<S::Arch, Vec<CsvRow>> = HashMap::new();
        let mut order = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| csv_error(&path, e))?;
            let line = record.position().map_or(0, |p| p.line());
            let cell = |at: usize, name: &str| -> Result<Option<f64>, DataError> {
                let text = record.get(at).unwrap_or("").trim();
                if text.is_empty() {
                    return Ok(None);
                }
                text.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .map(Some)
                    .ok_or_else(|| {
                        DataError::malformed(
                            &path,
                            format!("line {line}, column `{name}`"),
                            format!("a finite number or an empty cell, found `{text}`"),
                        )
                    })
            };
            let arch_text = record.get(arch_at).unwrap_or("");
            let arch = space.parse(arch_text).map_err(|e| {
                DataError::malformed(
                    &path,
                    format!("line {line}, column `{}`", config.arch_column),
                    e.to_string(),
                )
            })?;
            let row = CsvRow {
                validation: cell(val_at, &config.validation.column)?,
                test: match (test_at, &config.test) {
                    (Some(at), Some(t)) => cell(at, &t.column)?,
                    _ => None,
                },
                cost: match (cost_at, &config.cost_column) {
                    (Some(at), Some(name)) => cell(at, name)?,
                    _ => None,
                },
                params: match (params_at, &config.params_column) {
                    (Some(at), Some(name)) => cell(at, name)?,
                    _ => None,
                },
            };
            let runs = rows.entry(arch.clone()).or_default();
            if runs.is_empty() {
                order.push(arch);
            }
            runs.push(row);
        }
        if rows.is_empty() {
            return Err(DataError::malformed(
                &path,
                "line 2",
                "at least one data row",
            ));
        }
        Ok(Self {
            space,
            config,
            rows,
            order,
        })
    }

    /// The configuration the table was read with.
    pub fn config(&self) -> &CsvBenchmarkConfig {
        &self.config
    }

    /// Number of distinct architectures in the table.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no architecture (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The architectures in the table, in the order they first appear.
    pub fn archs(&self) -> &[S::Arch] {
        &self.order
    }

    /// The table's architectures as a space (one per equivalence class, in
    /// table order), so that every proposal is a row of the table.
    pub fn space(&self) -> SubsetSpace<S>
    where
        S: Clone,
    {
        SubsetSpace::new(self.space.clone(), self.order.iter().cloned())
            .unwrap_or_else(|| unreachable!("a loaded table has rows"))
    }
}

fn csv_error(path: &Path, e: csv::Error) -> DataError {
    let location = e
        .position()
        .map_or_else(|| "file".to_owned(), |p| format!("line {}", p.line()));
    DataError::malformed(
        path,
        location,
        format!("{e}; the file may be truncated or not CSV"),
    )
}

impl<S: SearchSpace> Evaluator<S::Arch> for CsvTabular<S> {
    fn name(&self) -> String {
        format!("csv:{}", self.config.path.display())
    }

    fn metric(&self) -> &str {
        &self.config.validation.column
    }

    fn goal(&self) -> Goal {
        self.config.validation.goal
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        vec![Fidelity::epochs(self.config.epochs)]
    }

    fn evaluate(
        &self,
        arch: &S::Arch,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        if fidelity != Fidelity::epochs(self.config.epochs) {
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: self.name(),
                fidelity,
                available: format!("{} epochs", self.config.epochs),
            });
        }
        let runs = self
            .rows
            .get(arch)
            .ok_or_else(|| EvaluationError::UnknownArch {
                benchmark: self.name(),
                arch: self.space.format(arch),
            })?;
        let row = if runs.len() == 1 {
            &runs[0]
        } else {
            &runs[rng.random_range(0..runs.len())]
        };
        let observation = Observation {
            outcome: match row.validation {
                Some(_) => Outcome::Ok,
                None => Outcome::Failed(format!(
                    "no `{}` value in the table",
                    self.config.validation.column
                )),
            },
            validation: row.validation,
            goal: self.config.validation.goal,
            cost_seconds: row.cost.unwrap_or(0.0),
            params: row.params,
            latency_seconds: None,
            learning_curve: None,
        };
        Ok(Evaluation {
            observation,
            test: row.validation.and(row.test),
        })
    }
}

impl<S: SearchSpace> GroundTruth<S::Arch> for CsvTabular<S> {
    fn metrics(&self) -> Vec<(String, String)> {
        let mut out = vec![(
            self.config.validation.column.clone(),
            "validation objective, mean over rows".to_owned(),
        )];
        if let Some(t) = &self.config.test {
            out.push((
                t.column.clone(),
                "test objective, mean over rows".to_owned(),
            ));
        }
        out
    }

    fn metric(&self, arch: &S::Arch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let runs = self
            .rows
            .get(arch)
            .ok_or_else(|| EvaluationError::UnknownArch {
                benchmark: self.name(),
                arch: self.space.format(arch),
            })?;
        let pick: fn(&CsvRow) -> Option<f64> = if metric == self.config.validation.column {
            |r| r.validation
        } else if self
            .config
            .test
            .as_ref()
            .is_some_and(|t| t.column == metric)
        {
            |r| r.test
        } else {
            return Err(EvaluationError::UnknownMetric {
                benchmark: self.name(),
                metric: metric.to_owned(),
                available: self
                    .metrics()
                    .into_iter()
                    .map(|(m, _)| m)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        let values: Vec<f64> = runs.iter().filter_map(pick).collect();
        Ok((!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64))
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;
    use oxinas_spaces::Nb201Space;

    use super::*;

    const A: &str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|";
    const B: &str = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";

    fn config(path: &Path) -> CsvBenchmarkConfig {
        let text = format!(
            r#"
            path = "{}"
            space = "nb201"
            arch_column = "arch"
            validation = {{ column = "valid", goal = "maximize" }}
            test = {{ column = "test", goal = "maximize" }}
            cost_column = "seconds"
            epochs = 200
            "#,
            path.display()
        );
        toml::from_str(&text).unwrap()
    }

    fn table(rows: &[&str]) -> String {
        let mut text = "arch,valid,test,seconds\n".to_owned();
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        text
    }

    #[test]
    fn a_csv_table_answers_queries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        let rows = [
            format!("\"{A}\",91.5,94.3,100"),
            format!("\"{A}\",91.7,94.1,110"),
            format!("\"{B}\",,80.0,50"),
        ];
        std::fs::write(
            &path,
            table(&rows.iter().map(String::as_str).collect::<Vec<_>>()),
        )
        .unwrap();
        let bench = CsvTabular::load(Nb201Space::new(), config(&path)).unwrap();
        assert_eq!(bench.len(), 2);
        let space = Nb201Space::new();
        let a = space.parse(A).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let mut rng = rng_from_seed(1);
        for _ in 0..20 {
            let e = bench.evaluate(&a, Fidelity::epochs(200), &mut rng).unwrap();
            seen.insert((e.observation.validation.unwrap() * 10.0) as i64);
            assert!(e.observation.cost_seconds >= 100.0);
        }
        assert_eq!(seen.len(), 2);
        let mean = GroundTruth::metric(&bench, &a, "test").unwrap().unwrap();
        assert!((mean - 94.2).abs() < 1e-9);
        let b = space.parse(B).unwrap();
        let e = bench.evaluate(&b, Fidelity::epochs(200), &mut rng).unwrap();
        assert!(matches!(e.observation.outcome, Outcome::Failed(_)));
        assert_eq!(e.test, None);
        assert!(bench.evaluate(&a, Fidelity::epochs(12), &mut rng).is_err());
        // The table's own space proposes only its rows.
        let subset = bench.space();
        assert_eq!(subset.len(), 2);
        for _ in 0..10 {
            let x = subset.sample(&mut rng);
            assert!(bench.evaluate(&x, Fidelity::epochs(200), &mut rng).is_ok());
        }
        let unknown = space.parse(&A.replace("skip_connect~0", "none~0")).unwrap();
        assert!(
            bench
                .evaluate(&unknown, Fidelity::epochs(200), &mut rng)
                .is_err()
        );
    }

    #[test]
    fn configs_reject_unknown_fields_and_wrong_spaces() {
        let bad = r#"
            path = "x.csv"
            space = "nb201"
            arch_column = "arch"
            validation = { column = "valid", goal = "maximize" }
            colour = "blue"
        "#;
        let message = toml::from_str::<CsvBenchmarkConfig>(bad)
            .unwrap_err()
            .to_string();
        assert!(message.contains("colour"), "{message}");
        let bad_goal = r#"
            path = "x.csv"
            space = "nb201"
            arch_column = "arch"
            validation = { column = "valid", goal = "up" }
        "#;
        assert!(toml::from_str::<CsvBenchmarkConfig>(bad_goal).is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        std::fs::write(&path, table(&[&format!("\"{A}\",91.5,94.3,100")])).unwrap();
        let mut c = config(&path);
        c.space = "nas-bench-nlp".to_owned();
        let message = CsvTabular::load(Nb201Space::new(), c)
            .unwrap_err()
            .to_string();
        assert!(message.contains("field `space`"), "{message}");
    }

    #[test]
    fn bad_tables_name_file_and_place() {
        let dir = tempfile::tempdir().unwrap();
        let row = format!("\"{A}\",91.5,94.3,100");
        // Truncated: the last row stops mid-way.
        let full = table(&[&row, &row, &row]);
        let cut = dir.path().join("cut.csv");
        std::fs::write(&cut, &full[..full.len() - 12]).unwrap();
        let message = CsvTabular::load(Nb201Space::new(), config(&cut))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("cut.csv") && message.contains("line 4"),
            "{message}"
        );
        // One corrupted field.
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, table(&[&row, &row.replace("94.3", "9x.3")])).unwrap();
        let message = CsvTabular::load(Nb201Space::new(), config(&bad))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("bad.csv") && message.contains("line 3, column `test`"),
            "{message}"
        );
        // A malformed architecture string.
        let arch = dir.path().join("arch.csv");
        std::fs::write(&arch, table(&[&row.replace("nor_conv_1x1~2", "conv~2")])).unwrap();
        let message = CsvTabular::load(Nb201Space::new(), config(&arch))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("line 2, column `arch`") && message.contains("conv"),
            "{message}"
        );
        // A missing column.
        let cols = dir.path().join("cols.csv");
        std::fs::write(&cols, "arch,valid\nx,1\n").unwrap();
        let message = CsvTabular::load(Nb201Space::new(), config(&cols))
            .unwrap_err()
            .to_string();
        assert!(message.contains("a column `test`"), "{message}");
    }
}
