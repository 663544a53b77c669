//! The Once-for-All supernet: a MobileNetV3-like stack of MBConv layers whose
//! every sub-network (kernel size, expansion ratio, depth per the
//! [`OfaArch`]) runs on slices of one set of weights.
//!
//! * Elastic kernel: a layer's 5x5 kernel is the centre of its 7x7 kernel
//!   passed through a learned 25x25 transformation, its 3x3 kernel the centre
//!   of that 5x5 kernel through a 9x9 one (both start as the identity).
//! * Elastic depth: a unit of depth `d` runs its first `d` layers.
//! * Elastic width: expansion ratio `e` keeps the first `e x in` expanded
//!   channels; [`OfaSupernet::sort_channels`] orders them by importance (L1
//!   norm of their projection weights) so the first ones are the most useful.
//!
//! Squeeze-and-excitation and h-swish are left out: every activation is a
//! ReLU. Batch norm keeps no running statistics: training normalises with
//! batch statistics, and a sub-network is evaluated with statistics measured
//! for it on calibration images ([`OfaBnStatistics`]), as the paper re-sets
//! them for every sub-network.

use std::cell::{Cell, RefCell};

use burn::module::{Module, Param};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Int, Tensor, TensorData};

use oxinas_core::ConfigError;
use oxinas_core::seed::SeededRng;
use oxinas_spaces::{OFA_LAYERS, OFA_MAX_DEPTH, OFA_UNITS, OfaArch};
use oxinas_train::init::default_param;

use crate::ofa_settings::OfaNetworkSettings;

/// The largest expansion ratio: the expanded channels held per input channel.
pub const OFA_MAX_EXPANSION: usize = 6;
/// The largest kernel size.
pub const OFA_MAX_KERNEL: usize = 7;

/// Epsilon of every batch norm (PyTorch's).
pub const OFA_BN_EPSILON: f64 = 1e-5;

/// The sub-network with every choice at its largest (kernel 7, expansion 6, depth 4).
pub fn largest_arch() -> OfaArch {
    uniform_arch(7, 6, 4)
}

/// The sub-network with every choice at its smallest (kernel 3, expansion 3, depth 2).
pub fn smallest_arch() -> OfaArch {
    uniform_arch(3, 3, 2)
}

/// The sub-network with the same kernel, expansion and depth everywhere.
pub fn uniform_arch(kernel: u8, expansion: u8, depth: u8) -> OfaArch {
    OfaArch {
        ks: vec![kernel; OFA_LAYERS],
        e: vec![expansion; OFA_LAYERS],
        d: vec![depth; OFA_UNITS],
        r: None,
    }
}

/// Per-channel mean and (biased) variance of every batch norm a sub-network
/// runs, in forward order: the statistics it is evaluated with.
#[derive(Clone, Debug)]
pub struct OfaBnStatistics<B: Backend> {
    /// `(mean, variance)` of each batch norm, in forward order.
    pub layers: Vec<(Tensor<B, 1>, Tensor<B, 1>)>,
}

/// Where a forward pass takes its normalisation statistics from.
#[derive(Debug)]
enum NormSource<'a, B: Backend> {
    /// The batch's own statistics (training, calibration).
    Batch,
    /// Measured statistics (evaluation).
    Fixed(&'a OfaBnStatistics<B>),
}

/// How one forward pass of the supernet normalises, and what it records.
#[derive(Debug)]
pub struct OfaForward<'a, B: Backend> {
    source: NormSource<'a, B>,
    record: bool,
    recorded: RefCell<Vec<(Tensor<B, 1>, Tensor<B, 1>)>>,
    cursor: Cell<usize>,
}

impl<'a, B: Backend> OfaForward<'a, B> {
    /// Normalise with batch statistics (training).
    pub fn batch() -> Self {
        Self {
            source: NormSource::Batch,
            record: false,
            recorded: RefCell::new(Vec::new()),
            cursor: Cell::new(0),
        }
    }

    /// Normalise with batch statistics and keep them (calibration).
    pub fn recording() -> Self {
        Self {
            record: true,
            ..Self::batch()
        }
    }

    /// Normalise with `stats` (evaluation of the sub-network they were measured for).
    ///
    /// # Panics
    ///
    /// The forward pass panics when `stats` holds fewer batch norms than the
    /// sub-network runs: statistics of another sub-network are a programming
    /// error (use [`crate::OfaEvaluator::calibrate`] for the same `arch`).
    pub fn fixed(stats: &'a OfaBnStatistics<B>) -> Self {
        Self {
            source: NormSource::Fixed(stats),
            ..Self::batch()
        }
    }

    /// The statistics recorded so far, in forward order.
    pub fn take_recorded(&self) -> Vec<(Tensor<B, 1>, Tensor<B, 1>)> {
        std::mem::take(&mut self.recorded.borrow_mut())
    }

    /// Batch norm of `x` (`[batch, C, h, w]`) with the first `C` entries of `norm`.
    fn norm(&self, x: Tensor<B, 4>, norm: &OfaNorm<B>) -> Tensor<B, 4> {
        let [batch, channels, _, _] = x.dims();
        let gamma = norm.gamma.val().slice(0..channels);
        let beta = norm.beta.val().slice(0..channels);
        // Per-channel values as contiguous [N, C, 1, 1] tensors: the layout
        // the CPU backend broadcasts fast (see oxinas_train::batch_norm_2d).
        let per_sample = |v: Tensor<B, 1>| v.reshape([1, channels, 1, 1]).repeat_dim(0, batch);
        match self.source {
            NormSource::Fixed(stats) => {
                let index = self.cursor.get();
                self.cursor.set(index + 1);
                let (mean, var) = stats.layers[index].clone();
                let scale = gamma.div(var.add_scalar(OFA_BN_EPSILON).sqrt());
                let shift = beta.sub(mean.mul(scale.clone()));
                x.mul(per_sample(scale)).add(per_sample(shift))
            }
            NormSource::Batch => {
                let spatial_mean = |t: Tensor<B, 4>| t.mean_dim(3).mean_dim(2).mean_dim(0);
                let mean = spatial_mean(x.clone()).reshape([channels]);
                let centered = x.sub(per_sample(mean.clone()));
                let var = spatial_mean(centered.clone().square()).reshape([channels]);
                if self.record {
                    self.recorded
                        .borrow_mut()
                        .push((mean.detach(), var.clone().detach()));
                }
                let scale = gamma.div(var.add_scalar(OFA_BN_EPSILON).sqrt());
                centered.mul(per_sample(scale)).add(per_sample(beta))
            }
        }
    }
}

/// Scale and shift of one batch norm (statistics live in [`OfaBnStatistics`]).
#[derive(Module, Debug)]
pub struct OfaNorm<B: Backend> {
    /// Scale per channel.
    pub gamma: Param<Tensor<B, 1>>,
    /// Shift per channel.
    pub beta: Param<Tensor<B, 1>>,
}

impl<B: Backend> OfaNorm<B> {
    fn new(channels: usize, device: &B::Device) -> Self {
        Self {
            gamma: Param::from_tensor(Tensor::ones([channels], device)),
            beta: Param::from_tensor(Tensor::zeros([channels], device)),
        }
    }

    fn permuted(self, order: &Tensor<B, 1, Int>) -> Self {
        Self {
            gamma: permute_param(self.gamma, 0, order),
            beta: permute_param(self.beta, 0, order),
        }
    }
}

/// Reorders a parameter along `dim`, keeping its identity and trainability.
fn permute_param<B: Backend, const D: usize>(
    p: Param<Tensor<B, D>>,
    dim: usize,
    order: &Tensor<B, 1, Int>,
) -> Param<Tensor<B, D>> {
    p.map(|t| t.select(dim, order.clone()).detach().require_grad())
}

/// One elastic MBConv layer: 1x1 expansion, depthwise kxk, 1x1 projection,
/// each followed by batch norm (ReLU after the first two), plus the input
/// when the shapes match.
#[derive(Module, Debug)]
pub struct OfaMbConv<B: Backend> {
    /// Expansion weights `[6 x in, in, 1, 1]`.
    pub expand: Param<Tensor<B, 4>>,
    /// Batch norm after the expansion.
    pub expand_norm: OfaNorm<B>,
    /// Depthwise weights `[6 x in, 1, 7, 7]`.
    pub depthwise: Param<Tensor<B, 4>>,
    /// 7x7 centre 5x5 -> 5x5 kernel transformation `[25, 25]`.
    pub transform_5: Param<Tensor<B, 2>>,
    /// 5x5 centre 3x3 -> 3x3 kernel transformation `[9, 9]`.
    pub transform_3: Param<Tensor<B, 2>>,
    /// Batch norm after the depthwise convolution.
    pub depthwise_norm: OfaNorm<B>,
    /// Projection weights `[out, 6 x in, 1, 1]`.
    pub project: Param<Tensor<B, 4>>,
    /// Batch norm after the projection.
    pub project_norm: OfaNorm<B>,
    /// Input channels.
    pub channels_in: usize,
    /// Output channels.
    pub channels_out: usize,
    /// Stride of the depthwise convolution.
    pub stride: usize,
}

/// Options of a convolution with square stride, padding and `groups`.
pub(crate) fn conv_options(stride: usize, padding: usize, groups: usize) -> ConvOptions<2> {
    ConvOptions::new([stride, stride], [padding, padding], [1, 1], groups)
}

impl<B: Backend> OfaMbConv<B> {
    fn new(
        channels_in: usize,
        channels_out: usize,
        stride: usize,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let hidden = channels_in * OFA_MAX_EXPANSION;
        let k = OFA_MAX_KERNEL;
        Self {
            expand: default_param([hidden, channels_in, 1, 1], channels_in, rng, device),
            expand_norm: OfaNorm::new(hidden, device),
            depthwise: default_param([hidden, 1, k, k], k * k, rng, device),
            transform_5: Param::from_tensor(Tensor::eye(25, device)),
            transform_3: Param::from_tensor(Tensor::eye(9, device)),
            depthwise_norm: OfaNorm::new(hidden, device),
            project: default_param([channels_out, hidden, 1, 1], hidden, rng, device),
            project_norm: OfaNorm::new(channels_out, device),
            channels_in,
            channels_out,
            stride,
        }
    }

    /// Expanded channels at expansion ratio `expansion`.
    pub fn hidden_channels(&self, expansion: usize) -> usize {
        self.channels_in * expansion
    }

    /// Whether the input is added to the output.
    pub fn residual(&self) -> bool {
        self.stride == 1 && self.channels_in == self.channels_out
    }

    /// The depthwise kernel `[hidden, 1, k, k]` of the first `hidden`
    /// channels at kernel size `kernel`: the 7x7 weights, or their centre
    /// through the learned transformations.
    pub fn depthwise_kernel(&self, kernel: usize, hidden: usize) -> Tensor<B, 4> {
        let k = OFA_MAX_KERNEL;
        let full = self.depthwise.val().slice([0..hidden, 0..1, 0..k, 0..k]);
        if kernel >= 7 {
            return full;
        }
        let five = full
            .slice([0..hidden, 0..1, 1..6, 1..6])
            .reshape([hidden, 25])
            .matmul(self.transform_5.val())
            .reshape([hidden, 1, 5, 5]);
        if kernel == 5 {
            return five;
        }
        five.slice([0..hidden, 0..1, 1..4, 1..4])
            .reshape([hidden, 9])
            .matmul(self.transform_3.val())
            .reshape([hidden, 1, 3, 3])
    }

    /// The expansion weights of the first `hidden` channels.
    pub fn expand_weight(&self, hidden: usize) -> Tensor<B, 4> {
        self.expand
            .val()
            .slice([0..hidden, 0..self.channels_in, 0..1, 0..1])
    }

    /// The projection weights from the first `hidden` channels.
    pub fn project_weight(&self, hidden: usize) -> Tensor<B, 4> {
        self.project
            .val()
            .slice([0..self.channels_out, 0..hidden, 0..1, 0..1])
    }

    fn forward(
        &self,
        x: Tensor<B, 4>,
        kernel: usize,
        expansion: usize,
        ctx: &OfaForward<'_, B>,
    ) -> Tensor<B, 4> {
        let hidden = self.hidden_channels(expansion);
        let h = conv2d(
            x.clone(),
            self.expand_weight(hidden),
            None,
            conv_options(1, 0, 1),
        );
        let h = relu(ctx.norm(h, &self.expand_norm));
        let h = conv2d(
            h,
            self.depthwise_kernel(kernel, hidden),
            None,
            conv_options(self.stride, kernel / 2, hidden),
        );
        let h = relu(ctx.norm(h, &self.depthwise_norm));
        let h = conv2d(h, self.project_weight(hidden), None, conv_options(1, 0, 1));
        let h = ctx.norm(h, &self.project_norm);
        if self.residual() { h + x } else { h }
    }

    /// Importance of each expanded channel: the L1 norm of its projection
    /// weights (summed on the host: reductions over a permuted view are not
    /// reliable on every backend).
    pub fn channel_importance(&self) -> Vec<f32> {
        let hidden = self.channels_in * OFA_MAX_EXPANSION;
        let weights: Vec<f32> = self
            .project
            .val()
            .into_data()
            .convert::<f32>()
            .to_vec()
            .unwrap_or_default();
        let mut importance = vec![0.0f32; hidden];
        for row in weights.chunks_exact(hidden) {
            for (sum, w) in importance.iter_mut().zip(row) {
                *sum += w.abs();
            }
        }
        importance
    }

    /// The same layer with its expanded channels in decreasing order of
    /// importance (L1 norm of each channel's projection weights), so that a
    /// smaller expansion keeps the most important channels, within the bands
    /// that `nested` expansions mark: the channels at or past `e * C_in` for
    /// each `e` in `nested` stay at or past it ([`nested_importance_order`]).
    /// The function of the full-width layer is unchanged.
    fn sort_channels(self, nested: &[u8]) -> Self {
        let hidden = self.channels_in * OFA_MAX_EXPANSION;
        let importance = self.channel_importance();
        let bounds: Vec<usize> = nested
            .iter()
            .map(|&e| usize::from(e) * self.channels_in)
            .collect();
        let order = nested_importance_order(&importance, &bounds);
        let device = self.project.val().device();
        let order = Tensor::<B, 1, Int>::from_data(
            TensorData::new(order.iter().map(|&i| i as i64).collect(), [hidden]),
            &device,
        );
        Self {
            expand: permute_param(self.expand, 0, &order),
            expand_norm: self.expand_norm.permuted(&order),
            depthwise: permute_param(self.depthwise, 0, &order),
            depthwise_norm: self.depthwise_norm.permuted(&order),
            project: permute_param(self.project, 1, &order),
            ..self
        }
    }
}

/// Indices of `importance` from the largest value to the smallest (ties by index).
pub fn importance_order(importance: &[f32]) -> Vec<usize> {
    nested_importance_order(importance, &[])
}

/// Indices of `importance` sorted by decreasing value (ties by index) within
/// the bands that `bounds` cut: a channel below the smallest bound stays
/// below it, one between two bounds stays between them, and so on. This is
/// Once-for-All's nesting constraint for a later width stage: sorting must
/// not move a channel that a smaller width of an earlier stage dropped into
/// that width's set (its `re_organize_middle_weights` pushes such channels'
/// importance down by a large offset per band).
pub fn nested_importance_order(importance: &[f32], bounds: &[usize]) -> Vec<usize> {
    let band = |i: usize| bounds.iter().filter(|&&b| i >= b).count();
    let mut order: Vec<usize> = (0..importance.len()).collect();
    order.sort_by(|&a, &b| {
        band(a)
            .cmp(&band(b))
            .then(importance[b].total_cmp(&importance[a]))
            .then(a.cmp(&b))
    });
    order
}

/// The Once-for-All supernet: stem, 5 units of 4 elastic MBConv layers,
/// global average pooling and a linear classifier.
#[derive(Module, Debug)]
pub struct OfaSupernet<B: Backend> {
    /// Stem convolution weights `[stem, image channels, 3, 3]`.
    pub stem: Param<Tensor<B, 4>>,
    /// Batch norm of the stem.
    pub stem_norm: OfaNorm<B>,
    /// Stride of the stem.
    pub stem_stride: usize,
    /// The 20 layer slots, unit by unit.
    pub layers: Vec<OfaMbConv<B>>,
    /// Classifier weights `[last width, classes]`.
    pub classifier: Param<Tensor<B, 2>>,
    /// Classifier bias `[classes]`.
    pub classifier_bias: Param<Tensor<B, 1>>,
}

impl<B: Backend> OfaSupernet<B> {
    /// A supernet of shape `network` for images of `image_channels` channels
    /// and `classes` classes, weights drawn from `rng`; an error names the
    /// setting `network` gets wrong.
    pub fn new(
        network: &OfaNetworkSettings,
        image_channels: usize,
        classes: usize,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        network.validate()?;
        if image_channels == 0 || classes == 0 {
            return Err(ConfigError::new(
                "data",
                format!(
                    "images with channels and labels with classes, found {image_channels} channels and {classes} classes"
                ),
            ));
        }
        let stem_channels = network.stem_channels;
        let stem = default_param(
            [stem_channels, image_channels, 3, 3],
            image_channels * 9,
            rng,
            device,
        );
        let mut layers = Vec::with_capacity(OFA_LAYERS);
        let mut channels = stem_channels;
        for unit in 0..OFA_UNITS {
            let width = network.unit_widths[unit];
            for slot in 0..OFA_MAX_DEPTH {
                let stride = if slot == 0 {
                    network.unit_strides[unit]
                } else {
                    1
                };
                layers.push(OfaMbConv::new(channels, width, stride, rng, device));
                channels = width;
            }
        }
        let classifier = default_param([channels, classes], channels, rng, device);
        let classifier_bias = default_param([classes], channels, rng, device);
        Ok(Self {
            stem,
            stem_norm: OfaNorm::new(stem_channels, device),
            stem_stride: network.stem_stride,
            layers,
            classifier,
            classifier_bias,
        })
    }

    /// Class logits `[batch, classes]` of sub-network `arch` on `images`.
    pub fn forward(
        &self,
        images: Tensor<B, 4>,
        arch: &OfaArch,
        ctx: &OfaForward<'_, B>,
    ) -> Tensor<B, 2> {
        let x = conv2d(
            images,
            self.stem.val(),
            None,
            conv_options(self.stem_stride, 1, 1),
        );
        let mut x = relu(ctx.norm(x, &self.stem_norm));
        for (index, layer) in self.layers.iter().enumerate() {
            if arch.is_active(index) {
                x = layer.forward(
                    x,
                    usize::from(arch.ks[index]),
                    usize::from(arch.e[index]),
                    ctx,
                );
            }
        }
        self.classify(x)
    }

    /// Global average pooling and the linear classifier.
    fn classify(&self, x: Tensor<B, 4>) -> Tensor<B, 2> {
        let [batch, channels, _, _] = x.dims();
        let pooled = x.mean_dim(3).mean_dim(2).reshape([batch, channels]);
        let classes = self.classifier_bias.dims()[0];
        pooled.matmul(self.classifier.val())
            + self
                .classifier_bias
                .val()
                .reshape([1, classes])
                .repeat_dim(0, batch)
    }

    /// The supernet with every layer's expanded channels sorted by
    /// importance (before the first elastic-width stage, as in the paper).
    pub fn sort_channels(self) -> Self {
        self.sort_channels_nested(&[])
    }

    /// The supernet with every layer's expanded channels sorted by
    /// importance, the channels at or past `e * C_in` for each `e` in
    /// `nested` kept there (before the second elastic-width stage with
    /// `nested = [4]`, as Once-for-All does).
    pub fn sort_channels_nested(self, nested: &[u8]) -> Self {
        Self {
            layers: self
                .layers
                .into_iter()
                .map(|layer| layer.sort_channels(nested))
                .collect(),
            ..self
        }
    }

    /// Classes the classifier predicts.
    pub fn classes(&self) -> usize {
        self.classifier_bias.dims()[0]
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;

    use oxinas_core::seed::rng_from_seed;
    use oxinas_train::init::normal;

    use super::*;
    use crate::ofa_settings::OfaSettings;

    type Nd = NdArray;

    fn values<const D: usize>(t: Tensor<Nd, D>) -> Vec<f32> {
        t.into_data().convert::<f32>().to_vec().unwrap()
    }

    fn layer() -> OfaMbConv<Nd> {
        OfaMbConv::new(2, 3, 1, &mut rng_from_seed(7), &Default::default())
    }

    #[test]
    fn identity_transformations_give_the_centre_of_the_kernel() {
        let layer = layer();
        let full = values(layer.depthwise_kernel(7, 12));
        let three = values(layer.depthwise_kernel(3, 12));
        assert_eq!(three.len(), 12 * 9);
        for c in 0..12 {
            for y in 0..3 {
                for x in 0..3 {
                    let centre = full[c * 49 + (y + 2) * 7 + (x + 2)];
                    assert!((three[c * 9 + y * 3 + x] - centre).abs() < 1e-6);
                }
            }
        }
    }

    #[test]
    fn learned_transformations_change_the_small_kernels_only() {
        let mut layer = layer();
        let device = Default::default();
        // A transformation that doubles every weight of the 5x5 kernel.
        layer.transform_5 = Param::from_tensor(Tensor::eye(25, &device).mul_scalar(2.0));
        let full = values(layer.depthwise_kernel(7, 6));
        let five = values(layer.depthwise_kernel(5, 6));
        let three = values(layer.depthwise_kernel(3, 6));
        for c in 0..6 {
            let w = |y: usize, x: usize| full[c * 49 + y * 7 + x];
            assert!((five[c * 25] - 2.0 * w(1, 1)).abs() < 1e-6);
            // The 3x3 kernel is cut from the transformed 5x5 one.
            assert!((three[c * 9 + 4] - 2.0 * w(3, 3)).abs() < 1e-6);
        }
        // A permutation in the 3x3 transformation moves weights: entry j of
        // the 3x3 kernel is entry j + 1 (mod 9) of the 5x5 kernel's centre.
        let mut perm = vec![0.0f32; 81];
        for j in 0..9 {
            perm[((j + 1) % 9) * 9 + j] = 1.0;
        }
        layer.transform_3 =
            Param::from_tensor(Tensor::from_data(TensorData::new(perm, [9, 9]), &device));
        let three = values(layer.depthwise_kernel(3, 6));
        let five = values(layer.depthwise_kernel(5, 6));
        let centre: Vec<f32> = (0..9).map(|j| five[(j / 3 + 1) * 5 + j % 3 + 1]).collect();
        for j in 0..9 {
            assert!((three[j] - centre[(j + 1) % 9]).abs() < 1e-6);
        }
    }

    #[test]
    fn importance_order_is_decreasing_with_ties_by_index() {
        assert_eq!(
            importance_order(&[0.5, 2.0, 0.5, 3.0, 0.1]),
            vec![3, 1, 0, 2, 4]
        );
    }

    #[test]
    fn a_nested_order_keeps_channels_in_their_bands() {
        // Channels 4 and 5 are the most important, but past the bound at 4:
        // they sort among themselves after the first four.
        let importance = [0.5, 2.0, 0.1, 1.0, 9.0, 8.0];
        assert_eq!(
            nested_importance_order(&importance, &[4]),
            vec![1, 3, 0, 2, 4, 5]
        );
        // Two bounds, three bands: [0, 2), [2, 4), [4, 6).
        assert_eq!(
            nested_importance_order(&importance, &[2, 4]),
            vec![1, 0, 3, 2, 4, 5]
        );
        // Unconstrained, the two would move to the front.
        assert_eq!(importance_order(&importance), vec![4, 5, 1, 3, 0, 2]);
    }

    #[test]
    fn the_second_width_sort_keeps_channels_beyond_four_times_the_input_width() {
        let device = Default::default();
        let settings = OfaSettings::tiny();
        let net = OfaSupernet::<Nd>::new(&settings.network, 1, 10, &mut rng_from_seed(3), &device)
            .unwrap();
        // Make the channels past expansion 4 the most important of every
        // layer (the plain sort would move them to the front): scale their
        // projection weights up by 100.
        let layers = net
            .layers
            .iter()
            .map(|layer| {
                let hidden = layer.channels_in * OFA_MAX_EXPANSION;
                let four = 4 * layer.channels_in;
                let scale: Vec<f32> = (0..hidden)
                    .map(|c| if c >= four { 100.0 } else { 1.0 })
                    .collect();
                let scale = Tensor::<Nd, 1>::from_data(TensorData::new(scale, [hidden]), &device)
                    .reshape([1, hidden, 1, 1]);
                let mut layer = layer.clone();
                layer.project = Param::from_tensor(layer.project.val() * scale);
                layer
            })
            .collect();
        let net = OfaSupernet { layers, ..net };
        let before: Vec<Vec<f32>> = net.layers.iter().map(|l| l.channel_importance()).collect();
        let sorted = net.sort_channels_nested(&[4]);
        for (layer, before) in sorted.layers.iter().zip(&before) {
            let four = 4 * layer.channels_in;
            let after = layer.channel_importance();
            // The channels past 4 C_in are the same set as before (each
            // importance value is a channel's), in decreasing order, and so
            // are the ones before it.
            let mut kept: Vec<f32> = before[four..].to_vec();
            kept.sort_by(|a, b| b.total_cmp(a));
            assert_eq!(after[four..].to_vec(), kept);
            let mut front: Vec<f32> = before[..four].to_vec();
            front.sort_by(|a, b| b.total_cmp(a));
            assert_eq!(after[..four].to_vec(), front);
            // Every channel past 4 C_in outweighs every one before it, so
            // the unconstrained sort would have broken the nesting.
            assert!(after[four..].iter().all(|&v| v > after[0]));
        }
    }

    #[test]
    fn sorting_channels_orders_importance_and_keeps_the_full_network() {
        let device = Default::default();
        let settings = OfaSettings::tiny();
        let net = OfaSupernet::<Nd>::new(&settings.network, 1, 10, &mut rng_from_seed(3), &device)
            .unwrap();
        let images: Tensor<Nd, 4> = normal([6, 1, 8, 8], 1.0, &mut rng_from_seed(4), &device);
        let arch = largest_arch();
        let before = values(net.forward(images.clone(), &arch, &OfaForward::batch()));
        let small_before =
            values(net.forward(images.clone(), &smallest_arch(), &OfaForward::batch()));
        let sorted = net.sort_channels();
        let after = values(sorted.forward(images.clone(), &arch, &OfaForward::batch()));
        for (a, b) in before.iter().zip(&after) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        // Sorting changes which channels a narrow sub-network keeps.
        let small_after = values(sorted.forward(images, &smallest_arch(), &OfaForward::batch()));
        assert!(
            small_before
                .iter()
                .zip(&small_after)
                .any(|(a, b)| (a - b).abs() > 1e-4)
        );
        for layer in &sorted.layers {
            let importance = layer.channel_importance();
            assert_eq!(importance.len(), layer.channels_in * OFA_MAX_EXPANSION);
            assert!(
                importance.windows(2).all(|w| w[0] >= w[1]),
                "{importance:?}"
            );
        }
    }

    /// The elastic kernels' gradients against a hand computation. With `W`
    /// the 7x7 kernels, `C5(W)` their centre 5x5 (flattened per channel) and
    /// `K5 = C5(W) T5`, `K3 = C3(K5) T3`, the loss `L = |K - target|² / 2`
    /// has `G = K - target` and
    /// * at kernel 5: `dT5 = C5ᵀ G`, `dW = G T5ᵀ` placed on the centre 5x5;
    /// * at kernel 3: `dT3 = C3ᵀ G`, `G5 = G T3ᵀ` placed on the centre 3x3 of
    ///   the 5x5 kernel, then `dT5 = C5ᵀ G5` and `dW = G5 T5ᵀ` as above;
    ///
    /// every other weight (outer ring, channels past `hidden`) gets zero.
    /// A central difference of the loss checks a sample of entries too.
    #[test]
    fn kernel_transformation_gradients_match_the_hand_computation() {
        // f64 tensors: alone in its process (see `run_isolated`).
        if oxinas_testkit::run_isolated(concat!(
            module_path!(),
            "::kernel_transformation_gradients_match_the_hand_computation"
        )) {
            return;
        }
        use burn::backend::Autodiff;
        use oxinas_train::init::uniform;
        use rand::Rng;

        type Ad = Autodiff<NdArray<f64>>;
        let device = Default::default();
        let mut rng = rng_from_seed(21);
        // One input channel: 6 expanded channels, of which the first 4 are used.
        let mut layer = OfaMbConv::<Ad>::new(1, 1, 1, &mut rng, &device);
        let (channels, hidden) = (6, 4);
        layer.transform_5 = Param::from_tensor(
            Tensor::eye(25, &device) + uniform([25, 25], 0.3, &mut rng, &device),
        );
        layer.transform_3 =
            Param::from_tensor(Tensor::eye(9, &device) + uniform([9, 9], 0.3, &mut rng, &device));
        let f64s = |t: Tensor<NdArray<f64>, 2>| -> Vec<f64> { t.into_data().to_vec().unwrap() };
        let w: Vec<f64> = layer.depthwise.val().inner().into_data().to_vec().unwrap();
        let t5 = f64s(layer.transform_5.val().inner());
        let t3 = f64s(layer.transform_3.val().inner());

        // Row-major products of small dense matrices.
        let matmul = |a: &[f64], b: &[f64], n: usize, k: usize, m: usize| -> Vec<f64> {
            let mut out = vec![0.0; n * m];
            for i in 0..n {
                for j in 0..m {
                    out[i * m + j] = (0..k).map(|l| a[i * k + l] * b[l * m + j]).sum();
                }
            }
            out
        };
        let transpose = |a: &[f64], n: usize, m: usize| -> Vec<f64> {
            (0..m * n).map(|i| a[(i % n) * m + i / n]).collect()
        };
        // Index of centre entry p of a `side` kernel inside a `side + 2` one.
        let centre = |p: usize, side: usize| (p / side + 1) * (side + 2) + p % side + 1;

        let c5: Vec<f64> = (0..hidden * 25)
            .map(|i| w[(i / 25) * 49 + centre(i % 25, 5)])
            .collect();
        let k5 = matmul(&c5, &t5, hidden, 25, 25);
        for kernel in [5, 3] {
            let target = uniform::<Ad, 4>([hidden, 1, kernel, kernel], 1.0, &mut rng, &device);
            let target_values: Vec<f64> = target.clone().inner().into_data().to_vec().unwrap();
            let loss = |layer: &OfaMbConv<Ad>| {
                (layer.depthwise_kernel(kernel, hidden) - target.clone())
                    .powi_scalar(2)
                    .sum()
                    .mul_scalar(0.5)
            };
            let grads = loss(&layer).backward();
            let got_w: Vec<f64> = layer
                .depthwise
                .grad(&grads)
                .unwrap()
                .into_data()
                .to_vec()
                .unwrap();
            let got_t5 = f64s(layer.transform_5.grad(&grads).unwrap());
            let got_t3 = layer.transform_3.grad(&grads).map(f64s);

            let (g5, want_t3) = if kernel == 5 {
                let g: Vec<f64> = k5.iter().zip(&target_values).map(|(k, t)| k - t).collect();
                (g, None)
            } else {
                let c3: Vec<f64> = (0..hidden * 9)
                    .map(|i| k5[(i / 9) * 25 + centre(i % 9, 3)])
                    .collect();
                let k3 = matmul(&c3, &t3, hidden, 9, 9);
                let g: Vec<f64> = k3.iter().zip(&target_values).map(|(k, t)| k - t).collect();
                let dt3 = matmul(&transpose(&c3, hidden, 9), &g, 9, hidden, 9);
                let dc3 = matmul(&g, &transpose(&t3, 9, 9), hidden, 9, 9);
                let mut g5 = vec![0.0; hidden * 25];
                for (i, d) in dc3.iter().enumerate() {
                    g5[(i / 9) * 25 + centre(i % 9, 3)] = *d;
                }
                (g5, Some(dt3))
            };
            let want_t5 = matmul(&transpose(&c5, hidden, 25), &g5, 25, hidden, 25);
            let dc5 = matmul(&g5, &transpose(&t5, 25, 25), hidden, 25, 25);
            let mut want_w = vec![0.0; channels * 49];
            for (i, d) in dc5.iter().enumerate() {
                want_w[(i / 25) * 49 + centre(i % 25, 5)] = *d;
            }

            let close = |got: &[f64], want: &[f64], what: &str| {
                assert_eq!(got.len(), want.len(), "{what}");
                for (i, (g, w)) in got.iter().zip(want).enumerate() {
                    assert!(
                        (g - w).abs() < 1e-12,
                        "kernel {kernel}, {what}[{i}]: {g} vs {w}"
                    );
                }
            };
            close(&got_w, &want_w, "dW");
            close(&got_t5, &want_t5, "dT5");
            match (&got_t3, &want_t3) {
                (Some(got), Some(want)) => close(got, want, "dT3"),
                (got, None) => assert!(
                    got.as_ref().is_none_or(|g| g.iter().all(|&v| v == 0.0)),
                    "T3 takes no part in the 5x5 kernel"
                ),
                (None, Some(_)) => panic!("no gradient for T3 at kernel 3"),
            }

            // A central difference on a sample of T5 entries and of the 7x7 weights.
            let value = |layer: &OfaMbConv<Ad>| -> f64 { loss(layer).into_scalar() };
            let h = 1e-6;
            for _ in 0..12 {
                let e = rng.random_range(0..625);
                let shifted = |delta: f64| {
                    let mut moved = layer.clone();
                    let mut t = t5.clone();
                    t[e] += delta;
                    moved.transform_5 = Param::from_tensor(Tensor::from_data(
                        TensorData::new(t, [25, 25]),
                        &device,
                    ));
                    value(&moved)
                };
                let numeric = (shifted(h) - shifted(-h)) / (2.0 * h);
                assert!(
                    (numeric - want_t5[e]).abs() < 1e-7,
                    "T5[{e}]: {numeric} vs {}",
                    want_t5[e]
                );

                let e = rng.random_range(0..channels * 49);
                let shifted = |delta: f64| {
                    let mut moved = layer.clone();
                    let mut v = w.clone();
                    v[e] += delta;
                    moved.depthwise = Param::from_tensor(Tensor::from_data(
                        TensorData::new(v, [channels, 1, 7, 7]),
                        &device,
                    ));
                    value(&moved)
                };
                let numeric = (shifted(h) - shifted(-h)) / (2.0 * h);
                assert!(
                    (numeric - want_w[e]).abs() < 1e-7,
                    "W[{e}]: {numeric} vs {}",
                    want_w[e]
                );
            }
        }
    }
}
