//! Training throughput (images/s) of the NB201 cell network on the CPU backends.
//!
//! `cargo run --release -p oxinas-train --example train_speed -- [C] [N] [batch] [steps]`
//! (defaults 16 5 64 5). Random 32x32x3 images, Nesterov SGD.

#![allow(clippy::print_stdout)]

use std::time::Instant;

use burn::backend::{Autodiff, Flex, NdArray};
use burn::module::AutodiffModule;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;
use oxinas_core::seed::rng_from_seed;
use oxinas_spaces::Nb201Arch;
use oxinas_train::init::normal;
use oxinas_train::{Nb201Network, Nb201NetworkConfig, smoothed_cross_entropy};

fn measure<B: AutodiffBackend>(
    name: &str,
    config: &Nb201NetworkConfig,
    batch: usize,
    steps: usize,
) {
    let device = B::Device::default();
    let arch = Nb201Arch::from_op_digits("331213").expect("valid digits");
    let mut net = Nb201Network::<B>::new(config, &arch, &mut rng_from_seed(0), &device)
        .expect("valid config");
    let mut optim = SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(0.9)
                .with_dampening(0.0)
                .with_nesterov(true),
        ))
        .init::<B, Nb201Network<B>>();
    let x: Tensor<B, 4> = normal([batch, 3, 32, 32], 1.0, &mut rng_from_seed(1), &device);
    let targets: Vec<usize> = (0..batch).map(|i| i % config.num_classes).collect();
    let mut step = |net: Nb201Network<B>| {
        let loss = smoothed_cross_entropy(net.forward(x.clone()), &targets, 0.0);
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        optim.step(0.1, net, grads)
    };
    net = step(net);
    let start = Instant::now();
    for _ in 0..steps {
        net = step(net);
    }
    let _ = net.valid();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{name}: C={} N={} batch={batch}: {:.1} images/s",
        config.channels,
        config.cells_per_stage,
        (steps * batch) as f64 / seconds
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
