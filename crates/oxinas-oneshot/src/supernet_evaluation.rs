//! Measuring a cell with the supernet's shared weights, and the batches a
//! search draws.

use burn::tensor::backend::Backend;
use oxinas_core::ConfigError;
use oxinas_core::seed::rng_from_seed;
use oxinas_train::{DataSplits, ImageBatcher, ImageDataset, correct_predictions};

use crate::oneshot_error::OneShotError;

use crate::search_supernet::SearchSupernet;

/// Accuracy (fraction) of the sub-network of `arch` on `data`, with the
/// supernet's weights; batch statistics come from each evaluation batch of
/// `batch_size` images. 0 for an empty data set.
pub fn supernet_accuracy<B: Backend, S: SearchSupernet<B>>(
    supernet: &S,
    arch: &S::Arch,
    data: &ImageDataset,
    batcher: &ImageBatcher,
    batch_size: usize,
    device: &B::Device,
) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    // Evaluation batches are not augmented, so this generator is never drawn from.
    let mut unused_rng = rng_from_seed(0);
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut correct = 0;
    for batch in indices.chunks(batch_size.max(2)) {
        let (images, targets) = batcher.batch::<B>(data, batch, &mut unused_rng, device);
        correct += correct_predictions(supernet.forward_arch(images, arch), targets);
    }
    correct as f64 / data.len() as f64
}

/// Refuses a batch larger than the training or the validation split (a
/// search draws full batches from both).
pub(crate) fn check_batch_size(splits: &DataSplits, batch_size: usize) -> Result<(), OneShotError> {
    let limit = splits.train.len().min(splits.validation.len());
    if batch_size > limit {
        return Err(ConfigError::new(
            "batch_size",
            format!(
                "at most the size of the training ({}) and validation ({}) splits",
                splits.train.len(),
                splits.validation.len()
            ),
        )
        .into());
    }
    Ok(())
}

/// Indices of a data set in a fresh seeded order each pass, handed out in
/// batches forever (a validation stream that outlasts its data set).
pub(crate) struct BatchStream {
    order: Vec<usize>,
    next: usize,
    batch_size: usize,
    rng: oxinas_core::seed::SeededRng,
}

impl BatchStream {
    pub(crate) fn new(len: usize, batch_size: usize, seed: u64) -> Self {
        Self {
            order: (0..len).collect(),
            next: len,
            batch_size: batch_size.clamp(1, len.max(1)),
            rng: rng_from_seed(seed),
        }
    }

    /// The next batch; a new shuffled pass starts when fewer than a batch remain.
    pub(crate) fn next_batch(&mut self) -> Vec<usize> {
        use rand::seq::SliceRandom;
        if self.next + self.batch_size > self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.next = 0;
        }
        let batch = self.order[self.next..self.next + self.batch_size].to_vec();
        self.next += self.batch_size;
        batch
    }

    /// Full batches in one pass.
    pub(crate) fn batches_per_pass(&self) -> usize {
        self.order.len() / self.batch_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_hands_out_every_index_once() {
        let mut stream = BatchStream::new(10, 3, 7);
        assert_eq!(stream.batches_per_pass(), 3);
        let mut seen: Vec<usize> = (0..3).flat_map(|_| stream.next_batch()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 9);
        // The next pass is reshuffled and still full batches.
        assert_eq!(stream.next_batch().len(), 3);
    }
}
