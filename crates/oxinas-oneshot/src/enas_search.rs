//! ENAS (Pham et al., ICML 2018) on the NAS-Bench-201 supernet: shared
//! weights trained on cells sampled by the controller, alternating with
//! controller updates by REINFORCE on the shared-weight validation accuracy
//! of its samples; the final cell is the best of the final controller's
//! samples on the validation split.

use std::path::Path;
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::AdamConfig;
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_spaces::Nb201Arch;
use oxinas_train::{DataSplits, correct_predictions};

use crate::checkpoint::save_module;
use crate::enas_controller::EnasController;
use crate::enas_settings::EnasSettings;
use crate::nb201_supernet::Nb201Supernet;
use crate::oneshot_error::OneShotError;
use crate::reinforce::Reinforce;
use crate::shared_weight_training::SharedWeightTrainer;
use crate::supernet_evaluation::{BatchStream, supernet_accuracy};

/// What an ENAS search reports after each epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnasEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Epochs in the search.
    pub epochs: usize,
    /// Mean training loss of the shared-weight steps (sampled cells).
    pub train_loss: f64,
    /// Training accuracy of the sampled cells over the epoch.
    pub train_accuracy: f64,
    /// Mean reward (shared-weight validation accuracy of a sampled cell on
    /// one batch) over the epoch's sampled cells.
    pub mean_reward: f64,
    /// The controller's most likely cell after the epoch (op digits).
    pub greedy_arch: String,
    /// Wall-clock seconds of the epoch.
    pub seconds: f64,
}

/// The result of an ENAS search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnasReport {
    /// One entry per epoch.
    pub epochs: Vec<EnasEpoch>,
    /// The chosen cell (op digits).
    pub arch: String,
    /// Validation accuracy of the chosen cell with the shared weights.
    pub valid_accuracy: f64,
    /// Test accuracy of the chosen cell with the shared weights (reports only).
    pub test_accuracy: f64,
    /// Wall-clock seconds of the search.
    pub wall_seconds: f64,
}

/// Seed streams of a search.
mod stream {
    pub const SUPERNET: u64 = 1;
    pub const CONTROLLER: u64 = 2;
    pub const TRAIN_ORDER: u64 = 3;
    pub const VALID_ORDER: u64 = 4;
    pub const SAMPLING: u64 = 5;
    pub const REWARD_AUGMENT: u64 = 6;
}

/// Runs ENAS on `splits` with `settings`; `seed` fixes the weights, the
/// controller, the samples and the batch order. After every epoch `progress`
/// gets the epoch's report and, with `checkpoint_dir`, the supernet and the
/// controller are written there (`supernet.bin`, `controller.bin`).
pub fn run_enas<B: AutodiffBackend>(
    splits: &DataSplits,
    settings: &EnasSettings,
    seed: u64,
    device: &B::Device,
    checkpoint_dir: Option<&Path>,
    progress: &mut dyn FnMut(&EnasEpoch),
) -> Result<EnasReport, OneShotError> {
    settings.validate()?;
    let start = Instant::now();
    let mut trainer = SharedWeightTrainer::<B>::new(
        splits,
        &settings.supernet(),
        derive_seed(seed, &[stream::TRAIN_ORDER]),
        device,
    )?;
    let mut supernet: Nb201Supernet<B> = Nb201Supernet::new(
        &settings.supernet().network(splits),
        &mut rng_from_seed(derive_seed(seed, &[stream::SUPERNET])),
        device,
    )?;
    let mut controller: EnasController<B> = EnasController::new(
        settings.controller_hidden,
        &mut rng_from_seed(derive_seed(seed, &[stream::CONTROLLER])),
        device,
    );
    // NAS-Bench-201's controller optimiser: Adam, betas (0, 0.999), eps 1e-3.
    let mut controller_optimizer = AdamConfig::new()
        .with_beta_1(0.0)
        .with_beta_2(0.999)
        .with_epsilon(1e-3)
        .init::<B, EnasController<B>>();
    let mut reinforce = Reinforce {
        baseline: None,
        baseline_decay: settings.baseline_decay,
        entropy_weight: settings.entropy_weight,
        shape: settings.sampling_shape(),
        grad_clip_norm: Some(settings.controller_grad_clip_norm),
    };

    let batcher = trainer.batcher().clone();
    let reward_batcher = trainer.train_batcher().clone();
    let mut valid_stream = BatchStream::new(
        splits.validation.len(),
        settings.batch_size,
        derive_seed(seed, &[stream::VALID_ORDER]),
    );
    let mut sampling_rng = rng_from_seed(derive_seed(seed, &[stream::SAMPLING]));
    let mut reward_augment = rng_from_seed(derive_seed(seed, &[stream::REWARD_AUGMENT]));

    let mut epochs = Vec::new();
    for epoch in 1..=settings.epochs {
        let epoch_start = Instant::now();
        // Shared weights, one cell sampled from the controller per batch.
        let sampler = controller.valid();
        let (next, weights) = trainer.epoch(supernet, || {
            sampler.sample(reinforce.shape, &mut sampling_rng).arch
        })?;
        supernet = next;
        // Controller, each sampled cell rewarded by its shared-weight
        // accuracy on the next validation batch.
        let inference = supernet.valid();
        let mut reward = |arch: &Nb201Arch| {
            let batch = valid_stream.next_batch();
            let (images, targets) = reward_batcher.batch::<B::InnerBackend>(
                &splits.validation,
                &batch,
                &mut reward_augment,
                device,
            );
            correct_predictions(inference.forward_arch(images, arch), targets) as f64
                / batch.len() as f64
        };
        let (mut reward_sum, mut rewarded) = (0.0, 0usize);
        for _ in 0..settings.controller_steps {
            let (next, update) = reinforce.update(
                controller,
                &mut controller_optimizer,
                settings.controller_lr,
                &mut sampling_rng,
                settings.controller_aggregate,
                &mut reward,
            );
            controller = next;
            reward_sum += update.rewards.iter().sum::<f64>();
            rewarded += update.rewards.len();
        }
        let report = EnasEpoch {
            epoch,
            epochs: settings.epochs,
            train_loss: weights.train_loss,
            train_accuracy: weights.train_accuracy,
            mean_reward: reward_sum / rewarded.max(1) as f64,
            greedy_arch: controller.valid().greedy(reinforce.shape).op_digits(),
            seconds: epoch_start.elapsed().as_secs_f64(),
        };
        if let Some(dir) = checkpoint_dir {
            save_module(&supernet, dir, "supernet")?;
            save_module(&controller, dir, "controller")?;
        }
        progress(&report);
        epochs.push(report);
    }

    // The best of the final controller's samples on the validation split.
    let inference = supernet.valid();
    let final_controller = controller.valid();
    let accuracy_of = |arch: &Nb201Arch, data| {
        supernet_accuracy(
            &inference,
            arch,
            data,
            &batcher,
            settings.eval_batch_size,
            device,
        )
    };
    let mut best: Option<(f64, Nb201Arch)> = None;
    let mut tried = std::collections::HashSet::new();
    for _ in 0..settings.final_samples {
        let arch = final_controller
            .sample(reinforce.shape, &mut sampling_rng)
            .arch;
        if !tried.insert(arch) {
            continue;
        }
        let accuracy = accuracy_of(&arch, &splits.validation);
        if best.as_ref().is_none_or(|(b, _)| accuracy > *b) {
            best = Some((accuracy, arch));
        }
    }
    let (valid_accuracy, arch) = best.expect("final_samples is at least 1");
    Ok(EnasReport {
        epochs,
        arch: arch.op_digits(),
        valid_accuracy,
        test_accuracy: accuracy_of(&arch, &splits.test),
        wall_seconds: start.elapsed().as_secs_f64(),
    })
}
