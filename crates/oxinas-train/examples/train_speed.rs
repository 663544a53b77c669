//! Training throughput (images/s) of the NB201 cell network on the CPU backends.
//!
//! `cargo run --release -p oxinas-train --example train_speed -- [C] [N] [batch] [steps]`
//! (defaults 16 5 64 5). Random 32x32x3 images, Nesterov SGD; the same work as
//! `benchmarks/nb201_train_speed_pytorch.py` and the `train/...` cases of
//! `cargo xtask bench`.

#![allow(clippy::print_stdout)]

use burn::backend::{Autodiff, Flex, NdArray};
use burn::tensor::backend::AutodiffBackend;
use oxinas_spaces::Nb201Arch;
use oxinas_train::{Nb201NetworkConfig, time_nb201_steps};

fn measure<B: AutodiffBackend>(
    name: &str,
    config: &Nb201NetworkConfig,
    batch: usize,
    steps: usize,
) {
    let arch = Nb201Arch::from_op_digits("331213").expect("valid digits");
    let timing = time_nb201_steps::<B>(config, &arch, batch, steps, 1, true, &Default::default())
        .expect("valid config");
    println!(
        "{name}: C={} N={} batch={batch}: {:.1} images/s",
        config.channels,
        config.cells_per_stage,
        (steps * batch) as f64 / timing.seconds[0]
    );
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let arg = |i: usize, default: usize| args.get(i).copied().unwrap_or(default);
    let config = Nb201NetworkConfig {
        channels: arg(0, 16),
        cells_per_stage: arg(1, 5),
        num_classes: 10,
        input_channels: 3,
    };
    let (batch, steps) = (arg(2, 64), arg(3, 5));
    measure::<Autodiff<Flex>>("burn 0.21 flex", &config, batch, steps);
    measure::<Autodiff<NdArray>>("burn 0.21 ndarray", &config, batch, steps);
}
