//! The Wide ResNet backbone NAS-Bench-360 reports as its default baseline
//! (Zagoruyko & Komodakis 2016; WRN-16-4 in the benchmark's configs),
//! adapted to the three task families as the benchmark does:
//!
//! - 2-D point tasks (CIFAR-100, Spherical, NinaPro, FSD50K): strides 1, 2, 2,
//!   then batch norm, ReLU, global average pooling and a linear layer
//!   (the reference's `backbone_pt.py`);
//! - 1-D tasks (ECG, Satellite, DeepSEA): the same network on `[C, 1, L]`
//!   inputs with `1 x 3` kernels and strides `(1, 2)`, so only the length is
//!   convolved and halved. (The reference's own 1-D script trains a different
//!   residual baseline, `ResNet1D`; this is the WRN carried over to 1-D.)
//! - dense tasks (Darcy flow, PSICOV, Cosmic): stride 1 everywhere, so the
//!   resolution is kept, then batch norm, ReLU and a per-pixel linear layer
//!   to one channel (a `1 x 1` convolution with bias), flattened
//!   (the reference's `backbone_grid_wrn.py`).
//!
//! Blocks are pre-activation basic blocks: BN-ReLU-conv3x3-BN-ReLU-conv3x3
//! plus a shortcut that is the identity when channels agree and otherwise a
//! strided `1 x 1` convolution of the activated input. Depth `6n + 4` gives
//! `n` blocks per group; channels are 16 (stem), `16k`, `32k`, `64k`.
//! Initialisation follows the reference: convolutions Kaiming-normal with
//! fan-out, batch norm scale 1 and shift 0, linear weights PyTorch's default
//! and biases zero; every draw comes from the caller's seeded generator.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, Initializer, Linear, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_core::seed::SeededRng;
use oxinas_nb360::TaskFamily;

use crate::forward_context::{ForwardContext, NormMode};
use crate::init::{default_param, normal};
use crate::relu_conv_bn::{ConvAxes, ConvShape, batch_norm};
use crate::task_model::{TaskModel, TaskShape, task_head};

/// Depth and widening factor of a Wide ResNet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WideResNetConfig {
    /// Total depth `6n + 4` (16 in the benchmark).
    pub depth: usize,
    /// Widening factor `k` (4 in the benchmark).
    pub widen_factor: usize,
}

impl WideResNetConfig {
    /// WRN-16-4, the benchmark's default backbone.
    pub const WRN_16_4: Self = Self {
        depth: 16,
        widen_factor: 4,
    };

    /// Checks that the depth is `6n + 4` with `n >= 1` and `k >= 1`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.depth < 10 || !(self.depth - 4).is_multiple_of(6) {
            return Err(ConfigError::new(
                "depth",
                format!("6n + 4 with n >= 1 (10, 16, 22, ...), found {}", self.depth),
            ));
        }
        if self.widen_factor == 0 {
            return Err(ConfigError::new("widen_factor", "at least 1"));
        }
        Ok(())
    }

    /// Blocks per group, `n = (depth - 4) / 6`.
    pub fn blocks_per_group(&self) -> usize {
        self.depth.saturating_sub(4) / 6
    }

    /// Channels of the stem and of the three groups: 16, 16k, 32k, 64k.
    pub fn channels(&self) -> [usize; 4] {
        let k = self.widen_factor;
        [16, 16 * k, 32 * k, 64 * k]
    }

    /// Trainable parameters of the network for `shape`: convolution weights,
    /// batch-norm scales and shifts, and the head's weights and bias.
    pub fn params(&self, shape: &TaskShape) -> usize {
        let area = match shape.axes() {
            ConvAxes::Both => 9,
            ConvAxes::Width => 3,
        };
        let [c0, c1, c2, c3] = self.channels();
        let mut total = shape.input_shape[0] * c0 * area;
        for (mut channels_in, out) in [(c0, c1), (c1, c2), (c2, c3)] {
            for _ in 0..self.blocks_per_group() {
                total += 2 * channels_in + channels_in * out * area + 2 * out + out * out * area;
                if channels_in != out {
                    total += channels_in * out;
                }
                channels_in = out;
            }
        }
        total += 2 * c3;
        total
            + match shape.family {
                TaskFamily::Dense2d => c3 + 1,
                TaskFamily::Image2d | TaskFamily::Sequence1d => {
                    c3 * shape.output_len + shape.output_len
                }
            }
    }
}

/// A bias-free convolution with Kaiming-normal (fan-out, ReLU gain) weights.
fn kaiming_conv<B: Backend>(
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
    let std = (2.0 / (shape.channels_out * kh * kw) as f64).sqrt();
    conv.weight = Param::from_tensor(normal(
        [shape.channels_out, shape.channels_in, kh, kw],
        std,
        rng,
        device,
    ));
    conv
}

/// A `3 x 3` (or `1 x 3`) convolution with padding 1.
fn conv3(channels_in: usize, channels_out: usize, stride: usize) -> ConvShape {
    ConvShape {
        channels_in,
        channels_out,
        kernel: 3,
        stride,
        padding: 1,
    }
}

/// A pre-activation basic block.
#[derive(Module, Debug)]
pub struct PreActBlock<B: Backend> {
    bn1: BatchNorm<B>,
    conv1: Conv2d<B>,
    bn2: BatchNorm<B>,
    conv2: Conv2d<B>,
    /// `1 x 1` strided convolution when the channels change; identity otherwise.
    shortcut: Option<Conv2d<B>>,
}

impl<B: Backend> PreActBlock<B> {
    fn new(
        channels_in: usize,
        channels_out: usize,
        stride: usize,
        axes: ConvAxes,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let conv1 = kaiming_conv(conv3(channels_in, channels_out, stride), axes, rng, device);
        let conv2 = kaiming_conv(conv3(channels_out, channels_out, 1), axes, rng, device);
        let shortcut = (channels_in != channels_out).then(|| {
            let shape = ConvShape {
                channels_in,
                channels_out,
                kernel: 1,
                stride,
                padding: 0,
            };
            kaiming_conv(shape, axes, rng, device)
        });
        Self {
            bn1: batch_norm(channels_in, device),
            conv1,
            bn2: batch_norm(channels_out, device),
            conv2,
            shortcut,
        }
    }

    fn forward(&self, x: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        let activated = ctx.relu(ctx.norm(&self.bn1, x.clone()));
        let out = self.conv1.forward(activated.clone());
        let out = self.conv2.forward(ctx.relu(ctx.norm(&self.bn2, out)));
        // As the reference: the identity shortcut carries the raw input, the
        // projection shortcut reads the activated one.
        match &self.shortcut {
            Some(projection) => projection.forward(activated) + out,
            None => x + out,
        }
    }
}

/// The Wide ResNet for one task (see the module documentation).
#[derive(Module, Debug)]
pub struct TaskWideResNet<B: Backend> {
    stem: Conv2d<B>,
    blocks: Vec<PreActBlock<B>>,
    last_bn: BatchNorm<B>,
    /// Point tasks: global average pooling, then this layer.
    classifier: Option<Linear<B>>,
    /// Dense tasks: a per-pixel linear layer to one channel.
    dense_head: Option<Conv2d<B>>,
}

impl<B: Backend> TaskWideResNet<B> {
    /// Builds the network of `config` for `shape`, every weight drawn from `rng`.
    pub fn new(
        config: &WideResNetConfig,
        shape: &TaskShape,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        shape.validate()?;
        let axes = shape.axes();
        let [c0, c1, c2, c3] = config.channels();
        let stem = kaiming_conv(conv3(shape.input_shape[0], c0, 1), axes, rng, device);
        let strides = match shape.family {
            TaskFamily::Dense2d => [1, 1, 1],
            TaskFamily::Image2d | TaskFamily::Sequence1d => [1, 2, 2],
        };
        let mut blocks = Vec::new();
        for ((channels_in, out), stride) in [(c0, c1), (c1, c2), (c2, c3)].into_iter().zip(strides)
        {
            for i in 0..config.blocks_per_group() {
                let (from, step) = if i == 0 {
                    (channels_in, stride)
                } else {
                    (out, 1)
                };
                blocks.push(PreActBlock::new(from, out, step, axes, rng, device));
            }
        }
        let (classifier, dense_head) = match shape.family {
            TaskFamily::Dense2d => {
                let mut head = Conv2dConfig::new([c3, 1], [1, 1])
                    .with_initializer(Initializer::Zeros)
                    .init(device);
                head.weight = default_param([1, c3, 1, 1], c3, rng, device);
                (None, Some(head))
            }
            TaskFamily::Image2d | TaskFamily::Sequence1d => {
                let mut linear = burn::nn::LinearConfig::new(c3, shape.output_len)
                    .with_initializer(Initializer::Zeros)
                    .init(device);
                linear.weight = default_param([c3, shape.output_len], c3, rng, device);
                (Some(linear), None)
            }
        };
        Ok(Self {
            stem,
            blocks,
            last_bn: batch_norm(c3, device),
            classifier,
            dense_head,
        })
    }

    /// Outputs `[batch, output_len]` under the settings of `ctx`.
    pub fn forward_with(&self, inputs: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let mut x = self.stem.forward(inputs);
        for block in &self.blocks {
            x = block.forward(x, ctx);
        }
        let x = ctx.relu(ctx.norm(&self.last_bn, x));
        task_head(self.classifier.as_ref(), self.dense_head.as_ref(), x)
    }
}

impl<B: Backend> TaskModel<B> for TaskWideResNet<B> {
    fn forward_task(&self, inputs: Tensor<B, 4>) -> Tensor<B, 2> {
        self.forward_with(inputs, &ForwardContext::new(NormMode::Apply))
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;
    use oxinas_core::seed::rng_from_seed;
    use oxinas_nb360::Nb360Task;

    use super::*;
    use crate::backend::CpuBackend;
    use crate::param_count::trainable_params;

    const TINY: WideResNetConfig = WideResNetConfig {
        depth: 10,
        widen_factor: 1,
    };

    fn build(shape: &TaskShape, seed: u64) -> TaskWideResNet<CpuBackend> {
        TaskWideResNet::new(&TINY, shape, &mut rng_from_seed(seed), &Default::default()).unwrap()
    }

    fn ramp(shape: [usize; 4]) -> Tensor<CpuBackend, 4> {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = (0..n).map(|i| ((i % 17) as f32 - 8.0) / 8.0).collect();
        Tensor::from_data(TensorData::new(values, shape), &Default::default())
    }

    #[test]
    fn one_dimensional_parameter_count_by_hand() {
        // ECG (1 channel, 4 classes), WRN-10-1, 1x3 kernels:
        // stem 1*16*3 = 48;
        // group 1 (16 -> 16, identity): BN 32 + 16*16*3 + BN 32 + 16*16*3 = 1,600;
        // group 2 (16 -> 32): BN 32 + 16*32*3 + BN 64 + 32*32*3 + shortcut 16*32 = 5,216;
        // group 3 (32 -> 64): BN 64 + 32*64*3 + BN 128 + 64*64*3 + shortcut 32*64 = 20,672;
        // last BN 128; linear 64*4 + 4 = 260.
        let shape = TaskShape::of(Nb360Task::Ecg.spec());
        let expected = 48 + 1_600 + 5_216 + 20_672 + 128 + 260;
        assert_eq!(TINY.params(&shape), expected);
        assert_eq!(trainable_params(&build(&shape, 1)), expected);
    }

    #[test]
    fn dense_parameter_count_by_hand() {
        // Darcy flow (3 channels), 3x3 kernels: stem 3*16*9 = 432;
        // group 1: 32 + 2,304 + 32 + 2,304 = 4,672;
        // group 2: 32 + 4,608 + 64 + 9,216 + 512 = 14,432;
        // group 3: 64 + 18,432 + 128 + 36,864 + 2,048 = 57,536;
        // last BN 128; per-pixel head 64 + 1.
        let shape = TaskShape::with_input(Nb360Task::DarcyFlow.spec(), [3, 6, 5]).unwrap();
        let expected = 432 + 4_672 + 14_432 + 57_536 + 128 + 65;
        assert_eq!(TINY.params(&shape), expected);
        assert_eq!(trainable_params(&build(&shape, 1)), expected);
    }

    #[test]
    fn full_size_counts_match_the_published_ones() {
        // The reference backbone's docstring: WRN-28-10 has 36.5M parameters
        // and WRN-40-4 8.9M (CIFAR-10: RGB input, 10 classes).
        let cifar10 = TaskShape {
            family: TaskFamily::Image2d,
            input_shape: [3, 32, 32],
            output_len: 10,
        };
        let millions = |depth, widen_factor| {
            let config = WideResNetConfig {
                depth,
                widen_factor,
            };
            (config.params(&cifar10) as f64 / 1e5).round() / 10.0
        };
        assert_eq!(millions(28, 10), 36.5);
        assert_eq!(millions(40, 4), 8.9);
    }

    #[test]
    fn outputs_have_one_row_per_sample_for_every_family() {
        let ecg = TaskShape::with_input(Nb360Task::Ecg.spec(), [1, 1, 40]).unwrap();
        assert_eq!(
            build(&ecg, 2).forward_task(ramp([3, 1, 1, 40])).dims(),
            [3, 4]
        );
        let deepsea = TaskShape::with_input(Nb360Task::DeepSea.spec(), [4, 1, 25]).unwrap();
        let out = build(&deepsea, 2).forward_task(ramp([2, 4, 1, 25]));
        assert_eq!(out.dims(), [2, 36]);
        let ninapro = TaskShape::of(Nb360Task::NinaPro.spec());
        let out = build(&ninapro, 2).forward_task(ramp([2, 1, 16, 52]));
        assert_eq!(out.dims(), [2, 18]);
        let cosmic = TaskShape::with_input(Nb360Task::Cosmic.spec(), [1, 7, 9]).unwrap();
        assert_eq!(cosmic.output_len, 63);
        assert_eq!(
            build(&cosmic, 2).forward_task(ramp([2, 1, 7, 9])).dims(),
            [2, 63]
        );
    }

    #[test]
    fn seeds_fix_the_weights() {
        let shape = TaskShape::with_input(Nb360Task::Satellite.spec(), [1, 1, 46]).unwrap();
        let x = ramp([2, 1, 1, 46]);
        let a = build(&shape, 7).forward_task(x.clone()).into_data();
        let b = build(&shape, 7).forward_task(x.clone()).into_data();
        let c = build(&shape, 8).forward_task(x).into_data();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn bad_depths_and_shapes_are_rejected() {
        let shape = TaskShape::of(Nb360Task::Ecg.spec());
        let config = WideResNetConfig {
            depth: 12,
            widen_factor: 1,
        };
        let Err(err) = TaskWideResNet::<CpuBackend>::new(
            &config,
            &shape,
            &mut rng_from_seed(1),
            &Default::default(),
        ) else {
            panic!("depth 12 must be rejected");
        };
        assert_eq!(err.field, "depth");
        let err = TaskShape::with_input(Nb360Task::Ecg.spec(), [1, 2, 40]).unwrap_err();
        assert_eq!(err.field, "input_shape");
        let err = TaskShape::with_input(Nb360Task::Cosmic.spec(), [3, 8, 8]).unwrap_err();
        assert_eq!(err.field, "input_shape");
    }
}
