//! Evaluating one sub-network of the supernet: batch-norm statistics measured
//! for it on a fixed set of training images, then accuracy on a split.
//!
//! Sub-networks share batch norm's scale and shift but not its statistics
//! (a narrower layer sees other activations), so the paper re-sets the
//! statistics on training images before each evaluation; so does this.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_spaces::OfaArch;
use oxinas_train::{
    DataSplits, ImageBatcher, ImageDataset, Normalization, correct_predictions, seeded_permutation,
};

use crate::ofa_supernet::{OfaBnStatistics, OfaForward, OfaSupernet};

/// Measures batch-norm statistics and accuracies of sub-networks.
#[derive(Clone, Debug)]
pub struct OfaEvaluator {
    batcher: ImageBatcher,
    calibration: ImageDataset,
    batch_size: usize,
}

impl OfaEvaluator {
    /// An evaluator normalising images as training does (statistics of the
    /// training split), calibrating on `calibration_images` training images
    /// chosen by `seed`, evaluating `batch_size` images at a time.
    pub fn new(
        splits: &DataSplits,
        calibration_images: usize,
        batch_size: usize,
        seed: u64,
    ) -> Self {
        let mut order = seeded_permutation(splits.train.len(), seed);
        order.truncate(calibration_images.max(2));
        Self {
            batcher: ImageBatcher {
                normalization: Normalization::fit(&splits.train),
                augmentation: None,
            },
            calibration: splits.train.subset(&order),
            batch_size: batch_size.max(2),
        }
    }

    fn batches(&self, data: &ImageDataset) -> Vec<Vec<usize>> {
        let indices: Vec<usize> = (0..data.len()).collect();
        indices
            .chunks(self.batch_size)
            .map(<[usize]>::to_vec)
            .collect()
    }

    /// Batch-norm statistics of `arch`: per batch norm, the mean over
    /// calibration batches of the batch mean and the batch variance.
    pub fn calibrate<B: Backend>(
        &self,
        model: &OfaSupernet<B>,
        arch: &OfaArch,
        device: &B::Device,
    ) -> OfaBnStatistics<B> {
        // Evaluation batches are not augmented: this generator is never drawn from.
        let mut unused: SeededRng = rng_from_seed(0);
        let mut sums: Vec<(Tensor<B, 1>, Tensor<B, 1>)> = Vec::new();
        let mut seen = 0usize;
        // A batch of one image has no variance: it is left out.
        for batch in self
            .batches(&self.calibration)
            .iter()
            .filter(|b| b.len() >= 2)
        {
            let (images, _) =
                self.batcher
                    .batch::<B>(&self.calibration, batch, &mut unused, device);
            let ctx = OfaForward::recording();
            let _ = model.forward(images, arch, &ctx);
            let weight = batch.len() as f64;
            let recorded = ctx.take_recorded();
            if sums.is_empty() {
                sums = recorded
                    .into_iter()
                    .map(|(m, v)| (m.mul_scalar(weight), v.mul_scalar(weight)))
                    .collect();
            } else {
                for ((sm, sv), (m, v)) in sums.iter_mut().zip(recorded) {
                    *sm = sm.clone().add(m.mul_scalar(weight));
                    *sv = sv.clone().add(v.mul_scalar(weight));
                }
            }
            seen += batch.len();
        }
        let scale = 1.0 / seen.max(1) as f64;
        OfaBnStatistics {
            layers: sums
                .into_iter()
                .map(|(m, v)| (m.mul_scalar(scale), v.mul_scalar(scale)))
                .collect(),
        }
    }

    /// Accuracy (fraction) of `arch` on `data` with statistics `stats`; 0 for no data.
    pub fn accuracy_with<B: Backend>(
        &self,
        model: &OfaSupernet<B>,
        arch: &OfaArch,
        stats: &OfaBnStatistics<B>,
        data: &ImageDataset,
        device: &B::Device,
    ) -> f64 {
        if data.is_empty() {
            return 0.0;
        }
        let mut unused: SeededRng = rng_from_seed(0);
        let mut correct = 0;
        for batch in self.batches(data) {
            let (images, targets) = self.batcher.batch::<B>(data, &batch, &mut unused, device);
            let logits = model.forward(images, arch, &OfaForward::fixed(stats));
            correct += correct_predictions(logits, targets);
        }
        correct as f64 / data.len() as f64
    }

    /// Calibrates `arch`, then measures its accuracy on `data`.
    pub fn accuracy<B: Backend>(
        &self,
        model: &OfaSupernet<B>,
        arch: &OfaArch,
        data: &ImageDataset,
        device: &B::Device,
    ) -> f64 {
        let stats = self.calibrate(model, arch, device);
        self.accuracy_with(model, arch, &stats, data, device)
    }

    /// The evaluation batcher (normalisation of the training split, no augmentation).
    pub fn batcher(&self) -> &ImageBatcher {
        &self.batcher
    }
}
