//! Which data set to train on and how to split it, as settings.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_core::seed::derive_seed;

use crate::cifar_binary::{CifarKind, read_cifar};
use crate::data_split::{DataSplits, seeded_subset, split_three, split_with_test};
use crate::digits_csv::{digits_fixture_path, read_digits};
use crate::idx_format::{FASHION_MNIST_DIR, FASHION_MNIST_FILES, read_fashion_mnist};
use crate::npy_format::{NPY_FILES, read_npy_dir};
use crate::train_evaluator::TrainEvaluatorError;

/// The data sets the trainer reads: two that need no download,
/// and a directory of NumPy arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// The 8x8 digits fixture shipped with this crate (1,797 images).
    Digits,
    /// Fashion-MNIST from Debian's `dataset-fashion-mnist` (or `data_dir`).
    FashionMnist,
    /// CIFAR-10 in its binary format: `data_batch_1.bin` ... `data_batch_5.bin`
    /// and `test_batch.bin` in `data_dir` (the `cifar-10-batches-bin` folder).
    Cifar10,
    /// CIFAR-100 in its binary format (fine labels): `train.bin` and
    /// `test.bin` in `data_dir` (the `cifar-100-binary` folder).
    Cifar100,
    /// Your own images as NumPy arrays: `train_images.npy`,
    /// `train_labels.npy`, `test_images.npy` and `test_labels.npy` in
    /// `data_dir` (layouts: [`images_from_npy`](crate::images_from_npy)).
    Npy,
}

/// The CIFAR-10 binary files, training batches first, the test batch last.
pub const CIFAR10_FILES: [&str; 6] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
    "test_batch.bin",
];

/// The CIFAR-100 binary files, training first, test last.
pub const CIFAR100_FILES: [&str; 2] = ["train.bin", "test.bin"];

/// A data set and its split into train, validation and test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSettings {
    /// The data set.
    pub dataset: DatasetName,
    /// Keep at most this many training images (seeded choice); all when absent.
    #[serde(default)]
    pub subset: Option<usize>,
    /// Seed of the split and of the subsets.
    pub seed: u64,
    /// Shrink images by this factor (2 turns Fashion-MNIST's 28x28 into 14x14).
    #[serde(default)]
    pub downsample: Option<usize>,
    /// Validation images held out of the training data (default: 300 for
    /// digits, 5,000 for Fashion-MNIST, at most a quarter of `subset`; a
    /// tenth of the training images, at most 5,000, for `npy` and CIFAR).
    #[serde(default)]
    pub validation_size: Option<usize>,
    /// Test images used (default: all of the test split).
    #[serde(default)]
    pub test_size: Option<usize>,
    /// Directory of the Fashion-MNIST IDX files (default: Debian's
    /// location), or of the `.npy` files (required for `npy`).
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
}

impl DataSettings {
    /// The files the data set is read from (for a run manifest's checksums).
    pub fn data_files(&self) -> Vec<PathBuf> {
        match self.dataset {
            DatasetName::Digits => vec![digits_fixture_path()],
            DatasetName::FashionMnist => {
                let dir = self
                    .data_dir
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(FASHION_MNIST_DIR));
                FASHION_MNIST_FILES.iter().map(|f| dir.join(f)).collect()
            }
            DatasetName::Npy => self.files_in_data_dir(&NPY_FILES),
            DatasetName::Cifar10 => self.files_in_data_dir(&CIFAR10_FILES),
            DatasetName::Cifar100 => self.files_in_data_dir(&CIFAR100_FILES),
        }
    }

    fn files_in_data_dir(&self, files: &[&str]) -> Vec<PathBuf> {
        self.data_dir
            .iter()
            .flat_map(|dir| files.iter().map(|f| dir.join(f)))
            .collect()
    }

    /// Checks the settings that need no file: `npy` names its directory, a
    /// subset keeps at least 10 images.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let needs_dir = match self.dataset {
            DatasetName::Npy => Some(("npy", NPY_FILES.join(", "))),
            DatasetName::Cifar10 => Some(("cifar10", CIFAR10_FILES.join(", "))),
            DatasetName::Cifar100 => Some(("cifar100", CIFAR100_FILES.join(", "))),
            DatasetName::Digits | DatasetName::FashionMnist => None,
        };
        if let (Some((name, files)), None) = (needs_dir, &self.data_dir) {
            return Err(ConfigError::new(
                "data_dir",
                format!("the directory holding {files} (required for dataset \"{name}\")"),
            ));
        }
        if self.subset.is_some_and(|n| n < 10) {
            return Err(ConfigError::new("subset", "at least 10 training images"));
        }
        Ok(())
    }

    /// Reads the data set and splits it into train, validation and test.
    pub fn load(&self) -> Result<DataSplits, TrainEvaluatorError> {
        self.validate()?;
        let settings = self;
        let seed = settings.seed;
        let mut splits = match settings.dataset {
            DatasetName::Digits => {
                let data = read_digits()?;
                let validation = settings.validation_size.unwrap_or(300);
                split_three(&data, validation, 300, seed)?
            }
            DatasetName::FashionMnist => {
                let dir = settings
                    .data_dir
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(FASHION_MNIST_DIR));
                let (train, test) = read_fashion_mnist(&dir)?;
                let default_validation = settings.subset.map_or(5_000, |n| (n / 4).clamp(1, 5_000));
                split_with_test(
                    &train,
                    test,
                    settings.validation_size.unwrap_or(default_validation),
                    seed,
                )?
            }
            DatasetName::Cifar10 | DatasetName::Cifar100 => {
                let dir = settings.data_dir.as_deref().unwrap_or(Path::new("."));
                let (kind, files) = match settings.dataset {
                    DatasetName::Cifar10 => (CifarKind::Cifar10, &CIFAR10_FILES[..]),
                    _ => (CifarKind::Cifar100, &CIFAR100_FILES[..]),
                };
                let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
                let (train_paths, test_path) = paths.split_at(paths.len() - 1);
                let train_paths: Vec<&Path> = train_paths.iter().map(PathBuf::as_path).collect();
                let train = read_cifar(&train_paths, kind)?;
                let test = read_cifar(&[test_path[0].as_path()], kind)?;
                let default_validation = (train.len() / 10).clamp(1, 5_000);
                split_with_test(
                    &train,
                    test,
                    settings.validation_size.unwrap_or(default_validation),
                    seed,
                )?
            }
            DatasetName::Npy => {
                let dir = settings.data_dir.as_deref().unwrap_or(Path::new("."));
                let (train, test) = read_npy_dir(dir)?;
                let default_validation = (train.len() / 10).clamp(1, 5_000);
                split_with_test(
                    &train,
                    test,
                    settings.validation_size.unwrap_or(default_validation),
                    seed,
                )?
            }
        };
        if let Some(n) = settings.subset {
            splits.train = seeded_subset(&splits.train, n, derive_seed(seed, &[1]));
        }
        if let Some(n) = settings.test_size {
            splits.test = seeded_subset(&splits.test, n, derive_seed(seed, &[2]));
        }
        if let Some(factor) = settings.downsample.filter(|&f| f > 1) {
            splits.train = splits.train.downsample(factor);
            splits.validation = splits.validation.downsample(factor);
            splits.test = splits.test.downsample(factor);
        }
        Ok(splits)
    }
}
