//! DARTS (Liu et al., ICLR 2019) on a supernet: architecture logits and
//! supernet weights updated in alternation, the weights on the training
//! split and the logits on the validation split, then the architecture the
//! logits stand for.

use std::path::Path;
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, Optimizer, SgdConfig};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use serde::{Deserialize, Serialize};

use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_train::{
    CosineSchedule, DataSplits, ImageBatcher, ImageDataset, Nb201NetworkConfig, Normalization,
    clip_global_norm, correct_predictions, global_grad_norm, smoothed_cross_entropy,
};

use crate::architecture_weights::{ArchWeights, mean_entropy};
use crate::checkpoint::save_module;
use crate::darts_settings::{DartsOrder, DartsSettings, SupernetSpace};
use crate::darts_supernet::{DartsSupernet, DartsSupernetConfig};
use crate::module_shift::shift_by_gradients;
use crate::nb201_supernet::Nb201Supernet;
use crate::oneshot_error::OneShotError;
use crate::search_supernet::{Mixture, SearchSupernet};
use crate::supernet_evaluation::{BatchStream, check_batch_size, supernet_accuracy};

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
    /// The architecture derived from the logits after the epoch (short form).
    pub arch: String,
    /// Validation accuracy of that architecture with the shared weights.
    pub arch_valid_accuracy: f64,
    /// Mean entropy (nats) of the edges' mixtures: `ln(ops)` uniform, 0 one-hot.
    pub mean_entropy: f64,
    /// Skip connections in the derived architecture (DARTS' known collapse).
    pub skip_edges: usize,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
}

/// The result of a DARTS search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DartsReport {
    /// The searched space.
    pub space: SupernetSpace,
    /// One entry per epoch.
    pub epochs: Vec<DartsEpoch>,
    /// The derived architecture (NB201: op digits; DARTS: compact genotype).
    pub arch: String,
    /// The derived architecture in its space's published string format.
    pub arch_string: String,
    /// Final mixture weights: per cell kind, `[edge][op]`.
    pub mixture: Mixture,
    /// Validation accuracy of the derived architecture with the shared weights.
    pub valid_accuracy: f64,
    /// Test accuracy of the derived architecture with the shared weights (reports only).
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
    check_batch_size(splits, settings.batch_size)?;
    let mut rng = rng_from_seed(derive_seed(seed, &[stream::SUPERNET]));
    let (num_classes, input_channels) = (splits.train.num_classes(), splits.train.shape().channels);
    let search = Search {
        splits,
        settings,
        seed,
        device,
        checkpoint_dir,
    };
    match settings.space {
        SupernetSpace::Nb201 => {
            let config = Nb201NetworkConfig {
                channels: settings.channels,
                cells_per_stage: settings.cells_per_stage,
                num_classes,
                input_channels,
            };
            search.run(
                Nb201Supernet::<B>::new(&config, &mut rng, device)?,
                progress,
            )
        }
        SupernetSpace::Darts => {
            let config = DartsSupernetConfig {
                channels: settings.channels,
                layers: settings.layers,
                num_classes,
                input_channels,
            };
            search.run(
                DartsSupernet::<B>::new(&config, &mut rng, device)?,
                progress,
            )
        }
    }
}

struct Search<'a, B: AutodiffBackend> {
    splits: &'a DataSplits,
    settings: &'a DartsSettings,
    seed: u64,
    device: &'a B::Device,
    checkpoint_dir: Option<&'a Path>,
}

impl<B: AutodiffBackend> Search<'_, B> {
    fn run<S>(
        &self,
        mut supernet: S,
        progress: &mut dyn FnMut(&DartsEpoch),
    ) -> Result<DartsReport, OneShotError>
    where
        S: SearchSupernet<B> + AutodiffModule<B>,
        S::InnerModule: SearchSupernet<B::InnerBackend, Arch = S::Arch>,
    {
        let (splits, settings, seed, device) = (self.splits, self.settings, self.seed, self.device);
        let start = Instant::now();
        let mut arch_weights: ArchWeights<B> = ArchWeights::new(
            &S::logit_shapes(),
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
            .init::<B, S>();
        let mut arch_optimizer = AdamConfig::new()
            .with_beta_1(0.5)
            .with_beta_2(0.999)
            .with_epsilon(1e-8)
            .with_weight_decay(Some(WeightDecayConfig::new(
                settings.arch_weight_decay as f32,
            )))
            .init::<B, ArchWeights<B>>();

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
        let mut batch_of = |data: &ImageDataset, indices: &[usize]| {
            let (images, targets) = batcher.batch::<B>(data, indices, &mut unused_rng, device);
            let labels: Vec<usize> = indices.iter().map(|&i| data.label(i)).collect();
            (images, targets, labels)
        };

        let mut epochs = Vec::new();
        let mut step = 0;
        for epoch in 1..=settings.epochs {
            let epoch_start = Instant::now();
            let (mut train_loss, mut arch_loss, mut correct, mut seen) = (0.0, 0.0, 0, 0);
            for _ in 0..steps_per_epoch {
                let lr = schedule.lr(step);
                let (train_x, train_t, train_y) =
                    batch_of(&splits.train, &train_stream.next_batch());
                let (valid_x, _, valid_y) =
                    batch_of(&splits.validation, &valid_stream.next_batch());

                // Architecture step on the validation batch.
                let (loss, arch_grads) = match settings.order {
                    DartsOrder::First => {
                        let loss = smoothed_cross_entropy(
                            supernet.forward_mixture(valid_x, &arch_weights.mixtures()),
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
                let fixed: Vec<Tensor<B, 2>> = arch_weights
                    .mixtures()
                    .into_iter()
                    .map(Tensor::detach)
                    .collect();
                let logits = supernet.forward_mixture(train_x, &fixed);
                let loss = smoothed_cross_entropy(logits.clone(), &train_y, 0.0);
                let value = scalar(&loss);
                check_finite("training", value, epoch, step)?;
                train_loss += value;
                correct += correct_predictions(logits.detach(), train_t);
                seen += train_y.len();
                let mut grads = GradientsParams::from_grads(loss.backward(), &supernet);
                clip_global_norm::<B, S>(&supernet, &mut grads, settings.grad_clip_norm);
                supernet = weight_optimizer.step(lr, supernet, grads);
                step += 1;
            }
            let mixture = arch_weights.probabilities();
            let arch = S::derive(&mixture);
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
                arch: S::short_name(&arch),
                arch_valid_accuracy,
                mean_entropy: mean_entropy(&mixture),
                skip_edges: S::skip_connections(&arch),
                seconds: epoch_start.elapsed().as_secs_f64(),
            };
            if let Some(dir) = self.checkpoint_dir {
                save_module(&supernet, dir, "supernet")?;
                save_module(&arch_weights, dir, "arch_weights")?;
            }
            progress(&report);
            epochs.push(report);
        }
        let mixture = arch_weights.probabilities();
        let arch = S::derive(&mixture);
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
            space: settings.space,
            valid_accuracy: accuracy_on(&splits.validation),
            test_accuracy: accuracy_on(&splits.test),
            arch: S::short_name(&arch),
            arch_string: S::long_name(&arch),
            mixture,
            epochs,
            wall_seconds: start.elapsed().as_secs_f64(),
        })
    }
}

/// DARTS' second-order architecture gradient on image batches with
/// cross-entropy ([`second_order_gradient`] with those losses).
fn second_order_arch_gradient<B, S>(
    supernet: &S,
    arch_weights: &ArchWeights<B>,
    train: (Tensor<B, 4>, &[usize]),
    valid: (Tensor<B, 4>, &[usize]),
    xi: f64,
) -> (f64, GradientsParams)
where
    B: AutodiffBackend,
    S: SearchSupernet<B> + AutodiffModule<B>,
{
    let (train_x, train_y) = train;
    let (valid_x, valid_y) = valid;
    second_order_gradient(
        supernet,
        arch_weights,
        |net: &S, mixtures: &[Tensor<B, 2>]| {
            smoothed_cross_entropy(net.forward_mixture(train_x.clone(), mixtures), train_y, 0.0)
        },
        |net: &S, mixtures: &[Tensor<B, 2>]| {
            smoothed_cross_entropy(net.forward_mixture(valid_x.clone(), mixtures), valid_y, 0.0)
        },
        xi,
    )
}

/// DARTS' second-order architecture gradient (eq. 7-8 of the paper):
/// `dα L_val(w', α) - ξ (dα L_train(w+, α) - dα L_train(w-, α)) / 2ε` with
/// the virtual step `w' = w - ξ dw L_train(w, α)` and `w± = w ± ε dw' L_val(w', α)`,
/// `ε = 0.01 / |dw' L_val|`. The virtual step is plain SGD (no momentum or
/// weight decay), a simplification of the paper's code. `train_loss` and
/// `valid_loss` give a network's loss on the training and the validation
/// batch under mixtures. Returns the validation loss at `w'` and the gradient.
pub(crate) fn second_order_gradient<B, S>(
    supernet: &S,
    arch_weights: &ArchWeights<B>,
    train_loss: impl Fn(&S, &[Tensor<B, 2>]) -> Tensor<B, 1>,
    valid_loss: impl Fn(&S, &[Tensor<B, 2>]) -> Tensor<B, 1>,
    xi: f64,
) -> (f64, GradientsParams)
where
    B: AutodiffBackend,
    S: AutodiffModule<B>,
{
    let fixed: Vec<Tensor<B, 2>> = arch_weights
        .mixtures()
        .into_iter()
        .map(Tensor::detach)
        .collect();
    let weight_grads =
        GradientsParams::from_grads(train_loss(supernet, &fixed).backward(), supernet);
    let virtual_net = shift_by_gradients(supernet.clone(), &weight_grads, -xi);
    let valid_loss = valid_loss(&virtual_net, &arch_weights.mixtures());
    let loss_value = scalar(&valid_loss);
    let mut grads = valid_loss.backward();
    let alpha_grads = GradientsParams::from_module(&mut grads, arch_weights);
    let virtual_grads = GradientsParams::from_module(&mut grads, &virtual_net);
    let norm = global_grad_norm::<B, S>(&virtual_net, &virtual_grads);
    if !(norm > 0.0 && norm.is_finite()) {
        return (loss_value, alpha_grads);
    }
    let eps = 0.01 / norm;
    let alpha_grads_at = |scale: f64| {
        let shifted = shift_by_gradients(supernet.clone(), &virtual_grads, scale);
        let mut g = train_loss(&shifted, &arch_weights.mixtures()).backward();
        GradientsParams::from_module(&mut g, arch_weights)
    };
    let (plus, minus) = (alpha_grads_at(eps), alpha_grads_at(-eps));
    let mut out = GradientsParams::new();
    for alpha in &arch_weights.alphas {
        let id = alpha.id;
        let Some(d_alpha) = alpha_grads.get::<B::InnerBackend, 2>(id) else {
            continue;
        };
        let combined = match (
            plus.get::<B::InnerBackend, 2>(id),
            minus.get::<B::InnerBackend, 2>(id),
        ) {
            (Some(p), Some(m)) => d_alpha - (p - m).mul_scalar(xi / (2.0 * eps)),
            _ => d_alpha,
        };
        out.register::<B::InnerBackend, 2>(id, combined);
    }
    (loss_value, out)
}

pub(crate) fn scalar<B: Backend>(loss: &Tensor<B, 1>) -> f64 {
    loss.clone().into_scalar().elem()
}

pub(crate) fn check_finite(
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
