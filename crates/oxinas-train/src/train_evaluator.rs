//! An [`Evaluator`] that trains every architecture for real.

use std::path::PathBuf;
use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_core::{
    ConfigError, DataError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth,
    Observation, Outcome, RngCore,
};
use oxinas_spaces::Nb201Arch;

use crate::backend::CpuTrainBackend;
use crate::classifier::ImageClassifier;
use crate::data_settings::{DataSettings, DatasetName};
use crate::data_split::DataSplits;
use crate::nb201_network::{Nb201Network, Nb201NetworkConfig};
use crate::param_count::trainable_params;
use crate::reference_metric::parse_reference_metric;
use crate::train_settings::{OptimizerSettings, TrainSettings};
use crate::trainer::{EpochReport, train};

/// Settings of a [`TrainEvaluator`], as they appear in an experiment file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainEvaluatorSettings {
    /// The data set.
    pub dataset: DatasetName,
    /// Keep at most this many training images (seeded choice); all when absent.
    #[serde(default)]
    pub subset: Option<usize>,
    /// Stem channels `C` of the NB201 network (not given with `space_file`).
    #[serde(default)]
    pub channels: usize,
    /// Cells per stage `N` of the NB201 network (not given with `space_file`).
    #[serde(default)]
    pub cells_per_stage: usize,
    /// A declared space with a `[network]` table: its layer-wise networks are
    /// trained instead of NB201 cells ([`crate::LayerwiseTrainEvaluator`]).
    /// Relative to the experiment file.
    #[serde(default)]
    pub space_file: Option<PathBuf>,
    /// Epochs at the highest fidelity.
    pub epochs: u32,
    /// Images per step.
    pub batch_size: usize,
    /// Peak learning rate (Nesterov SGD, cosine schedule).
    pub lr: f64,
    /// Seed of the data split; the training seed of each evaluation comes from its `rng`.
    pub seed: u64,
    /// Shrink images by this factor (2 turns Fashion-MNIST's 28x28 into 14x14).
    #[serde(default)]
    pub downsample: Option<usize>,
    /// Validation images held out of the training data (default: 300 for
    /// digits, 5,000 for Fashion-MNIST, at most a quarter of `subset`; a
    /// tenth of the training images, at most 5,000, for `npy`).
    #[serde(default)]
    pub validation_size: Option<usize>,
    /// Test images used (default: all of the test split).
    #[serde(default)]
    pub test_size: Option<usize>,
    /// Directory of the Fashion-MNIST IDX files (default: Debian's
    /// location), or of the `.npy` files (required for `npy`).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
}

impl TrainEvaluatorSettings {
    /// The files the data set is read from (for a run manifest's checksums).
    pub fn data_files(&self) -> Vec<PathBuf> {
        self.data().data_files()
    }
}

/// Why a [`TrainEvaluator`] could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainEvaluatorError {
    /// A setting is out of range.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The data set could not be read.
    #[error(transparent)]
    Data(#[from] DataError),
}

type ProgressFn = dyn Fn(&Nb201Arch, &EpochReport) + Send + Sync;

/// Trains each NB201 architecture on a fixed data split and reports its
/// validation accuracy (what optimizers see), its test accuracy (for reports
/// only) and the wall time as cost. Fidelity is the number of epochs.
pub struct TrainEvaluator<B: AutodiffBackend = CpuTrainBackend> {
    settings: TrainEvaluatorSettings,
    splits: Arc<DataSplits>,
    device: B::Device,
    progress: Option<Box<ProgressFn>>,
}

impl TrainEvaluator<CpuTrainBackend> {
    /// An evaluator on the default CPU backend.
    pub fn new(settings: TrainEvaluatorSettings) -> Result<Self, TrainEvaluatorError> {
        Self::with_device(settings, Default::default())
    }
}

impl<B: AutodiffBackend> TrainEvaluator<B> {
    /// An evaluator training on `device`; loads and splits the data now.
    pub fn with_device(
        settings: TrainEvaluatorSettings,
        device: B::Device,
    ) -> Result<Self, TrainEvaluatorError> {
        if settings.space_file.is_some() {
            return Err(ConfigError::new(
                "space_file",
                "a declared network is trained by LayerwiseTrainEvaluator, not the NB201 evaluator",
            )
            .into());
        }
        for (field, value) in [
            ("channels", settings.channels),
            ("cells_per_stage", settings.cells_per_stage),
        ] {
            if value == 0 {
                return Err(ConfigError::new(
                    field,
                    "at least 1 for the NB201 network (or `space_file` naming a declared layer-wise network)",
                )
                .into());
            }
        }
        let splits = settings.load_splits()?;
        Ok(Self {
            settings,
            splits: Arc::new(splits),
            device,
            progress: None,
        })
    }

    /// Calls `progress` after every epoch of every evaluation.
    pub fn with_progress(
        mut self,
        progress: impl Fn(&Nb201Arch, &EpochReport) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The data split every architecture is trained and measured on.
    pub fn splits(&self) -> &DataSplits {
        &self.splits
    }

    /// The network configuration.
    pub fn network_config(&self) -> Nb201NetworkConfig {
        let shape = self.splits.train.shape();
        Nb201NetworkConfig {
            channels: self.settings.channels,
            cells_per_stage: self.settings.cells_per_stage,
            num_classes: self.splits.train.num_classes(),
            input_channels: shape.channels,
        }
    }

    /// The training recipe for `epochs` epochs ([`TrainEvaluatorSettings::recipe`]).
    pub fn train_settings(&self, epochs: usize) -> TrainSettings {
        self.settings
            .recipe(epochs, self.splits.train.shape().height)
    }
}

impl TrainEvaluatorSettings {
    /// The training recipe for `epochs` epochs on images `side` pixels high:
    /// NAS-Bench-201's (Nesterov SGD, cosine schedule) with the configured
    /// batch size and learning rate; small images are cropped with
    /// proportionally less padding and never flipped (digits and clothes are
    /// not mirror-symmetric classes).
    pub fn recipe(&self, epochs: usize, side: usize) -> TrainSettings {
        TrainSettings {
            epochs,
            batch_size: self.batch_size,
            optimizer: OptimizerSettings::NB201,
            lr: self.lr,
            min_lr: 0.0,
            warmup_epochs: 0,
            label_smoothing: 0.0,
            grad_clip_norm: Some(5.0),
            augmentation: crate::train_settings::AugmentationSettings::scaled_crop(side),
            eval_batch_size: 512,
        }
    }

    /// The epoch count of `fidelity`, or the error naming `benchmark` when it
    /// is not between 1 and `epochs`.
    pub(crate) fn epochs_of(
        &self,
        fidelity: Fidelity,
        benchmark: impl FnOnce() -> String,
    ) -> Result<u32, EvaluationError> {
        let epochs = fidelity.get_epochs();
        if epochs == 0 || epochs > self.epochs {
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: benchmark(),
                fidelity,
                available: format!("1 to {} epochs", self.epochs),
            });
        }
        Ok(epochs)
    }

    /// Checks `epochs` and the recipe, then loads and splits the data.
    pub(crate) fn load_splits(&self) -> Result<DataSplits, TrainEvaluatorError> {
        if self.epochs == 0 {
            return Err(ConfigError::new("epochs", "must be at least 1").into());
        }
        let splits = self.data().load()?;
        self.recipe(1, splits.train.shape().height).validate()?;
        Ok(splits)
    }

    /// The data set's name in evaluator names.
    pub(crate) fn dataset_label(&self) -> &'static str {
        match self.dataset {
            DatasetName::Digits => "digits",
            DatasetName::FashionMnist => "fashion-mnist",
            DatasetName::Npy => "npy",
            DatasetName::Cifar10 => "cifar10",
            DatasetName::Cifar100 => "cifar100",
        }
    }

    /// The data part of the settings.
    pub fn data(&self) -> DataSettings {
        DataSettings {
            dataset: self.dataset,
            subset: self.subset,
            seed: self.seed,
            downsample: self.downsample,
            validation_size: self.validation_size,
            test_size: self.test_size,
            data_dir: self.data_dir.clone(),
        }
    }
}

impl<B: AutodiffBackend> Evaluator<Nb201Arch> for TrainEvaluator<B> {
    fn name(&self) -> String {
        format!(
            "train-nb201-{}-C{}-N{}",
            self.settings.dataset_label(),
            self.settings.channels,
            self.settings.cells_per_stage
        )
    }

    fn metric(&self) -> &str {
        "valid_acc"
    }

    fn goal(&self) -> Goal {
        Goal::Maximize
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
        let epochs = self.settings.epochs_of(fidelity, || self.name())?;
        let seed = rng.next_u64();
        let mut init_rng = rng_from_seed(derive_seed(seed, &[0]));
        let network =
            Nb201Network::<B>::new(&self.network_config(), arch, &mut init_rng, &self.device)
                .map_err(|e| EvaluationError::Other(e.to_string()))?;
        let mut progress = |report: &EpochReport| {
            if let Some(callback) = &self.progress {
                callback(arch, report);
            }
        };
        train_and_measure(
            network,
            &self.splits,
            &self.train_settings(epochs as usize),
            seed,
            &self.device,
            &mut progress,
        )
    }
}

/// Trains `network` with `recipe` (training seed derived from `seed`) and
/// measures it: validation accuracy in percent for the optimizer, wall time
/// as cost, parameters and the validation curve; test accuracy for reports.
pub(crate) fn train_and_measure<B, M>(
    network: M,
    splits: &DataSplits,
    recipe: &TrainSettings,
    seed: u64,
    device: &B::Device,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<Evaluation, EvaluationError>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
    M::InnerModule: ImageClassifier<B::InnerBackend>,
{
    let params = trainable_params(&network) as f64;
    let (_, report) = train(
        network,
        splits,
        recipe,
        derive_seed(seed, &[1]),
        device,
        progress,
    )
    .map_err(|e| EvaluationError::Other(e.to_string()))?;
    // Accuracies in percent, like the tabular benchmarks.
    let mut observation = Observation::ok(
        100.0 * report.validation_accuracy,
        Goal::Maximize,
        report.wall_seconds,
    );
    observation.params = Some(params);
    observation.learning_curve = Some(
        report
            .epochs
            .iter()
            .map(|e| 100.0 * e.validation_accuracy)
            .collect(),
    );
    if let Some(reason) = report.failure {
        observation.outcome = Outcome::Failed(reason);
        observation.validation = None;
        return Ok(Evaluation {
            observation,
            test: None,
        });
    }
    Ok(Evaluation {
        observation,
        test: Some(100.0 * report.test_accuracy),
    })
}

/// Seed path of the reference retraining behind [`GroundTruth`].
const REFERENCE_RUN: u64 = 3;

/// After a search, reports retrain the returned architecture once with a seed
/// fixed by the settings (not by the trial), so that every trial that returns
/// the same cell reports the same value. Metrics, in percent: `test_acc@E` and
/// `valid_acc@E` for `E` in `1..=epochs`.
impl<B: AutodiffBackend> GroundTruth<Nb201Arch> for TrainEvaluator<B> {
    fn metrics(&self) -> Vec<(String, String)> {
        reference_metrics(self.settings.epochs)
    }

    fn metric(&self, arch: &Nb201Arch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        reference_metric(self, &self.settings, arch, metric)
    }
}

/// `test_acc@E` and `valid_acc@E` for `E` in `1..=epochs`.
pub(crate) fn reference_metrics(epochs: u32) -> Vec<(String, String)> {
    (1..=epochs)
        .flat_map(|e| {
            [
                (
                    format!("test_acc@{e}"),
                    format!("test accuracy (%) after {e} epochs, one reference run"),
                ),
                (
                    format!("valid_acc@{e}"),
                    format!("validation accuracy (%) after {e} epochs, one reference run"),
                ),
            ]
        })
        .collect()
}

/// The reference retraining's value of `metric` for `arch`, by `evaluator`.
pub(crate) fn reference_metric<A, E: Evaluator<A>>(
    evaluator: &E,
    settings: &TrainEvaluatorSettings,
    arch: &A,
    metric: &str,
) -> Result<Option<f64>, EvaluationError> {
    let parsed = parse_reference_metric(metric, "acc", settings.epochs);
    let Some((test, epochs)) = parsed else {
        return Err(EvaluationError::UnknownMetric {
            benchmark: evaluator.name(),
            metric: metric.to_owned(),
            available: format!(
                "test_acc@E and valid_acc@E for E in 1..={}",
                settings.epochs
            ),
        });
    };
    let mut rng = rng_from_seed(derive_seed(settings.seed, &[REFERENCE_RUN]));
    let evaluation = evaluator.evaluate(arch, Fidelity::epochs(epochs), &mut rng)?;
    Ok(if test {
        evaluation.test
    } else {
        evaluation.observation.validation
    })
}
