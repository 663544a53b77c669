//! The training loop and evaluation.

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamWConfig, GradientsParams, Optimizer, SgdConfig};
use burn::tensor::ElementConversion;
use burn::tensor::backend::{AutodiffBackend, Backend};
use rand::seq::SliceRandom;

use oxinas_core::ConfigError;
use oxinas_core::seed::{SeededRng, derive_seed, rng_from_seed};

use crate::classifier::ImageClassifier;
use crate::data_split::DataSplits;
use crate::forward_context::{ForwardContext, NormMode};
use crate::grad_clipping::clip_global_norm;
use crate::image_batch::{Augmentation, ImageBatcher, Normalization};
use crate::image_dataset::ImageDataset;
use crate::lr_schedule::CosineSchedule;
use crate::smoothed_cross_entropy::{correct_predictions, smoothed_cross_entropy};
use crate::train_settings::{OptimizerSettings, TrainSettings};

/// What the loop reports after each epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Epochs in the run.
    pub epochs: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Training accuracy (fraction) over the epoch, on augmented batches.
    pub train_accuracy: f64,
    /// Validation accuracy (fraction) after the epoch.
    pub validation_accuracy: f64,
    /// Training throughput of the epoch.
    pub images_per_second: f64,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
}

/// The result of a training run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
    /// One entry per completed epoch.
    pub epochs: Vec<EpochReport>,
    /// Validation accuracy (fraction) of the final network.
    pub validation_accuracy: f64,
    /// Test accuracy (fraction) of the final network; reports only.
    pub test_accuracy: f64,
    /// Wall-clock seconds of training and evaluation.
    pub wall_seconds: f64,
    /// Why the run stopped early (a non-finite loss), if it did.
    pub failure: Option<String>,
}

/// Seed streams of one training run.
mod stream {
    pub const SHUFFLE: u64 = 1;
    pub const AUGMENT: u64 = 2;
}

/// Trains `model` on `splits.train` with `settings`, evaluating on the
/// validation split after every epoch and on the test split at the end.
///
/// Shuffling and augmentation draw from generators derived from `seed`;
/// `progress` receives a report after every epoch (the library never prints).
pub fn train<B, M>(
    model: M,
    splits: &DataSplits,
    settings: &TrainSettings,
    seed: u64,
    device: &B::Device,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<(M, TrainReport), ConfigError>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
    M::InnerModule: ImageClassifier<B::InnerBackend>,
{
    settings.validate()?;
    if splits.train.len() < 2 {
        return Err(ConfigError::new("train split", "needs at least 2 images"));
    }
    match settings.optimizer {
        OptimizerSettings::Sgd {
            momentum,
            nesterov,
            weight_decay,
        } => {
            let optimizer = sgd_config(momentum, nesterov, weight_decay).init::<B, M>();
            Ok(run(
                model, optimizer, splits, settings, seed, device, progress,
            ))
        }
        OptimizerSettings::AdamW {
            weight_decay,
            beta1,
            beta2,
        } => {
            let optimizer = AdamWConfig::new()
                .with_weight_decay(weight_decay as f32)
                .with_beta_1(beta1 as f32)
                .with_beta_2(beta2 as f32)
                .with_epsilon(1e-8)
                .init::<B, M>();
            Ok(run(
                model, optimizer, splits, settings, seed, device, progress,
            ))
        }
    }
}

/// Burn's SGD with PyTorch's semantics: no dampening, momentum and L2 weight
/// decay only when positive.
pub(crate) fn sgd_config(momentum: f64, nesterov: bool, weight_decay: f64) -> SgdConfig {
    let mut config = SgdConfig::new();
    if momentum > 0.0 {
        config = config.with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(momentum)
                .with_dampening(0.0)
                .with_nesterov(nesterov),
        ));
    }
    if weight_decay > 0.0 {
        config = config.with_weight_decay(Some(WeightDecayConfig::new(weight_decay as f32)));
    }
    config
}

fn run<B, M, O>(
    mut model: M,
    mut optimizer: O,
    splits: &DataSplits,
    settings: &TrainSettings,
    seed: u64,
    device: &B::Device,
    progress: &mut dyn FnMut(&EpochReport),
) -> (M, TrainReport)
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
    M::InnerModule: ImageClassifier<B::InnerBackend>,
    O: Optimizer<M, B>,
{
    let start = Instant::now();
    let train_data = &splits.train;
    let normalization = Normalization::fit(train_data);
    let batcher = ImageBatcher {
        normalization: normalization.clone(),
        augmentation: settings.augmentation.map(Augmentation::from),
    };
    let eval_batcher = ImageBatcher {
        normalization,
        augmentation: None,
    };
    // A last batch of one image would break batch norm's statistics.
    let batch_size = settings.batch_size.min(train_data.len());
    let mut steps_per_epoch = train_data.len() / batch_size;
    if train_data.len() % batch_size >= 2 {
        steps_per_epoch += 1;
    }
    let schedule = CosineSchedule {
        base_lr: settings.lr,
        min_lr: settings.min_lr,
        warmup_steps: settings.warmup_epochs * steps_per_epoch,
        total_steps: settings.epochs * steps_per_epoch,
    };
    let mut shuffle_rng = rng_from_seed(derive_seed(seed, &[stream::SHUFFLE]));
    let mut augment_rng = rng_from_seed(derive_seed(seed, &[stream::AUGMENT]));
    let ctx = ForwardContext::new(NormMode::Apply);
    let mut reports = Vec::new();
    let mut failure = None;
    let mut step = 0;
    let mut order: Vec<usize> = (0..train_data.len()).collect();
    'epochs: for epoch in 1..=settings.epochs {
        let epoch_start = Instant::now();
        order.shuffle(&mut shuffle_rng);
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
        let mut lr = schedule.lr(step);
        for batch in order.chunks(batch_size).filter(|b| b.len() >= 2) {
            let (images, targets) = batcher.batch::<B>(train_data, batch, &mut augment_rng, device);
            let target_ix: Vec<usize> = batch.iter().map(|&i| train_data.label(i)).collect();
            let logits = model.logits(images, &ctx);
            let loss = smoothed_cross_entropy(logits.clone(), &target_ix, settings.label_smoothing);
            let loss_value: f64 = loss.clone().into_scalar().elem();
            if !loss_value.is_finite() {
                failure = Some(format!(
                    "loss is {loss_value} at epoch {epoch}, step {step}"
                ));
                break 'epochs;
            }
            correct += correct_predictions(logits.detach(), targets);
            loss_sum += loss_value * batch.len() as f64;
            seen += batch.len();
            let mut grads = GradientsParams::from_grads(loss.backward(), &model);
            if let Some(max_norm) = settings.grad_clip_norm {
                clip_global_norm::<B, M>(&model, &mut grads, max_norm);
            }
            lr = schedule.lr(step);
            model = optimizer.step(lr, model, grads);
            step += 1;
        }
        let train_seconds = epoch_start.elapsed().as_secs_f64();
        let validation_accuracy = accuracy(
            &model.valid(),
            &splits.validation,
            &eval_batcher,
            settings.eval_batch_size,
            device,
        );
        let report = EpochReport {
            epoch,
            epochs: settings.epochs,
            train_loss: loss_sum / seen.max(1) as f64,
            train_accuracy: correct as f64 / seen.max(1) as f64,
            validation_accuracy,
            images_per_second: seen as f64 / train_seconds.max(1e-9),
            lr,
        };
        progress(&report);
        reports.push(report);
    }
    let inference = model.valid();
    let validation_accuracy = reports.last().map_or_else(
        || {
            accuracy(
                &inference,
                &splits.validation,
                &eval_batcher,
                settings.eval_batch_size,
                device,
            )
        },
        |r| r.validation_accuracy,
    );
    let test_accuracy = accuracy(
        &inference,
        &splits.test,
        &eval_batcher,
        settings.eval_batch_size,
        device,
    );
    let report = TrainReport {
        epochs: reports,
        validation_accuracy,
        test_accuracy,
        wall_seconds: start.elapsed().as_secs_f64(),
        failure,
    };
    (model, report)
}

/// Accuracy (fraction) of `model` on `data` in inference mode (batch norm uses
/// its running statistics); 0 for an empty data set.
pub fn accuracy<B: Backend, M: ImageClassifier<B>>(
    model: &M,
    data: &ImageDataset,
    batcher: &ImageBatcher,
    batch_size: usize,
    device: &B::Device,
) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let ctx = ForwardContext::new(NormMode::Apply);
    // Evaluation batches are not augmented, so this generator is never drawn from.
    let mut unused_rng: SeededRng = rng_from_seed(0);
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut correct = 0;
    for batch in indices.chunks(batch_size.max(1)) {
        let (images, targets) = batcher.batch::<B>(data, batch, &mut unused_rng, device);
        correct += correct_predictions(model.logits(images, &ctx), targets);
    }
    correct as f64 / data.len() as f64
}
