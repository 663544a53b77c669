//! A network built from a declared layer-wise space
//! ([`oxinas_spaces::LayerSpec`]): a 3x3 stem convolution with batch norm
//! and ReLU, one block per layer, global average pooling and a linear
//! classifier.
//!
//! Blocks, each ending in batch norm:
//! * `convKxK`: convolution, batch norm, ReLU;
//! * `sep_convKxK`: depthwise KxK, pointwise 1x1, batch norm, ReLU;
//! * `mbconvKxK_eE` (MobileNetV2): pointwise expansion to `E` times the
//!   input width, batch norm, ReLU; depthwise KxK, batch norm, ReLU;
//!   pointwise projection, batch norm; plus the input when stride is 1 and
//!   widths agree;
//! * `max_poolKxK`, `avg_poolKxK`: pooling with the layer's stride (padding
//!   K/2), then a 1x1 convolution and batch norm when the width changes;
//! * `skip`: the input, or a strided 1x1 convolution and batch norm when
//!   the shape changes.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, Initializer, Linear, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d, max_pool2d};
use oxinas_core::ConfigError;
use oxinas_core::seed::SeededRng;
use oxinas_spaces::{LayerOp, LayerSpec};

use crate::forward_context::ForwardContext;
use crate::init::{default_linear, default_param};
use crate::relu_conv_bn::batch_norm;

/// Sizes around the declared layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerwiseNetworkConfig {
    /// Channels of the stem convolution.
    pub stem: usize,
    /// Output classes.
    pub num_classes: usize,
    /// Input image channels.
    pub input_channels: usize,
}

/// Which computation a block performs (a plain field, not a module).
const CONV: usize = 0;
const SEP_CONV: usize = 1;
const MB_CONV: usize = 2;
const MAX_POOL: usize = 3;
const AVG_POOL: usize = 4;
const SKIP: usize = 5;

/// One layer: its convolutions and batch norms in order of use.
#[derive(Module, Debug)]
pub struct LayerBlock<B: Backend> {
    convs: Vec<Conv2d<B>>,
    norms: Vec<BatchNorm<B>>,
    kind: usize,
    kernel: usize,
    stride: usize,
    residual: bool,
}

/// A bias-free convolution `inputs -> outputs` with `groups`, padding K/2,
/// weights drawn from `rng` (PyTorch's default distribution).
fn conv<B: Backend>(
    inputs: usize,
    outputs: usize,
    kernel: usize,
    stride: usize,
    groups: usize,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Conv2d<B> {
    let p = kernel / 2;
    let mut conv = Conv2dConfig::new([inputs, outputs], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .with_groups(groups)
        .with_bias(false)
        .with_initializer(Initializer::Zeros)
        .init(device);
    let per_group = inputs / groups;
    conv.weight = default_param(
        [outputs, per_group, kernel, kernel],
        per_group * kernel * kernel,
        rng,
        device,
    );
    conv
}

impl<B: Backend> LayerBlock<B> {
    fn new(inputs: usize, layer: &LayerSpec, rng: &mut SeededRng, device: &B::Device) -> Self {
        let (out, s) = (layer.width, layer.stride);
        let reshape = s != 1 || inputs != out;
        let (kind, kernel, convs, norm_widths): (usize, usize, Vec<Conv2d<B>>, Vec<usize>) =
            match layer.op {
                LayerOp::Conv { kernel: k } => (
                    CONV,
                    k,
                    vec![conv(inputs, out, k, s, 1, rng, device)],
                    vec![out],
                ),
                LayerOp::SepConv { kernel: k } => (
                    SEP_CONV,
                    k,
                    vec![
                        conv(inputs, inputs, k, s, inputs, rng, device),
                        conv(inputs, out, 1, 1, 1, rng, device),
                    ],
                    vec![out],
                ),
                LayerOp::MbConv {
                    kernel: k,
                    expansion: e,
                } => {
                    let hidden = inputs * e;
                    (
                        MB_CONV,
                        k,
                        vec![
                            conv(inputs, hidden, 1, 1, 1, rng, device),
                            conv(hidden, hidden, k, s, hidden, rng, device),
                            conv(hidden, out, 1, 1, 1, rng, device),
                        ],
                        vec![hidden, hidden, out],
                    )
                }
                LayerOp::MaxPool { kernel: k } | LayerOp::AvgPool { kernel: k } => {
                    let kind = if matches!(layer.op, LayerOp::MaxPool { .. }) {
                        MAX_POOL
                    } else {
                        AVG_POOL
                    };
                    if inputs != out {
                        (
                            kind,
                            k,
                            vec![conv(inputs, out, 1, 1, 1, rng, device)],
                            vec![out],
                        )
                    } else {
                        (kind, k, Vec::new(), Vec::new())
                    }
                }
                LayerOp::Skip if reshape => (
                    SKIP,
                    1,
                    vec![conv(inputs, out, 1, s, 1, rng, device)],
                    vec![out],
                ),
                LayerOp::Skip => (SKIP, 1, Vec::new(), Vec::new()),
            };
        Self {
            convs,
            norms: norm_widths
                .into_iter()
                .map(|w| batch_norm(w, device))
                .collect(),
            kind,
            kernel,
            stride: s,
            residual: kind == MB_CONV && !reshape,
        }
    }

    fn forward(&self, x: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        let unit = |i: usize, x: Tensor<B, 4>| ctx.norm(&self.norms[i], self.convs[i].forward(x));
        match self.kind {
            CONV => ctx.relu(unit(0, x)),
            SEP_CONV => {
                let depthwise = self.convs[0].forward(x);
                ctx.relu(ctx.norm(&self.norms[0], self.convs[1].forward(depthwise)))
            }
            MB_CONV => {
                let h = ctx.relu(unit(0, x.clone()));
                let h = ctx.relu(unit(1, h));
                let h = unit(2, h);
                if self.residual { h + x } else { h }
            }
            MAX_POOL | AVG_POOL => {
                let (k, s, p) = (self.kernel, self.stride, self.kernel / 2);
                let pooled = if self.kind == MAX_POOL {
                    max_pool2d(x, [k, k], [s, s], [p, p], [1, 1], false)
                } else {
                    avg_pool2d(x, [k, k], [s, s], [p, p], false, false)
                };
                if self.convs.is_empty() {
                    pooled
                } else {
                    unit(0, pooled)
                }
            }
            _ if self.convs.is_empty() => x,
            _ => unit(0, x),
        }
    }
}

/// The network of one architecture of a declared layer-wise space.
#[derive(Module, Debug)]
pub struct LayerwiseNetwork<B: Backend> {
    stem: Conv2d<B>,
    stem_bn: BatchNorm<B>,
    layers: Vec<LayerBlock<B>>,
    classifier: Linear<B>,
}

impl<B: Backend> LayerwiseNetwork<B> {
    /// Builds the network of `layers` under `config`, every weight drawn from `rng`.
    pub fn new(
        config: &LayerwiseNetworkConfig,
        layers: &[LayerSpec],
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        for (field, value) in [
            ("network.stem", config.stem),
            ("num_classes", config.num_classes),
            ("input_channels", config.input_channels),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1"));
            }
        }
        let stem = conv(config.input_channels, config.stem, 3, 1, 1, rng, device);
        let mut width = config.stem;
        let mut blocks = Vec::with_capacity(layers.len());
        for layer in layers {
            if layer.width == 0 || !(1..=2).contains(&layer.stride) {
                return Err(ConfigError::new(
                    "network",
                    format!("a positive width and a stride of 1 or 2, found {layer:?}"),
                ));
            }
            blocks.push(LayerBlock::new(width, layer, rng, device));
            width = layer.width;
        }
        Ok(Self {
            stem,
            stem_bn: batch_norm(config.stem, device),
            layers: blocks,
            classifier: default_linear(width, config.num_classes, rng, device),
        })
    }

    /// Class logits `[batch, classes]`.
    pub fn forward_with(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let mut x = ctx.relu(ctx.norm(&self.stem_bn, self.stem.forward(images)));
        for layer in &self.layers {
            x = layer.forward(x, ctx);
        }
        let [batch, channels, _, _] = x.dims();
        self.classifier
            .forward(adaptive_avg_pool2d(x, [1, 1]).reshape([batch, channels]))
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use oxinas_core::seed::rng_from_seed;

    use super::*;
    use crate::forward_context::NormMode;
    use crate::param_count::trainable_params;

    fn network(layers: &[LayerSpec]) -> LayerwiseNetwork<NdArray> {
        let config = LayerwiseNetworkConfig {
            stem: 4,
            num_classes: 3,
            input_channels: 1,
        };
        LayerwiseNetwork::new(&config, layers, &mut rng_from_seed(0), &Default::default()).unwrap()
    }

    fn layer(op: &str, width: usize, stride: usize) -> LayerSpec {
        LayerSpec {
            op: LayerOp::parse(op).unwrap(),
            width,
            stride,
        }
    }

    #[test]
    fn parameters_match_a_hand_count() {
        // Stem 1->4 3x3: 36 weights + BN 8. Classifier 4->3: 12 + 3.
        let base = 36 + 8 + 15;
        assert_eq!(trainable_params(&network(&[])), base);
        // conv3x3 4->8: 288 + BN 16; classifier then 8->3: 24 + 3.
        assert_eq!(
            trainable_params(&network(&[layer("conv3x3", 8, 1)])),
            36 + 8 + 288 + 16 + 27
        );
        // sep_conv3x3 4->4: depthwise 36 + pointwise 16 + BN 8.
        assert_eq!(
            trainable_params(&network(&[layer("sep_conv3x3", 4, 1)])),
            base + 36 + 16 + 8
        );
        // mbconv3x3_e2 4->4: 4->8 (32) + BN 16, depthwise 8x9 (72) + BN 16, 8->4 (32) + BN 8.
        assert_eq!(
            trainable_params(&network(&[layer("mbconv3x3_e2", 4, 1)])),
            base + 32 + 16 + 72 + 16 + 32 + 8
        );
        // Pooling and skip at the same shape add nothing; with a new width, a 1x1 conv + BN.
        assert_eq!(
            trainable_params(&network(&[layer("max_pool3x3", 4, 2), layer("skip", 4, 1)])),
            base
        );
        assert_eq!(
            trainable_params(&network(&[layer("skip", 6, 2)])),
            36 + 8 + 24 + 12 + 18 + 3
        );
    }

    #[test]
    fn strides_halve_the_image_and_logits_have_the_class_count() {
        let net = network(&[
            layer("conv5x5", 6, 2),
            layer("mbconv3x3_e3", 6, 1),
            layer("avg_pool3x3", 8, 2),
            layer("sep_conv5x5", 8, 1),
        ]);
        let images = Tensor::<NdArray, 4>::zeros([2, 1, 8, 8], &Default::default());
        let logits = net.forward_with(images, &ForwardContext::new(NormMode::Apply));
        assert_eq!(logits.dims(), [2, 3]);
    }
}
