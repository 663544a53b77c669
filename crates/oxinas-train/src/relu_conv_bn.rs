//! The ReLU -> convolution -> batch-norm unit every NAS-Bench-201 op is built from.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use oxinas_core::seed::SeededRng;

use crate::forward_context::ForwardContext;
use crate::init::default_param;

/// Shape of a bias-free 2-D convolution: channels, square kernel, stride, padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    /// Input channels.
    pub channels_in: usize,
    /// Output channels.
    pub channels_out: usize,
    /// Side of the square kernel.
    pub kernel: usize,
    /// Stride in both directions.
    pub stride: usize,
    /// Zero padding on every side.
    pub padding: usize,
}

impl ConvShape {
    /// Number of weights (`out * in * k * k`).
    pub fn weights(&self) -> usize {
        self.channels_out * self.channels_in * self.kernel * self.kernel
    }

    /// Multiply-accumulates for an input of `height` x `width`, and the output size.
    pub fn macs(&self, height: usize, width: usize) -> (usize, (usize, usize)) {
        let out_h = (height + 2 * self.padding - self.kernel) / self.stride + 1;
        let out_w = (width + 2 * self.padding - self.kernel) / self.stride + 1;
        (self.weights() * out_h * out_w, (out_h, out_w))
    }
}

/// Which axes of a `[batch, channels, height, width]` input a convolution's
/// kernel, stride and padding act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ConvAxes {
    /// A square kernel over height and width (images).
    #[default]
    Both,
    /// A `1 x k` kernel along the width only: 1-D sequences are stored as
    /// `[channels, 1, length]`, and a kernel of height 1 is a true 1-D
    /// convolution (no dead weights above and below the single row).
    Width,
}

impl ConvAxes {
    /// `[height, width]` of a side-`size` kernel (or window) on these axes.
    pub fn kernel(self, size: usize) -> [usize; 2] {
        match self {
            ConvAxes::Both => [size, size],
            ConvAxes::Width => [1, size],
        }
    }

    /// `[height, width]` of a stride or padding `value` on these axes (1 or 0
    /// along the height for [`ConvAxes::Width`], as `untouched` says).
    pub fn pair(self, value: usize, untouched: usize) -> [usize; 2] {
        match self {
            ConvAxes::Both => [value, value],
            ConvAxes::Width => [untouched, value],
        }
    }
}

impl ConvShape {
    /// Number of weights when the kernel spans `axes` (`out * in * k` for a
    /// width-only kernel).
    pub fn weights_along(&self, axes: ConvAxes) -> usize {
        let [kh, kw] = axes.kernel(self.kernel);
        self.channels_out * self.channels_in * kh * kw
    }
}

/// A bias-free convolution initialised from `rng` (PyTorch's default distribution).
pub fn conv_without_bias<B: Backend>(
    shape: ConvShape,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Conv2d<B> {
    conv_along(shape, ConvAxes::Both, rng, device)
}

/// A bias-free convolution of `shape` whose kernel, stride and padding act on
/// `axes`, weights drawn from `rng` with PyTorch's default distribution.
pub fn conv_along<B: Backend>(
    shape: ConvShape,
    axes: ConvAxes,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Conv2d<B> {
    let [kh, kw] = axes.kernel(shape.kernel);
    let [ph, pw] = axes.pair(shape.padding, 0);
    let mut conv = Conv2dConfig::new([shape.channels_in, shape.channels_out], [kh, kw])
        .with_stride(axes.pair(shape.stride, 1))
        .with_padding(PaddingConfig2d::Explicit(ph, pw, ph, pw))
        .with_bias(false)
        .with_initializer(Initializer::Zeros)
        .init(device);
    let fan_in = shape.channels_in * kh * kw;
    conv.weight = default_param(
        [shape.channels_out, shape.channels_in, kh, kw],
        fan_in,
        rng,
        device,
    );
    conv
}

/// Batch norm with learnable scale and shift, PyTorch's epsilon and momentum.
pub fn batch_norm<B: Backend>(channels: usize, device: &B::Device) -> BatchNorm<B> {
    BatchNormConfig::new(channels)
        .with_epsilon(1e-5)
        .with_momentum(0.1)
        .init(device)
}

/// ReLU, then a bias-free convolution, then batch norm with affine parameters.
#[derive(Module, Debug)]
pub struct ReluConvBn<B: Backend> {
    /// The convolution.
    pub conv: Conv2d<B>,
    /// The batch norm after it.
    pub bn: BatchNorm<B>,
}

impl<B: Backend> ReluConvBn<B> {
    /// A unit of `shape`, weights drawn from `rng`.
    pub fn new(shape: ConvShape, rng: &mut SeededRng, device: &B::Device) -> Self {
        Self::new_along(shape, ConvAxes::Both, rng, device)
    }

    /// A unit of `shape` whose convolution acts on `axes`, weights drawn from `rng`.
    pub fn new_along(
        shape: ConvShape,
        axes: ConvAxes,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        Self {
            conv: conv_along(shape, axes, rng, device),
            bn: batch_norm(shape.channels_out, device),
        }
    }

    /// Applies the unit.
    pub fn forward(&self, x: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        ctx.norm(&self.bn, ctx.probe(self.conv.forward(ctx.relu(x))))
    }
}
