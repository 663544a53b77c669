//! Timing the NB201 network's training step and forward pass on a backend:
//! what `cargo xtask bench` and the `train_speed` example measure, the same
//! work as `benchmarks/nb201_train_speed_pytorch.py` (random 32x32x3 images,
//! Nesterov SGD with momentum 0.9 and weight decay 5e-4, learning rate 0.1).

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};
use oxinas_core::ConfigError;
use oxinas_core::seed::rng_from_seed;
use oxinas_spaces::Nb201Arch;

use crate::forward_context::{ForwardContext, NormMode};
use crate::init::normal;
use crate::trainer::sgd_config;
use crate::{ImageClassifier, Nb201Network, Nb201NetworkConfig, smoothed_cross_entropy};

/// What [`time_nb201_steps`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct StepTiming {
    /// Wall seconds of each timed run (every run `steps` steps of `batch` images).
    pub seconds: Vec<f64>,
    /// The loss of the last training step, or the sum of the last forward
    /// pass's logits, read back from the device: finite when the work was done.
    pub last_loss: f64,
}

/// Times `runs` runs of `steps` training steps (forward, backward, SGD
/// update) of the NB201 network `arch` on random images of batch `batch`,
/// after one untimed warm-up step. With `train = false`, times forward
/// passes only (inference: what zero-cost proxies and supernet evaluation do).
pub fn time_nb201_steps<B: AutodiffBackend>(
    config: &Nb201NetworkConfig,
    arch: &Nb201Arch,
    batch: usize,
    steps: usize,
    runs: usize,
    train: bool,
    device: &B::Device,
) -> Result<StepTiming, ConfigError> {
    if batch < 2 || steps == 0 || runs == 0 {
        return Err(ConfigError::new(
            "batch, steps, runs",
            "a batch of at least 2 images, at least 1 step and 1 run",
        ));
    }
    let net = Nb201Network::<B>::new(config, arch, &mut rng_from_seed(0), device)?;
    let x: Tensor<B, 4> = normal(
        [batch, config.input_channels, 32, 32],
        1.0,
        &mut rng_from_seed(1),
        device,
    );
    if train {
        Ok(time_training(net, x, config.num_classes, steps, runs))
    } else {
        Ok(time_inference(&net.valid(), x.inner(), steps, runs))
    }
}

fn time_training<B: AutodiffBackend>(
    mut net: Nb201Network<B>,
    x: Tensor<B, 4>,
    classes: usize,
    steps: usize,
    runs: usize,
) -> StepTiming {
    let batch = x.dims()[0];
    let targets: Vec<usize> = (0..batch).map(|i| i % classes).collect();
    let mut optimizer = sgd_config(0.9, true, 5e-4).init::<B, Nb201Network<B>>();
    let ctx = ForwardContext::new(NormMode::Apply);
    let mut last_loss = 0.0;
    let mut step = |net: Nb201Network<B>, read: bool| {
        let loss = smoothed_cross_entropy(net.logits(x.clone(), &ctx), &targets, 0.0);
        if read {
            // Reading the value back waits for the device to finish.
            last_loss = loss.clone().into_scalar().elem();
        }
        let grads = GradientsParams::from_grads(loss.backward(), &net);
        optimizer.step(0.1, net, grads)
    };
    net = step(net, true);
    let mut seconds = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        for i in 0..steps {
            net = step(net, i + 1 == steps);
        }
        seconds.push(start.elapsed().as_secs_f64());
    }
    StepTiming { seconds, last_loss }
}

fn time_inference<B: burn::tensor::backend::Backend>(
    net: &Nb201Network<B>,
    x: Tensor<B, 4>,
    steps: usize,
    runs: usize,
) -> StepTiming {
    let ctx = ForwardContext::new(NormMode::Apply);
    let forward = || -> f64 { net.logits(x.clone(), &ctx).sum().into_scalar().elem() };
    let mut last_loss = forward();
    let mut seconds = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        for _ in 0..steps {
            last_loss = forward();
        }
        seconds.push(start.elapsed().as_secs_f64());
    }
    StepTiming { seconds, last_loss }
}
