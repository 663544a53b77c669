//! DARTS (Liu et al., ICLR 2019) on the NAS-Bench-201 supernet: architecture
//! logits and supernet weights updated in alternation, the weights on the
//! training split and the logits on the validation split, then the cell of
//! each edge's strongest op.

use std::path::Path;
use std::time::Instant;

use burn::module::{AutodiffModule, Module};
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, Optimizer, SgdConfig};
use burn::record::{BinFileRecorder, FullPrecisionSettings};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};
use serde::{Deserialize, Serialize};

use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_spaces::Nb201Arch;
use oxinas_train::{
    CosineSchedule, DataSplits, ImageBatcher, Nb201NetworkConfig, Normalization, clip_global_norm,
    correct_predictions, global_grad_norm, smoothed_cross_entropy,
};

use crate::architecture_weights::{Nb201ArchWeights, mean_entropy};
use crate::darts_settings::{DartsOrder, DartsSettings};
use crate::module_shift::shift_by_gradients;
use crate::nb201_supernet::{NB201_OPS, Nb201Supernet};
use crate::oneshot_error::OneShotError;
use crate::supernet_evaluation::{BatchStream, supernet_accuracy};

/// What a DARTS search reports after each epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DartsEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Epochs in the search.
    pub epochs: usize,
    /// Mean training loss of the weight steps (the mixture network).
    pub train_loss: f64,
    /// Training accuracy of the mixture network over the epoch.
    pub train_accuracy: f64,
    /// Mean validation loss of the architecture steps.
    pub arch_loss: f64,
    /// The cell derived from the logits after the epoch (op digits).
    pub arch: String,
    /// Validation accuracy of that cell with the shared weights.
    pub arch_valid_accuracy: f64,
    /// Mean entropy (nats) of the edges' mixtures: `ln 5` uniform, 0 one-hot.
    pub mean_entropy: f64,
    /// Edges of the derived cell that are skip connections (DARTS' known collapse).
    pub skip_edges: usize,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
}

/// The result of a DARTS search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DartsReport {
    /// One entry per epoch.
    pub epochs: Vec<DartsEpoch>,
    /// The derived cell (op digits).
    pub arch: String,
    /// The derived cell in the benchmark's string format.
    pub arch_string: String,
    /// Final mixture weights, `[edge][op]` (ops in NB201 order).
    pub mixture: Vec<[f64; NB201_OPS]>,
    /// Validation accuracy of the derived cell with the shared weights.
    pub valid_accuracy: f64,
    /// Test accuracy of the derived cell with the shared weights (reports only).
    pub test_accuracy: f64,
    /// Wall-clock seconds of the search.
    pub wall_seconds: f64,
}

/// Seed streams of a search.
mod stream {
    pub const SUPERNET: u64 = 1;
    pub const ARCH: u64 = 2;
    pub const TRAIN_ORDER: u64 = 3;
    pub const VALID_ORDER: u64 = 4;
}

/// Runs DARTS on `splits` with `settings`; `seed` fixes the weights, the
/// logits and the batch order. After every epoch `progress` gets the epoch's
/// report and, when `checkpoint_dir` is given, the supernet and the logits
/// are written there (`supernet.bin`, `arch_weights.bin`, Burn's binary format).
pub fn run_darts<B: AutodiffBackend>(
    splits: &DataSplits,
    settings: &DartsSettings,
    seed: u64,
    device: &B::Device,
    checkpoint_dir: Option<&Path>,
    progress: &mut dyn FnMut(&DartsEpoch),
) -> Result<DartsReport, OneShotError> {
    settings.validate()?;
    let start = Instant::now();
    let shape = splits.train.shape();
    let config = Nb201NetworkConfig {
        channels: settings.channels,
        cells_per_stage: settings.cells_per_stage,
        num_classes: splits.train.num_classes(),
        input_channels: shape.channels,
    };
    let mut supernet: Nb201Supernet<B> = Nb201Supernet::new(
        &config,
        &mut rng_from_seed(derive_seed(seed, &[stream::SUPERNET])),
        device,
    )?;
    let mut arch_weights: Nb201ArchWeights<B> = Nb201ArchWeights::new(
        &mut rng_from_seed(derive_seed(seed, &[stream::ARCH])),
        device,
    );
    let mut weight_optimizer = SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(settings.momentum)
                .with_dampening(0.0),
        ))
        .with_weight_decay(Some(WeightDecayConfig::new(settings.weight_decay as f32)))
        .init::<B, Nb201Supernet<B>>();
    let mut arch_optimizer = AdamConfig::new()
        .with_beta_1(0.5)
        .with_beta_2(0.999)
        .with_epsilon(1e-8)
        .with_weight_decay(Some(WeightDecayConfig::new(
            settings.arch_weight_decay as f32,
        )))
        .init::<B, Nb201ArchWeights<B>>();

    let batcher = ImageBatcher {
        normalization: Normalization::fit(&splits.train),
        augmentation: None,
    };
    let mut train_stream = BatchStream::new(
        splits.train.len(),
        settings.batch_size,
        derive_seed(seed, &[stream::TRAIN_ORDER]),
    );
    let mut valid_stream = BatchStream::new(
        splits.validation.len(),
        settings.batch_size,
        derive_seed(seed, &[stream::VALID_ORDER]),
    );
    if settings.batch_size > splits.train.len().min(splits.validation.len()) {
        return Err(oxinas_core::ConfigError::new(
            "batch_size",
            format!(
                "at most the size of the training ({}) and validation ({}) splits",
                splits.train.len(),
                splits.validation.len()
            ),
        )
        .into());
    }
    let steps_per_epoch = settings
        .steps_per_epoch
        .map_or(train_stream.batches_per_pass(), |s| {
            s.min(train_stream.batches_per_pass())
        });
    let schedule = CosineSchedule {
        base_lr: settings.weight_lr,
        min_lr: settings.weight_min_lr,
        warmup_steps: 0,
        total_steps: settings.epochs * steps_per_epoch,
    };
    // Batches are never augmented, so this generator is never drawn from.
    let mut unused_rng = rng_from_seed(0);
    let labels = |data: &oxinas_train::ImageDataset, batch: &[usize]| -> Vec<usize> {
        batch.iter().map(|&i| data.label(i)).collect()
    };

    let mut epochs = Vec::new();
    let mut step = 0;
    for epoch in 1..=settings.epochs {
        let epoch_start = Instant::now();
        let (mut train_loss, mut arch_loss, mut correct, mut seen) = (0.0, 0.0, 0, 0);
        for _ in 0..steps_per_epoch {
            let lr = schedule.lr(step);
            let train_batch = train_stream.next_batch();
            let valid_batch = valid_stream.next_batch();
            let (train_x, _) =
                batcher.batch::<B>(&splits.train, &train_batch, &mut unused_rng, device);
            let train_y = labels(&splits.train, &train_batch);
            let (valid_x, _) =
                batcher.batch::<B>(&splits.validation, &valid_batch, &mut unused_rng, device);
            let valid_y = labels(&splits.validation, &valid_batch);

            // Architecture step on the validation batch.
            let (loss, arch_grads) = match settings.order {
                DartsOrder::First => {
                    let loss = smoothed_cross_entropy(
                        supernet.forward_mixture(valid_x, arch_weights.mixture()),
                        &valid_y,
                        0.0,
                    );
                    let value = scalar(&loss);
                    let mut grads = loss.backward();
                    (
                        value,
                        GradientsParams::from_module(&mut grads, &arch_weights),
                    )
                }
                DartsOrder::Second => second_order_arch_gradient(
                    &supernet,
                    &arch_weights,
                    (train_x.clone(), &train_y),
                    (valid_x, &valid_y),
                    lr,
                ),
            };
            check_finite("architecture", loss, epoch, step)?;
            arch_loss += loss;
            arch_weights = arch_optimizer.step(settings.arch_lr, arch_weights, arch_grads);

            // Weight step on the training batch, the mixture held fixed.
            let logits = supernet.forward_mixture(train_x, arch_weights.mixture().detach());
            let targets = Tensor::<B, 1, burn::tensor::Int>::from_data(
                burn::tensor::TensorData::new(
                    train_y.iter().map(|&y| y as i64).collect::<Vec<_>>(),
                    [train_y.len()],
                ),
                device,
            );
            let loss = smoothed_cross_entropy(logits.clone(), &train_y, 0.0);
            let value = scalar(&loss);
            check_finite("training", value, epoch, step)?;
            train_loss += value;
            correct += correct_predictions(logits.detach(), targets);
            seen += train_y.len();
            let mut grads = GradientsParams::from_grads(loss.backward(), &supernet);
            clip_global_norm::<B, _>(&supernet, &mut grads, settings.grad_clip_norm);
            supernet = weight_optimizer.step(lr, supernet, grads);
            step += 1;
        }
        let arch = arch_weights.derive();
        let mixture = arch_weights.probabilities();
        let arch_valid_accuracy = supernet_accuracy(
            &supernet.valid(),
            &arch,
            &splits.validation,
            &batcher,
            settings.eval_batch_size,
            device,
        );
        let report = DartsEpoch {
            epoch,
            epochs: settings.epochs,
            train_loss: train_loss / steps_per_epoch as f64,
            train_accuracy: correct as f64 / seen.max(1) as f64,
            arch_loss: arch_loss / steps_per_epoch as f64,
            arch: arch.op_digits(),
            arch_valid_accuracy,
            mean_entropy: mean_entropy(&mixture),
            skip_edges: arch
                .ops
                .iter()
                .filter(|&&op| op == oxinas_spaces::Nb201Op::SkipConnect)
                .count(),
            seconds: epoch_start.elapsed().as_secs_f64(),
        };
        if let Some(dir) = checkpoint_dir {
            save_checkpoint(&supernet, &arch_weights, dir)?;
        }
        progress(&report);
        epochs.push(report);
    }
    let arch = arch_weights.derive();
    let inference = supernet.valid();
    let accuracy_on = |data| {
        supernet_accuracy(
            &inference,
            &arch,
            data,
            &batcher,
            settings.eval_batch_size,
            device,
        )
    };
    Ok(DartsReport {
        valid_accuracy: accuracy_on(&splits.validation),
        test_accuracy: accuracy_on(&splits.test),
        arch: arch.op_digits(),
        arch_string: arch_string(&arch),
        mixture: arch_weights.probabilities(),
        epochs,
        wall_seconds: start.elapsed().as_secs_f64(),
    })
}

/// DARTS' second-order architecture gradient (eq. 7-8 of the paper):
/// `dα L_val(w', α) - ξ (dα L_train(w+, α) - dα L_train(w-, α)) / 2ε` with
/// the virtual step `w' = w - ξ dw L_train(w, α)` and `w± = w ± ε dw' L_val(w', α)`,
/// `ε = 0.01 / |dw' L_val|`. The virtual step is plain SGD (no momentum or
/// weight decay), a simplification of the paper's code. Returns the
/// validation loss at `w'` and the gradient.
fn second_order_arch_gradient<B: AutodiffBackend>(
    supernet: &Nb201Supernet<B>,
    arch_weights: &Nb201ArchWeights<B>,
    train: (Tensor<B, 4>, &[usize]),
    valid: (Tensor<B, 4>, &[usize]),
    xi: f64,
) -> (f64, GradientsParams) {
    let (train_x, train_y) = train;
    let (valid_x, valid_y) = valid;
    let train_loss = |net: &Nb201Supernet<B>, mixture| {
        smoothed_cross_entropy(net.forward_mixture(train_x.clone(), mixture), train_y, 0.0)
    };
    let weight_grads = GradientsParams::from_grads(
        train_loss(supernet, arch_weights.mixture().detach()).backward(),
        supernet,
    );
    let virtual_net = shift_by_gradients(supernet.clone(), &weight_grads, -xi);
    let valid_loss = smoothed_cross_entropy(
        virtual_net.forward_mixture(valid_x, arch_weights.mixture()),
        valid_y,
        0.0,
    );
    let loss_value = scalar(&valid_loss);
    let mut grads = valid_loss.backward();
    let alpha_grads = GradientsParams::from_module(&mut grads, arch_weights);
    let virtual_grads = GradientsParams::from_module(&mut grads, &virtual_net);
    let id = arch_weights.alpha.id;
    let Some(d_alpha) = alpha_grads.get::<B::InnerBackend, 2>(id) else {
        return (loss_value, alpha_grads);
    };
    let norm = global_grad_norm::<B, _>(&virtual_net, &virtual_grads);
    let combined = if norm > 0.0 && norm.is_finite() {
        let eps = 0.01 / norm;
        let alpha_grad_at = |scale: f64| {
            let shifted = shift_by_gradients(supernet.clone(), &virtual_grads, scale);
            let mut g = train_loss(&shifted, arch_weights.mixture()).backward();
            GradientsParams::from_module(&mut g, arch_weights).get::<B::InnerBackend, 2>(id)
        };
        match (alpha_grad_at(eps), alpha_grad_at(-eps)) {
            (Some(plus), Some(minus)) => d_alpha - (plus - minus).mul_scalar(xi / (2.0 * eps)),
            _ => d_alpha,
        }
    } else {
        d_alpha
    };
    let mut out = GradientsParams::new();
    out.register::<B::InnerBackend, 2>(id, combined);
    (loss_value, out)
}

fn scalar<B: burn::tensor::backend::Backend>(loss: &Tensor<B, 1>) -> f64 {
    loss.clone().into_scalar().elem()
}

fn check_finite(
    what: &'static str,
    value: f64,
    epoch: usize,
    step: usize,
) -> Result<(), OneShotError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(OneShotError::Diverged {
            what,
            value,
            epoch,
            step,
        })
    }
}

/// The benchmark's string form, `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
fn arch_string(arch: &Nb201Arch) -> String {
    let name = |edge: usize| arch.ops[edge].name();
    format!(
        "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|",
        name(0),
        name(1),
        name(2),
        name(3),
        name(4),
        name(5)
    )
}

fn save_checkpoint<B: AutodiffBackend>(
    supernet: &Nb201Supernet<B>,
    arch_weights: &Nb201ArchWeights<B>,
    dir: &Path,
) -> Result<(), OneShotError> {
    let recorder = BinFileRecorder::<FullPrecisionSettings>::new();
    let failed = |path: &Path, e: &dyn std::fmt::Display| OneShotError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, &e))?;
    let path = dir.join("supernet");
    supernet
        .clone()
        .save_file(&path, &recorder)
        .map_err(|e| failed(&path, &e))?;
    let path = dir.join("arch_weights");
    arch_weights
        .clone()
        .save_file(&path, &recorder)
        .map_err(|e| failed(&path, &e))?;
    Ok(())
}
