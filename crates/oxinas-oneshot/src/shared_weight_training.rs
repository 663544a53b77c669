//! Training a supernet's shared weights one sampled cell per batch: the
//! weight phase of ENAS, and uniform sampling (every cell equally likely, as
//! in random-sampling one-shot NAS) on its own.

use std::time::Instant;

use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::ElementConversion;
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use oxinas_core::seed::{SeededRng, derive_seed, rng_from_seed};
use oxinas_core::{ConfigError, SearchSpace};
use oxinas_spaces::{Nb201Arch, Nb201Space};
use oxinas_train::{
    CosineSchedule, DataSplits, ImageBatcher, Nb201NetworkConfig, Normalization, clip_global_norm,
    correct_predictions, smoothed_cross_entropy,
};

use crate::nb201_supernet::Nb201Supernet;
use crate::oneshot_error::OneShotError;
use crate::search_augmentation::SearchAugmentation;
use crate::supernet_evaluation::{BatchStream, check_batch_size};

/// The shared weights' optimiser: Nesterov SGD with weight decay on a cosine schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupernetSettings {
    /// Supernet stem channels `C`.
    pub channels: usize,
    /// Supernet cells per stage `N`.
    pub cells_per_stage: usize,
    /// Passes over the training split.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Final learning rate of the cosine schedule.
    pub min_lr: f64,
    /// SGD momentum.
    pub momentum: f64,
    /// L2 weight decay.
    pub weight_decay: f64,
    /// Clip the global gradient norm to this value.
    pub grad_clip_norm: f64,
    /// Stop each pass after this many steps (the whole training split when absent).
    pub steps_per_epoch: Option<usize>,
    /// Augmentation of the training batches (the references crop and flip them).
    pub augmentation: SearchAugmentation,
}

impl Default for SupernetSettings {
    fn default() -> Self {
        Self {
            channels: 16,
            cells_per_stage: 5,
            epochs: 100,
            batch_size: 64,
            lr: 0.05,
            min_lr: 0.0005,
            momentum: 0.9,
            weight_decay: 5e-4,
            grad_clip_norm: 5.0,
            steps_per_epoch: None,
            augmentation: SearchAugmentation::Standard,
        }
    }
}

impl SupernetSettings {
    /// Checks every setting, naming the first one out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("channels", self.channels),
            ("cells_per_stage", self.cells_per_stage),
            ("epochs", self.epochs),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1"));
            }
        }
        if self.batch_size < 2 {
            return Err(ConfigError::new(
                "batch_size",
                "at least 2 (batch statistics need two images)",
            ));
        }
        if self.steps_per_epoch == Some(0) {
            return Err(ConfigError::new("steps_per_epoch", "must be at least 1"));
        }
        for (field, value) in [("lr", self.lr), ("grad_clip_norm", self.grad_clip_norm)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(ConfigError::new(field, "a positive number"));
            }
        }
        for (field, value) in [
            ("min_lr", self.min_lr),
            ("momentum", self.momentum),
            ("weight_decay", self.weight_decay),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ConfigError::new(field, "a number >= 0"));
            }
        }
        Ok(())
    }

    /// The supernet's size for `splits`.
    pub fn network(&self, splits: &DataSplits) -> Nb201NetworkConfig {
        Nb201NetworkConfig {
            channels: self.channels,
            cells_per_stage: self.cells_per_stage,
            num_classes: splits.train.num_classes(),
            input_channels: splits.train.shape().channels,
        }
    }
}

/// What one pass of shared-weight training reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SupernetEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Epochs in the run.
    pub epochs: usize,
    /// Mean training loss of the sampled cells.
    pub train_loss: f64,
    /// Training accuracy of the sampled cells.
    pub train_accuracy: f64,
    /// Wall-clock seconds of the pass.
    pub seconds: f64,
}

/// The optimiser, schedule and batch order of shared-weight training.
pub(crate) struct SharedWeightTrainer<'a, B: AutodiffBackend> {
    splits: &'a DataSplits,
    settings: SupernetSettings,
    optimizer: burn::optim::adaptor::OptimizerAdaptor<
        burn::optim::Sgd<B::InnerBackend>,
        Nb201Supernet<B>,
        B,
    >,
    /// Normalisation of the training split, no augmentation (evaluation).
    batcher: ImageBatcher,
    /// The same normalisation with the training batches' augmentation.
    train_batcher: ImageBatcher,
    /// The augmentation's draws.
    augment_rng: SeededRng,
    stream: BatchStream,
    schedule: CosineSchedule,
    steps_per_epoch: usize,
    step: usize,
    epoch: usize,
    device: B::Device,
}

impl<'a, B: AutodiffBackend> SharedWeightTrainer<'a, B> {
    /// A trainer over `splits.train`; `seed` fixes the batch order and the
    /// augmentation's draws.
    pub(crate) fn new(
        splits: &'a DataSplits,
        settings: &SupernetSettings,
        seed: u64,
        device: &B::Device,
    ) -> Result<Self, OneShotError> {
        settings.validate()?;
        check_batch_size(splits, settings.batch_size)?;
        let stream = BatchStream::new(splits.train.len(), settings.batch_size, seed);
        let batcher = ImageBatcher {
            normalization: Normalization::fit(&splits.train),
            augmentation: None,
        };
        let train_batcher = ImageBatcher {
            augmentation: settings.augmentation.for_images(splits.train.shape()),
            ..batcher.clone()
        };
        let steps_per_epoch = settings
            .steps_per_epoch
            .map_or(stream.batches_per_pass(), |s| {
                s.min(stream.batches_per_pass())
            });
        Ok(Self {
            splits,
            optimizer: SgdConfig::new()
                .with_momentum(Some(
                    MomentumConfig::new()
                        .with_momentum(settings.momentum)
                        .with_dampening(0.0)
                        .with_nesterov(true),
                ))
                .with_weight_decay(Some(WeightDecayConfig::new(settings.weight_decay as f32)))
                .init::<B, Nb201Supernet<B>>(),
            batcher,
            train_batcher,
            augment_rng: rng_from_seed(derive_seed(seed, &[AUGMENT_STREAM])),
            stream,
            schedule: CosineSchedule {
                base_lr: settings.lr,
                min_lr: settings.min_lr,
                warmup_steps: 0,
                total_steps: settings.epochs * steps_per_epoch,
            },
            settings: settings.clone(),
            steps_per_epoch,
            step: 0,
            epoch: 0,
            device: device.clone(),
        })
    }

    /// The evaluation batcher (normalisation fitted on the training split,
    /// no augmentation).
    pub(crate) fn batcher(&self) -> &ImageBatcher {
        &self.batcher
    }

    /// The training batcher (that normalisation and the training augmentation).
    pub(crate) fn train_batcher(&self) -> &ImageBatcher {
        &self.train_batcher
    }

    /// One pass: a cell from `sample` per batch, one SGD step on it.
    pub(crate) fn epoch(
        &mut self,
        mut supernet: Nb201Supernet<B>,
        mut sample: impl FnMut() -> Nb201Arch,
    ) -> Result<(Nb201Supernet<B>, SupernetEpoch), OneShotError> {
        let start = Instant::now();
        self.epoch += 1;
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0, 0);
        for _ in 0..self.steps_per_epoch {
            let arch = sample();
            let batch = self.stream.next_batch();
            let train = &self.splits.train;
            let (images, targets) =
                self.train_batcher
                    .batch::<B>(train, &batch, &mut self.augment_rng, &self.device);
            let labels: Vec<usize> = batch.iter().map(|&i| train.label(i)).collect();
            let logits = supernet.forward_arch(images, &arch);
            let loss = smoothed_cross_entropy(logits.clone(), &labels, 0.0);
            let value: f64 = loss.clone().into_scalar().elem();
            if !value.is_finite() {
                return Err(OneShotError::Diverged {
                    what: "shared-weight",
                    value,
                    epoch: self.epoch,
                    step: self.step,
                });
            }
            loss_sum += value;
            correct += correct_predictions(logits.detach(), targets);
            seen += labels.len();
            let mut grads = GradientsParams::from_grads(loss.backward(), &supernet);
            clip_global_norm::<B, _>(&supernet, &mut grads, self.settings.grad_clip_norm);
            supernet = self
                .optimizer
                .step(self.schedule.lr(self.step), supernet, grads);
            self.step += 1;
        }
        let report = SupernetEpoch {
            epoch: self.epoch,
            epochs: self.settings.epochs,
            train_loss: loss_sum / self.steps_per_epoch as f64,
            train_accuracy: correct as f64 / seen.max(1) as f64,
            seconds: start.elapsed().as_secs_f64(),
        };
        Ok((supernet, report))
    }
}

/// The augmentation's stream under the trainer's seed.
const AUGMENT_STREAM: u64 = 1;

/// Seed streams of uniform-sampling training.
mod stream {
    pub const SUPERNET: u64 = 1;
    pub const ORDER: u64 = 2;
    pub const CELLS: u64 = 3;
}

/// Trains an NB201 supernet with a uniformly sampled cell per batch (the
/// random-sampling baseline of weight sharing); `progress` gets every epoch.
pub fn train_supernet_uniform<B: AutodiffBackend>(
    splits: &DataSplits,
    settings: &SupernetSettings,
    seed: u64,
    device: &B::Device,
    progress: &mut dyn FnMut(&SupernetEpoch),
) -> Result<(Nb201Supernet<B>, Vec<SupernetEpoch>), OneShotError> {
    let mut trainer = SharedWeightTrainer::<B>::new(
        splits,
        settings,
        derive_seed(seed, &[stream::ORDER]),
        device,
    )?;
    let mut supernet = Nb201Supernet::new(
        &settings.network(splits),
        &mut rng_from_seed(derive_seed(seed, &[stream::SUPERNET])),
        device,
    )?;
    let space = Nb201Space::new();
    let mut cells: SeededRng = rng_from_seed(derive_seed(seed, &[stream::CELLS]));
    let mut epochs = Vec::new();
    for _ in 0..settings.epochs {
        let (next, report) = trainer.epoch(supernet, || space.sample(&mut cells))?;
        supernet = next;
        progress(&report);
        epochs.push(report);
    }
    Ok((supernet, epochs))
}
