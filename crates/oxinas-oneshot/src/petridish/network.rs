//! The Burn network of a [`MacroArchitecture`], with trained weights, and
//! the output-preserving insertion of a new layer.

use burn::module::{Module, Param, RunningState};
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d};
use burn::tensor::ops::ConvOptions;

use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_train::init::{default_linear, default_param};
use oxinas_train::{
    ConvShape, ForwardContext, ImageClassifier, ReluConvBn, batch_norm, conv_without_bias,
};

use super::architecture::{LayerInput, MacroArchitecture, NetworkFrame};
use super::operation::LayerOp;

/// One operation of a layer with its weights (a convolution unit, or none for pooling).
#[derive(Module, Debug)]
pub struct OpModule<B: Backend> {
    /// ReLU, convolution and batch norm of a convolution op.
    pub conv: Option<ReluConvBn<B>>,
    /// Which operation this is.
    #[module(skip)]
    pub op: LayerOp,
}

impl<B: Backend> OpModule<B> {
    /// `op` on `channels` channels, weights drawn from `rng`.
    pub fn new(op: LayerOp, channels: usize, rng: &mut SeededRng, device: &B::Device) -> Self {
        Self {
            conv: op
                .conv_shape(channels)
                .map(|shape| ReluConvBn::new(shape, rng, device)),
            op,
        }
    }

    /// Applies the operation; the output has the input's shape.
    pub fn forward(&self, x: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        match (&self.conv, self.op) {
            (Some(unit), _) => unit.forward(x, ctx),
            (None, LayerOp::MaxPool3x3) => max_pool2d(x, [3, 3], [1, 1], [1, 1], [1, 1], false),
            (None, _) => avg_pool2d(x, [3, 3], [1, 1], [1, 1], false, false),
        }
    }

    /// A copy whose batch-norm running statistics are its own.
    pub fn isolated(&self) -> Self {
        let mut copy = self.clone();
        if let Some(unit) = copy.conv.as_mut() {
            unit.bn = isolated_batch_norm(&unit.bn);
        }
        copy
    }
}

/// A grown layer: its operations' outputs concatenated along the channels
/// and projected back to the frame's channels by a 1x1 convolution (as
/// Petridish merges a new layer's operations; a one-operation layer is that
/// operation alone), times a learnable scale.
#[derive(Module, Debug)]
pub struct GrownLayer<B: Backend> {
    /// One module per input, in the order of `inputs`.
    pub ops: Vec<OpModule<B>>,
    /// The 1x1 projection `[channels, inputs * channels, 1, 1]` of the
    /// concatenated outputs (no bias); absent for a one-input layer.
    pub projection: Option<Param<Tensor<B, 4>>>,
    /// The scale on the layer's contribution to the classifier's input, `[1]`.
    pub scale: Param<Tensor<B, 1>>,
    /// The feature maps read and the operations on them.
    #[module(skip)]
    pub inputs: Vec<LayerInput>,
}

impl<B: Backend> GrownLayer<B> {
    /// A layer from trained (or fresh) operations, the projection of their
    /// concatenated outputs (`Some` exactly when there are two or more) and
    /// an initial scale.
    pub fn from_ops(
        inputs: Vec<LayerInput>,
        ops: Vec<OpModule<B>>,
        projection: Option<Tensor<B, 4>>,
        scale: f32,
        device: &B::Device,
    ) -> Self {
        assert_eq!(
            projection.is_some(),
            inputs.len() > 1,
            "a projection exactly when a layer has two or more inputs"
        );
        Self {
            ops,
            projection: projection.map(Param::from_tensor),
            scale: Param::from_tensor(Tensor::from_floats([scale], device)),
            inputs,
        }
    }

    /// The projection whose output is `Σ_k weights[k] · y_k` for the
    /// concatenated `[y_1, ..., y_n]` of `channels` channels each: block `k`
    /// is `weights[k]` times the identity. A layer built from candidates with
    /// it computes exactly their weighted sum.
    pub fn weighted_sum_projection(
        weights: &[f32],
        channels: usize,
        device: &B::Device,
    ) -> Tensor<B, 4> {
        let n = weights.len();
        let mut values = vec![0.0f32; channels * n * channels];
        for (k, &w) in weights.iter().enumerate() {
            for c in 0..channels {
                values[c * n * channels + k * channels + c] = w;
            }
        }
        Tensor::from_data(
            burn::tensor::TensorData::new(values, [channels, n * channels, 1, 1]),
            device,
        )
    }

    /// The layer's output (before its scale) given all earlier feature maps.
    pub fn forward(&self, maps: &[Tensor<B, 4>], ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        let outputs: Vec<Tensor<B, 4>> = self
            .inputs
            .iter()
            .zip(&self.ops)
            .map(|(input, op)| op.forward(maps[input.source].clone(), ctx))
            .collect();
        match &self.projection {
            Some(weight) => conv2d(
                Tensor::cat(outputs, 1),
                weight.val(),
                None,
                ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
            ),
            None => outputs
                .into_iter()
                .next()
                .expect("a grown layer has at least one input"),
        }
    }

    fn isolated(&self) -> Self {
        Self {
            ops: self.ops.iter().map(OpModule::isolated).collect(),
            projection: self.projection.clone(),
            scale: self.scale.clone(),
            inputs: self.inputs.clone(),
        }
    }
}

/// A model of the search tree: stem, grown layers, classifier.
#[derive(Module, Debug)]
pub struct PetridishNetwork<B: Backend> {
    /// 3x3 convolution from the image channels.
    pub stem: Conv2d<B>,
    /// Batch norm after the stem.
    pub stem_bn: BatchNorm<B>,
    /// The grown layers, in order.
    pub layers: Vec<GrownLayer<B>>,
    /// Linear classifier on the globally pooled sum of the scaled layers.
    pub head: Linear<B>,
    /// Shapes shared by every model of the search.
    #[module(skip)]
    pub frame: NetworkFrame,
}

impl<B: Backend> PetridishNetwork<B> {
    /// A network of `architecture` with fresh weights from `seed`, every
    /// layer's scale set to `scale`.
    pub fn new(
        architecture: &MacroArchitecture,
        frame: NetworkFrame,
        scale: f32,
        seed: u64,
        device: &B::Device,
    ) -> Self {
        let mut rng = rng_from_seed(seed);
        let c = frame.channels;
        let stem = conv_without_bias(
            ConvShape {
                channels_in: frame.image_channels,
                channels_out: c,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            &mut rng,
            device,
        );
        let layers = architecture
            .layers
            .iter()
            .map(|inputs| {
                let ops = inputs
                    .iter()
                    .map(|x| OpModule::new(x.op, c, &mut rng, device))
                    .collect();
                // PyTorch's default 1x1 convolution initialisation.
                let n = inputs.len();
                let projection =
                    (n > 1).then(|| default_param([c, n * c, 1, 1], n * c, &mut rng, device).val());
                GrownLayer::from_ops(inputs.clone(), ops, projection, scale, device)
            })
            .collect();
        let head = default_linear(c, frame.classes, &mut rng, device);
        Self {
            stem,
            stem_bn: batch_norm(c, device),
            layers,
            head,
            frame,
        }
    }

    /// The architecture this network implements.
    pub fn architecture(&self) -> MacroArchitecture {
        MacroArchitecture {
            layers: self.layers.iter().map(|l| l.inputs.clone()).collect(),
        }
    }

    /// Every feature map: the stem's output, then each layer's (unscaled).
    pub fn feature_maps(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Vec<Tensor<B, 4>> {
        let mut maps = vec![ctx.norm(&self.stem_bn, self.stem.forward(images))];
        for layer in &self.layers {
            let y = layer.forward(&maps, ctx);
            maps.push(y);
        }
        maps
    }

    /// The classifier's input before pooling: the sum of scaled layer outputs.
    pub fn combined(&self, maps: &[Tensor<B, 4>]) -> Tensor<B, 4> {
        let mut sum: Option<Tensor<B, 4>> = None;
        for (layer, map) in self.layers.iter().zip(&maps[1..]) {
            let y = map.clone() * layer.scale.val().reshape([1, 1, 1, 1]);
            sum = Some(match sum {
                Some(s) => s + y,
                None => y,
            });
        }
        sum.unwrap_or_else(|| maps[0].clone())
    }

    /// Logits from the combined feature map: ReLU, global average pooling, linear.
    pub fn classify(&self, combined: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let x = ctx.relu(combined);
        let [batch, channels, _, _] = x.dims();
        self.head
            .forward(adaptive_avg_pool2d(x, [1, 1]).reshape([batch, channels]))
    }

    /// This network with `layer` appended. With the layer's scale at 0 the
    /// output is unchanged.
    pub fn with_layer(mut self, layer: GrownLayer<B>) -> Self {
        self.layers.push(layer);
        self
    }

    /// A copy whose batch-norm running statistics are its own. A plain
    /// `clone` shares them (Burn keeps them behind a shared lock), so two
    /// children trained from one parent would write into each other's.
    pub fn isolated(&self) -> Self {
        Self {
            stem: self.stem.clone(),
            stem_bn: isolated_batch_norm(&self.stem_bn),
            layers: self.layers.iter().map(GrownLayer::isolated).collect(),
            head: self.head.clone(),
            frame: self.frame,
        }
    }
}

impl<B: Backend> ImageClassifier<B> for PetridishNetwork<B> {
    fn logits(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let maps = self.feature_maps(images, ctx);
        self.classify(self.combined(&maps), ctx)
    }
}

/// `bn` with fresh running-statistics holders carrying the current values.
fn isolated_batch_norm<B: Backend>(bn: &BatchNorm<B>) -> BatchNorm<B> {
    let mut copy = bn.clone();
    copy.running_mean = RunningState::new(bn.running_mean.clone().into_record().val());
    copy.running_var = RunningState::new(bn.running_var.clone().into_record().val());
    copy
}
