//! How well do shared weights rank cells? Trains an NB201 supernet by uniform
//! sampling, then trains each of a seeded sample of cells on its own, and
//! prints Kendall's tau and Spearman's rho between the two validation
//! accuracies.
//!
//! `cargo run --release -p oxinas-oneshot --example weight_sharing_rank -- \
//!     [cells 30] [supernet_epochs 30] [standalone_epochs 4] [subset 3000] [C 8] [N 1]`
//!
//! Data: Fashion-MNIST (Debian's `dataset-fashion-mnist`) at 14x14, a seeded
//! training subset, 1,000 validation and 2,000 test images.

#![allow(clippy::print_stdout)]

use std::collections::HashSet;
use std::time::Instant;

use burn::module::AutodiffModule;
use oxinas_core::SearchSpace;
use oxinas_core::seed::rng_from_seed;
use oxinas_oneshot::{SupernetSettings, supernet_accuracy, train_supernet_uniform};
use oxinas_predictors::rank_correlation::{kendall_tau, spearman};
use oxinas_spaces::Nb201Space;
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::{
    DataSettings, DatasetName, ImageBatcher, Nb201Network, Normalization, TrainSettings, train,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let arg = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let (cells, supernet_epochs, standalone_epochs) = (arg(0, 30), arg(1, 30), arg(2, 4));
    let (subset, channels, cells_per_stage) = (arg(3, 3000), arg(4, 8), arg(5, 1));
    let splits = DataSettings {
        dataset: DatasetName::FashionMnist,
        subset: Some(subset),
        seed: 0,
        downsample: Some(2),
        validation_size: Some(1000),
        test_size: Some(2000),
        data_dir: None,
    }
    .load()?;
    let device = Default::default();
    let settings = SupernetSettings {
        channels,
        cells_per_stage,
        epochs: supernet_epochs,
        batch_size: 64,
        lr: 0.1,
        ..SupernetSettings::default()
    };
    println!(
        "Fashion-MNIST 14x14: train {} / validation {} / test {}; supernet C={channels} N={cells_per_stage}, {supernet_epochs} epochs of uniform sampling",
        splits.train.len(),
        splits.validation.len(),
        splits.test.len()
    );
    let start = Instant::now();
    let (supernet, _) =
        train_supernet_uniform::<CpuTrainBackend>(&splits, &settings, 0, &device, &mut |e| {
            println!(
                "supernet epoch {}/{}: loss {:.4} train acc {:.4} ({:.1} s)",
                e.epoch, e.epochs, e.train_loss, e.train_accuracy, e.seconds
            )
        })?;
    let supernet_seconds = start.elapsed().as_secs_f64();
    let inference = supernet.valid();
    let batcher = ImageBatcher {
        normalization: Normalization::fit(&splits.train),
        augmentation: None,
    };

    let space = Nb201Space::new();
    let mut rng = rng_from_seed(7);
    let mut seen = HashSet::new();
    let mut archs = Vec::new();
    while archs.len() < cells {
        let arch = space.sample(&mut rng);
        if seen.insert(space.canonical(&arch)) {
            archs.push(arch);
        }
    }
    let network = settings.network(&splits);
    let mut standalone_settings = TrainSettings::nb201(standalone_epochs);
    standalone_settings.batch_size = 128;
    standalone_settings.augmentation = None;
    standalone_settings.eval_batch_size = 500;
    let (mut shared, mut alone) = (Vec::new(), Vec::new());
    let start = Instant::now();
    println!("cell    shared-weight valid  stand-alone valid  stand-alone test");
    for (i, arch) in archs.iter().enumerate() {
        let shared_acc =
            supernet_accuracy(&inference, arch, &splits.validation, &batcher, 500, &device);
        let net = Nb201Network::<CpuTrainBackend>::new(
            &network,
            arch,
            &mut rng_from_seed(100 + i as u64),
            &device,
        )?;
        let (_, report) = train(
            net,
            &splits,
            &standalone_settings,
            i as u64,
            &device,
            &mut |_| {},
        )?;
        println!(
            "{}  {:>19.4}  {:>17.4}  {:>16.4}",
            arch.op_digits(),
            shared_acc,
            report.validation_accuracy,
            report.test_accuracy
        );
        shared.push(shared_acc);
        alone.push(report.validation_accuracy);
    }
    let standalone_seconds = start.elapsed().as_secs_f64();
    let tau = kendall_tau(&shared, &alone).unwrap_or(f64::NAN);
    let rho = spearman(&shared, &alone).unwrap_or(f64::NAN);
    println!(
        "{cells} cells: Kendall tau {tau:.3}, Spearman rho {rho:.3} (supernet {supernet_seconds:.0} s, stand-alone training {standalone_seconds:.0} s)"
    );
    Ok(())
}
