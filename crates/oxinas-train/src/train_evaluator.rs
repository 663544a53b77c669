//! An [`Evaluator`] that trains every architecture for real.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_core::{
    ConfigError, DataError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth,
    Observation, Outcome, RngCore,
};
use oxinas_spaces::Nb201Arch;

use crate::backend::CpuTrainBackend;
use crate::data_split::{DataSplits, seeded_subset, split_three, split_with_test};
use crate::digits_csv::{digits_fixture_path, read_digits};
use crate::idx_format::{FASHION_MNIST_DIR, FASHION_MNIST_FILES, read_fashion_mnist};
use crate::nb201_network::{Nb201Network, Nb201NetworkConfig};
use crate::npy_format::{NPY_FILES, read_npy_dir};
use crate::param_count::trainable_params;
use crate::train_settings::{OptimizerSettings, TrainSettings};
use crate::trainer::{EpochReport, train};

/// The data sets a [`TrainEvaluator`] trains on: two that need no download,
/// and a directory of NumPy arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// The 8x8 digits fixture shipped with this crate (1,797 images).
    Digits,
    /// Fashion-MNIST from Debian's `dataset-fashion-mnist` (or `data_dir`).
    FashionMnist,
    /// Your own images as NumPy arrays: `train_images.npy`,
    /// `train_labels.npy`, `test_images.npy` and `test_labels.npy` in
    /// `data_dir` (layouts: [`images_from_npy`](crate::images_from_npy)).
    Npy,
}

/// Settings of a [`TrainEvaluator`], as they appear in an experiment file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainEvaluatorSettings {
    /// The data set.
    pub dataset: DatasetName,
    /// Keep at most this many training images (seeded choice); all when absent.
    #[serde(default)]
    pub subset: Option<usize>,
    /// Stem channels `C` of the NB201 network.
    pub channels: usize,
    /// Cells per stage `N`.
    pub cells_per_stage: usize,
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
        match self.dataset {
            DatasetName::Digits => vec![digits_fixture_path()],
            DatasetName::FashionMnist => {
                let dir = self
                    .data_dir
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(FASHION_MNIST_DIR));
                FASHION_MNIST_FILES.iter().map(|f| dir.join(f)).collect()
            }
            DatasetName::Npy => self
                .data_dir
                .iter()
                .flat_map(|dir| NPY_FILES.iter().map(|f| dir.join(f)))
                .collect(),
        }
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
        for (field, value) in [
            ("channels", settings.channels),
            ("cells_per_stage", settings.cells_per_stage),
            ("epochs", settings.epochs as usize),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1").into());
            }
        }
        if settings.dataset == DatasetName::Npy && settings.data_dir.is_none() {
            return Err(ConfigError::new(
                "data_dir",
                format!(
                    "the directory holding {} (required for dataset \"npy\")",
                    NPY_FILES.join(", ")
                ),
            )
            .into());
        }
        if settings.subset.is_some_and(|n| n < 10) {
            return Err(ConfigError::new("subset", "at least 10 training images").into());
        }
        let splits = load_splits(&settings)?;
        let evaluator = Self {
            settings,
            splits: Arc::new(splits),
            device,
            progress: None,
        };
        evaluator.train_settings(1).validate()?;
        Ok(evaluator)
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

    /// The training recipe for `epochs` epochs: NAS-Bench-201's (Nesterov SGD,
    /// cosine schedule) with the configured batch size and learning rate; small
    /// images are cropped with proportionally less padding and never flipped
    /// (digits and clothes are not mirror-symmetric classes).
    pub fn train_settings(&self, epochs: usize) -> TrainSettings {
        let side = self.splits.train.shape().height;
        TrainSettings {
            epochs,
            batch_size: self.settings.batch_size,
            optimizer: OptimizerSettings::NB201,
            lr: self.settings.lr,
            min_lr: 0.0,
            warmup_epochs: 0,
            label_smoothing: 0.0,
            grad_clip_norm: Some(5.0),
            augmentation: (side >= 8).then_some(crate::train_settings::AugmentationSettings {
                crop_padding: (side / 8).max(1),
                horizontal_flip: false,
            }),
            eval_batch_size: 512,
        }
    }
}

fn load_splits(settings: &TrainEvaluatorSettings) -> Result<DataSplits, TrainEvaluatorError> {
    let seed = settings.seed;
    let mut splits = match settings.dataset {
        DatasetName::Digits => {
            let data = read_digits()?;
            let validation = settings.validation_size.unwrap_or(300);
            split_three(&data, validation, 300, seed)?
        }
        DatasetName::FashionMnist => {
            let dir = settings
                .data_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(FASHION_MNIST_DIR));
            let (train, test) = read_fashion_mnist(&dir)?;
            let default_validation = settings.subset.map_or(5_000, |n| (n / 4).clamp(1, 5_000));
            split_with_test(
                &train,
                test,
                settings.validation_size.unwrap_or(default_validation),
                seed,
            )?
        }
        DatasetName::Npy => {
            let dir = settings.data_dir.as_deref().unwrap_or(Path::new("."));
            let (train, test) = read_npy_dir(dir)?;
            let default_validation = (train.len() / 10).clamp(1, 5_000);
            split_with_test(
                &train,
                test,
                settings.validation_size.unwrap_or(default_validation),
                seed,
            )?
        }
    };
    if let Some(n) = settings.subset {
        splits.train = seeded_subset(&splits.train, n, derive_seed(seed, &[1]));
    }
    if let Some(n) = settings.test_size {
        splits.test = seeded_subset(&splits.test, n, derive_seed(seed, &[2]));
    }
    if let Some(factor) = settings.downsample.filter(|&f| f > 1) {
        splits.train = splits.train.downsample(factor);
        splits.validation = splits.validation.downsample(factor);
        splits.test = splits.test.downsample(factor);
    }
    Ok(splits)
}

impl<B: AutodiffBackend> Evaluator<Nb201Arch> for TrainEvaluator<B> {
    fn name(&self) -> String {
        let dataset = match self.settings.dataset {
            DatasetName::Digits => "digits",
            DatasetName::FashionMnist => "fashion-mnist",
            DatasetName::Npy => "npy",
        };
        format!(
            "train-nb201-{dataset}-C{}-N{}",
            self.settings.channels, self.settings.cells_per_stage
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
        let epochs = fidelity.get_epochs();
        if epochs == 0 || epochs > self.settings.epochs {
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: self.name(),
                fidelity,
                available: format!("1 to {} epochs", self.settings.epochs),
            });
        }
        let seed = rng.next_u64();
        let mut init_rng = rng_from_seed(derive_seed(seed, &[0]));
        let network =
            Nb201Network::<B>::new(&self.network_config(), arch, &mut init_rng, &self.device)
                .map_err(|e| EvaluationError::Other(e.to_string()))?;
        let params = trainable_params(&network) as f64;
        let mut progress = |report: &EpochReport| {
            if let Some(callback) = &self.progress {
                callback(arch, report);
            }
        };
        let (_, report) = train(
            network,
            &self.splits,
            &self.train_settings(epochs as usize),
            derive_seed(seed, &[1]),
            &self.device,
            &mut progress,
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
}

/// Seed path of the reference retraining behind [`GroundTruth`].
const REFERENCE_RUN: u64 = 3;

/// After a search, reports retrain the returned architecture once with a seed
/// fixed by the settings (not by the trial), so that every trial that returns
/// the same cell reports the same value. Metrics, in percent: `test_acc@E` and
/// `valid_acc@E` for `E` in `1..=epochs`.
impl<B: AutodiffBackend> GroundTruth<Nb201Arch> for TrainEvaluator<B> {
    fn metrics(&self) -> Vec<(String, String)> {
        (1..=self.settings.epochs)
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

    fn metric(&self, arch: &Nb201Arch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let parsed = metric.split_once('@').and_then(|(name, epochs)| {
            let epochs: u32 = epochs.parse().ok()?;
            let test = match name {
                "test_acc" => true,
                "valid_acc" => false,
                _ => return None,
            };
            (1..=self.settings.epochs)
                .contains(&epochs)
                .then_some((test, epochs))
        });
        let Some((test, epochs)) = parsed else {
            return Err(EvaluationError::UnknownMetric {
                benchmark: self.name(),
                metric: metric.to_owned(),
                available: format!(
                    "test_acc@E and valid_acc@E for E in 1..={}",
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
