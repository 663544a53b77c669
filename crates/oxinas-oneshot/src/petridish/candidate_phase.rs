//! Training the candidates of one expansion alongside their parent.

use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::backend::AutodiffBackend;
use rand::seq::SliceRandom;

use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_train::{
    Augmentation, DataSplits, ForwardContext, ImageBatcher, ImageClassifier, NormMode,
    Normalization, TrainSettings, smoothed_cross_entropy,
};

use super::candidates::{CandidateLayer, ParentWithCandidates};
use super::network::PetridishNetwork;

/// Seed streams of the candidate phase.
mod stream {
    pub const SHUFFLE: u64 = 1;
    pub const AUGMENT: u64 = 2;
}

/// Trains `candidates` on top of `parent` for `epochs` epochs: cross-entropy
/// plus `l1_penalty · Σ|α|`, SGD (momentum 0.9) at `lr` on the parent and
/// the candidates together, as Petridish keeps training the parent while its
/// candidates learn. Through the stop-gradient and stop-forward, neither the
/// parent's output nor its gradients depend on the candidates, so the parent
/// trains exactly as it would alone. Batching and augmentation follow
/// `train`. Returns the parent as trained (a private copy: `parent` itself is
/// untouched) and the candidates.
#[allow(clippy::too_many_arguments)]
pub fn train_candidates<B: AutodiffBackend>(
    parent: &PetridishNetwork<B>,
    candidates: CandidateLayer<B>,
    splits: &DataSplits,
    train: &TrainSettings,
    epochs: usize,
    lr: f64,
    l1_penalty: f64,
    seed: u64,
    device: &B::Device,
) -> (PetridishNetwork<B>, CandidateLayer<B>) {
    let data = &splits.train;
    let batcher = ImageBatcher {
        normalization: Normalization::fit(data),
        augmentation: train.augmentation.map(|a| Augmentation {
            crop_padding: a.crop_padding,
            horizontal_flip: a.horizontal_flip,
        }),
    };
    let mut optimizer = SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new().with_momentum(0.9).with_dampening(0.0),
        ))
        .init::<B, ParentWithCandidates<B>>();
    // The parent is a private copy: its weights and batch-norm statistics
    // move here, and other jobs may read the stored parent meanwhile.
    let mut model = ParentWithCandidates {
        parent: parent.isolated(),
        candidates,
    };
    let batch_size = train.batch_size.min(data.len()).max(2);
    let mut shuffle_rng = rng_from_seed(derive_seed(seed, &[stream::SHUFFLE]));
    let mut augment_rng = rng_from_seed(derive_seed(seed, &[stream::AUGMENT]));
    let ctx = ForwardContext::new(NormMode::Apply);
    let mut order: Vec<usize> = (0..data.len()).collect();
    for _ in 0..epochs {
        order.shuffle(&mut shuffle_rng);
        for batch in order.chunks(batch_size).filter(|b| b.len() >= 2) {
            let (images, _) = batcher.batch::<B>(data, batch, &mut augment_rng, device);
            let targets: Vec<usize> = batch.iter().map(|&i| data.label(i)).collect();
            let logits = model.logits(images, &ctx);
            let loss = smoothed_cross_entropy(logits, &targets, train.label_smoothing)
                + model.candidates.l1().mul_scalar(l1_penalty);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(lr, model, grads);
        }
    }
    (model.parent, model.candidates)
}
