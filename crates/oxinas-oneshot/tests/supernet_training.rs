//! Uniform-sampling training of the NB201 supernet on the digits fixture:
//! the loss falls and cells measured with the shared weights beat chance.

use burn::module::AutodiffModule;
use oxinas_oneshot::{SupernetSettings, supernet_accuracy, train_supernet_uniform};
use oxinas_spaces::Nb201Arch;
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::{DataSettings, DatasetName, ImageBatcher, Normalization};

#[test]
fn the_loss_falls_and_shared_weights_rank_cells_above_chance() {
    let splits = DataSettings {
        dataset: DatasetName::Digits,
        subset: None,
        seed: 0,
        downsample: None,
        validation_size: Some(300),
        test_size: None,
        data_dir: None,
    }
    .load()
    .unwrap();
    let settings = SupernetSettings {
        channels: 4,
        cells_per_stage: 1,
        epochs: 10,
        batch_size: 64,
        lr: 0.1,
        steps_per_epoch: Some(18),
        ..SupernetSettings::default()
    };
    let device = Default::default();
    let mut reports = Vec::new();
    let (supernet, epochs) =
        train_supernet_uniform::<CpuTrainBackend>(&splits, &settings, 4, &device, &mut |e| {
            reports.push(e.train_loss)
        })
        .unwrap();
    assert_eq!(epochs.len(), 10);
    assert_eq!(reports.len(), 10);
    assert!(
        epochs[9].train_loss < epochs[0].train_loss * 0.8,
        "losses {reports:?}"
    );
    let batcher = ImageBatcher {
        normalization: Normalization::fit(&splits.train),
        augmentation: None,
    };
    let inference = supernet.valid();
    let accuracy = |digits: &str| {
        supernet_accuracy(
            &inference,
            &Nb201Arch::from_op_digits(digits).unwrap(),
            &splits.validation,
            &batcher,
            300,
            &device,
        )
    };
    // A cell of 3x3 convolutions beats chance (0.1); the all-zero cell,
    // which passes nothing through, stays at chance.
    let convs = accuracy("333333");
    let empty = accuracy("000000");
    assert!(convs > 0.3, "333333: {convs}");
    assert!(empty < 0.2, "000000: {empty}");
}

/// Seeded random 16 x 16 colour images in two classes (the smallest size
/// the standard augmentation crops and flips).
fn colour_images(count: usize, seed: u64) -> oxinas_train::ImageDataset {
    use rand::Rng;
    let shape = oxinas_train::ImageShape {
        channels: 3,
        height: 16,
        width: 16,
    };
    let mut rng = oxinas_core::seed::rng_from_seed(seed);
    let pixels = (0..count * shape.len())
        .map(|_| rng.random_range(0..=255u8))
        .collect();
    let labels = (0..count).map(|i| (i % 2) as u16).collect();
    oxinas_train::ImageDataset::new("synthetic", pixels, labels, shape, 2, 255).unwrap()
}

#[test]
fn augmented_training_is_fixed_by_its_seed_and_does_augment() {
    use oxinas_oneshot::SearchAugmentation;
    let splits = oxinas_train::DataSplits {
        train: colour_images(64, 1),
        validation: colour_images(16, 2),
        test: colour_images(16, 3),
    };
    let settings = |augmentation| SupernetSettings {
        channels: 2,
        cells_per_stage: 1,
        epochs: 2,
        batch_size: 16,
        steps_per_epoch: Some(2),
        augmentation,
        ..SupernetSettings::default()
    };
    let losses = |augmentation| -> Vec<f64> {
        let (_, epochs) = train_supernet_uniform::<CpuTrainBackend>(
            &splits,
            &settings(augmentation),
            7,
            &Default::default(),
            &mut |_| {},
        )
        .unwrap();
        epochs.iter().map(|e| e.train_loss).collect()
    };
    let augmented = losses(SearchAugmentation::Standard);
    assert_eq!(losses(SearchAugmentation::Standard), augmented);
    // The same seed without augmentation sees other pixels from the first
    // batch on, so the losses differ.
    let plain = losses(SearchAugmentation::Off);
    assert_ne!(plain[0], augmented[0]);
}
