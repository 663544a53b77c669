//! An [`Evaluator`] that trains NB201 cells on a NAS-Bench-360 task, and the
//! Wide ResNet baseline on the same data.

use std::path::PathBuf;
use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_core::{
    ConfigError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation,
    Outcome, RngCore,
};
use oxinas_nb360::{LoadOptions, MetricKind, Nb360Error, Nb360Task, TaskData, UnknownTask};
use oxinas_spaces::Nb201Arch;

use crate::backend::CpuTrainBackend;
use crate::param_count::trainable_params;
use crate::reference_metric::parse_reference_metric;
use crate::task_cell_network::{TaskCellConfig, TaskCellNetwork};
use crate::task_model::TaskShape;
use crate::task_training::{
    TaskEpochReport, TaskSplitKind, TaskTrainError, TaskTrainReport, TaskTrainSettings,
    evaluate_task_model, train_task_model,
};
use crate::task_wide_resnet::{TaskWideResNet, WideResNetConfig};
use crate::train_settings::OptimizerSettings;

/// Settings of an [`Nb360Evaluator`], as they appear in an experiment file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nb360EvaluatorSettings {
    /// The task's key (`ecg`, `darcy-flow`, `cifar100`, ...).
    pub task: String,
    /// Directory of the task's published files (default:
    /// `$OXINAS_DATA/nb360/<task>`).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Keep at most this many samples per split (the first ones); all when absent.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Stem channels `C` of the cell network.
    pub channels: usize,
    /// Cells per stage `N` (dense tasks stack `3N` cells).
    pub cells_per_stage: usize,
    /// Epochs at the highest fidelity.
    pub epochs: u32,
    /// Samples per step.
    pub batch_size: usize,
    /// Peak learning rate (Nesterov SGD, cosine schedule).
    pub lr: f64,
    /// Seed of the data loading and of the reference runs behind
    /// [`GroundTruth`]; each evaluation's training seed comes from its `rng`.
    pub seed: u64,
}

impl Nb360EvaluatorSettings {
    /// The task named by `task`.
    pub fn task(&self) -> Result<Nb360Task, UnknownTask> {
        self.task.parse()
    }

    /// The data directory: `data_dir`, or the task's default under `$OXINAS_DATA`.
    pub fn data_dir(&self) -> Result<PathBuf, UnknownTask> {
        Ok(match &self.data_dir {
            Some(dir) => dir.clone(),
            None => oxinas_nb360::default_task_dir(self.task()?),
        })
    }

    /// Checks every setting, naming the first that is out of range.
    pub fn validate(&self) -> Result<(), Nb360EvaluatorError> {
        self.task()?;
        for (field, value) in [
            ("channels", self.channels),
            ("cells_per_stage", self.cells_per_stage),
            ("epochs", self.epochs as usize),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1").into());
            }
        }
        if self.limit == Some(0) {
            return Err(ConfigError::new("limit", "at least 1 when given").into());
        }
        self.train_settings(1, 0).validate()?;
        Ok(())
    }

    /// The training recipe for `epochs` epochs and shuffling seed `seed`:
    /// the benchmark's (Nesterov SGD, momentum 0.9, weight decay 5e-4, cosine
    /// to 0) with the configured batch size and learning rate, gradients
    /// clipped to norm 5.
    pub fn train_settings(&self, epochs: usize, seed: u64) -> TaskTrainSettings {
        TaskTrainSettings {
            epochs,
            batch_size: self.batch_size,
            optimizer: OptimizerSettings::NB201,
            lr: self.lr,
            min_lr: 0.0,
            warmup_epochs: 0,
            grad_clip_norm: Some(5.0),
            eval_batch_size: self.batch_size.max(64),
            seed,
        }
    }
}

/// Why an [`Nb360Evaluator`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Nb360EvaluatorError {
    /// The task is not one of the ten.
    #[error(transparent)]
    UnknownTask(#[from] UnknownTask),
    /// A setting is out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The task's data could not be loaded.
    #[error(transparent)]
    Data(#[from] Nb360Error),
}

/// An identifier-like name of a task metric (`error_pct`, `one_minus_f1`, ...),
/// the suffix of the evaluator's metric names.
pub fn metric_key(kind: MetricKind) -> &'static str {
    match kind {
        MetricKind::ErrorPercent => "error_pct",
        MetricKind::OneMinusMap => "one_minus_map",
        MetricKind::RelativeL2 => "rel_l2",
        MetricKind::Mae8 => "mae8",
        MetricKind::FalseNegativePercent => "fnr_pct",
        MetricKind::OneMinusF1 => "one_minus_f1",
        MetricKind::OneMinusAuroc => "one_minus_auroc",
    }
}

/// A trained Wide ResNet baseline's scores.
#[derive(Clone, Debug, PartialEq)]
pub struct WideResNetBaseline {
    /// The training run (validation only).
    pub report: TaskTrainReport,
    /// Trainable parameters.
    pub params: usize,
    /// The task's metric on the test split.
    pub test_metric: f64,
}

/// Trains the Wide ResNet `config` on `data` (built for the data's input
/// shape, weights drawn from `init_seed`) and scores it on the test split.
pub fn train_wide_resnet<B: AutodiffBackend>(
    config: &WideResNetConfig,
    data: &TaskData,
    settings: &TaskTrainSettings,
    init_seed: u64,
    device: &B::Device,
    progress: &mut dyn FnMut(&TaskEpochReport),
) -> Result<WideResNetBaseline, TaskTrainError> {
    let shape = TaskShape::with_input(data.spec, data.train.input_shape)?;
    let network = TaskWideResNet::<B>::new(config, &shape, &mut rng_from_seed(init_seed), device)?;
    let params = trainable_params(&network);
    let (network, report) = train_task_model(network, data, settings, device, progress)?;
    let test_metric = evaluate_task_model(
        &network.valid(),
        data,
        TaskSplitKind::Test,
        settings.eval_batch_size,
        device,
    )?;
    Ok(WideResNetBaseline {
        report,
        params,
        test_metric,
    })
}

/// Checks that the three splits agree with each other and with the task:
/// one input shape (the published one or a smaller map), the task's target
/// length for that shape. Unlike [`TaskData::check`] this accepts inputs
/// smaller than the published ones, for quick runs.
fn check_shapes(data: &TaskData) -> Result<(), Nb360EvaluatorError> {
    let input_shape = data.train.input_shape;
    let shape = TaskShape::with_input(data.spec, input_shape)?;
    let target_len = match data.spec.family {
        oxinas_nb360::TaskFamily::Dense2d => shape.output_len,
        _ => data.spec.target_len(),
    };
    for (name, split) in [
        ("train", &data.train),
        ("valid", &data.valid),
        ("test", &data.test),
    ] {
        split.check(name)?;
        if split.input_shape != input_shape || split.target_len != target_len {
            return Err(ConfigError::new(
                name,
                format!(
                    "inputs {:?} with {} targets each, expected {input_shape:?} with {target_len}",
                    split.input_shape, split.target_len
                ),
            )
            .into());
        }
    }
    Ok(())
}

type ProgressFn = dyn Fn(&Nb201Arch, &TaskEpochReport) + Send + Sync;

/// Trains each NB201 cell in the task's skeleton ([`TaskCellNetwork`]) on
/// the task's training split and reports the task's metric on the
/// validation split (what optimizers see; lower is better), the test metric
/// for reports only, and the wall time as cost. Fidelity is the number of
/// epochs. The data is loaded once, when the evaluator is built.
pub struct Nb360Evaluator<B: AutodiffBackend = CpuTrainBackend> {
    settings: Nb360EvaluatorSettings,
    data: Arc<TaskData>,
    metric_name: String,
    device: B::Device,
    progress: Option<Box<ProgressFn>>,
}

impl Nb360Evaluator<CpuTrainBackend> {
    /// An evaluator on the default CPU backend.
    pub fn new(settings: Nb360EvaluatorSettings) -> Result<Self, Nb360EvaluatorError> {
        Self::with_device(settings, Default::default())
    }
}

impl<B: AutodiffBackend> Nb360Evaluator<B> {
    /// An evaluator training on `device`; loads the task's data now (from
    /// `data_dir`, keeping `limit` samples per split).
    pub fn with_device(
        settings: Nb360EvaluatorSettings,
        device: B::Device,
    ) -> Result<Self, Nb360EvaluatorError> {
        settings.validate()?;
        let options = LoadOptions {
            limit: settings.limit,
            seed: settings.seed,
        };
        let data = oxinas_nb360::load_task(settings.task()?, &settings.data_dir()?, &options)?;
        Self::with_data(settings, data, device)
    }

    /// An evaluator on data already in memory (generated or loaded elsewhere);
    /// the data must be the settings' task.
    pub fn with_data(
        settings: Nb360EvaluatorSettings,
        data: TaskData,
        device: B::Device,
    ) -> Result<Self, Nb360EvaluatorError> {
        settings.validate()?;
        let task = settings.task()?;
        if data.spec.task != task {
            return Err(ConfigError::new(
                "task",
                format!(
                    "the data is task {}, the settings name {task}",
                    data.spec.key
                ),
            )
            .into());
        }
        check_shapes(&data)?;
        let metric_name = format!("valid_{}", metric_key(data.spec.metric));
        let evaluator = Self {
            settings,
            data: Arc::new(data),
            metric_name,
            device,
            progress: None,
        };
        evaluator.shape()?;
        Ok(evaluator)
    }

    /// Calls `progress` after every epoch of every evaluation.
    pub fn with_progress(
        mut self,
        progress: impl Fn(&Nb201Arch, &TaskEpochReport) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The task's data.
    pub fn data(&self) -> &TaskData {
        &self.data
    }

    /// The cell network's size.
    pub fn network_config(&self) -> TaskCellConfig {
        TaskCellConfig {
            channels: self.settings.channels,
            cells_per_stage: self.settings.cells_per_stage,
        }
    }

    /// The shapes networks are built for (the loaded data's input shape).
    pub fn shape(&self) -> Result<TaskShape, ConfigError> {
        TaskShape::with_input(self.data.spec, self.data.train.input_shape)
    }

    /// Trains the Wide ResNet `config` on the evaluator's data for `epochs`
    /// epochs with the evaluator's recipe (weights and shuffling from
    /// `seed`), scoring it on the validation and test splits: the baseline
    /// row of a report.
    pub fn train_wrn(
        &self,
        config: &WideResNetConfig,
        epochs: usize,
        seed: u64,
        progress: &mut dyn FnMut(&TaskEpochReport),
    ) -> Result<WideResNetBaseline, TaskTrainError> {
        train_wide_resnet::<B>(
            config,
            &self.data,
            &self
                .settings
                .train_settings(epochs, derive_seed(seed, &[1])),
            derive_seed(seed, &[0]),
            &self.device,
            progress,
        )
    }

    /// The metric's name without the split prefix (`error_pct`, ...).
    fn metric_suffix(&self) -> &'static str {
        metric_key(self.data.spec.metric)
    }
}

impl<B: AutodiffBackend> Evaluator<Nb201Arch> for Nb360Evaluator<B> {
    fn name(&self) -> String {
        format!(
            "train-nb201-nb360-{}-C{}-N{}",
            self.data.spec.key, self.settings.channels, self.settings.cells_per_stage
        )
    }

    fn metric(&self) -> &str {
        &self.metric_name
    }

    fn goal(&self) -> Goal {
        Goal::Minimize
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        (1..=self.settings.epochs).map(Fidelity::epochs).collect()
    }

    fn evaluate(
        &self,
        arch: &Nb201Arch,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let epochs = fidelity.get_epochs();
        if epochs == 0 || epochs > self.settings.epochs {
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: self.name(),
                fidelity,
                available: format!("1 to {} epochs", self.settings.epochs),
            });
        }
        let other = |e: &dyn std::fmt::Display| EvaluationError::Other(e.to_string());
        let seed = rng.next_u64();
        let shape = self.shape().map_err(|e| other(&e))?;
        let network = TaskCellNetwork::<B>::new(
            &self.network_config(),
            arch,
            &shape,
            &mut rng_from_seed(derive_seed(seed, &[0])),
            &self.device,
        )
        .map_err(|e| other(&e))?;
        let params = trainable_params(&network) as f64;
        let mut progress = |report: &TaskEpochReport| {
            if let Some(callback) = &self.progress {
                callback(arch, report);
            }
        };
        let settings = self
            .settings
            .train_settings(epochs as usize, derive_seed(seed, &[1]));
        let start = std::time::Instant::now();
        let trained = train_task_model(network, &self.data, &settings, &self.device, &mut progress);
        let (network, report) = match trained {
            Ok(done) => done,
            Err(diverged @ TaskTrainError::NonFiniteLoss { .. }) => {
                let reason = diverged.to_string();
                let mut observation =
                    Observation::ok(f64::NAN, Goal::Minimize, start.elapsed().as_secs_f64());
                observation.outcome = Outcome::Failed(reason);
                observation.validation = None;
                observation.params = Some(params);
                return Ok(Evaluation {
                    observation,
                    test: None,
                });
            }
            Err(e) => return Err(other(&e)),
        };
        let test = evaluate_task_model(
            &network.valid(),
            &self.data,
            TaskSplitKind::Test,
            settings.eval_batch_size,
            &self.device,
        )
        .map_err(|e| other(&e))?;
        let mut observation =
            Observation::ok(report.valid_metric, Goal::Minimize, report.wall_seconds);
        observation.params = Some(params);
        observation.learning_curve = Some(report.epochs.iter().map(|e| e.valid_metric).collect());
        Ok(Evaluation {
            observation,
            test: Some(test),
        })
    }
}

/// Seed path of the reference retraining behind [`GroundTruth`].
const REFERENCE_RUN: u64 = 3;

/// After a search, reports retrain the returned cell once with a seed fixed
/// by the settings (not by the trial), so that every trial that returns the
/// same cell reports the same value. Metrics: `test_<m>@E` and `valid_<m>@E`
/// for `E` in `1..=epochs`, `<m>` the task's metric key ([`metric_key`]).
impl<B: AutodiffBackend> GroundTruth<Nb201Arch> for Nb360Evaluator<B> {
    fn metrics(&self) -> Vec<(String, String)> {
        let m = self.metric_suffix();
        let title = self.data.spec.metric.name();
        (1..=self.settings.epochs)
            .flat_map(|e| {
                [
                    (
                        format!("test_{m}@{e}"),
                        format!("test {title} after {e} epochs, one reference run"),
                    ),
                    (
                        format!("valid_{m}@{e}"),
                        format!("validation {title} after {e} epochs, one reference run"),
                    ),
                ]
            })
            .collect()
    }

    fn metric(&self, arch: &Nb201Arch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let m = self.metric_suffix();
        let parsed = parse_reference_metric(metric, m, self.settings.epochs);
        let Some((test, epochs)) = parsed else {
            return Err(EvaluationError::UnknownMetric {
                benchmark: self.name(),
                metric: metric.to_owned(),
                available: format!(
                    "test_{m}@E and valid_{m}@E for E in 1..={}",
                    self.settings.epochs
                ),
            });
        };
        let mut rng = rng_from_seed(derive_seed(self.settings.seed, &[REFERENCE_RUN]));
        let evaluation = self.evaluate(arch, Fidelity::epochs(epochs), &mut rng)?;
        Ok(if test {
            evaluation.test
        } else {
            evaluation.observation.validation
        })
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;

    use super::*;
    use crate::backend::CpuTrainBackend;
    use crate::task_training::tests::{dense_task, pattern_task};

    fn settings(task: &str) -> Nb360EvaluatorSettings {
        Nb360EvaluatorSettings {
            task: task.to_owned(),
            data_dir: None,
            limit: None,
            channels: 4,
            cells_per_stage: 1,
            epochs: 3,
            batch_size: 16,
            lr: 0.05,
            seed: 9,
        }
    }

    fn evaluator() -> Nb360Evaluator<CpuTrainBackend> {
        Nb360Evaluator::with_data(
            settings("satellite"),
            pattern_task(64, 2),
            Default::default(),
        )
        .unwrap()
    }

    #[test]
    fn evaluations_minimise_the_validation_metric_and_keep_test_apart() {
        let evaluator = evaluator();
        assert_eq!(Evaluator::metric(&evaluator), "valid_error_pct");
        assert_eq!(evaluator.goal(), Goal::Minimize);
        assert_eq!(evaluator.fidelities().len(), 3);
        let arch = Nb201Arch::from_op_digits("303130").unwrap();
        let a = evaluator
            .evaluate(&arch, Fidelity::epochs(3), &mut rng_from_seed(5))
            .unwrap();
        assert_eq!(a.observation.goal, Goal::Minimize);
        let curve = a.observation.learning_curve.clone().unwrap();
        assert_eq!(curve.len(), 3);
        assert_eq!(a.observation.validation, Some(curve[2]));
        assert!(a.observation.params.unwrap() > 0.0);
        assert!(a.test.is_some());
        // Same trial seed, same evaluation.
        let b = evaluator
            .evaluate(&arch, Fidelity::epochs(3), &mut rng_from_seed(5))
            .unwrap();
        assert_eq!(a.observation.learning_curve, b.observation.learning_curve);
        assert_eq!(a.test, b.test);
        let err = evaluator
            .evaluate(&arch, Fidelity::epochs(4), &mut rng_from_seed(5))
            .unwrap_err();
        assert!(matches!(err, EvaluationError::UnsupportedFidelity { .. }));
    }

    #[test]
    fn every_cell_runs_including_the_empty_one() {
        let evaluator = evaluator();
        let empty = Nb201Arch::from_op_digits("000000").unwrap();
        let e = evaluator
            .evaluate(&empty, Fidelity::epochs(1), &mut rng_from_seed(1))
            .unwrap();
        assert!(e.observation.validation.unwrap().is_finite());
    }

    #[test]
    fn ground_truth_names_and_answers_per_split_metrics() {
        let evaluator = evaluator();
        let names: Vec<String> = GroundTruth::metrics(&evaluator)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(names.contains(&"test_error_pct@3".to_owned()));
        assert!(names.contains(&"valid_error_pct@1".to_owned()));
        let arch = Nb201Arch::from_op_digits("303130").unwrap();
        let valid = GroundTruth::metric(&evaluator, &arch, "valid_error_pct@1").unwrap();
        let test = GroundTruth::metric(&evaluator, &arch, "test_error_pct@1").unwrap();
        let mut rng = rng_from_seed(derive_seed(9, &[REFERENCE_RUN]));
        let direct = evaluator
            .evaluate(&arch, Fidelity::epochs(1), &mut rng)
            .unwrap();
        assert_eq!(valid, direct.observation.validation);
        assert_eq!(test, direct.test);
        for bad in [
            "test_acc@1",
            "valid_error_pct@4",
            "error_pct@1",
            "valid_error_pct",
        ] {
            assert!(
                matches!(
                    GroundTruth::metric(&evaluator, &arch, bad),
                    Err(EvaluationError::UnknownMetric { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn settings_are_checked_by_name() {
        let err = Nb360Evaluator::<CpuTrainBackend>::with_data(
            settings("ECG"),
            pattern_task(8, 1),
            Default::default(),
        )
        .err()
        .unwrap();
        assert!(matches!(err, Nb360EvaluatorError::UnknownTask(_)), "{err}");
        type Edit = fn(&mut Nb360EvaluatorSettings);
        let edits: [(&str, Edit); 5] = [
            ("channels", |s| s.channels = 0),
            ("epochs", |s| s.epochs = 0),
            ("batch_size", |s| s.batch_size = 1),
            ("lr", |s| s.lr = -1.0),
            ("limit", |s| s.limit = Some(0)),
        ];
        for (field, edit) in edits {
            let mut s = settings("satellite");
            edit(&mut s);
            match s.validate() {
                Err(Nb360EvaluatorError::Config(e)) => assert_eq!(e.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        // Data of another task than the settings name.
        let err = Nb360Evaluator::<CpuTrainBackend>::with_data(
            settings("ecg"),
            pattern_task(8, 1),
            Default::default(),
        )
        .err()
        .unwrap();
        assert!(
            matches!(&err, Nb360EvaluatorError::Config(e) if e.field == "task"),
            "{err}"
        );
        let parsed: Nb360EvaluatorSettings = serde_json::from_str(
            r#"{"task": "ecg", "channels": 4, "cells_per_stage": 1, "epochs": 2,
                "batch_size": 8, "lr": 0.1, "seed": 1}"#,
        )
        .unwrap();
        assert_eq!(parsed.task().unwrap(), Nb360Task::Ecg);
        assert!(
            serde_json::from_str::<Nb360EvaluatorSettings>(
                r#"{"task": "ecg", "channels": 4, "cells_per_stage": 1, "epochs": 2,
                    "batch_size": 8, "lr": 0.1, "seed": 1, "colour": 3}"#
            )
            .is_err()
        );
    }

    #[test]
    fn the_wide_resnet_baseline_trains_on_small_dense_maps() {
        let data = dense_task(24, 5, 3);
        let evaluator = Nb360Evaluator::<CpuTrainBackend>::with_data(
            settings("darcy-flow"),
            data,
            Default::default(),
        )
        .unwrap();
        assert_eq!(Evaluator::metric(&evaluator), "valid_rel_l2");
        let config = WideResNetConfig {
            depth: 10,
            widen_factor: 1,
        };
        let baseline = evaluator
            .train_wrn(&config, 2, 4, &mut |_: &TaskEpochReport| {})
            .unwrap();
        let shape = evaluator.shape().unwrap();
        assert_eq!(baseline.params, config.params(&shape));
        assert_eq!(baseline.report.epochs.len(), 2);
        assert!(baseline.test_metric.is_finite() && baseline.test_metric > 0.0);
    }

    #[test]
    fn loads_a_task_in_its_published_layout_and_trains_cells_on_it() {
        // FSD50K: manifests, label map and WAV chunks as published, turned
        // into log-mel inputs by the loader; clips aggregate their chunks.
        let dir = tempfile::tempdir().unwrap();
        oxinas_nb360::fsd50k::write_fixture(dir.path(), 12, 3).unwrap();
        let with_dir = Nb360EvaluatorSettings {
            data_dir: Some(dir.path().to_owned()),
            epochs: 2,
            batch_size: 6,
            ..settings("fsd50k")
        };
        let evaluator =
            Nb360Evaluator::<CpuTrainBackend>::with_device(with_dir, Default::default()).unwrap();
        assert_eq!(evaluator.data().train.len(), 12);
        assert_eq!(Evaluator::metric(&evaluator), "valid_one_minus_map");
        let arch = Nb201Arch::from_op_digits("303130").unwrap();
        let e = evaluator
            .evaluate(&arch, Fidelity::epochs(2), &mut rng_from_seed(1))
            .unwrap();
        let valid = e.observation.validation.unwrap();
        assert!((0.0..=1.0).contains(&valid), "{valid}");
        assert!(e.test.is_some_and(|t| (0.0..=1.0).contains(&t)));
        // A missing directory is a data error naming the task's files.
        let missing = Nb360EvaluatorSettings {
            data_dir: Some(dir.path().join("absent")),
            ..settings("fsd50k")
        };
        let Err(err) = Nb360Evaluator::<CpuTrainBackend>::with_device(missing, Default::default())
        else {
            panic!("a missing data directory must be an error");
        };
        assert!(matches!(err, Nb360EvaluatorError::Data(_)), "{err}");
    }

    #[test]
    fn cells_learn_the_published_satellite_layout_and_ecg_scores_by_record() {
        let dir = tempfile::tempdir().unwrap();
        let satellite_dir = dir.path().join("satellite");
        oxinas_nb360::satellite::write_fixture(&satellite_dir, 96, 1).unwrap();
        let satellite = Nb360EvaluatorSettings {
            data_dir: Some(satellite_dir),
            limit: Some(96),
            epochs: 10,
            batch_size: 16,
            lr: 0.1,
            ..settings("satellite")
        };
        let evaluator =
            Nb360Evaluator::<CpuTrainBackend>::with_device(satellite.clone(), Default::default())
                .unwrap();
        let arch = Nb201Arch::from_op_digits("303130").unwrap();
        let network = TaskCellNetwork::<CpuTrainBackend>::new(
            &evaluator.network_config(),
            &arch,
            &evaluator.shape().unwrap(),
            &mut rng_from_seed(2),
            &Default::default(),
        )
        .unwrap();
        let (_, report) = train_task_model(
            network,
            evaluator.data(),
            &satellite.train_settings(10, 3),
            &Default::default(),
            &mut |_: &TaskEpochReport| {},
        )
        .unwrap();
        let first = report.epochs[0].train_loss;
        let last = report.epochs[9].train_loss;
        assert!(last < 0.8 * first, "train loss {first} -> {last}");

        // ECG: windows of records, the metric votes per record (1 - F1).
        let ecg_dir = dir.path().join("ecg");
        oxinas_nb360::ecg::write_fixture(&ecg_dir, 4, 1).unwrap();
        let ecg = Nb360EvaluatorSettings {
            data_dir: Some(ecg_dir),
            limit: Some(24),
            epochs: 1,
            batch_size: 8,
            ..settings("ecg")
        };
        let evaluator =
            Nb360Evaluator::<CpuTrainBackend>::with_device(ecg, Default::default()).unwrap();
        assert!(evaluator.data().valid.groups.is_some());
        assert_eq!(Evaluator::metric(&evaluator), "valid_one_minus_f1");
        let e = evaluator
            .evaluate(&arch, Fidelity::epochs(1), &mut rng_from_seed(1))
            .unwrap();
        let valid = e.observation.validation.unwrap();
        assert!((0.0..=1.0).contains(&valid), "{valid}");
    }
}
