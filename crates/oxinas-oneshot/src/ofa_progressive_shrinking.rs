//! Progressive shrinking: train the full network, then let one dimension at
//! a time become elastic — kernel size, then depth (two stages), then width
//! (two stages) — training sub-networks sampled from the growing space with
//! knowledge distillation from the trained full network.
//!
//! Each phase has its own cosine learning-rate schedule (peak
//! [`OfaSettings::phase_lr`]) and a fresh optimiser; before each width stage
//! the expanded channels are sorted by importance, the second sort keeping
//! the first stage's nesting ([`OfaPhase::nested_expansions`]). Every step
//! samples [`OfaSettings::subnets_for`] sub-networks and sums their losses
//! (label-smoothed cross-entropy plus `kd_ratio` x the cross-entropy against
//! the teacher's soft targets); the teacher runs with batch statistics,
//! without gradients. Weight decay applies to convolution and linear weights
//! only, as in Once-for-All (no decay on batch norm or biases).

use std::time::Instant;

use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use oxinas_core::seed::{SeededRng, derive_seed, rng_from_seed};
use oxinas_spaces::{OFA_LAYERS, OFA_UNITS, OfaArch};
use oxinas_train::{
    Augmentation, CosineSchedule, DataSplits, ImageBatcher, Normalization, correct_predictions,
    smoothed_cross_entropy,
};

use crate::ofa_settings::{OfaPhaseEpochs, OfaSettings};
use crate::ofa_supernet::{OfaForward, OfaSupernet, largest_arch};

/// One phase of training, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfaPhase {
    /// The full network alone.
    Full,
    /// Kernel sizes 3, 5, 7; full depth and width.
    ElasticKernel,
    /// Depths 3, 4 on top of elastic kernels.
    ElasticDepth1,
    /// Depths 2, 3, 4.
    ElasticDepth2,
    /// Expansions 4, 6 on top of elastic kernels and depths.
    ElasticWidth1,
    /// Expansions 3, 4, 6: the whole space.
    ElasticWidth2,
}

impl OfaPhase {
    /// Every phase, in order.
    pub const ALL: [Self; 6] = [
        Self::Full,
        Self::ElasticKernel,
        Self::ElasticDepth1,
        Self::ElasticDepth2,
        Self::ElasticWidth1,
        Self::ElasticWidth2,
    ];

    /// A short name (checkpoint files, progress).
    pub fn name(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::ElasticKernel => "elastic_kernel",
            Self::ElasticDepth1 => "elastic_depth_1",
            Self::ElasticDepth2 => "elastic_depth_2",
            Self::ElasticWidth1 => "elastic_width_1",
            Self::ElasticWidth2 => "elastic_width_2",
        }
    }

    /// Epochs of this phase.
    pub fn epochs(self, epochs: &OfaPhaseEpochs) -> usize {
        match self {
            Self::Full => epochs.full,
            Self::ElasticKernel => epochs.kernel,
            Self::ElasticDepth1 | Self::ElasticDepth2 => epochs.depth,
            Self::ElasticWidth1 | Self::ElasticWidth2 => epochs.width,
        }
    }

    /// Kernel sizes sampled.
    pub fn kernels(self) -> &'static [u8] {
        match self {
            Self::Full => &[7],
            _ => &[3, 5, 7],
        }
    }

    /// Expansion ratios sampled.
    pub fn expansions(self) -> &'static [u8] {
        match self {
            Self::ElasticWidth1 => &[4, 6],
            Self::ElasticWidth2 => &[3, 4, 6],
            _ => &[6],
        }
    }

    /// Depths sampled.
    pub fn depths(self) -> &'static [u8] {
        match self {
            Self::Full | Self::ElasticKernel => &[4],
            Self::ElasticDepth1 => &[3, 4],
            _ => &[2, 3, 4],
        }
    }

    /// Whether the phase starts by sorting expanded channels by importance.
    pub fn sorts_channels(self) -> bool {
        matches!(self, Self::ElasticWidth1 | Self::ElasticWidth2)
    }

    /// The expansions whose channel sets a width stage's sort keeps: the
    /// second stage (3, 4, 6) sorts within the first stage's smaller width,
    /// so channels beyond expansion 4 stay there (Once-for-All's
    /// `re_organize_middle_weights` with `expand_ratio_stage = 1`); the
    /// first stage sorts all channels freely.
    pub fn nested_expansions(self) -> &'static [u8] {
        match self {
            Self::ElasticWidth2 => &[4],
            _ => &[],
        }
    }

    /// A sub-network drawn uniformly from this phase's choices.
    pub fn sample(self, rng: &mut SeededRng) -> OfaArch {
        let mut pick = |list: &[u8]| list[rng.random_range(0..list.len())];
        OfaArch {
            ks: (0..OFA_LAYERS).map(|_| pick(self.kernels())).collect(),
            e: (0..OFA_LAYERS).map(|_| pick(self.expansions())).collect(),
            d: (0..OFA_UNITS).map(|_| pick(self.depths())).collect(),
            r: None,
        }
    }
}

/// What one epoch of a phase did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfaEpochReport {
    /// The phase.
    pub phase: OfaPhase,
    /// 1-based epoch within the phase.
    pub epoch: usize,
    /// Epochs of the phase.
    pub epochs: usize,
    /// Mean training loss (cross-entropy plus distillation) per sampled sub-network.
    pub train_loss: f64,
    /// Training accuracy of the sampled sub-networks.
    pub train_accuracy: f64,
    /// Training images per second (each image counted once per step).
    pub images_per_second: f64,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
}

/// Seed streams of one phase.
mod stream {
    pub const SHUFFLE: u64 = 1;
    pub const AUGMENT: u64 = 2;
    pub const ARCH: u64 = 3;
}

/// Trains `model` for one phase; `teacher` (the trained full network, on the
/// inner backend) gives the soft targets when set. Returns the trained model,
/// the epoch reports, and why training stopped early (a non-finite loss).
#[allow(clippy::too_many_arguments)]
pub fn train_phase<B: AutodiffBackend>(
    mut model: OfaSupernet<B>,
    teacher: Option<&OfaSupernet<B::InnerBackend>>,
    phase: OfaPhase,
    splits: &DataSplits,
    settings: &OfaSettings,
    seed: u64,
    device: &B::Device,
    progress: &mut dyn FnMut(&OfaEpochReport),
) -> (OfaSupernet<B>, Vec<OfaEpochReport>, Option<String>) {
    let epochs = phase.epochs(&settings.epochs);
    let train = &splits.train;
    if epochs == 0 || train.len() < 2 {
        return (model, Vec::new(), None);
    }
    // Weight decay is added to the gradients of matrices and kernels only
    // (`DecayWeights`), so the optimiser itself has none.
    let mut config = SgdConfig::new();
    if settings.momentum > 0.0 {
        config = config.with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(settings.momentum)
                .with_dampening(0.0)
                .with_nesterov(true),
        ));
    }
    let mut optimizer = config.init::<B, OfaSupernet<B>>();
    let batcher = ImageBatcher {
        normalization: Normalization::fit(train),
        augmentation: settings.augmentation.map(|a| Augmentation {
            crop_padding: a.crop_padding,
            horizontal_flip: a.horizontal_flip,
        }),
    };
    let batch_size = settings.batch_size.min(train.len());
    let mut steps_per_epoch = train.len() / batch_size;
    if train.len() % batch_size >= 2 {
        steps_per_epoch += 1;
    }
    let base_lr = settings.phase_lr(phase);
    let subnets = settings.subnets_for(phase);
    let schedule = CosineSchedule {
        base_lr,
        min_lr: 0.0,
        warmup_steps: 0,
        total_steps: epochs * steps_per_epoch,
    };
    let phase_seed = derive_seed(seed, &[phase as u64]);
    let mut shuffle_rng = rng_from_seed(derive_seed(phase_seed, &[stream::SHUFFLE]));
    let mut augment_rng = rng_from_seed(derive_seed(phase_seed, &[stream::AUGMENT]));
    let mut arch_rng = rng_from_seed(derive_seed(phase_seed, &[stream::ARCH]));
    let full = largest_arch();
    let kd_ratio = settings.kd_ratio;
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut reports = Vec::with_capacity(epochs);
    let mut step = 0;
    for epoch in 1..=epochs {
        let start = Instant::now();
        order.shuffle(&mut shuffle_rng);
        let (mut loss_sum, mut correct, mut seen, mut images) = (0.0, 0usize, 0usize, 0usize);
        let mut lr = schedule.lr(step);
        for batch in order.chunks(batch_size).filter(|b| b.len() >= 2) {
            let (x, targets) = batcher.batch::<B>(train, batch, &mut augment_rng, device);
            let target_ix: Vec<usize> = batch.iter().map(|&i| train.label(i)).collect();
            let soft = teacher.filter(|_| kd_ratio > 0.0).map(|t| {
                let logits = t.forward(x.clone().inner(), &full, &OfaForward::batch());
                Tensor::<B, 2>::from_inner(softmax(logits, 1))
            });
            let mut total: Option<Tensor<B, 1>> = None;
            for _ in 0..subnets {
                let arch = phase.sample(&mut arch_rng);
                let logits = model.forward(x.clone(), &arch, &OfaForward::batch());
                let mut loss =
                    smoothed_cross_entropy(logits.clone(), &target_ix, settings.label_smoothing);
                if let Some(soft) = &soft {
                    let kd = (soft.clone() * log_softmax(logits.clone(), 1))
                        .sum_dim(1)
                        .mean()
                        .neg();
                    loss = loss + kd.mul_scalar(kd_ratio);
                }
                correct += correct_predictions(logits.detach(), targets.clone());
                seen += batch.len();
                total = Some(match total {
                    Some(t) => t + loss,
                    None => loss,
                });
            }
            let Some(total) = total else { continue };
            let loss_value: f64 = total.clone().into_scalar().elem();
            if !loss_value.is_finite() {
                let why = format!(
                    "loss is {loss_value} in phase {}, epoch {epoch}, step {step}",
                    phase.name()
                );
                return (model, reports, Some(why));
            }
            loss_sum += loss_value * batch.len() as f64;
            images += batch.len();
            let mut grads = GradientsParams::from_grads(total.backward(), &model);
            if settings.weight_decay > 0.0 {
                decay_weights(&model, &mut grads, settings.weight_decay);
            }
            lr = schedule.lr(step);
            model = optimizer.step(lr, model, grads);
            step += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        let report = OfaEpochReport {
            phase,
            epoch,
            epochs,
            train_loss: loss_sum / seen.max(1) as f64,
            train_accuracy: correct as f64 / seen.max(1) as f64,
            images_per_second: images as f64 / seconds.max(1e-9),
            lr,
        };
        progress(&report);
        reports.push(report);
    }
    (model, reports, None)
}

/// Adds `weight_decay * w` to the gradient of every parameter of two or more
/// dimensions (convolution kernels, kernel transformations, the classifier's
/// matrix); one-dimensional ones (batch norm's scales and shifts, the
/// classifier's bias) are left alone, as Once-for-All's `no_decay_keys`.
fn decay_weights<B: AutodiffBackend, M: burn::module::AutodiffModule<B>>(
    model: &M,
    grads: &mut GradientsParams,
    weight_decay: f64,
) {
    struct DecayWeights<'a, B> {
        grads: &'a mut GradientsParams,
        weight_decay: f64,
        backend: std::marker::PhantomData<B>,
    }
    impl<B: AutodiffBackend> burn::module::ModuleVisitor<B> for DecayWeights<'_, B> {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<B, D>>) {
            if D < 2 {
                return;
            }
            if let Some(grad) = self.grads.remove::<B::InnerBackend, D>(param.id) {
                let decayed = grad + param.val().inner().mul_scalar(self.weight_decay);
                self.grads.register::<B::InnerBackend, D>(param.id, decayed);
            }
        }
    }
    model.visit(&mut DecayWeights::<B> {
        grads,
        weight_decay,
        backend: std::marker::PhantomData,
    });
}

#[cfg(test)]
mod tests {
    use oxinas_spaces::OFA_MAX_DEPTH;

    use super::*;

    #[test]
    fn weight_decay_skips_batch_norm_and_biases() {
        use burn::backend::{Autodiff, NdArray};
        use burn::module::Param;
        use burn::tensor::TensorData;

        type Ad = Autodiff<NdArray>;
        #[derive(burn::module::Module, Debug)]
        struct Tiny<B: burn::tensor::backend::Backend> {
            matrix: Param<Tensor<B, 2>>,
            bias: Param<Tensor<B, 1>>,
        }
        let device = Default::default();
        let tiny = Tiny::<Ad> {
            matrix: Param::from_tensor(Tensor::from_data(
                TensorData::new(vec![1.0f32, -2.0], [1, 2]),
                &device,
            )),
            bias: Param::from_tensor(Tensor::from_data(
                TensorData::new(vec![3.0f32], [1]),
                &device,
            )),
        };
        // loss = sum(matrix) + sum(bias): every gradient is 1.
        let loss = tiny.matrix.val().sum() + tiny.bias.val().sum();
        let mut grads = GradientsParams::from_grads(loss.backward(), &tiny);
        decay_weights(&tiny, &mut grads, 0.5);
        let matrix: Vec<f32> = grads
            .get::<NdArray, 2>(tiny.matrix.id)
            .unwrap()
            .into_data()
            .to_vec()
            .unwrap();
        let bias: Vec<f32> = grads
            .get::<NdArray, 1>(tiny.bias.id)
            .unwrap()
            .into_data()
            .to_vec()
            .unwrap();
        // 1 + 0.5 * (1, -2) on the matrix; the bias keeps its plain 1.
        assert_eq!(matrix, vec![1.5, 0.0]);
        assert_eq!(bias, vec![1.0]);
    }

    #[test]
    fn phases_sample_only_their_choices() {
        let mut rng = rng_from_seed(5);
        for phase in OfaPhase::ALL {
            for _ in 0..20 {
                let arch = phase.sample(&mut rng);
                assert!(arch.ks.iter().all(|k| phase.kernels().contains(k)));
                assert!(arch.e.iter().all(|e| phase.expansions().contains(e)));
                assert!(arch.d.iter().all(|d| phase.depths().contains(d)));
            }
        }
        // The last phase reaches every choice somewhere.
        let archs: Vec<OfaArch> = (0..50)
            .map(|_| OfaPhase::ElasticWidth2.sample(&mut rng))
            .collect();
        for k in [3, 5, 7] {
            assert!(archs.iter().any(|a| a.ks.contains(&k)));
        }
        for d in [2, 3, 4] {
            assert!(archs.iter().any(|a| a.d.contains(&d)));
        }
        assert_eq!(archs[0].ks.len(), OFA_UNITS * OFA_MAX_DEPTH);
    }
}
