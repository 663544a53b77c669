//! Weight initialisation drawn from an explicit seeded generator.
//!
//! Burn's initialisers draw from a backend-global generator, which concurrent
//! trainings in one process would share. Every weight here instead comes from
//! the caller's ChaCha generator, so a seed fixes a network whatever else runs.
//! The distributions are PyTorch's defaults (what NAS-Bench-201 trained with):
//! Kaiming-uniform with `a = sqrt(5)`, i.e. `U(-1/sqrt(fan_in), 1/sqrt(fan_in))`,
//! for convolution and linear weights and linear biases.

use burn::module::Param;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use rand::Rng;

use oxinas_core::seed::SeededRng;

/// A tensor of `shape` drawn from `U(-bound, bound)`.
pub fn uniform<B: Backend, const D: usize>(
    shape: [usize; D],
    bound: f64,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Tensor<B, D> {
    let len: usize = shape.iter().product();
    let bound = bound as f32;
    let values: Vec<f32> = (0..len).map(|_| rng.random_range(-bound..=bound)).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// A tensor of `shape` drawn from `N(0, std^2)` (Box-Muller on two uniform
/// draws per pair of values, so the draws depend on the generator alone).
pub fn normal<B: Backend, const D: usize>(
    shape: [usize; D],
    std: f64,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Tensor<B, D> {
    let len: usize = shape.iter().product();
    let mut values: Vec<f32> = Vec::with_capacity(len + 1);
    while values.len() < len {
        // 1 - u lies in (0, 1], so the logarithm is finite.
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        let radius = (-2.0 * u1.ln()).sqrt() * std;
        let angle = std::f64::consts::TAU * u2;
        values.push((radius * angle.cos()) as f32);
        values.push((radius * angle.sin()) as f32);
    }
    values.truncate(len);
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// A trainable parameter drawn from PyTorch's default for a layer with `fan_in` inputs.
pub fn default_param<B: Backend, const D: usize>(
    shape: [usize; D],
    fan_in: usize,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Param<Tensor<B, D>> {
    let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
    Param::from_tensor(uniform(shape, bound, rng, device))
}

/// A linear layer `inputs -> outputs` with weights, then biases, drawn from
/// `rng` with PyTorch's default distribution.
pub fn default_linear<B: Backend>(
    inputs: usize,
    outputs: usize,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Linear<B> {
    let mut linear = LinearConfig::new(inputs, outputs)
        .with_initializer(Initializer::Zeros)
        .init(device);
    linear.weight = default_param([inputs, outputs], inputs, rng, device);
    linear.bias = Some(default_param([outputs], inputs, rng, device));
    linear
}
