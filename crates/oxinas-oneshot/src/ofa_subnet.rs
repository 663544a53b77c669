//! A sub-network cut out of the Once-for-All supernet: a standalone network
//! holding only the chosen layers, the first `e x in` expanded channels and
//! the transformed kernels, with batch norm's running statistics set to the
//! ones measured for the sub-network. In evaluation it computes what the
//! supernet computes for that sub-network; it can also be fine-tuned with
//! [`oxinas_train::train`].

use burn::module::{Module, Param, RunningState};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, Initializer, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use oxinas_spaces::OfaArch;
use oxinas_train::{ForwardContext, ImageClassifier, batch_norm};

use crate::ofa_supernet::{OFA_BN_EPSILON, OfaBnStatistics, OfaNorm, OfaSupernet};

/// Why a sub-network cannot be cut out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfaExtractError {
    /// The statistics were measured for a sub-network with another number of batch norms.
    #[error(
        "the batch-norm statistics hold {found} layers, sub-network needs {expected}: they were measured for another sub-network"
    )]
    StatisticsMismatch {
        /// Batch norms the sub-network has.
        expected: usize,
        /// Entries in the statistics.
        found: usize,
    },
}

/// One MBConv layer of an extracted sub-network.
#[derive(Module, Debug)]
pub struct OfaSubnetLayer<B: Backend> {
    /// 1x1 expansion.
    pub expand: Conv2d<B>,
    /// Its batch norm.
    pub expand_bn: BatchNorm<B>,
    /// Depthwise kxk convolution.
    pub depthwise: Conv2d<B>,
    /// Its batch norm.
    pub depthwise_bn: BatchNorm<B>,
    /// 1x1 projection.
    pub project: Conv2d<B>,
    /// Its batch norm.
    pub project_bn: BatchNorm<B>,
    /// Whether the input is added to the output.
    pub residual: bool,
}

/// A standalone sub-network of the Once-for-All supernet.
#[derive(Module, Debug)]
pub struct OfaSubnet<B: Backend> {
    /// Stem convolution.
    pub stem: Conv2d<B>,
    /// Its batch norm.
    pub stem_bn: BatchNorm<B>,
    /// The active layers, in order.
    pub layers: Vec<OfaSubnetLayer<B>>,
    /// Linear classifier after global average pooling.
    pub classifier: Linear<B>,
}

/// A bias-free convolution holding `weight` (`[out, in / groups, k, k]`).
fn conv_with<B: Backend>(
    weight: Tensor<B, 4>,
    stride: usize,
    groups: usize,
    device: &B::Device,
) -> Conv2d<B> {
    let [out, per_group, k, _] = weight.dims();
    let p = k / 2;
    let mut conv = Conv2dConfig::new([per_group * groups, out], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .with_groups(groups)
        .with_bias(false)
        .with_initializer(Initializer::Zeros)
        .init(device);
    conv.weight = Param::from_tensor(weight.detach());
    conv
}

/// A batch norm with the first `channels` entries of `norm` and running statistics `stats`.
fn bn_with<B: Backend>(
    norm: &OfaNorm<B>,
    (mean, var): &(Tensor<B, 1>, Tensor<B, 1>),
    device: &B::Device,
) -> BatchNorm<B> {
    let channels = mean.dims()[0];
    let mut bn = batch_norm(channels, device);
    bn.gamma = Param::from_tensor(norm.gamma.val().slice(0..channels).detach());
    bn.beta = Param::from_tensor(norm.beta.val().slice(0..channels).detach());
    bn.running_mean = RunningState::new(mean.clone().detach());
    bn.running_var = RunningState::new(var.clone().detach());
    bn.epsilon = OFA_BN_EPSILON;
    bn
}

impl<B: Backend> OfaSupernet<B> {
    /// The standalone network of sub-network `arch`, its batch norms set to
    /// `stats` (measured for `arch`, see
    /// [`OfaEvaluator::calibrate`](crate::OfaEvaluator::calibrate)).
    pub fn extract(
        &self,
        arch: &OfaArch,
        stats: &OfaBnStatistics<B>,
    ) -> Result<OfaSubnet<B>, OfaExtractError> {
        let active: Vec<usize> = (0..self.layers.len())
            .filter(|&l| arch.is_active(l))
            .collect();
        let expected = 1 + 3 * active.len();
        if stats.layers.len() != expected {
            return Err(OfaExtractError::StatisticsMismatch {
                expected,
                found: stats.layers.len(),
            });
        }
        let device = self.stem.val().device();
        let mut next_stats = stats.layers.iter();
        // `expected` was checked, so every `next` below has an entry.
        let mut take = || next_stats.next().cloned().unwrap_or_else(|| unreachable!());
        let stem = conv_with(self.stem.val(), self.stem_stride, 1, &device);
        let stem_bn = bn_with(&self.stem_norm, &take(), &device);
        let mut layers = Vec::with_capacity(active.len());
        for &l in &active {
            let layer = &self.layers[l];
            let hidden = layer.hidden_channels(usize::from(arch.e[l]));
            let kernel = usize::from(arch.ks[l]);
            layers.push(OfaSubnetLayer {
                expand: conv_with(layer.expand_weight(hidden), 1, 1, &device),
                expand_bn: bn_with(&layer.expand_norm, &take(), &device),
                depthwise: conv_with(
                    layer.depthwise_kernel(kernel, hidden),
                    layer.stride,
                    hidden,
                    &device,
                ),
                depthwise_bn: bn_with(&layer.depthwise_norm, &take(), &device),
                project: conv_with(layer.project_weight(hidden), 1, 1, &device),
                project_bn: bn_with(&layer.project_norm, &take(), &device),
                residual: layer.residual(),
            });
        }
        let [features, classes] = self.classifier.dims();
        let mut classifier = LinearConfig::new(features, classes)
            .with_initializer(Initializer::Zeros)
            .init(&device);
        classifier.weight = Param::from_tensor(self.classifier.val().detach());
        classifier.bias = Some(Param::from_tensor(self.classifier_bias.val().detach()));
        Ok(OfaSubnet {
            stem,
            stem_bn,
            layers,
            classifier,
        })
    }
}

impl<B: Backend> OfaSubnet<B> {
    /// Class logits `[batch, classes]`.
    pub fn forward(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let mut x = ctx.relu(ctx.norm(&self.stem_bn, self.stem.forward(images)));
        for layer in &self.layers {
            let h = ctx.relu(ctx.norm(&layer.expand_bn, layer.expand.forward(x.clone())));
            let h = ctx.relu(ctx.norm(&layer.depthwise_bn, layer.depthwise.forward(h)));
            let h = ctx.norm(&layer.project_bn, layer.project.forward(h));
            x = if layer.residual { h + x } else { h };
        }
        let [batch, channels, _, _] = x.dims();
        self.classifier
            .forward(x.mean_dim(3).mean_dim(2).reshape([batch, channels]))
    }
}

impl<B: Backend> ImageClassifier<B> for OfaSubnet<B> {
    fn logits(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        self.forward(images, ctx)
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;

    use oxinas_core::SearchSpace;
    use oxinas_core::seed::rng_from_seed;
    use oxinas_spaces::OfaSpace;
    use oxinas_train::init::{normal, uniform};

    use super::*;
    use crate::ofa_settings::OfaSettings;
    use crate::ofa_supernet::{OfaForward, largest_arch, smallest_arch};

    type Nd = NdArray;

    #[test]
    fn extracted_network_computes_what_the_supernet_computes() {
        let device = Default::default();
        let settings = OfaSettings::tiny();
        let mut rng = rng_from_seed(11);
        let mut net = OfaSupernet::<Nd>::new(&settings.network, 1, 10, &mut rng, &device).unwrap();
        // Non-identity kernel transformations and batch-norm parameters, so
        // that a slicing or transformation mistake shows.
        let mut draws = rng_from_seed(12);
        for layer in &mut net.layers {
            layer.transform_5 = Param::from_tensor(
                Tensor::eye(25, &device) + uniform([25, 25], 0.1, &mut draws, &device),
            );
            layer.transform_3 = Param::from_tensor(
                Tensor::eye(9, &device) + uniform([9, 9], 0.1, &mut draws, &device),
            );
            let hidden = layer.channels_in * 6;
            layer.expand_norm.gamma = Param::from_tensor(
                uniform::<Nd, 1>([hidden], 0.5, &mut draws, &device).add_scalar(1.0),
            );
            layer.depthwise_norm.beta =
                Param::from_tensor(uniform([hidden], 0.5, &mut draws, &device));
        }
        let calibration: Tensor<Nd, 4> = normal([32, 1, 8, 8], 1.0, &mut draws, &device);
        let images: Tensor<Nd, 4> = normal([5, 1, 8, 8], 1.0, &mut draws, &device);
        let space = OfaSpace::new();
        let mut archs = vec![smallest_arch(), largest_arch()];
        archs.extend((0..3).map(|_| space.sample(&mut rng)));
        for arch in &archs {
            let ctx = OfaForward::recording();
            let _ = net.forward(calibration.clone(), arch, &ctx);
            let stats = OfaBnStatistics {
                layers: ctx.take_recorded(),
            };
            let subnet = net.extract(arch, &stats).unwrap();
            let active = (0..20).filter(|&l| arch.is_active(l)).count();
            assert_eq!(subnet.layers.len(), active);
            let expected = net.forward(images.clone(), arch, &OfaForward::fixed(&stats));
            let found = subnet.forward(images.clone(), &ForwardContext::default());
            let diff: f32 = (expected - found).abs().max().into_scalar();
            assert!(diff < 1e-5, "{arch:?}: max difference {diff}");
        }
        // Statistics of another sub-network are refused.
        let ctx = OfaForward::recording();
        let _ = net.forward(calibration, &smallest_arch(), &ctx);
        let stats = OfaBnStatistics {
            layers: ctx.take_recorded(),
        };
        assert_eq!(
            net.extract(&largest_arch(), &stats).unwrap_err(),
            OfaExtractError::StatisticsMismatch {
                expected: 61,
                found: 31
            }
        );
    }
}
