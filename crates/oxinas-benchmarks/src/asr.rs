//! NAS-Bench-ASR as a tabular benchmark, read from the release's pickle files.
//!
//! The data is published only as release assets of the NAS-Bench-ASR
//! repository, so it is not part of the team's data directory. Users put the
//! files in `$OXINAS_DATA/nasbench_asr/` under their release names:
//!
//! * `nb-asr-e{E}-{seed}.pickle`: training results, one file per seed, for
//!   models trained `E` epochs (40 is full training; 5 and 10 are reduced);
//! * `nb-asr-info.pickle` (optional): parameters and FLOPs.
//!
//! Each file holds two pickles: a header dictionary (`dataset_type`
//! `"training"` or `"static"`, `columns`, `version`, for training also
//! `seed` and `epochs`), then a list of rows whose first entry is the model
//! hash ([`oxinas_spaces::asr_model_hash`]). Training rows start with
//! `model_hash, val_per, test_per`: the validation phoneme error rate per
//! epoch and the test PER at the epoch of lowest validation PER. Static rows
//! start with `model_hash, params` (and `flops` from version 2).
//!
//! The optimizer sees the validation PER after the requested epoch (lower is
//! better) of one seed drawn with the evaluator's generator; the test PER is
//! reported only at the final fidelity, the only one it belongs to. The files
//! hold no training times: queries cost 0 s. This structure is taken from the
//! release's reader code; no release file was available to check it against,
//! so a row listing fewer epochs than the header is accepted and answers
//! later epochs with a failed observation rather than refusing the file.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};

use oxinas_core::{
    DataError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation,
    Outcome, RngCore, SearchSpace, data_root,
};
use oxinas_spaces::{AsrArch, AsrSpace, asr_model_hash};
use rand::Rng;
use serde_pickle::{DeOptions, Deserializer, HashableValue, Value};

/// The folder under the data directory where the release files go.
pub const ASR_DIR: &str = "nasbench_asr";

/// One model's training result for one seed.
#[derive(Clone, Debug, PartialEq)]
pub struct AsrRun {
    /// Validation phoneme error rate per epoch.
    pub val_per: Vec<f64>,
    /// Test PER at the epoch of lowest validation PER.
    pub test_per: f64,
}

/// Parameters and FLOPs of one model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AsrStatic {
    /// Parameters.
    pub params: f64,
    /// FLOPs, in files of version 2 and later.
    pub flops: Option<f64>,
}

/// The NAS-Bench-ASR tabular evaluator.
#[derive(Debug)]
pub struct AsrTabular {
    epochs: u32,
    seeds: Vec<i64>,
    runs: Vec<HashMap<String, AsrRun>>,
    statics: HashMap<String, AsrStatic>,
    files: Vec<PathBuf>,
}

fn dict_get<'a>(dict: &'a BTreeMap<HashableValue, Value>, key: &str) -> Option<&'a Value> {
    dict.get(&HashableValue::String(key.to_owned()))
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::F64(x) => Some(*x),
        Value::I64(x) => Some(*x as f64),
        _ => None,
    }
}

fn as_list(v: &Value) -> Option<&[Value]> {
    match v {
        Value::List(l) | Value::Tuple(l) => Some(l),
        _ => None,
    }
}

/// Reads the header and row pickles of one release file.
fn read_pickles(path: &Path) -> Result<(BTreeMap<HashableValue, Value>, Vec<Value>), DataError> {
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut de = Deserializer::new(file, DeOptions::new().replace_unresolved_globals());
    let header = de.deserialize_value().map_err(|e| {
        DataError::malformed(
            path,
            "pickle 1 (header)",
            format!("{e}; the file may be truncated"),
        )
    })?;
    let Value::Dict(header) = header else {
        return Err(DataError::malformed(
            path,
            "pickle 1 (header)",
            "a dictionary",
        ));
    };
    de.reset_memo();
    let rows = de.deserialize_value().map_err(|e| {
        DataError::malformed(
            path,
            "pickle 2 (rows)",
            format!("{e}; the file may be truncated"),
        )
    })?;
    let rows = match rows {
        Value::List(rows) | Value::Tuple(rows) => rows,
        _ => {
            return Err(DataError::malformed(
                path,
                "pickle 2 (rows)",
                "a list of rows",
            ));
        }
    };
    Ok((header, rows))
}

fn header_columns(
    path: &Path,
    header: &BTreeMap<HashableValue, Value>,
    kind: &str,
    leading: &[&str],
) -> Result<(), DataError> {
    match dict_get(header, "dataset_type") {
        Some(Value::String(t)) if t == kind => {}
        other => {
            return Err(DataError::malformed(
                path,
                "header, key `dataset_type`",
                format!("`{kind}`, found {other:?}"),
            ));
        }
    }
    let columns: Vec<&str> = dict_get(header, "columns")
        .and_then(as_list)
        .map(|l| {
            l.iter()
                .filter_map(|c| {
                    if let Value::String(s) = c {
                        Some(s.as_str())
                    } else {
                        None
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if columns.len() < leading.len() || columns[..leading.len()] != *leading {
        return Err(DataError::malformed(
            path,
            "header, key `columns`",
            format!("columns starting {leading:?}, found {columns:?}"),
        ));
    }
    Ok(())
}

fn header_int(
    path: &Path,
    header: &BTreeMap<HashableValue, Value>,
    key: &str,
) -> Result<i64, DataError> {
    match dict_get(header, key) {
        Some(Value::I64(x)) => Ok(*x),
        other => Err(DataError::malformed(
            path,
            format!("header, key `{key}`"),
            format!("an integer, found {other:?}"),
        )),
    }
}

fn row_hash(path: &Path, i: usize, row: &[Value]) -> Result<String, DataError> {
    match row.first() {
        Some(Value::String(h)) => Ok(h.clone()),
        Some(Value::Bytes(b)) => Ok(String::from_utf8_lossy(b).into_owned()),
        other => Err(DataError::malformed(
            path,
            format!("row {i}, column `model_hash`"),
            format!("a string, found {other:?}"),
        )),
    }
}

/// Reads one training file: its seed, epoch count and runs by model hash.
fn read_training(path: &Path) -> Result<(i64, u32, HashMap<String, AsrRun>), DataError> {
    let (header, rows) = read_pickles(path)?;
    header_columns(
        path,
        &header,
        "training",
        &["model_hash", "val_per", "test_per"],
    )?;
    let seed = header_int(path, &header, "seed")?;
    let epochs = u32::try_from(header_int(path, &header, "epochs")?)
        .ok()
        .filter(|e| (1..=10_000).contains(e))
        .ok_or_else(|| {
            DataError::malformed(path, "header, key `epochs`", "an epoch count in 1..=10000")
        })?;
    let mut runs = HashMap::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let row =
            as_list(row).ok_or_else(|| DataError::malformed(path, format!("row {i}"), "a list"))?;
        let hash = row_hash(path, i, row)?;
        let val_per = row
            .get(1)
            .and_then(as_list)
            .and_then(|l| l.iter().map(as_f64).collect::<Option<Vec<f64>>>())
            .filter(|l| !l.is_empty() && l.len() <= epochs as usize)
            .ok_or_else(|| {
                DataError::malformed(
                    path,
                    format!("row {i}, column `val_per`"),
                    format!("a list of 1 to {epochs} numbers"),
                )
            })?;
        let test_per = row.get(2).and_then(as_f64).ok_or_else(|| {
            DataError::malformed(path, format!("row {i}, column `test_per`"), "a number")
        })?;
        if runs.insert(hash, AsrRun { val_per, test_per }).is_some() {
            return Err(DataError::malformed(
                path,
                format!("row {i}, column `model_hash`"),
                "a model hash not seen in an earlier row",
            ));
        }
    }
    Ok((seed, epochs, runs))
}

impl AsrTabular {
    /// Loads the full-training files (40 epochs) from `$OXINAS_DATA/nasbench_asr`.
    pub fn load() -> Result<Self, DataError> {
        Self::from_folder(&data_root().join(ASR_DIR), 40)
    }

    /// Loads every `nb-asr-e{epochs}-{seed}.pickle` in `folder`, and
    /// `nb-asr-info.pickle` when present.
    pub fn from_folder(folder: &Path, epochs: u32) -> Result<Self, DataError> {
        let listing = std::fs::read_dir(folder).map_err(|e| DataError::io(folder, e))?;
        let prefix = format!("nb-asr-e{epochs}-");
        let mut files: Vec<PathBuf> = listing
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_prefix(&prefix)?.strip_suffix(".pickle"))
                    .is_some_and(|seed| {
                        !seed.is_empty() && seed.bytes().all(|b| b.is_ascii_digit())
                    })
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(DataError::malformed(
                folder,
                "folder",
                format!(
                    "no training file `{prefix}<seed>.pickle`; put the NAS-Bench-ASR release files here"
                ),
            ));
        }
        let mut seeds = Vec::new();
        let mut runs = Vec::new();
        for file in &files {
            let (seed, file_epochs, table) = read_training(file)?;
            if file_epochs != epochs {
                return Err(DataError::malformed(
                    file,
                    "header, key `epochs`",
                    format!("{epochs} as the file name says, found {file_epochs}"),
                ));
            }
            if let Some(first) = runs.first().map(|t: &HashMap<String, AsrRun>| t.len())
                && first != table.len()
            {
                return Err(DataError::malformed(
                    file,
                    "pickle 2 (rows)",
                    format!(
                        "{first} models as in {}, found {}",
                        files[0].display(),
                        table.len()
                    ),
                ));
            }
            seeds.push(seed);
            runs.push(table);
        }
        let info = folder.join("nb-asr-info.pickle");
        let mut statics = HashMap::new();
        if info.exists() {
            let (header, rows) = read_pickles(&info)?;
            header_columns(&info, &header, "static", &["model_hash", "params"])?;
            for (i, row) in rows.iter().enumerate() {
                let row = as_list(row)
                    .ok_or_else(|| DataError::malformed(&info, format!("row {i}"), "a list"))?;
                let hash = row_hash(&info, i, row)?;
                let params = row.get(1).and_then(as_f64).ok_or_else(|| {
                    DataError::malformed(&info, format!("row {i}, column `params`"), "a number")
                })?;
                let flops = row.get(2).and_then(as_f64);
                statics.insert(hash, AsrStatic { params, flops });
            }
            files.push(info);
        }
        Ok(Self {
            epochs,
            seeds,
            runs,
            statics,
            files,
        })
    }

    /// The training seeds, in the order of their files.
    pub fn seeds(&self) -> &[i64] {
        &self.seeds
    }

    /// The files read.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// The run of `arch` for the seed at `seed_index`.
    pub fn run(&self, arch: &AsrArch, seed_index: usize) -> Option<&AsrRun> {
        self.runs.get(seed_index)?.get(&asr_model_hash(arch))
    }

    /// Parameters and FLOPs of `arch`, when `nb-asr-info.pickle` was present.
    pub fn static_info(&self, arch: &AsrArch) -> Option<AsrStatic> {
        self.statics.get(&asr_model_hash(arch)).copied()
    }
}

impl Evaluator<AsrArch> for AsrTabular {
    fn name(&self) -> String {
        format!("nas-bench-asr/timit-e{}", self.epochs)
    }

    fn metric(&self) -> &str {
        "valid_per"
    }

    fn goal(&self) -> Goal {
        Goal::Minimize
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        (1..=self.epochs).map(Fidelity::epochs).collect()
    }

    fn evaluate(
        &self,
        arch: &AsrArch,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let epoch = fidelity.get_epochs();
        if !(1..=self.epochs).contains(&epoch) {
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: self.name(),
                fidelity,
                available: format!("1..={} epochs", self.epochs),
            });
        }
        let seed = if self.runs.len() > 1 {
            rng.random_range(0..self.runs.len())
        } else {
            0
        };
        let run = self
            .run(arch, seed)
            .ok_or_else(|| EvaluationError::UnknownArch {
                benchmark: self.name(),
                arch: AsrSpace::new().format(arch),
            })?;
        // A run whose list stops early (a file layout we could not check
        // against the release) is a failed observation past its last epoch.
        let Some(&value) = run.val_per.get(epoch as usize - 1) else {
            let observation = Observation {
                outcome: Outcome::Failed(format!(
                    "the file has validation PER for {} epochs only",
                    run.val_per.len()
                )),
                validation: None,
                goal: Goal::Minimize,
                cost_seconds: 0.0,
                params: self.static_info(arch).map(|s| s.params),
                latency_seconds: None,
                learning_curve: Some(run.val_per.clone()),
            };
            return Ok(Evaluation {
                observation,
                test: None,
            });
        };
        let mut observation = Observation::ok(value, Goal::Minimize, 0.0);
        observation.params = self.static_info(arch).map(|s| s.params);
        observation.learning_curve = Some(run.val_per[..epoch as usize].to_vec());
        let test = (epoch == self.epochs).then_some(run.test_per);
        Ok(Evaluation { observation, test })
    }
}

impl GroundTruth<AsrArch> for AsrTabular {
    fn metrics(&self) -> Vec<(String, String)> {
        vec![
            (
                "test_per".to_owned(),
                "test PER at the epoch of lowest validation PER, mean over seeds".to_owned(),
            ),
            (
                "best_valid_per".to_owned(),
                "lowest validation PER over the epochs, mean over seeds".to_owned(),
            ),
            (
                "params".to_owned(),
                "parameters (needs nb-asr-info.pickle)".to_owned(),
            ),
            (
                "flops".to_owned(),
                "FLOPs (needs nb-asr-info.pickle, version 2)".to_owned(),
            ),
        ]
    }

    fn metric(&self, arch: &AsrArch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let mean = |f: &dyn Fn(&AsrRun) -> f64| {
            let values: Vec<f64> = (0..self.runs.len())
                .filter_map(|s| self.run(arch, s))
                .map(f)
                .collect();
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        match metric {
            "test_per" => Ok(mean(&|r| r.test_per)),
            "best_valid_per" => Ok(mean(&|r| {
                r.val_per.iter().copied().fold(f64::INFINITY, f64::min)
            })),
            "params" => Ok(self.static_info(arch).map(|s| s.params)),
            "flops" => Ok(self.static_info(arch).and_then(|s| s.flops)),
            _ => Err(EvaluationError::UnknownMetric {
                benchmark: self.name(),
                metric: metric.to_owned(),
                available: "test_per, best_valid_per, params, flops".to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::Enumerable;
    use oxinas_core::seed::rng_from_seed;
    use serde_pickle::SerOptions;

    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    fn header(kind: &str, extra: &[(&str, Value)], columns: &[&str]) -> Value {
        let mut d = BTreeMap::new();
        d.insert(HashableValue::String("dataset_type".into()), s(kind));
        d.insert(HashableValue::String("version".into()), Value::I64(2));
        d.insert(
            HashableValue::String("columns".into()),
            Value::List(columns.iter().map(|c| s(c)).collect()),
        );
        for (k, v) in extra {
            d.insert(HashableValue::String((*k).into()), v.clone());
        }
        Value::Dict(d)
    }

    /// A training file in the release's structure: header, then rows
    /// `[model_hash, val_per, test_per, arch_vec]`.
    fn training_file(archs: &[AsrArch], seed: i64, epochs: usize, offset: f64) -> Vec<u8> {
        let space = AsrSpace::new();
        let mut bytes = Vec::new();
        let h = header(
            "training",
            &[
                ("seed", Value::I64(seed)),
                ("epochs", Value::I64(epochs as i64)),
            ],
            &["model_hash", "val_per", "test_per", "arch_vec"],
        );
        serde_pickle::value_to_writer(&mut bytes, &h, SerOptions::new()).unwrap();
        let rows = archs
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let val: Vec<Value> = (0..epochs)
                    .map(|e| Value::F64(0.5 - 0.01 * e as f64 + offset + i as f64 * 0.001))
                    .collect();
                Value::List(vec![
                    s(&space.canonical(a)),
                    Value::List(val),
                    Value::F64(0.2 + offset + i as f64 * 0.001),
                    s(&space.format(a)),
                ])
            })
            .collect();
        serde_pickle::value_to_writer(&mut bytes, &Value::List(rows), SerOptions::new()).unwrap();
        bytes
    }

    #[test]
    fn release_structured_files_load_and_answer_queries() {
        let dir = tempfile::tempdir().unwrap();
        let space = AsrSpace::new();
        let mut archs: Vec<AsrArch> = space.enumerate().step_by(997).collect();
        // A cell whose zero op makes other cells equivalent to it.
        archs.insert(0, space.parse("[[5, 0], [0, 0, 0], [3, 0, 0, 0]]").unwrap());
        // Release rows are unique by model hash.
        let mut hashes = std::collections::HashSet::new();
        archs.retain(|a| hashes.insert(space.canonical(a)));
        std::fs::write(
            dir.path().join("nb-asr-e5-1234.pickle"),
            training_file(&archs, 1234, 5, 0.0),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("nb-asr-e5-4321.pickle"),
            training_file(&archs, 4321, 5, 0.1),
        )
        .unwrap();
        // A file of another budget is ignored.
        std::fs::write(dir.path().join("nb-asr-e10-1234.pickle"), b"not read").unwrap();
        let mut info = Vec::new();
        serde_pickle::value_to_writer(
            &mut info,
            &header("static", &[], &["model_hash", "params", "flops"]),
            SerOptions::new(),
        )
        .unwrap();
        let rows = archs
            .iter()
            .map(|a| {
                Value::List(vec![
                    s(&space.canonical(a)),
                    Value::I64(1000),
                    Value::I64(5000),
                ])
            })
            .collect();
        serde_pickle::value_to_writer(&mut info, &Value::List(rows), SerOptions::new()).unwrap();
        std::fs::write(dir.path().join("nb-asr-info.pickle"), info).unwrap();

        let bench = AsrTabular::from_folder(dir.path(), 5).unwrap();
        assert_eq!(bench.seeds(), &[1234, 4321]);
        let a = archs[4];
        let mut rng = rng_from_seed(0);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20 {
            let e = bench.evaluate(&a, Fidelity::epochs(5), &mut rng).unwrap();
            let v = e.observation.validation.unwrap();
            seen.insert((v * 1e6).round() as i64);
            assert_eq!(e.observation.params, Some(1000.0));
            assert_eq!(e.observation.learning_curve.as_ref().unwrap().len(), 5);
            assert!(e.test.is_some());
        }
        assert_eq!(seen.len(), 2, "both seeds drawn");
        let early = bench.evaluate(&a, Fidelity::epochs(2), &mut rng).unwrap();
        assert_eq!(early.test, None);
        assert!(bench.evaluate(&a, Fidelity::epochs(6), &mut rng).is_err());
        let test = GroundTruth::metric(&bench, &a, "test_per")
            .unwrap()
            .unwrap();
        // Row 4, mean over the seed offsets 0 and 0.1.
        assert!((test - (0.2 + 0.05 + 0.004)).abs() < 1e-12, "{test}");
        assert_eq!(
            GroundTruth::metric(&bench, &a, "flops").unwrap(),
            Some(5000.0)
        );
        // An isomorphic spelling finds the same record; an absent model is unknown.
        let known: std::collections::HashSet<String> =
            archs.iter().map(|a| space.canonical(a)).collect();
        let twin = space.parse("[[5, 0], [1, 0, 0], [4, 0, 0, 0]]").unwrap();
        assert_eq!(bench.run(&twin, 0), bench.run(&archs[0], 0));
        assert!(bench.run(&twin, 0).is_some());
        let absent = space
            .enumerate()
            .find(|b| !known.contains(&space.canonical(b)))
            .unwrap();
        assert!(matches!(
            bench.evaluate(&absent, Fidelity::epochs(5), &mut rng),
            Err(EvaluationError::UnknownArch { .. })
        ));
    }

    #[test]
    fn bad_files_name_file_and_place() {
        let dir = tempfile::tempdir().unwrap();
        let space = AsrSpace::new();
        let archs: Vec<AsrArch> = space.enumerate().take(3).collect();
        let good = training_file(&archs, 7, 4, 0.0);

        let cut_dir = dir.path().join("cut");
        std::fs::create_dir(&cut_dir).unwrap();
        std::fs::write(
            cut_dir.join("nb-asr-e4-7.pickle"),
            &good[..good.len() * 2 / 3],
        )
        .unwrap();
        let message = AsrTabular::from_folder(&cut_dir, 4)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("nb-asr-e4-7.pickle") && message.contains("pickle 2 (rows)"),
            "{message}"
        );

        // One corrupted field: a test PER written as a string in row 1.
        let mut bytes = Vec::new();
        let h = header(
            "training",
            &[("seed", Value::I64(7)), ("epochs", Value::I64(4))],
            &["model_hash", "val_per", "test_per"],
        );
        serde_pickle::value_to_writer(&mut bytes, &h, SerOptions::new()).unwrap();
        let rows: Vec<Value> = archs
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let test = if i == 1 { s("n/a") } else { Value::F64(0.2) };
                Value::List(vec![
                    s(&space.canonical(a)),
                    Value::List(vec![Value::F64(0.3); 4]),
                    test,
                ])
            })
            .collect();
        serde_pickle::value_to_writer(&mut bytes, &Value::List(rows), SerOptions::new()).unwrap();
        let bad_dir = dir.path().join("bad");
        std::fs::create_dir(&bad_dir).unwrap();
        std::fs::write(bad_dir.join("nb-asr-e4-7.pickle"), bytes).unwrap();
        let message = AsrTabular::from_folder(&bad_dir, 4)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("nb-asr-e4-7.pickle") && message.contains("row 1, column `test_per`"),
            "{message}"
        );

        // A row with fewer epochs than the header loads; later epochs are failed observations.
        let mut bytes = Vec::new();
        let h = header(
            "training",
            &[("seed", Value::I64(7)), ("epochs", Value::I64(4))],
            &["model_hash", "val_per", "test_per"],
        );
        serde_pickle::value_to_writer(&mut bytes, &h, SerOptions::new()).unwrap();
        let rows = vec![Value::List(vec![
            s(&space.canonical(&archs[0])),
            Value::List(vec![Value::F64(0.3); 2]),
            Value::F64(0.2),
        ])];
        serde_pickle::value_to_writer(&mut bytes, &Value::List(rows), SerOptions::new()).unwrap();
        let short_dir = dir.path().join("short");
        std::fs::create_dir(&short_dir).unwrap();
        std::fs::write(short_dir.join("nb-asr-e4-7.pickle"), bytes).unwrap();
        let short = AsrTabular::from_folder(&short_dir, 4).unwrap();
        let mut rng = rng_from_seed(0);
        let e = short
            .evaluate(&archs[0], Fidelity::epochs(2), &mut rng)
            .unwrap();
        assert_eq!(e.observation.validation, Some(0.3));
        let e = short
            .evaluate(&archs[0], Fidelity::epochs(4), &mut rng)
            .unwrap();
        assert!(matches!(e.observation.outcome, Outcome::Failed(_)));
        assert_eq!((e.observation.validation, e.test), (None, None));

        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        let message = AsrTabular::from_folder(&empty, 40).unwrap_err().to_string();
        assert!(message.contains("nb-asr-e40-<seed>.pickle"), "{message}");
    }
}
