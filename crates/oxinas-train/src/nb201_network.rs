//! The NAS-Bench-201 cell network (Dong & Yang, ICLR 2020, Fig. 1 and §2.1).
//!
//! Macro skeleton: a 3x3 convolution stem with batch norm; three stages of `N`
//! cells with `C`, `2C` and `4C` channels; between stages a residual reduction
//! block (ReLU-Conv3x3(stride 2)-BN, ReLU-Conv3x3-BN, shortcut 2x2 average pool
//! then 1x1 convolution); then batch norm, ReLU, global average pooling and a
//! linear classifier. Every cell is the same searched cell: node `i` (1..=3) is
//! the sum over `j < i` of the op on edge `(i <- j)` applied to node `j`.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d};
use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_core::seed::SeededRng;
use oxinas_spaces::{NB201_EDGES, Nb201Arch, Nb201Op};

use crate::forward_context::{ForwardContext, NormMode};
use crate::init::default_linear;
use crate::relu_conv_bn::{ConvAxes, ConvShape, ReluConvBn, batch_norm, conv_along};

/// Size of an NB201 network: stem channels `C`, cells per stage `N`, classes, input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nb201NetworkConfig {
    /// Channels of the first stage (`C`; 16 in NAS-Bench-201).
    pub channels: usize,
    /// Cells per stage (`N`; 5 in NAS-Bench-201).
    pub cells_per_stage: usize,
    /// Output classes.
    pub num_classes: usize,
    /// Input image channels (3 for CIFAR, 1 for Fashion-MNIST and digits).
    pub input_channels: usize,
}

impl Nb201NetworkConfig {
    /// The NAS-Bench-201 network for CIFAR-10: `C = 16`, `N = 5`, 10 classes, RGB input.
    pub const CIFAR10: Self = Self {
        channels: 16,
        cells_per_stage: 5,
        num_classes: 10,
        input_channels: 3,
    };

    /// Checks that every size is positive.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("channels", self.channels),
            ("cells_per_stage", self.cells_per_stage),
            ("num_classes", self.num_classes),
            ("input_channels", self.input_channels),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1"));
            }
        }
        Ok(())
    }

    /// Every convolution of the network for `arch`, in forward order, and the
    /// linear classifier's `(inputs, outputs)`; the analytic twin of the built
    /// module, used for parameter and FLOP counts without building tensors.
    pub fn layout(&self, arch: &Nb201Arch) -> Nb201Layout {
        let c = self.channels;
        let mut convs = vec![ConvShape {
            channels_in: self.input_channels,
            channels_out: c,
            kernel: 3,
            stride: 1,
            padding: 1,
        }];
        let mut batch_norm_channels = vec![c];
        let mut reductions = Vec::new();
        let mut channels = c;
        for stage in 0..3 {
            if stage > 0 {
                let out = channels * 2;
                reductions.push(ReductionShape::new(channels, out));
                let r = ReductionShape::new(channels, out);
                convs.extend([r.conv_a, r.conv_b, r.shortcut]);
                batch_norm_channels.extend([out, out]);
                channels = out;
            }
            for _ in 0..self.cells_per_stage {
                for op in arch.ops {
                    if let Some(shape) = cell_conv_shape(op, channels) {
                        convs.push(shape);
                        batch_norm_channels.push(channels);
                    }
                }
            }
        }
        batch_norm_channels.push(channels);
        Nb201Layout {
            convs,
            batch_norm_channels,
            classifier: (channels, self.num_classes),
        }
    }
}

impl Nb201NetworkConfig {
    /// Multiply-accumulates of one forward pass on a `height` x `width` image:
    /// every convolution at its resolution plus the classifier (batch norm,
    /// pooling and additions are not counted). The usual "FLOPs" of NAS papers.
    pub fn macs(&self, arch: &Nb201Arch, height: usize, width: usize) -> u64 {
        let c = self.channels;
        let stem = ConvShape {
            channels_in: self.input_channels,
            channels_out: c,
            kernel: 3,
            stride: 1,
            padding: 1,
        };
        let (mut total, (mut h, mut w)) = stem.macs(height, width);
        let mut channels = c;
        for stage in 0..3 {
            if stage > 0 {
                let r = ReductionShape::new(channels, channels * 2);
                let (a, (h2, w2)) = r.conv_a.macs(h, w);
                let (b, _) = r.conv_b.macs(h2, w2);
                // The shortcut's 1x1 convolution runs after 2x2 average
                // pooling (ceil mode, the strided branch's size).
                let (s, _) = r.shortcut.macs(h2, w2);
                total += a + b + s;
                (h, w) = (h2, w2);
                channels *= 2;
            }
            for _ in 0..self.cells_per_stage {
                for op in arch.ops {
                    if let Some(shape) = cell_conv_shape(op, channels) {
                        total += shape.macs(h, w).0;
                    }
                }
            }
        }
        (total + channels * self.num_classes) as u64
    }
}

/// The shapes of a network's layers (see [`Nb201NetworkConfig::layout`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nb201Layout {
    /// Every convolution, in forward order.
    pub convs: Vec<ConvShape>,
    /// Channels of every batch norm (each has a scale and a shift per channel).
    pub batch_norm_channels: Vec<usize>,
    /// The classifier's inputs and outputs (it has a bias).
    pub classifier: (usize, usize),
}

impl Nb201Layout {
    /// Trainable parameters: convolution weights, batch-norm scales and shifts,
    /// classifier weights and biases (running statistics are not parameters).
    pub fn params(&self) -> usize {
        let conv: usize = self.convs.iter().map(ConvShape::weights).sum();
        let bn: usize = self.batch_norm_channels.iter().map(|c| 2 * c).sum();
        let (inputs, outputs) = self.classifier;
        conv + bn + inputs * outputs + outputs
    }
}

/// The convolution of a cell op at `channels`, if the op has one.
fn cell_conv_shape(op: Nb201Op, channels: usize) -> Option<ConvShape> {
    let (kernel, padding) = match op {
        Nb201Op::NorConv1x1 => (1, 0),
        Nb201Op::NorConv3x3 => (3, 1),
        Nb201Op::None | Nb201Op::SkipConnect | Nb201Op::AvgPool3x3 => return None,
    };
    Some(ConvShape {
        channels_in: channels,
        channels_out: channels,
        kernel,
        stride: 1,
        padding,
    })
}

/// The three convolutions of a residual reduction block.
#[derive(Clone, Copy, Debug)]
struct ReductionShape {
    conv_a: ConvShape,
    conv_b: ConvShape,
    shortcut: ConvShape,
}

impl ReductionShape {
    fn new(channels_in: usize, channels_out: usize) -> Self {
        Self {
            conv_a: ConvShape {
                channels_in,
                channels_out,
                kernel: 3,
                stride: 2,
                padding: 1,
            },
            conv_b: ConvShape {
                channels_in: channels_out,
                channels_out,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            shortcut: ConvShape {
                channels_in,
                channels_out,
                kernel: 1,
                stride: 1,
                padding: 0,
            },
        }
    }
}

/// One searched cell; edges whose op has weights hold a [`ReluConvBn`].
#[derive(Module, Debug)]
pub struct Nb201Cell<B: Backend> {
    /// The convolution unit of each edge, `None` for weight-free ops.
    convs: Vec<Option<ReluConvBn<B>>>,
    /// The op on each edge, in [`NB201_EDGES`] order.
    ops: Vec<Nb201Op>,
    /// `[height, width]` of the 3-wide average-pooling window.
    pool_window: [usize; 2],
    /// `[height, width]` zero padding of that window.
    pool_padding: [usize; 2],
}

impl<B: Backend> Nb201Cell<B> {
    /// A cell of `arch` at `channels` whose convolutions and pooling act on
    /// `axes` (square for images, `1 x k` for sequences).
    pub(crate) fn new_along(
        arch: &Nb201Arch,
        channels: usize,
        axes: ConvAxes,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let convs = arch
            .ops
            .iter()
            .map(|&op| {
                cell_conv_shape(op, channels)
                    .map(|shape| ReluConvBn::new_along(shape, axes, rng, device))
            })
            .collect();
        Self {
            convs,
            ops: arch.ops.to_vec(),
            pool_window: axes.kernel(3),
            pool_padding: axes.pair(1, 0),
        }
    }

    pub(crate) fn forward(&self, x: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        let mut nodes = vec![x];
        for node in 1..=3 {
            let mut sum: Option<Tensor<B, 4>> = None;
            for (edge, &(to, from)) in NB201_EDGES.iter().enumerate() {
                if to != node {
                    continue;
                }
                let input = nodes[from].clone();
                let out = match (self.ops[edge], &self.convs[edge]) {
                    (Nb201Op::None, _) => continue,
                    (Nb201Op::SkipConnect, _) => input,
                    (Nb201Op::AvgPool3x3, _) => avg_pool2d(
                        input,
                        self.pool_window,
                        [1, 1],
                        self.pool_padding,
                        false,
                        false,
                    ),
                    (_, Some(conv)) => conv.forward(input, ctx),
                    (_, None) => unreachable!("convolution ops are built with their weights"),
                };
                sum = Some(match sum {
                    Some(acc) => acc + out,
                    None => out,
                });
            }
            // A node whose every input edge is `none` carries zeros.
            let value = sum.unwrap_or_else(|| nodes[0].zeros_like());
            nodes.push(value);
        }
        nodes.pop().expect("three nodes were pushed")
    }
}

/// The residual block between stages: halves the resolution, doubles the channels.
#[derive(Module, Debug)]
pub struct Nb201Reduction<B: Backend> {
    conv_a: ReluConvBn<B>,
    conv_b: ReluConvBn<B>,
    shortcut: Conv2d<B>,
    /// `[height, width]` of the shortcut's 2-wide pooling window and stride.
    pool_window: [usize; 2],
}

impl<B: Backend> Nb201Reduction<B> {
    /// A reduction block `channels_in -> channels_out` whose convolutions,
    /// stride and pooling act on `axes` (a sequence halves its length only).
    pub(crate) fn new_along(
        channels_in: usize,
        channels_out: usize,
        axes: ConvAxes,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let shape = ReductionShape::new(channels_in, channels_out);
        Self {
            conv_a: ReluConvBn::new_along(shape.conv_a, axes, rng, device),
            conv_b: ReluConvBn::new_along(shape.conv_b, axes, rng, device),
            shortcut: conv_along(shape.shortcut, axes, rng, device),
            pool_window: axes.kernel(2),
        }
    }

    pub(crate) fn forward(&self, x: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        let branch = self
            .conv_b
            .forward(self.conv_a.forward(x.clone(), ctx), ctx);
        // Ceil mode: an odd side (7 from a 28-pixel image) pools to the
        // strided branch's size; on even sides it equals the benchmark's floor.
        let window = self.pool_window;
        let pooled = avg_pool2d(x, window, window, [0, 0], true, true);
        branch + ctx.probe(self.shortcut.forward(pooled))
    }
}

/// A block of the macro skeleton: a searched cell or a reduction block.
#[derive(Module, Debug)]
pub struct Nb201Block<B: Backend> {
    pub(crate) cell: Option<Nb201Cell<B>>,
    pub(crate) reduction: Option<Nb201Reduction<B>>,
}

impl<B: Backend> Nb201Block<B> {
    /// Applies the block's cell or reduction.
    pub(crate) fn forward(&self, x: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        match (&self.cell, &self.reduction) {
            (Some(cell), _) => cell.forward(x, ctx),
            (None, Some(reduction)) => reduction.forward(x, ctx),
            (None, None) => x,
        }
    }
}

/// The NAS-Bench-201 network for one cell.
#[derive(Module, Debug)]
pub struct Nb201Network<B: Backend> {
    stem: Conv2d<B>,
    stem_bn: BatchNorm<B>,
    blocks: Vec<Nb201Block<B>>,
    last_bn: BatchNorm<B>,
    classifier: Linear<B>,
}

impl<B: Backend> Nb201Network<B> {
    /// Builds the network of `config` for `arch`, every weight drawn from `rng`.
    pub fn new(
        config: &Nb201NetworkConfig,
        arch: &Nb201Arch,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let c = config.channels;
        let stem_shape = ConvShape {
            channels_in: config.input_channels,
            channels_out: c,
            kernel: 3,
            stride: 1,
            padding: 1,
        };
        let stem = conv_along(stem_shape, ConvAxes::Both, rng, device);
        let mut blocks = Vec::new();
        let mut channels = c;
        for stage in 0..3 {
            if stage > 0 {
                blocks.push(Nb201Block {
                    cell: None,
                    reduction: Some(Nb201Reduction::new_along(
                        channels,
                        channels * 2,
                        ConvAxes::Both,
                        rng,
                        device,
                    )),
                });
                channels *= 2;
            }
            for _ in 0..config.cells_per_stage {
                blocks.push(Nb201Block {
                    cell: Some(Nb201Cell::new_along(
                        arch,
                        channels,
                        ConvAxes::Both,
                        rng,
                        device,
                    )),
                    reduction: None,
                });
            }
        }
        let classifier = default_linear(channels, config.num_classes, rng, device);
        Ok(Self {
            stem,
            stem_bn: batch_norm(c, device),
            blocks,
            last_bn: batch_norm(channels, device),
            classifier,
        })
    }

    /// Class logits `[batch, classes]` for images `[batch, channels, height, width]`.
    pub fn forward(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        self.forward_with(images, &ForwardContext::new(NormMode::Apply))
    }

    /// [`Nb201Network::forward`] under the settings and recording of `ctx`.
    pub fn forward_with(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let features = self.features_with(images, ctx);
        let logits = self.classifier.forward(features);
        let [batch, classes] = logits.dims();
        ctx.probe(logits.reshape([batch, classes, 1, 1]))
            .reshape([batch, classes])
    }

    /// The pooled features `[batch, 4C]` the classifier reads.
    pub fn features_with(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let mut x = ctx.norm(&self.stem_bn, ctx.probe(self.stem.forward(images)));
        for block in &self.blocks {
            x = block.forward(x, ctx);
        }
        let x = ctx.relu(ctx.norm(&self.last_bn, x));
        let [batch, channels, _, _] = x.dims();
        adaptive_avg_pool2d(x, [1, 1]).reshape([batch, channels])
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use oxinas_core::seed::rng_from_seed;

    use super::*;
    use crate::param_count::trainable_params;

    const TINY: Nb201NetworkConfig = Nb201NetworkConfig {
        channels: 2,
        cells_per_stage: 1,
        num_classes: 3,
        input_channels: 1,
    };

    #[test]
    fn parameter_count_by_hand() {
        // Stem 1*2*9 + BN 4 = 22; reduction 2->4: 72+8 + 144+8 + 8 = 240;
        // reduction 4->8: 288+16 + 576+16 + 32 = 928; last BN 16; classifier 8*3+3 = 27.
        let empty = Nb201Arch::from_op_digits("000000").unwrap();
        assert_eq!(TINY.layout(&empty).params(), 1233);
        // One 3x3 conv edge adds 9C²+2C per cell: 40 + 152 + 592.
        let one_conv = Nb201Arch::from_op_digits("300000").unwrap();
        assert_eq!(TINY.layout(&one_conv).params(), 1233 + 784);
        let device = Default::default();
        for arch in [
            empty,
            one_conv,
            Nb201Arch::from_op_digits("421211").unwrap(),
        ] {
            let net =
                Nb201Network::<NdArray>::new(&TINY, &arch, &mut rng_from_seed(1), &device).unwrap();
            assert_eq!(trainable_params(&net), TINY.layout(&arch).params());
        }
    }

    #[test]
    fn multiply_accumulates_by_hand() {
        // 8x8 input. Stem 1*2*9*64 = 1152; reduction to 4x4: 9*2*4*16 + 9*4*4*16
        // + 2*4*16 = 3584; reduction to 2x2: 9*4*8*4 + 9*8*8*4 + 4*8*4 = 3584;
        // classifier 8*3 = 24.
        let empty = Nb201Arch::from_op_digits("000000").unwrap();
        assert_eq!(TINY.macs(&empty, 8, 8), 8344);
        // A 1x1 edge adds C*C*H*W per cell: 2*2*64 + 4*4*16 + 8*8*4 = 768.
        let one_conv = Nb201Arch::from_op_digits("000200").unwrap();
        assert_eq!(TINY.macs(&one_conv, 8, 8), 8344 + 768);
    }

    #[test]
    fn forward_gives_one_logit_row_per_image_and_seeds_fix_weights() {
        let arch = Nb201Arch::from_op_digits("342114").unwrap();
        let device = Default::default();
        let build = |seed| {
            Nb201Network::<NdArray>::new(&TINY, &arch, &mut rng_from_seed(seed), &device).unwrap()
        };
        let x = Tensor::<NdArray, 4>::ones([2, 1, 8, 8], &device);
        let a = build(4).forward(x.clone());
        assert_eq!(a.dims(), [2, 3]);
        let b = build(4).forward(x.clone());
        let c = build(5).forward(x);
        assert_eq!(a.to_data(), b.to_data());
        assert_ne!(a.to_data(), c.to_data());
    }

    #[test]
    fn odd_sides_pool_to_the_strided_branch_size() {
        // 14x14 -> 7x7 -> 4x4: the shortcut must pool 7 to 4, not 3.
        let arch = Nb201Arch::from_op_digits("342114").unwrap();
        let device = Default::default();
        let net =
            Nb201Network::<NdArray>::new(&TINY, &arch, &mut rng_from_seed(1), &device).unwrap();
        let x = Tensor::<NdArray, 4>::ones([2, 1, 14, 14], &device);
        assert_eq!(net.forward(x).dims(), [2, 3]);
        // Stem 1*2*9*196 = 3528; 14 -> 7: 9*2*4*49 + 9*4*4*49 + 2*4*49 = 10,976;
        // 7 -> 4: 9*4*8*16 + 9*8*8*16 + 4*8*16 = 14,336; classifier 24.
        let empty = Nb201Arch::from_op_digits("000000").unwrap();
        assert_eq!(TINY.macs(&empty, 14, 14), 3528 + 10_976 + 14_336 + 24);
    }

    #[test]
    fn zero_sizes_are_rejected() {
        let arch = Nb201Arch::from_op_digits("000000").unwrap();
        let config = Nb201NetworkConfig {
            channels: 0,
            ..TINY
        };
        let err = Nb201Network::<NdArray>::new(
            &config,
            &arch,
            &mut rng_from_seed(1),
            &Default::default(),
        )
        .unwrap_err();
        assert_eq!(err.field, "channels");
    }
}
