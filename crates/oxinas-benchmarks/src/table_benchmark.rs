//! A user's own table as a benchmark: a CSV or JSON Lines file with one run
//! of an architecture per row (one row per epoch in long form), validation
//! and optional test, cost, parameter, latency and further metric columns.
//!
//! Configured by a TOML table such as
//!
//! ```toml
//! path = "results/my_runs.csv"
//! space = "nb201"                 # or space_file = "my_space.toml" (declared)
//! arch_column = "arch_str"        # or one column per choice (declared spaces)
//! validation = { column = "valid_acc", goal = "maximize" }
//! test = { column = "test_acc", goal = "maximize" }
//! cost_column = "train_seconds"
//! epochs = 200
//! ```
//!
//! * **Files**: `.jsonl` / `.ndjson` files are JSON Lines (one object per
//!   line, `null` or a missing key for an empty cell); anything else is CSV
//!   with a header row.
//! * **Repeats**: several rows of one architecture (at one epoch) are
//!   repeated runs: each query draws one with the evaluator's generator, and
//!   ground truth averages them. An empty validation cell is a failed run
//!   ([`Outcome::Failed`]); an empty test, cost or other cell an unknown value.
//! * **Learning curves** make the table multi-fidelity. Wide form:
//!   `validation = { columns = { 12 = "valid_12", 200 = "valid_200" }, goal = ... }`,
//!   the cost column is the cost of the largest epoch count and smaller ones
//!   cost in proportion (as NAS-Bench-201 charges). Long form:
//!   `epoch_column = "epoch"`, each row the run's values at that epoch
//!   (its cost column the cost up to that epoch). One fidelity needs neither.
//! * **Metrics** for reports and objectives: the validation and test
//!   columns, `params_column`, `latency_ms_column`, `cost_column` and every
//!   column listed in `metrics`, by column name, averaged over the rows of
//!   the largest epoch count.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use oxinas_core::{
    DataError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation,
    Outcome, RngCore, SearchSpace,
};
use oxinas_spaces::{DeclaredArch, DeclaredSpace, INACTIVE_TEXT, SubsetSpace};
use rand::Rng;
use serde::Deserialize;

/// An objective: one column, or one column per epoch count (a learning
/// curve in wide form), and its direction.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableObjective {
    /// The column's header.
    #[serde(default)]
    pub column: Option<String>,
    /// Epoch count -> column header, for curves in wide form.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Whether larger (`maximize`) or smaller (`minimize`) is better.
    pub goal: Goal,
}

impl TableObjective {
    /// The objective of one column.
    pub fn column(column: impl Into<String>, goal: Goal) -> Self {
        Self {
            column: Some(column.into()),
            columns: BTreeMap::new(),
            goal,
        }
    }
}

/// The TOML table that describes a table benchmark.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    /// The CSV or JSON Lines file (relative paths are resolved by the caller).
    pub path: PathBuf,
    /// The name of a built-in space whose string format the architecture
    /// column uses (as [`SearchSpace::name`] says it, e.g. `nb201`).
    #[serde(default)]
    pub space: Option<String>,
    /// A declared space's file (read by the caller; relative to the config).
    #[serde(default)]
    pub space_file: Option<PathBuf>,
    /// Header of the architecture column; without it (declared spaces only)
    /// each choice is read from the column of its name.
    #[serde(default)]
    pub arch_column: Option<String>,
    /// The validation objective the optimizer sees.
    pub validation: TableObjective,
    /// The held-out objective reports use, if the table has one.
    #[serde(default)]
    pub test: Option<TableObjective>,
    /// Header of a column with the cost of a run in seconds.
    #[serde(default)]
    pub cost_column: Option<String>,
    /// Header of a column with parameter counts.
    #[serde(default)]
    pub params_column: Option<String>,
    /// Header of a column with latencies in milliseconds.
    #[serde(default)]
    pub latency_ms_column: Option<String>,
    /// Header of the epoch column of a learning curve in long form.
    #[serde(default)]
    pub epoch_column: Option<String>,
    /// Further numeric columns, answered as ground-truth metrics by name.
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Training epochs of a one-column validation (its one fidelity); 0 when unknown.
    #[serde(default)]
    pub epochs: u32,
}

impl TableConfig {
    /// A table at `path` over built-in space `space`, with the architecture
    /// in `arch_column` and the validation objective in `validation`.
    pub fn new(
        path: impl Into<PathBuf>,
        space: &str,
        arch_column: &str,
        validation: TableObjective,
    ) -> Self {
        Self {
            path: path.into(),
            space: Some(space.to_owned()),
            space_file: None,
            arch_column: Some(arch_column.to_owned()),
            validation,
            test: None,
            cost_column: None,
            params_column: None,
            latency_ms_column: None,
            epoch_column: None,
            metrics: Vec::new(),
            epochs: 0,
        }
    }
}

/// The numbers of one run at one epoch count.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    validation: Option<f64>,
    test: Option<f64>,
    cost: Option<f64>,
    params: Option<f64>,
    latency_ms: Option<f64>,
    /// One entry per [`TableConfig::metrics`] column.
    extra: Vec<Option<f64>>,
}

/// Reads the architecture of a row from the cells of `columns`; an error
/// names the column at fault (by index) when there is one.
type ReadArch<'a, A> = Box<dyn Fn(&[Option<&str>]) -> Result<A, (Option<usize>, String)> + 'a>;

/// The columns an architecture is written in, and how to read them.
struct ArchColumns<'a, A> {
    columns: Vec<String>,
    read: ReadArch<'a, A>,
}

impl<'a, A> ArchColumns<'a, A> {
    /// One column in `space`'s string format.
    fn formatted<S: SearchSpace<Arch = A>>(space: &'a S, column: String) -> Self {
        Self {
            columns: vec![column],
            read: Box::new(move |cells| {
                space
                    .parse(cells[0].unwrap_or(""))
                    .map_err(|e| (Some(0), e.to_string()))
            }),
        }
    }
}

impl<'a> ArchColumns<'a, DeclaredArch> {
    /// One column per choice of a declared space, named as the choice.
    fn per_choice(space: &'a DeclaredSpace) -> Self {
        Self {
            columns: space
                .choices()
                .iter()
                .map(|c| c.name().to_owned())
                .collect(),
            read: Box::new(move |cells| {
                for (at, (choice, text)) in space.choices().iter().zip(cells).enumerate() {
                    if let Some(text) = text
                        && *text != INACTIVE_TEXT
                        && !choice.values().iter().any(|v| v == text)
                    {
                        return Err((
                            Some(at),
                            format!(
                                "one of {} (or empty where the choice is inactive), found `{text}`",
                                choice.values().join(", ")
                            ),
                        ));
                    }
                }
                space.from_texts(cells).map_err(|e| (None, e))
            }),
        }
    }
}

/// A table as an evaluator over the architectures of space `S`.
#[derive(Debug)]
pub struct TableBenchmark<S: SearchSpace> {
    space: S,
    config: TableConfig,
    /// Epoch counts in increasing order; the last is the full run.
    fidelities: Vec<u32>,
    /// The runs of each architecture at each epoch count.
    runs: HashMap<S::Arch, BTreeMap<u32, Vec<Run>>>,
    order: Vec<S::Arch>,
}

/// Rows of a file as (line number, the cells asked for; `None` when empty).
type Rows = Vec<(usize, Vec<Option<String>>)>;

/// Reads one metric from a run.
type Getter<'a> = Box<dyn Fn(&Run) -> Option<f64> + 'a>;

/// One field of a run.
type RunField = fn(&Run) -> Option<f64>;

/// Where a cell is and what was wrong with it.
struct CellError {
    line: usize,
    column: String,
    expected: String,
}

/// The rows of a CSV or JSON Lines file, reduced to the `columns` asked for
/// (`None` for an empty cell), with their line numbers.
fn read_rows(path: &Path, columns: &[String]) -> Result<Rows, DataError> {
    let json_lines = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"));
    if json_lines {
        read_json_lines(path, columns)
    } else {
        read_csv(path, columns)
    }
}

fn read_csv(path: &Path, columns: &[String]) -> Result<Rows, DataError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| csv_error(path, e))?;
    let headers = reader.headers().map_err(|e| csv_error(path, e))?.clone();
    let at: Vec<usize> = columns
        .iter()
        .map(|name| {
            headers.iter().position(|h| h == name).ok_or_else(|| {
                DataError::malformed(
                    path,
                    "header row",
                    format!(
                        "a column `{name}`; the columns are {}",
                        headers.iter().collect::<Vec<_>>().join(", ")
                    ),
                )
            })
        })
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cells = at
            .iter()
            .map(|&i| {
                let text = record.get(i).unwrap_or("").trim();
                (!text.is_empty()).then(|| text.to_owned())
            })
            .collect();
        rows.push((line, cells));
    }
    Ok(rows)
}

fn read_json_lines(path: &Path, columns: &[String]) -> Result<Rows, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let mut rows = Vec::new();
    let mut seen = vec![false; columns.len()];
    let mut first_keys: Option<Vec<String>> = None;
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            DataError::malformed(
                path,
                format!("line {line_number}"),
                format!("one JSON object per line ({e}); the file may be truncated"),
            )
        })?;
        let serde_json::Value::Object(object) = value else {
            return Err(DataError::malformed(
                path,
                format!("line {line_number}"),
                "a JSON object",
            ));
        };
        first_keys.get_or_insert_with(|| object.keys().cloned().collect());
        let cells = columns
            .iter()
            .enumerate()
            .map(|(i, name)| match object.get(name) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(value) => {
                    seen[i] = true;
                    match value {
                        serde_json::Value::String(s) => Ok(Some(s.trim().to_owned())),
                        serde_json::Value::Number(n) => Ok(Some(n.to_string())),
                        serde_json::Value::Bool(b) => Ok(Some(b.to_string())),
                        _ => Err(DataError::malformed(
                            path,
                            format!("line {line_number}, column `{name}`"),
                            "a string, a number or null",
                        )),
                    }
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        rows.push((line_number, cells));
    }
    if !rows.is_empty()
        && let Some(missing) = seen.iter().position(|s| !s)
    {
        return Err(DataError::malformed(
            path,
            "every line",
            format!(
                "a key `{}` in at least one line; the first line has {}",
                columns[missing],
                first_keys.unwrap_or_default().join(", ")
            ),
        ));
    }
    Ok(rows)
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

impl<S: SearchSpace> TableBenchmark<S> {
    /// Reads the table `config.path` of architectures of built-in `space`,
    /// one formatted architecture per row in `config.arch_column`.
    pub fn load(space: S, config: TableConfig) -> Result<Self, DataError> {
        let path = config.path.clone();
        if let Some(name) = &config.space
            && name != space.name()
        {
            return Err(DataError::malformed(
                &path,
                "configuration, field `space`",
                format!("`{}` for this evaluator, found `{name}`", space.name()),
            ));
        }
        let Some(column) = config.arch_column.clone() else {
            return Err(DataError::malformed(
                &path,
                "configuration, field `arch_column`",
                format!(
                    "the column of architecture strings (only a declared space, `space_file`, reads one column per choice; {} is built in)",
                    space.name()
                ),
            ));
        };
        let runs = read_table(&config, ArchColumns::formatted(&space, column))?;
        Self::from_runs(space, config, runs)
    }

    fn from_runs(
        space: S,
        config: TableConfig,
        (runs, order, fidelities): Loaded<S::Arch>,
    ) -> Result<Self, DataError> {
        if runs.is_empty() {
            return Err(DataError::malformed(
                &config.path,
                "line 2",
                "at least one data row",
            ));
        }
        Ok(Self {
            space,
            config,
            fidelities,
            runs,
            order,
        })
    }

    /// The configuration the table was read with.
    pub fn config(&self) -> &TableConfig {
        &self.config
    }

    /// Number of distinct architectures in the table.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// Whether the table has no architecture (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// The architectures in the table, in the order they first appear.
    pub fn archs(&self) -> &[S::Arch] {
        &self.order
    }

    /// The space the table was read over.
    pub fn full_space(&self) -> &S {
        &self.space
    }

    /// Whether the table has a row for every architecture of its space (then
    /// the space itself can be searched, not just the table's subset).
    pub fn covers_space(&self) -> bool {
        self.space
            .cardinality()
            .is_some_and(|n| n == self.runs.len() as u128)
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

    fn top(&self) -> u32 {
        self.fidelities.last().copied().unwrap_or(0)
    }

    fn runs_of(&self, arch: &S::Arch) -> Result<&BTreeMap<u32, Vec<Run>>, EvaluationError> {
        self.runs
            .get(arch)
            .ok_or_else(|| EvaluationError::UnknownArch {
                benchmark: self.name(),
                arch: self.space.format(arch),
            })
    }
}

impl TableBenchmark<DeclaredSpace> {
    /// Reads the table `config.path` of architectures of a declared space:
    /// from `config.arch_column` in the space's format, or, without it, one
    /// column per choice named as the choice.
    pub fn load_declared(space: DeclaredSpace, config: TableConfig) -> Result<Self, DataError> {
        let runs = match &config.arch_column {
            Some(column) => read_table(&config, ArchColumns::formatted(&space, column.clone()))?,
            None => read_table(&config, ArchColumns::per_choice(&space))?,
        };
        Self::from_runs(space, config, runs)
    }
}

type Loaded<A> = (HashMap<A, BTreeMap<u32, Vec<Run>>>, Vec<A>, Vec<u32>);

/// Reads every row into runs per architecture and epoch count.
fn read_table<A: Clone + Eq + std::hash::Hash>(
    config: &TableConfig,
    arch: ArchColumns<'_, A>,
) -> Result<Loaded<A>, DataError> {
    let path = &config.path;
    let bad_config = |field: &str, expected: String| {
        DataError::malformed(path, format!("configuration, field `{field}`"), expected)
    };
    // The validation columns and the epoch count of each.
    let curve: Vec<(u32, String)> = match (
        &config.validation.column,
        config.validation.columns.is_empty(),
    ) {
        (Some(column), true) => vec![(config.epochs, column.clone())],
        (None, false) => config
            .validation
            .columns
            .iter()
            .map(|(epochs, column)| {
                epochs
                    .trim()
                    .parse::<u32>()
                    .map(|e| (e, column.clone()))
                    .map_err(|_| {
                        bad_config(
                            "validation.columns",
                            format!("epoch counts as keys, found `{epochs}`"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(bad_config(
                "validation",
                "either `column` or `columns = { EPOCHS = \"COLUMN\", ... }`".to_owned(),
            ));
        }
    };
    if curve.len() > 1 && config.epoch_column.is_some() {
        return Err(bad_config(
            "epoch_column",
            "a curve in long form (`epoch_column`) or in wide form (`validation.columns`), not both".to_owned(),
        ));
    }
    let test_column = match &config.test {
        None => None,
        Some(TableObjective {
            column: Some(c),
            columns,
            ..
        }) if columns.is_empty() => Some(c.clone()),
        Some(_) => return Err(bad_config("test", "one `column`".to_owned())),
    };
    // Every column asked for, once.
    let mut wanted: Vec<String> = Vec::new();
    let mut slot = |name: &str| -> usize {
        wanted.iter().position(|w| w == name).unwrap_or_else(|| {
            wanted.push(name.to_owned());
            wanted.len() - 1
        })
    };
    let arch_slots: Vec<usize> = arch.columns.iter().map(|c| slot(c)).collect();
    let curve_slots: Vec<(u32, usize, String)> = curve
        .iter()
        .map(|(e, c)| (*e, slot(c), c.clone()))
        .collect();
    let optional = |name: &Option<String>, slot: &mut dyn FnMut(&str) -> usize| {
        name.as_ref().map(|n| (slot(n), n.clone()))
    };
    let test_slot = optional(&test_column, &mut slot);
    let cost_slot = optional(&config.cost_column, &mut slot);
    let params_slot = optional(&config.params_column, &mut slot);
    let latency_slot = optional(&config.latency_ms_column, &mut slot);
    let epoch_slot = optional(&config.epoch_column, &mut slot);
    let extra_slots: Vec<(usize, String)> = config
        .metrics
        .iter()
        .map(|m| (slot(m), m.clone()))
        .collect();

    let rows = read_rows(path, &wanted)?;
    let top_epochs = curve.iter().map(|(e, _)| *e).max().unwrap_or(0);
    let mut runs: HashMap<A, BTreeMap<u32, Vec<Run>>> = HashMap::new();
    let mut order = Vec::new();
    let mut fidelities: Vec<u32> = Vec::new();
    for (line, cells) in rows {
        let located = |e: CellError| {
            DataError::malformed(
                path,
                format!("line {}, column `{}`", e.line, e.column),
                e.expected,
            )
        };
        let number = |slot: Option<(usize, String)>| -> Result<Option<f64>, DataError> {
            let Some((at, name)) = slot else {
                return Ok(None);
            };
            let Some(text) = &cells[at] else {
                return Ok(None);
            };
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| {
                    located(CellError {
                        line,
                        column: name,
                        expected: format!("a finite number or an empty cell, found `{text}`"),
                    })
                })
        };
        let texts: Vec<Option<&str>> = arch_slots.iter().map(|&at| cells[at].as_deref()).collect();
        let key = (arch.read)(&texts).map_err(|(column, expected)| match column {
            Some(at) => located(CellError {
                line,
                column: arch.columns[at].clone(),
                expected,
            }),
            None => DataError::malformed(
                path,
                format!("line {line}, the architecture's columns"),
                expected,
            ),
        })?;
        let cost = number(cost_slot.clone())?;
        let shared = Run {
            validation: None,
            test: number(test_slot.clone())?,
            cost,
            params: number(params_slot.clone())?,
            latency_ms: number(latency_slot.clone())?,
            extra: extra_slots
                .iter()
                .map(|s| number(Some(s.clone())))
                .collect::<Result<_, _>>()?,
        };
        let mut points: Vec<(u32, Run)> = Vec::new();
        match &epoch_slot {
            Some((at, name)) => {
                let text = cells[*at].as_deref().unwrap_or("");
                let epochs = text.parse::<u32>().map_err(|_| {
                    located(CellError {
                        line,
                        column: name.clone(),
                        expected: format!("a whole number of epochs, found `{text}`"),
                    })
                })?;
                let (_, at, _) = &curve_slots[0];
                let mut run = shared.clone();
                run.validation = number(Some((*at, curve_slots[0].2.clone())))?;
                points.push((epochs, run));
            }
            None => {
                for (epochs, at, name) in &curve_slots {
                    let mut run = shared.clone();
                    run.validation = number(Some((*at, name.clone())))?;
                    if curve_slots.len() > 1 {
                        // The cost column is the full run's; a shorter run
                        // costs in proportion.
                        run.cost =
                            cost.map(|c| c * f64::from(*epochs) / f64::from(top_epochs.max(1)));
                    }
                    points.push((*epochs, run));
                }
            }
        }
        let entry = runs.entry(key.clone()).or_default();
        if entry.is_empty() {
            order.push(key);
        }
        for (epochs, run) in points {
            if !fidelities.contains(&epochs) {
                fidelities.push(epochs);
            }
            entry.entry(epochs).or_default().push(run);
        }
    }
    fidelities.sort_unstable();
    Ok((runs, order, fidelities))
}

impl<S: SearchSpace> TableBenchmark<S> {
    /// The validation column of each epoch count (one entry for a
    /// one-column validation or a long-form curve), by increasing epochs.
    pub fn validation_columns(&self) -> Vec<(u32, &str)> {
        match &self.config.validation.column {
            Some(column) => vec![(self.top(), column.as_str())],
            None => {
                let mut columns: Vec<(u32, &str)> = self
                    .config
                    .validation
                    .columns
                    .iter()
                    .filter_map(|(e, c)| Some((e.trim().parse().ok()?, c.as_str())))
                    .collect();
                columns.sort_unstable();
                columns
            }
        }
    }

    /// Picks the value of metric column `name` from a run.
    fn pick(&self, name: &str) -> Option<(u32, Getter<'_>)> {
        let top = self.top();
        if let Some(&(epochs, _)) = self.validation_columns().iter().find(|(_, c)| *c == name) {
            return Some((epochs, Box::new(|r: &Run| r.validation)));
        }
        let single: [(&Option<String>, RunField); 4] = [
            (
                &self.config.test.as_ref().and_then(|t| t.column.clone()),
                |r| r.test,
            ),
            (&self.config.cost_column, |r| r.cost),
            (&self.config.params_column, |r| r.params),
            (&self.config.latency_ms_column, |r| r.latency_ms),
        ];
        for (column, get) in single {
            if column.as_deref() == Some(name) {
                return Some((top, Box::new(get)));
            }
        }
        let at = self.config.metrics.iter().position(|m| m == name)?;
        Some((top, Box::new(move |r: &Run| r.extra[at])))
    }
}

impl<S: SearchSpace> Evaluator<S::Arch> for TableBenchmark<S> {
    fn name(&self) -> String {
        format!("table:{}", self.config.path.display())
    }

    fn metric(&self) -> &str {
        self.validation_columns()
            .last()
            .map_or("validation", |(_, c)| c)
    }

    fn goal(&self) -> Goal {
        self.config.validation.goal
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        self.fidelities
            .iter()
            .map(|&e| Fidelity::epochs(e))
            .collect()
    }

    fn evaluate(
        &self,
        arch: &S::Arch,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let epochs = fidelity.get_epochs();
        if !self.fidelities.contains(&epochs) {
            let available: Vec<String> = self
                .fidelities
                .iter()
                .map(|e| format!("{e} epochs"))
                .collect();
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: self.name(),
                fidelity,
                available: available.join(", "),
            });
        }
        let goal = self.config.validation.goal;
        let Some(runs) = self.runs_of(arch)?.get(&epochs).filter(|r| !r.is_empty()) else {
            let mut observation = Observation::ok(0.0, goal, 0.0);
            observation.validation = None;
            observation.outcome =
                Outcome::Failed(format!("no row at {epochs} epochs in the table"));
            return Ok(Evaluation {
                observation,
                test: None,
            });
        };
        let run = if runs.len() == 1 {
            &runs[0]
        } else {
            &runs[rng.random_range(0..runs.len())]
        };
        let observation = Observation {
            outcome: match run.validation {
                Some(_) => Outcome::Ok,
                None => Outcome::Failed(format!(
                    "no `{}` value in the table",
                    Evaluator::metric(self)
                )),
            },
            validation: run.validation,
            goal,
            cost_seconds: run.cost.unwrap_or(0.0),
            params: run.params,
            latency_seconds: run.latency_ms.map(|ms| ms / 1000.0),
            learning_curve: None,
        };
        Ok(Evaluation {
            observation,
            test: run.validation.and(run.test),
        })
    }
}

impl<S: SearchSpace> GroundTruth<S::Arch> for TableBenchmark<S> {
    fn metrics(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .validation_columns()
            .into_iter()
            .map(|(e, c)| {
                (
                    c.to_owned(),
                    format!("validation objective at {e} epochs, mean over rows"),
                )
            })
            .collect();
        let named = [
            (
                self.config.test.as_ref().and_then(|t| t.column.clone()),
                "test objective",
            ),
            (self.config.cost_column.clone(), "cost in seconds"),
            (self.config.params_column.clone(), "parameters"),
            (
                self.config.latency_ms_column.clone(),
                "latency in milliseconds",
            ),
        ];
        for (column, what) in named {
            if let Some(column) = column {
                out.push((column, format!("{what}, mean over rows")));
            }
        }
        for m in &self.config.metrics {
            out.push((m.clone(), "table column, mean over rows".to_owned()));
        }
        out
    }

    fn metric(&self, arch: &S::Arch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let runs = self.runs_of(arch)?;
        let Some((epochs, get)) = self.pick(metric) else {
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
        let values: Vec<f64> = runs
            .get(&epochs)
            .into_iter()
            .flatten()
            .filter_map(&*get)
            .collect();
        Ok((!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64))
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;
    use oxinas_spaces::{DeclaredSpace, Nb201Space};

    use super::*;

    const A: &str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|";
    const B: &str = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";

    fn config(path: &Path) -> TableConfig {
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
        let bench = TableBenchmark::load(Nb201Space::new(), config(&path)).unwrap();
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
        let message = toml::from_str::<TableConfig>(bad).unwrap_err().to_string();
        assert!(message.contains("colour"), "{message}");
        let bad_goal = r#"
            path = "x.csv"
            space = "nb201"
            arch_column = "arch"
            validation = { column = "valid", goal = "up" }
        "#;
        assert!(toml::from_str::<TableConfig>(bad_goal).is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.csv");
        std::fs::write(&path, table(&[&format!("\"{A}\",91.5,94.3,100")])).unwrap();
        let mut c = config(&path);
        c.space = Some("nas-bench-nlp".to_owned());
        let message = TableBenchmark::load(Nb201Space::new(), c)
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
        let message = TableBenchmark::load(Nb201Space::new(), config(&cut))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("cut.csv") && message.contains("line 4"),
            "{message}"
        );
        // One corrupted field.
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, table(&[&row, &row.replace("94.3", "9x.3")])).unwrap();
        let message = TableBenchmark::load(Nb201Space::new(), config(&bad))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("bad.csv") && message.contains("line 3, column `test`"),
            "{message}"
        );
        // A malformed architecture string.
        let arch = dir.path().join("arch.csv");
        std::fs::write(&arch, table(&[&row.replace("nor_conv_1x1~2", "conv~2")])).unwrap();
        let message = TableBenchmark::load(Nb201Space::new(), config(&arch))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("line 2, column `arch`") && message.contains("conv"),
            "{message}"
        );
        // A missing column.
        let cols = dir.path().join("cols.csv");
        std::fs::write(&cols, "arch,valid\nx,1\n").unwrap();
        let message = TableBenchmark::load(Nb201Space::new(), config(&cols))
            .unwrap_err()
            .to_string();
        assert!(message.contains("a column `test`"), "{message}");
    }

    const GNN_SPACE: &str = r#"
        name = "gnn-table"
        [[choice]]
        name = "link"
        values = ["chain", "skip", "dense"]
        [[choice]]
        name = "layer"
        values = ["gcn", "gat", "sage"]
        repeat = 2
    "#;

    fn gnn() -> DeclaredSpace {
        DeclaredSpace::from_toml(GNN_SPACE, None).unwrap()
    }

    #[test]
    fn json_lines_with_one_column_per_choice_answer_queries_and_metrics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gnn.jsonl");
        std::fs::write(
            &path,
            concat!(
                r#"{"link": "chain", "layer_0": "gcn", "layer_1": "gat", "val": 70.5, "test": 69.0, "latency": 2.5}"#, "\n",
                r#"{"link": "chain", "layer_0": "gcn", "layer_1": "gat", "val": 71.5, "test": 70.0, "latency": 3.5}"#, "\n",
                "\n",
                r#"{"link": "dense", "layer_0": "sage", "layer_1": "sage", "val": null, "test": 50.0, "latency": 9}"#, "\n",
            ),
        )
        .unwrap();
        let mut config = TableConfig::new(
            &path,
            "gnn-table",
            "unused",
            TableObjective::column("val", Goal::Maximize),
        );
        config.space = None;
        config.arch_column = None;
        config.test = Some(TableObjective::column("test", Goal::Maximize));
        config.latency_ms_column = Some("latency".into());
        let bench = TableBenchmark::load_declared(gnn(), config).unwrap();
        assert_eq!(bench.len(), 2);
        assert!(!bench.covers_space());
        // One fidelity, of unknown epochs.
        assert_eq!(bench.fidelities(), vec![Fidelity::epochs(0)]);
        let space = gnn();
        let a = space.parse("chain gcn gat").unwrap();
        // Means over the two rows, by hand.
        assert_eq!(GroundTruth::metric(&bench, &a, "val").unwrap(), Some(71.0));
        assert_eq!(
            GroundTruth::metric(&bench, &a, "latency").unwrap(),
            Some(3.0)
        );
        let e = bench
            .evaluate(&a, Fidelity::epochs(0), &mut rng_from_seed(0))
            .unwrap();
        assert!(
            matches!(e.observation.latency_seconds, Some(l) if (l - 0.0025).abs() < 1e-12 || (l - 0.0035).abs() < 1e-12)
        );
        let b = space.parse("dense sage sage").unwrap();
        let e = bench
            .evaluate(&b, Fidelity::epochs(0), &mut rng_from_seed(0))
            .unwrap();
        assert!(matches!(e.observation.outcome, Outcome::Failed(_)));
        assert!(GroundTruth::metric(&bench, &a, "colour").is_err());
    }

    #[test]
    fn a_value_the_space_does_not_allow_names_row_column_and_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gnn.csv");
        std::fs::write(
            &path,
            "link,layer_0,layer_1,val\nchain,gcn,gat,1\nchain,gin,gat,2\n",
        )
        .unwrap();
        let mut config = TableConfig::new(
            &path,
            "gnn-table",
            "unused",
            TableObjective::column("val", Goal::Maximize),
        );
        config.arch_column = None;
        let message = TableBenchmark::load_declared(gnn(), config)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("line 3, column `layer_0`")
                && message.contains("one of gcn, gat, sage")
                && message.contains("found `gin`"),
            "{message}"
        );
        // A missing choice column is named with the columns there are.
        std::fs::write(&path, "link,layer_0,val\nchain,gcn,1\n").unwrap();
        let mut config = TableConfig::new(
            &path,
            "gnn-table",
            "unused",
            TableObjective::column("val", Goal::Maximize),
        );
        config.arch_column = None;
        let message = TableBenchmark::load_declared(gnn(), config)
            .unwrap_err()
            .to_string();
        assert!(message.contains("a column `layer_1`"), "{message}");
        // A JSON Lines file cut mid-object.
        let cut = dir.path().join("cut.jsonl");
        std::fs::write(&cut, "{\"link\": \"chain\", \"layer_0\": \"gcn\", \"layer_1\": \"gat\", \"val\": 1}\n{\"link\": \"ch").unwrap();
        let mut config = TableConfig::new(
            &cut,
            "gnn-table",
            "unused",
            TableObjective::column("val", Goal::Maximize),
        );
        config.arch_column = None;
        let message = TableBenchmark::load_declared(gnn(), config)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("cut.jsonl") && message.contains("line 2"),
            "{message}"
        );
    }

    #[test]
    fn curves_in_wide_and_long_form_make_the_table_multi_fidelity() {
        let dir = tempfile::tempdir().unwrap();
        let wide = dir.path().join("wide.csv");
        std::fs::write(
            &wide,
            format!("arch,v12,v200,seconds\n\"{A}\",80,91,1000\n"),
        )
        .unwrap();
        let mut columns = BTreeMap::new();
        columns.insert("12".to_owned(), "v12".to_owned());
        columns.insert("200".to_owned(), "v200".to_owned());
        let validation = TableObjective {
            column: None,
            columns,
            goal: Goal::Maximize,
        };
        let mut config = TableConfig::new(&wide, "nb201", "arch", validation);
        config.cost_column = Some("seconds".into());
        let bench = TableBenchmark::load(Nb201Space::new(), config).unwrap();
        assert_eq!(
            bench.fidelities(),
            vec![Fidelity::epochs(12), Fidelity::epochs(200)]
        );
        let a = Nb201Space::new().parse(A).unwrap();
        let mut rng = rng_from_seed(0);
        let low = bench
            .evaluate(&a, Fidelity::epochs(12), &mut rng)
            .unwrap()
            .observation;
        // 12 of 200 epochs cost 12/200 of the full run.
        assert_eq!((low.validation, low.cost_seconds), (Some(80.0), 60.0));
        let high = bench
            .evaluate(&a, Fidelity::epochs(200), &mut rng)
            .unwrap()
            .observation;
        assert_eq!((high.validation, high.cost_seconds), (Some(91.0), 1000.0));
        assert_eq!(GroundTruth::metric(&bench, &a, "v12").unwrap(), Some(80.0));
        assert_eq!(Evaluator::metric(&bench), "v200");
        assert!(bench.evaluate(&a, Fidelity::epochs(50), &mut rng).is_err());

        let long = dir.path().join("long.csv");
        std::fs::write(
            &long,
            format!(
                "arch,epoch,valid,seconds\n\"{A}\",1,50,10\n\"{A}\",2,60,20\n\"{B}\",1,40,10\n"
            ),
        )
        .unwrap();
        let mut config = TableConfig::new(
            &long,
            "nb201",
            "arch",
            TableObjective::column("valid", Goal::Maximize),
        );
        config.epoch_column = Some("epoch".into());
        config.cost_column = Some("seconds".into());
        let bench = TableBenchmark::load(Nb201Space::new(), config).unwrap();
        assert_eq!(
            bench.fidelities(),
            vec![Fidelity::epochs(1), Fidelity::epochs(2)]
        );
        let two = bench
            .evaluate(&a, Fidelity::epochs(2), &mut rng)
            .unwrap()
            .observation;
        assert_eq!((two.validation, two.cost_seconds), (Some(60.0), 20.0));
        let b = Nb201Space::new().parse(B).unwrap();
        // B's curve stops at epoch 1: a failed query at 2, not an error.
        let missing = bench
            .evaluate(&b, Fidelity::epochs(2), &mut rng)
            .unwrap()
            .observation;
        assert!(matches!(missing.outcome, Outcome::Failed(_)));
        assert_eq!(
            GroundTruth::metric(&bench, &a, "valid").unwrap(),
            Some(60.0)
        );
    }
}
