//! TransNAS-Bench-101 subsets as tabular benchmarks: the NASLib
//! "zero-cost" files `transnas_bench_101/zc_transbench101_{micro,macro}.json`,
//! which record, for 711 micro cells and 725 macro networks (662 for the two
//! classification tasks), the final validation metric of each of the seven
//! tasks with parameters and FLOPs.
//!
//! Keys are NASLib op tuples: micro `(a, b, c, d, e, f)` is the arch string
//! `64-41414-a_bc_def`; macro `(c1, .., c6)` lists the stage codes padded
//! with zeros, i.e. `64-<non-zero codes>-basic`.
//!
//! Task metrics and directions: `class_scene`, `class_object` top-1 accuracy
//! (%), `jigsaw` accuracy (%), `segmentsemantic` pixel accuracy (%),
//! `autoencoder` and `normal` SSIM (all maximised); `room_layout` is stored as
//! the negated L2 loss and is exposed here as the L2 loss, minimised.
//! The files carry one value per architecture and task, the final epoch's;
//! the only fidelity is therefore [`TRANSNAS_FINAL`], and there is no test
//! metric and no training time (queries cost 0 s; budget by queries).

use std::collections::HashMap;
use std::hash::Hash;
use std::path::{Path, PathBuf};

use oxinas_core::{
    DataError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation,
    RngCore, SearchSpace, data_root,
};
use oxinas_spaces::{
    SubsetSpace, TransNasMacroArch, TransNasMacroSpace, TransNasMicroArch, TransNasMicroSpace,
};
use serde_json::Value;

/// The one fidelity of the subsets: the final epoch of each task's training
/// (the files do not say how many epochs that was, hence the marker value 0).
pub const TRANSNAS_FINAL: Fidelity = Fidelity::epochs(0);

/// Micro subset file under the data directory.
pub const TRANSNAS_MICRO_FILE: &str = "transnas_bench_101/zc_transbench101_micro.json";
/// Macro subset file under the data directory.
pub const TRANSNAS_MACRO_FILE: &str = "transnas_bench_101/zc_transbench101_macro.json";

/// The seven tasks of TransNAS-Bench-101.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransNasTask {
    /// Scene classification (top-1 %).
    ClassScene,
    /// Object classification (top-1 %).
    ClassObject,
    /// Jigsaw puzzle (accuracy %).
    Jigsaw,
    /// Room layout regression (L2 loss).
    RoomLayout,
    /// Semantic segmentation (pixel accuracy %).
    SegmentSemantic,
    /// Surface normals (SSIM).
    Normal,
    /// Autoencoding (SSIM).
    Autoencoder,
}

impl TransNasTask {
    /// All tasks.
    pub const ALL: [TransNasTask; 7] = [
        TransNasTask::ClassScene,
        TransNasTask::ClassObject,
        TransNasTask::Jigsaw,
        TransNasTask::RoomLayout,
        TransNasTask::SegmentSemantic,
        TransNasTask::Normal,
        TransNasTask::Autoencoder,
    ];

    /// The task's key in the files.
    pub fn name(self) -> &'static str {
        match self {
            TransNasTask::ClassScene => "class_scene",
            TransNasTask::ClassObject => "class_object",
            TransNasTask::Jigsaw => "jigsaw",
            TransNasTask::RoomLayout => "room_layout",
            TransNasTask::SegmentSemantic => "segmentsemantic",
            TransNasTask::Normal => "normal",
            TransNasTask::Autoencoder => "autoencoder",
        }
    }

    /// The task called `name` in the files.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The validation metric's name.
    pub fn metric(self) -> &'static str {
        match self {
            TransNasTask::ClassScene | TransNasTask::ClassObject => "valid_top1",
            TransNasTask::Jigsaw => "valid_acc",
            TransNasTask::RoomLayout => "valid_l2_loss",
            TransNasTask::SegmentSemantic => "valid_pixel_acc",
            TransNasTask::Normal | TransNasTask::Autoencoder => "valid_ssim",
        }
    }

    /// Whether the metric is maximised or minimised.
    pub fn goal(self) -> Goal {
        match self {
            TransNasTask::RoomLayout => Goal::Minimize,
            _ => Goal::Maximize,
        }
    }

    /// The metric from the stored value (room layout is stored negated).
    fn metric_of_stored(self, value: f64) -> f64 {
        match self {
            TransNasTask::RoomLayout => -value,
            _ => value,
        }
    }
}

/// One architecture's record for one task.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TransNasRecord {
    /// The task metric (see [`TransNasTask::metric`]).
    pub metric: f64,
    /// Parameters, in millions, as NASLib stores them.
    pub params_m: f64,
    /// FLOPs, in millions, as NASLib stores them.
    pub flops_m: f64,
}

/// One task of a TransNAS-Bench-101 subset as an evaluator over architectures `A`.
#[derive(Debug)]
pub struct TransNasSubset<A> {
    space_name: &'static str,
    task: TransNasTask,
    path: PathBuf,
    records: HashMap<A, TransNasRecord>,
}

/// The micro-space subset.
pub type TransNasMicroSubset = TransNasSubset<TransNasMicroArch>;
/// The macro-space subset.
pub type TransNasMacroSubset = TransNasSubset<TransNasMacroArch>;

fn tuple_digits(key: &str) -> Option<Vec<u8>> {
    key.strip_prefix('(')?
        .strip_suffix(')')?
        .split(',')
        .map(|d| d.trim().parse().ok())
        .collect()
}

impl TransNasSubset<TransNasMicroArch> {
    /// The recorded cells as a space (sorted, one per equivalence class).
    pub fn space(&self) -> SubsetSpace<TransNasMicroSpace> {
        let mut archs: Vec<TransNasMicroArch> = self.records.keys().copied().collect();
        archs.sort();
        SubsetSpace::new(TransNasMicroSpace::new(), archs)
            .unwrap_or_else(|| unreachable!("a loaded subset has records"))
    }

    /// Loads `task` of the micro subset from the data directory.
    pub fn load_micro(task: TransNasTask) -> Result<Self, DataError> {
        Self::micro_from_path(task, &data_root().join(TRANSNAS_MICRO_FILE))
    }

    /// Loads `task` of the micro subset from `path`.
    pub fn micro_from_path(task: TransNasTask, path: &Path) -> Result<Self, DataError> {
        let space = TransNasMicroSpace::new();
        load(space.name(), task, path, |key| {
            let d = tuple_digits(key)
                .filter(|d| d.len() == 6)
                .ok_or_else(|| "a tuple of 6 op codes like `(1, 0, 0, 2, 1, 0)`".to_owned())?;
            let text = format!(
                "64-41414-{}_{}{}_{}{}{}",
                d[0], d[1], d[2], d[3], d[4], d[5]
            );
            space.parse(&text).map_err(|e| e.expected)
        })
    }
}

impl TransNasSubset<TransNasMacroArch> {
    /// The recorded networks as a space (sorted).
    pub fn space(&self) -> SubsetSpace<TransNasMacroSpace> {
        let mut archs: Vec<TransNasMacroArch> = self.records.keys().copied().collect();
        archs.sort();
        SubsetSpace::new(TransNasMacroSpace::new(), archs)
            .unwrap_or_else(|| unreachable!("a loaded subset has records"))
    }

    /// Loads `task` of the macro subset from the data directory.
    pub fn load_macro(task: TransNasTask) -> Result<Self, DataError> {
        Self::macro_from_path(task, &data_root().join(TRANSNAS_MACRO_FILE))
    }

    /// Loads `task` of the macro subset from `path`.
    pub fn macro_from_path(task: TransNasTask, path: &Path) -> Result<Self, DataError> {
        let space = TransNasMacroSpace::new();
        load(space.name(), task, path, |key| {
            let d = tuple_digits(key).filter(|d| d.len() == 6).ok_or_else(|| {
                "a tuple of 6 stage codes padded with zeros like `(1, 2, 4, 2, 0, 0)`".to_owned()
            })?;
            let codes: Vec<u8> = d.iter().copied().filter(|&c| c != 0).collect();
            if d[codes.len()..].iter().any(|&c| c != 0) {
                return Err("zeros only as padding at the end".to_owned());
            }
            TransNasMacroArch::new(&codes)
        })
    }
}

fn load<A: Eq + Hash>(
    space_name: &'static str,
    task: TransNasTask,
    path: &Path,
    parse_key: impl Fn(&str) -> Result<A, String>,
) -> Result<TransNasSubset<A>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        DataError::malformed(
            path,
            format!("line {}, column {}", e.line(), e.column()),
            format!("invalid JSON ({e}); the file may be truncated"),
        )
    })?;
    let entries = value
        .get(task.name())
        .and_then(Value::as_object)
        .ok_or_else(|| {
            DataError::malformed(
                path,
                format!("task `{}`", task.name()),
                "an object keyed by arch tuples",
            )
        })?;
    if entries.is_empty() {
        return Err(DataError::malformed(
            path,
            format!("task `{}`", task.name()),
            "at least one architecture",
        ));
    }
    let mut records = HashMap::with_capacity(entries.len());
    for (key, entry) in entries {
        let at = |field: &str| format!("task `{}`, key `{key}`{field}", task.name());
        let arch = parse_key(key).map_err(|e| DataError::malformed(path, at(""), e))?;
        let number = |field: &str, v: Option<&Value>| {
            v.and_then(Value::as_f64)
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    DataError::malformed(
                        path,
                        at(&format!(", field `{field}`")),
                        format!(
                            "a finite number, found {}",
                            v.map_or("nothing".to_owned(), Value::to_string)
                        ),
                    )
                })
        };
        let record = TransNasRecord {
            metric: task.metric_of_stored(number("val_accuracy", entry.get("val_accuracy"))?),
            params_m: number(
                "params.score",
                entry.get("params").and_then(|p| p.get("score")),
            )?,
            flops_m: number(
                "flops.score",
                entry.get("flops").and_then(|p| p.get("score")),
            )?,
        };
        if records.insert(arch, record).is_some() {
            return Err(DataError::malformed(
                path,
                at(""),
                "the same architecture appears twice",
            ));
        }
    }
    Ok(TransNasSubset {
        space_name,
        task,
        path: path.to_owned(),
        records,
    })
}

impl<A: Eq + Hash> TransNasSubset<A> {
    /// The task.
    pub fn task(&self) -> TransNasTask {
        self.task
    }

    /// The file the data came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The recorded architectures and their records.
    pub fn records(&self) -> &HashMap<A, TransNasRecord> {
        &self.records
    }
}

impl<A: Eq + Hash + Send + Sync + std::fmt::Debug> Evaluator<A> for TransNasSubset<A> {
    fn name(&self) -> String {
        format!("{}/{}", self.space_name, self.task.name())
    }

    fn metric(&self) -> &str {
        self.task.metric()
    }

    fn goal(&self) -> Goal {
        self.task.goal()
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        vec![TRANSNAS_FINAL]
    }

    fn evaluate(
        &self,
        arch: &A,
        fidelity: Fidelity,
        _rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        if fidelity != TRANSNAS_FINAL {
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: Evaluator::name(self),
                fidelity,
                available: "the final epoch only (Fidelity::epochs(0))".to_owned(),
            });
        }
        let record = self
            .records
            .get(arch)
            .ok_or_else(|| EvaluationError::UnknownArch {
                benchmark: Evaluator::name(self),
                arch: format!("{arch:?}"),
            })?;
        let mut observation = Observation::ok(record.metric, self.task.goal(), 0.0);
        observation.params = Some(record.params_m * 1e6);
        Ok(Evaluation {
            observation,
            test: None,
        })
    }
}

impl<A: Eq + Hash + Send + Sync + std::fmt::Debug> GroundTruth<A> for TransNasSubset<A> {
    fn metrics(&self) -> Vec<(String, String)> {
        vec![
            (
                self.task.metric().to_owned(),
                "the task's final validation metric".to_owned(),
            ),
            ("params_m".to_owned(), "parameters in millions".to_owned()),
            ("flops_m".to_owned(), "FLOPs in millions".to_owned()),
        ]
    }

    fn metric(&self, arch: &A, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let Some(record) = self.records.get(arch) else {
            return Ok(None);
        };
        match metric {
            "params_m" => Ok(Some(record.params_m)),
            "flops_m" => Ok(Some(record.flops_m)),
            m if m == self.task.metric() => Ok(Some(record.metric)),
            _ => Err(EvaluationError::UnknownMetric {
                benchmark: Evaluator::name(self),
                metric: metric.to_owned(),
                available: format!("{}, params_m, flops_m", self.task.metric()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;
    use oxinas_testkit::data_file;

    use super::*;

    #[test]
    fn every_key_of_both_files_parses_for_every_task() {
        let (Some(micro), Some(macro_)) = (
            data_file(TRANSNAS_MICRO_FILE),
            data_file(TRANSNAS_MACRO_FILE),
        ) else {
            return;
        };
        for task in TransNasTask::ALL {
            let m = TransNasSubset::micro_from_path(task, &micro).unwrap();
            assert_eq!(m.records().len(), 711, "{task:?}");
            let classification =
                matches!(task, TransNasTask::ClassScene | TransNasTask::ClassObject);
            let n = TransNasSubset::macro_from_path(task, &macro_).unwrap();
            assert_eq!(
                n.records().len(),
                if classification { 662 } else { 725 },
                "{task:?}"
            );
            // Room layout is a loss: positive after un-negating, and minimised.
            if task == TransNasTask::RoomLayout {
                assert!(m.records().values().all(|r| r.metric > 0.0));
                assert_eq!(Evaluator::goal(&m), Goal::Minimize);
            }
        }
        let jigsaw = TransNasSubset::micro_from_path(TransNasTask::Jigsaw, &micro).unwrap();
        let space = jigsaw.space();
        let mut rng = rng_from_seed(2);
        let mut arch = space.sample(&mut rng);
        for _ in 0..50 {
            assert!(jigsaw.evaluate(&arch, TRANSNAS_FINAL, &mut rng).is_ok());
            arch = space.mutate(&arch, &mut rng);
        }
        let scene = TransNasSubset::macro_from_path(TransNasTask::ClassScene, &macro_).unwrap();
        assert_eq!(scene.space().len(), 662);
        let arch = TransNasMacroSpace::new().parse("64-1242-basic").unwrap();
        let e = scene
            .evaluate(&arch, TRANSNAS_FINAL, &mut rng_from_seed(0))
            .unwrap();
        assert_eq!(e.observation.validation, Some(54.29438781738281));
        assert!(
            scene
                .evaluate(&arch, Fidelity::epochs(5), &mut rng_from_seed(0))
                .is_err()
        );
    }

    #[test]
    fn bad_files_name_file_and_place() {
        let dir = tempfile::tempdir().unwrap();
        let good = r#"{"jigsaw": {"(1, 0, 0, 2, 1, 0)": {"val_accuracy": 90.0, "params": {"score": 1.0}, "flops": {"score": 2.0}}}}"#;
        let path = dir.path().join("micro.json");
        std::fs::write(&path, good).unwrap();
        let bench = TransNasSubset::micro_from_path(TransNasTask::Jigsaw, &path).unwrap();
        let arch = TransNasMicroSpace::new()
            .parse("64-41414-1_00_210")
            .unwrap();
        assert_eq!(bench.records()[&arch].metric, 90.0);

        let cut = dir.path().join("cut.json");
        std::fs::write(&cut, &good[..good.len() - 20]).unwrap();
        let message = TransNasSubset::micro_from_path(TransNasTask::Jigsaw, &cut)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("cut.json") && message.contains("line 1, column"),
            "{message}"
        );

        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, good.replace("90.0", "\"x\"")).unwrap();
        let message = TransNasSubset::micro_from_path(TransNasTask::Jigsaw, &bad)
            .unwrap_err()
            .to_string();
        assert!(message.contains("bad.json"), "{message}");
        assert!(
            message.contains("task `jigsaw`, key `(1, 0, 0, 2, 1, 0)`, field `val_accuracy`"),
            "{message}"
        );

        let key = dir.path().join("key.json");
        std::fs::write(
            &key,
            good.replace("(1, 0, 0, 2, 1, 0)", "(1, 0, 0, 2, 1, 7)"),
        )
        .unwrap();
        let message = TransNasSubset::micro_from_path(TransNasTask::Jigsaw, &key)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("key `(1, 0, 0, 2, 1, 7)`") && message.contains("edge 5"),
            "{message}"
        );

        let message = TransNasSubset::macro_from_path(TransNasTask::Normal, &path)
            .unwrap_err()
            .to_string();
        assert!(message.contains("task `normal`"), "{message}");
    }
}
