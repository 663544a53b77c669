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

use oxinas_core::seed::{SeededRng, derive_seed, rng_from_seed};
use oxinas_train::{
    CosineSchedule, DataSplits, ImageBatcher, ImageDataset, Nb201NetworkConfig, Normalization,
    clip_global_norm, correct_predictions, global_grad_norm, smoothed_cross_entropy,
};

use crate::architecture_weights::{ArchWeights, mean_entropy};
use crate::checkpoint::save_module;
use crate::darts_settings::{DartsOrder, DartsSettings, SupernetSpace};
use crate::darts_supernet::{DartsSupernet, DartsSupernetConfig};
use crate::module_shift::{SgdTrace, shift_by_gradients};
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
    pub const TRAIN_AUGMENT: u64 = 5;
    pub const VALID_AUGMENT: u64 = 6;
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

        // Evaluation batches as they are; the weight and architecture steps'
        // batches augmented, each from its own seeded generator.
        let batcher = ImageBatcher {
            normalization: Normalization::fit(&splits.train),
            augmentation: None,
        };
        let search_batcher = ImageBatcher {
            augmentation: settings.augmentation.for_images(splits.train.shape()),
            ..batcher.clone()
        };
        let mut train_augment = rng_from_seed(derive_seed(seed, &[stream::TRAIN_AUGMENT]));
        let mut valid_augment = rng_from_seed(derive_seed(seed, &[stream::VALID_AUGMENT]));
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
        let batch_of = |data: &ImageDataset, indices: &[usize], rng: &mut SeededRng| {
            let (images, targets) = search_batcher.batch::<B>(data, indices, rng, device);
            let labels: Vec<usize> = indices.iter().map(|&i| data.label(i)).collect();
            (images, targets, labels)
        };

        // The weights' SGD as the second-order virtual step unrolls it.
        let mut sgd_trace = SgdTrace::new(settings.momentum, settings.weight_decay);
        let mut epochs = Vec::new();
        let mut step = 0;
        for epoch in 1..=settings.epochs {
            let epoch_start = Instant::now();
            let (mut train_loss, mut arch_loss, mut correct, mut seen) = (0.0, 0.0, 0, 0);
            for _ in 0..steps_per_epoch {
                let lr = schedule.lr(step);
                let (train_x, train_t, train_y) = batch_of(
                    &splits.train,
                    &train_stream.next_batch(),
                    &mut train_augment,
                );
                let (valid_x, _, valid_y) = batch_of(
                    &splits.validation,
                    &valid_stream.next_batch(),
                    &mut valid_augment,
                );

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
                        &sgd_trace,
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
                if settings.order == DartsOrder::Second {
                    sgd_trace.record::<B, S>(&supernet, &grads);
                }
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
    sgd: &SgdTrace,
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
        sgd,
    )
}

/// DARTS' second-order architecture gradient (eq. 7-8 of the paper):
/// `dα L_val(w', α) - ξ (dα L_train(w+, α) - dα L_train(w-, α)) / 2ε` with
/// `w± = w ± ε dw' L_val(w', α)`, `ε = 0.01 / |dw' L_val|`, and the virtual
/// step of DARTS' `architect.py`, the step the weights' SGD would take next:
/// `w' = w - ξ (μ v + dw L_train(w, α) + λ w)` with `sgd`'s momentum `μ`,
/// momentum buffer `v` and weight decay `λ` (neither `v` nor `λ w` depends
/// on `α`, so the Hessian term is the paper's). `train_loss` and
/// `valid_loss` give a network's loss on the training and the validation
/// batch under mixtures. Returns the validation loss at `w'` and the gradient.
pub(crate) fn second_order_gradient<B, S>(
    supernet: &S,
    arch_weights: &ArchWeights<B>,
    train_loss: impl Fn(&S, &[Tensor<B, 2>]) -> Tensor<B, 1>,
    valid_loss: impl Fn(&S, &[Tensor<B, 2>]) -> Tensor<B, 1>,
    xi: f64,
    sgd: &SgdTrace,
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
    let direction = sgd.direction::<B, S>(supernet, &weight_grads);
    let virtual_net = shift_by_gradients(supernet.clone(), &direction, -xi);
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

#[cfg(test)]
mod tests {
    //! The second-order hypergradient against a central finite difference of
    //! the function it is the gradient of, on a model small enough to write
    //! out by hand: weights `w` (3), mixtures `m = softmax(α)` over 2 edges x
    //! 3 ops, and for inputs `x_j` the prediction
    //! `y_j = Σ_ek m_ek tanh(Σ_i A_i,ek x_ji w_i)` with squared loss
    //! `L(w, m) = mean_j (y_j - t_j)² / 2` on a training and a validation batch,
    //! and the virtual step of DARTS' `architect.py` with a momentum buffer
    //! `v` and weight decay `λ`: `w' = w - ξ (μ v + dw L_train + λ w)`.

    use burn::backend::{Autodiff, NdArray};
    use burn::module::{Module, Param};
    use burn::tensor::TensorData;
    use rand::Rng;

    use super::*;

    type Ad = Autodiff<NdArray<f64>>;

    const WEIGHTS: usize = 3;
    const EDGES: usize = 2;
    const OPS: usize = 3;
    const PATHS: usize = EDGES * OPS;
    const SAMPLES: usize = 4;
    const XI: f64 = 0.5;
    /// The implementation's Hessian-vector product is itself a central
    /// difference (step 0.01 / |v| along v): its truncation error, about
    /// ξ (0.01)² / 6 times a third derivative of order 1, is near 1e-6 at
    /// worst, and near 1e-9 on this model; the reference's own central
    /// difference (step 1e-5) errs by about 1e-10.
    const TOLERANCE: f64 = 1e-6;

    #[derive(Module, Debug)]
    struct Tiny<B: Backend> {
        w: Param<Tensor<B, 2>>,
    }

    /// One batch: inputs `[SAMPLES, WEIGHTS]` and targets.
    struct Batch {
        x: Vec<f64>,
        t: Vec<f64>,
    }

    struct Problem {
        /// `A`, `[WEIGHTS, PATHS]`.
        a: Vec<f64>,
        w: Vec<f64>,
        alpha: Vec<f64>,
        train: Batch,
        valid: Batch,
        /// The weights' SGD: momentum `μ`, weight decay `λ`, buffer `v`.
        momentum: f64,
        weight_decay: f64,
        velocity: Vec<f64>,
    }

    fn draws(rng: &mut oxinas_core::seed::SeededRng, n: usize) -> Vec<f64> {
        (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
    }

    fn problem() -> Problem {
        let mut rng = rng_from_seed(7);
        let mut batch = || Batch {
            x: draws(&mut rng, SAMPLES * WEIGHTS),
            t: draws(&mut rng, SAMPLES),
        };
        let (train, valid) = (batch(), batch());
        Problem {
            train,
            valid,
            a: draws(&mut rng, WEIGHTS * PATHS),
            w: draws(&mut rng, WEIGHTS),
            alpha: draws(&mut rng, PATHS),
            momentum: 0.9,
            weight_decay: 0.3,
            velocity: draws(&mut rng, WEIGHTS),
        }
    }

    // The plain-f64 reference.

    fn softmax_rows(alpha: &[f64]) -> Vec<f64> {
        alpha
            .chunks(OPS)
            .flat_map(|row| {
                let max = row.iter().copied().fold(f64::MIN, f64::max);
                let e: Vec<f64> = row.iter().map(|a| (a - max).exp()).collect();
                let sum: f64 = e.iter().sum();
                e.into_iter().map(move |v| v / sum)
            })
            .collect()
    }

    /// `tanh(z_j,p)` for every sample `j` and path `p`.
    fn activations(p: &Problem, w: &[f64], b: &Batch) -> Vec<[f64; PATHS]> {
        (0..SAMPLES)
            .map(|j| {
                std::array::from_fn(|path| {
                    (0..WEIGHTS)
                        .map(|i| p.a[i * PATHS + path] * b.x[j * WEIGHTS + i] * w[i])
                        .sum::<f64>()
                        .tanh()
                })
            })
            .collect()
    }

    fn residuals(p: &Problem, w: &[f64], m: &[f64], b: &Batch) -> Vec<f64> {
        activations(p, w, b)
            .iter()
            .zip(&b.t)
            .map(|(h, t)| h.iter().zip(m).map(|(h, m)| h * m).sum::<f64>() - t)
            .collect()
    }

    fn loss(p: &Problem, w: &[f64], m: &[f64], b: &Batch) -> f64 {
        let r = residuals(p, w, m, b);
        r.iter().map(|r| r * r).sum::<f64>() / (2.0 * SAMPLES as f64)
    }

    /// `dL/dw_i = mean_j r_j Σ_p m_p (1 - tanh²(z_jp)) A_ip x_ji`.
    fn loss_grad_w(p: &Problem, w: &[f64], m: &[f64], b: &Batch) -> Vec<f64> {
        let h = activations(p, w, b);
        let r = residuals(p, w, m, b);
        (0..WEIGHTS)
            .map(|i| {
                (0..SAMPLES)
                    .map(|j| {
                        let dy: f64 = (0..PATHS)
                            .map(|path| {
                                m[path] * (1.0 - h[j][path].powi(2)) * p.a[i * PATHS + path]
                            })
                            .sum();
                        r[j] * dy * b.x[j * WEIGHTS + i]
                    })
                    .sum::<f64>()
                    / SAMPLES as f64
            })
            .collect()
    }

    /// The virtual step's weights `w - ξ (μ v + dw L_train(w, m) + λ w)`.
    fn virtual_weights(p: &Problem, m: &[f64]) -> Vec<f64> {
        let g = loss_grad_w(p, &p.w, m, &p.train);
        (0..WEIGHTS)
            .map(|i| {
                let step = p.momentum * p.velocity[i] + g[i] + p.weight_decay * p.w[i];
                p.w[i] - XI * step
            })
            .collect()
    }

    /// `L_val(w', m(α))` at the virtual step's `w'`: the function DARTS'
    /// second-order architecture gradient is the gradient of.
    fn after_virtual_step(p: &Problem, alpha: &[f64]) -> f64 {
        let m = softmax_rows(alpha);
        loss(p, &virtual_weights(p, &m), &m, &p.valid)
    }

    fn central_difference(f: impl Fn(&[f64]) -> f64, at: &[f64]) -> Vec<f64> {
        let h = 1e-5;
        (0..at.len())
            .map(|k| {
                let mut plus = at.to_vec();
                let mut minus = at.to_vec();
                plus[k] += h;
                minus[k] -= h;
                (f(&plus) - f(&minus)) / (2.0 * h)
            })
            .collect()
    }

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
    }

    // The same model in Burn, through the closure-based function.

    fn tensor<const D: usize>(values: &[f64], shape: [usize; D]) -> Tensor<Ad, D> {
        Tensor::from_data(TensorData::new(values.to_vec(), shape), &Default::default())
    }

    fn burn_loss(
        p: &Problem,
        net: &Tiny<Ad>,
        mixtures: &[Tensor<Ad, 2>],
        b: &Batch,
    ) -> Tensor<Ad, 1> {
        let x = tensor(&b.x, [SAMPLES, WEIGHTS]);
        let z = (x * net.w.val()).matmul(tensor(&p.a, [WEIGHTS, PATHS]));
        let m = mixtures[0].clone().reshape([1, PATHS]);
        let y = (z.tanh() * m).sum_dim(1).reshape([SAMPLES]);
        (y - tensor(&b.t, [SAMPLES]))
            .powi_scalar(2)
            .mean()
            .mul_scalar(0.5)
    }

    /// The implementation's gradient on `p`.
    fn ours(p: &Problem) -> (f64, Vec<f64>) {
        let net = Tiny {
            w: Param::from_tensor(tensor(&p.w, [1, WEIGHTS])),
        };
        let arch = ArchWeights {
            alphas: vec![Param::from_tensor(tensor(&p.alpha, [EDGES, OPS]))],
        };
        let mut velocity = GradientsParams::new();
        velocity.register::<NdArray<f64>, 2>(net.w.id, tensor(&p.velocity, [1, WEIGHTS]).inner());
        let sgd = SgdTrace::with_velocity(p.momentum, p.weight_decay, velocity);
        let (value, grads) = second_order_gradient(
            &net,
            &arch,
            |net: &Tiny<Ad>, m: &[Tensor<Ad, 2>]| burn_loss(p, net, m, &p.train),
            |net: &Tiny<Ad>, m: &[Tensor<Ad, 2>]| burn_loss(p, net, m, &p.valid),
            XI,
            &sgd,
        );
        let gradient = grads
            .get::<NdArray<f64>, 2>(arch.alphas[0].id)
            .unwrap()
            .into_data()
            .to_vec()
            .unwrap();
        (value, gradient)
    }

    #[test]
    fn second_order_gradient_is_the_derivative_after_the_virtual_step() {
        // f64 tensors: alone in its process (see `run_isolated`).
        if oxinas_testkit::run_isolated(concat!(
            module_path!(),
            "::second_order_gradient_is_the_derivative_after_the_virtual_step"
        )) {
            return;
        }
        let full = problem();
        // Plain SGD (no momentum buffer, no weight decay), and DARTS' SGD
        // with both.
        let plain = Problem {
            momentum: 0.0,
            weight_decay: 0.0,
            ..problem()
        };
        for p in [&plain, &full] {
            let (value, ours) = ours(p);
            let exact = central_difference(|a| after_virtual_step(p, a), &p.alpha);
            assert!(
                (value - after_virtual_step(p, &p.alpha)).abs() < 1e-12,
                "{value}"
            );
            let error = max_abs_diff(&ours, &exact);
            assert!(error < TOLERANCE, "{ours:?} vs {exact:?}: {error}");

            // The Hessian term matters here, so a gradient that dropped it
            // (first order, at w or at the virtual step's w') would fail the
            // check above.
            let w_virtual = virtual_weights(p, &softmax_rows(&p.alpha));
            let at_virtual = central_difference(
                |a| loss(p, &w_virtual, &softmax_rows(a), &p.valid),
                &p.alpha,
            );
            let first_order =
                central_difference(|a| loss(p, &p.w, &softmax_rows(a), &p.valid), &p.alpha);
            for other in [at_virtual, first_order] {
                let gap = max_abs_diff(&exact, &other);
                assert!(gap > 100.0 * TOLERANCE, "{other:?} vs {exact:?}: {gap}");
            }
        }
        // Momentum and weight decay move the virtual step enough that the
        // plain step's gradient would fail the full problem's check.
        let plain_exact = central_difference(|a| after_virtual_step(&plain, a), &plain.alpha);
        let full_exact = central_difference(|a| after_virtual_step(&full, a), &full.alpha);
        let gap = max_abs_diff(&plain_exact, &full_exact);
        assert!(gap > 100.0 * TOLERANCE, "{gap}");
    }

    #[test]
    fn the_hand_gradient_of_the_reference_agrees_with_its_finite_difference() {
        // Guards the reference itself: dw L by hand against a central difference.
        let p = problem();
        let m = softmax_rows(&p.alpha);
        let by_hand = loss_grad_w(&p, &p.w, &m, &p.train);
        let numeric = central_difference(|w| loss(&p, w, &m, &p.train), &p.w);
        assert!(
            max_abs_diff(&by_hand, &numeric) < 1e-9,
            "{by_hand:?} vs {numeric:?}"
        );
    }
}
