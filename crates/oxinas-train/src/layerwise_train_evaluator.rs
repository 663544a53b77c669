//! An [`Evaluator`] that trains the layer-wise networks of a declared space
//! ([`oxinas_spaces::DeclaredSpace`] with a `[network]` table) for real, with
//! the data, recipe and reports of [`crate::TrainEvaluator`].

use std::sync::Arc;

use burn::tensor::backend::AutodiffBackend;
use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_core::{
    ConfigError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, RngCore,
    SearchSpace,
};
use oxinas_spaces::{DeclaredArch, DeclaredSpace};

use crate::backend::CpuTrainBackend;
use crate::data_split::DataSplits;
use crate::layerwise_network::{LayerwiseNetwork, LayerwiseNetworkConfig};
use crate::train_evaluator::{
    TrainEvaluatorError, TrainEvaluatorSettings, reference_metric, reference_metrics,
    train_and_measure,
};
use crate::train_settings::TrainSettings;

/// Trains each architecture of a declared layer-wise space on a fixed data
/// split: the optimizer sees its validation accuracy (percent), reports its
/// test accuracy, the wall time is its cost; fidelity is the number of epochs.
pub struct LayerwiseTrainEvaluator<B: AutodiffBackend = CpuTrainBackend> {
    settings: TrainEvaluatorSettings,
    space: DeclaredSpace,
    splits: Arc<DataSplits>,
    device: B::Device,
}

impl LayerwiseTrainEvaluator<CpuTrainBackend> {
    /// An evaluator on the default CPU backend.
    pub fn new(
        settings: TrainEvaluatorSettings,
        space: DeclaredSpace,
    ) -> Result<Self, TrainEvaluatorError> {
        Self::with_device(settings, space, Default::default())
    }
}

impl<B: AutodiffBackend> LayerwiseTrainEvaluator<B> {
    /// An evaluator training on `device`; checks the settings and loads the data now.
    pub fn with_device(
        settings: TrainEvaluatorSettings,
        space: DeclaredSpace,
        device: B::Device,
    ) -> Result<Self, TrainEvaluatorError> {
        if space.network().is_none() {
            return Err(ConfigError::new(
                "space_file",
                format!(
                    "a space with a [network] table to train; `{}` declares none",
                    space.name()
                ),
            )
            .into());
        }
        for (field, value) in [
            ("channels", settings.channels),
            ("cells_per_stage", settings.cells_per_stage),
        ] {
            if value != 0 {
                return Err(ConfigError::new(
                    field,
                    "no value with a declared network (its [network] table gives the widths); remove it",
                )
                .into());
            }
        }
        let splits = settings.load_splits()?;
        Ok(Self {
            settings,
            space,
            splits: Arc::new(splits),
            device,
        })
    }

    /// The declared space whose networks are trained.
    pub fn space(&self) -> &DeclaredSpace {
        &self.space
    }

    /// The training recipe for `epochs` epochs.
    pub fn train_settings(&self, epochs: usize) -> TrainSettings {
        self.settings
            .recipe(epochs, self.splits.train.shape().height)
    }
}

impl<B: AutodiffBackend> Evaluator<DeclaredArch> for LayerwiseTrainEvaluator<B> {
    fn name(&self) -> String {
        format!(
            "train-{}-{}",
            self.space.name(),
            self.settings.dataset_label()
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
        arch: &DeclaredArch,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let epochs = self.settings.epochs_of(fidelity, || self.name())?;
        let (Some(network), Some(layers)) = (self.space.network(), self.space.layers(arch)) else {
            return Err(EvaluationError::Other(format!(
                "`{}` has no layer-wise network",
                self.space.format(arch)
            )));
        };
        let shape = self.splits.train.shape();
        let config = LayerwiseNetworkConfig {
            stem: network.stem(),
            num_classes: self.splits.train.num_classes(),
            input_channels: shape.channels,
        };
        let seed = rng.next_u64();
        let mut init_rng = rng_from_seed(derive_seed(seed, &[0]));
        let model = LayerwiseNetwork::<B>::new(&config, &layers, &mut init_rng, &self.device)
            .map_err(|e| EvaluationError::Other(e.to_string()))?;
        train_and_measure(
            model,
            &self.splits,
            &self.train_settings(epochs as usize),
            seed,
            &self.device,
            &mut |_| {},
        )
    }
}

/// As for [`crate::TrainEvaluator`]: reports retrain the returned
/// architecture once with a seed fixed by the settings; `test_acc@E` and
/// `valid_acc@E` for `E` in `1..=epochs`, in percent.
impl<B: AutodiffBackend> GroundTruth<DeclaredArch> for LayerwiseTrainEvaluator<B> {
    fn metrics(&self) -> Vec<(String, String)> {
        reference_metrics(self.settings.epochs)
    }

    fn metric(&self, arch: &DeclaredArch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        reference_metric(self, &self.settings, arch, metric)
    }
}
