//! Trains one NB201 cell network on Fashion-MNIST and prints per-epoch progress.
//!
//! `cargo run --release -p oxinas-train --example fashion_mnist -- [epochs] [C] [N] [subset]`
//! (defaults 10 8 1, all 55,000 training images). Needs Debian's
//! `dataset-fashion-mnist` package.

#![allow(clippy::print_stdout)]

use std::path::Path;

use oxinas_core::seed::rng_from_seed;
use oxinas_spaces::Nb201Arch;
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let arg = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let (epochs, channels, cells) = (arg(0, 10), arg(1, 8), arg(2, 1));
    let (train_set, test_set) = read_fashion_mnist(Path::new(FASHION_MNIST_DIR))?;
    let mut splits = split_with_test(&train_set, test_set, 5_000, 0)?;
    if let Some(&n) = args.get(3) {
        splits.train = seeded_subset(&splits.train, n, 1);
    }
    let config = Nb201NetworkConfig {
        channels,
        cells_per_stage: cells,
        num_classes: 10,
        input_channels: 1,
    };
    let arch = Nb201Arch::from_op_digits("331213")?;
    let device = Default::default();
    let net = Nb201Network::<CpuTrainBackend>::new(&config, &arch, &mut rng_from_seed(0), &device)?;
    let settings = TrainSettings {
        epochs,
        batch_size: 128,
        optimizer: OptimizerSettings::NB201,
        lr: 0.1,
        min_lr: 0.0,
        warmup_epochs: 0,
        label_smoothing: 0.0,
        grad_clip_norm: Some(5.0),
        augmentation: Some(AugmentationSettings {
            crop_padding: 2,
            horizontal_flip: true,
        }),
        eval_batch_size: 500,
    };
    println!(
        "train {} / validation {} / test {} images; {settings:?}",
        splits.train.len(),
        splits.validation.len(),
        splits.test.len()
    );
    let (_, report) = train(net, &splits, &settings, 0, &device, &mut |r| {
        println!(
            "epoch {}/{}: loss {:.4} train acc {:.4} valid acc {:.4} lr {:.4} {:.1} images/s",
            r.epoch,
            r.epochs,
            r.train_loss,
            r.train_accuracy,
            r.validation_accuracy,
            r.lr,
            r.images_per_second
        );
    })?;
    println!(
        "final: validation {:.4}, test {:.4}, wall {:.1} s",
        report.validation_accuracy, report.test_accuracy, report.wall_seconds
    );
    Ok(())
}
