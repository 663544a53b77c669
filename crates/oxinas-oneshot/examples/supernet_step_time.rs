//! Time per step of the one-shot searches at the documented full sizes on
//! CIFAR-sized input (32x32x3, batch 64, random pixels: the time does not
//! depend on the values), and the epoch time it implies for CIFAR-10's
//! DARTS split (25,000 training images = 390 steps).
//!
//! `cargo run --release -p oxinas-oneshot --example supernet_step_time -- [steps 3]`

#![allow(clippy::print_stdout)]

use oxinas_core::seed::rng_from_seed;
use oxinas_oneshot::{DartsOrder, DartsSettings, EnasSettings, SupernetSpace, run_darts, run_enas};
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::{DataSplits, ImageDataset, ImageShape};
use rand::Rng;

fn random_images(n: usize, seed: u64) -> ImageDataset {
    let shape = ImageShape {
        channels: 3,
        height: 32,
        width: 32,
    };
    let mut rng = rng_from_seed(seed);
    let pixels = (0..n * shape.len()).map(|_| rng.random::<u8>()).collect();
    let labels = (0..n).map(|i| (i % 10) as u16).collect();
    ImageDataset::new("random", pixels, labels, shape, 10, 255).expect("consistent sizes")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let batch = 64;
    let splits = DataSplits {
        train: random_images(batch * steps, 1),
        validation: random_images(batch * steps, 2),
        test: random_images(batch, 3),
    };
    let device = Default::default();
    let epoch_steps = 25_000 / batch;
    let report = |what: &str, seconds_per_step: f64| {
        println!(
            "{what}: {seconds_per_step:.2} s per step of {batch} images -> {:.0} s ({:.1} h) per epoch of {epoch_steps} steps",
            seconds_per_step * epoch_steps as f64,
            seconds_per_step * epoch_steps as f64 / 3600.0
        );
    };
    for (name, space, order) in [
        (
            "DARTS 1st order, NB201 supernet C=16 N=5",
            SupernetSpace::Nb201,
            DartsOrder::First,
        ),
        (
            "DARTS 2nd order, NB201 supernet C=16 N=5",
            SupernetSpace::Nb201,
            DartsOrder::Second,
        ),
        (
            "DARTS 1st order, DARTS supernet C=16 L=8",
            SupernetSpace::Darts,
            DartsOrder::First,
        ),
    ] {
        let settings = DartsSettings {
            space,
            order,
            epochs: 1,
            batch_size: batch,
            steps_per_epoch: Some(steps),
            eval_batch_size: batch,
            ..DartsSettings::default()
        };
        let mut seconds = 0.0;
        run_darts::<CpuTrainBackend>(&splits, &settings, 0, &device, None, &mut |e| {
            seconds = e.seconds
        })?;
        // The epoch report's time includes one evaluation pass over the
        // validation images (one forward per batch); a step is two
        // forward-backward passes, so the evaluation is a small share.
        report(name, seconds / steps as f64);
    }
    let settings = EnasSettings {
        epochs: 1,
        batch_size: batch,
        steps_per_epoch: Some(steps),
        controller_steps: 1,
        final_samples: 1,
        eval_batch_size: batch,
        ..EnasSettings::default()
    };
    let mut seconds = 0.0;
    run_enas::<CpuTrainBackend>(&splits, &settings, 0, &device, None, &mut |e| {
        seconds = e.seconds
    })?;
    report(
        "ENAS shared-weight step, NB201 supernet C=16 N=5",
        seconds / steps as f64,
    );
    Ok(())
}
