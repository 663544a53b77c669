//! Train / validation / test splits fixed by a seed.

use rand::seq::SliceRandom;

use oxinas_core::ConfigError;
use oxinas_core::seed::rng_from_seed;

use crate::image_dataset::ImageDataset;

/// The three parts of a data set. Validation guides the search; test is
/// reported only and never reaches an optimizer.
#[derive(Clone, Debug)]
pub struct DataSplits {
    /// Images the network is trained on.
    pub train: ImageDataset,
    /// Images the validation metric is measured on.
    pub validation: ImageDataset,
    /// Held-out images for the test metric.
    pub test: ImageDataset,
}

/// The indices `0..n` in an order fixed by `seed`.
pub fn seeded_permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n).collect();
    indices.shuffle(&mut rng_from_seed(seed));
    indices
}

/// Splits `data` into `validation` images, `test` images and the rest for
/// training, by a permutation fixed by `seed`.
pub fn split_three(
    data: &ImageDataset,
    validation: usize,
    test: usize,
    seed: u64,
) -> Result<DataSplits, ConfigError> {
    if validation + test >= data.len() {
        return Err(ConfigError::new(
            "validation/test sizes",
            format!(
                "{validation} validation + {test} test images leave none of {} for training",
                data.len()
            ),
        ));
    }
    let order = seeded_permutation(data.len(), seed);
    let (validation_ix, rest) = order.split_at(validation);
    let (test_ix, train_ix) = rest.split_at(test);
    Ok(DataSplits {
        train: data.subset(train_ix),
        validation: data.subset(validation_ix),
        test: data.subset(test_ix),
    })
}

/// Splits a data set that has an official test set: `validation` images of
/// `train` are held out (permutation fixed by `seed`), `test` stays as it is.
pub fn split_with_test(
    train: &ImageDataset,
    test: ImageDataset,
    validation: usize,
    seed: u64,
) -> Result<DataSplits, ConfigError> {
    if validation >= train.len() {
        return Err(ConfigError::new(
            "validation size",
            format!(
                "{validation} validation images leave none of {} for training",
                train.len()
            ),
        ));
    }
    let order = seeded_permutation(train.len(), seed);
    let (validation_ix, train_ix) = order.split_at(validation);
    Ok(DataSplits {
        train: train.subset(train_ix),
        validation: train.subset(validation_ix),
        test,
    })
}

/// At most `n` images of `data`, chosen by a permutation fixed by `seed`.
pub fn seeded_subset(data: &ImageDataset, n: usize, seed: u64) -> ImageDataset {
    let mut order = seeded_permutation(data.len(), seed);
    order.truncate(n);
    data.subset(&order)
}
