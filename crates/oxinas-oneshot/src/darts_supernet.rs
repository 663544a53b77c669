//! The DARTS supernet (Liu et al., ICLR 2019, §2.1 and the search network of
//! its CIFAR-10 experiments): a stem, `L` cells with reduction cells at
//! `L/3` and `2L/3`, global pooling and a linear head. Every cell has four
//! intermediate nodes; node `i` sums a mixed op on each of its `2 + i`
//! predecessors (the two cell inputs and the earlier nodes), 14 edges in all,
//! and the cell outputs the concatenation of its four nodes.
//!
//! As for the NB201 supernet: a *mixture* forward (every edge the weighted
//! sum of its eight candidates, `none` included; one weight matrix for the
//! normal cells and one for the reduction cells) and a *single path* forward
//! for any [`DartsArch`] with the shared weights. As in DARTS' search
//! network, the cells' batch norm has no affine parameters while the stem's
//! has a learnable scale and shift ([`BatchAffine`]); all use batch statistics.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, Linear, PaddingConfig2d};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d, max_pool2d};
use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_core::seed::SeededRng;
use oxinas_spaces::{DARTS_NODES, DartsArch, DartsCell, DartsOp};
use oxinas_train::init::{default_linear, default_param};

use crate::batch_standardize::{BatchAffine, standardize_batch};

/// Edges of a search cell: node `i` has `2 + i` inputs.
pub const DARTS_SEARCH_EDGES: usize = 14;

/// Candidates per search edge: `none`, then [`DartsOp::ALL`] in order.
pub const DARTS_SEARCH_OPS: usize = 1 + DartsOp::ALL.len();

/// Size of a DARTS supernet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DartsSupernetConfig {
    /// Channels of the first cells (`C`; 16 in DARTS' search).
    pub channels: usize,
    /// Cells (`L`; 8 in DARTS' search); the ones at `L/3` and `2L/3` reduce.
    pub layers: usize,
    /// Output classes.
    pub num_classes: usize,
    /// Input image channels.
    pub input_channels: usize,
}

impl DartsSupernetConfig {
    /// Checks the sizes: positive, and `C` even (factorised reduction halves it).
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("channels", self.channels),
            ("layers", self.layers),
            ("num_classes", self.num_classes),
            ("input_channels", self.input_channels),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1"));
            }
        }
        if !self.channels.is_multiple_of(2) {
            return Err(ConfigError::new(
                "channels",
                "an even number (the factorised reduction splits channels in two)",
            ));
        }
        Ok(())
    }

    /// Whether cell `layer` is a reduction cell.
    pub fn is_reduction(&self, layer: usize) -> bool {
        self.layers >= 3 && (layer == self.layers / 3 || layer == 2 * self.layers / 3)
    }
}

/// The (input node, edge index) pairs of node `node` in a search cell.
fn node_edges(node: usize) -> impl Iterator<Item = (usize, usize)> {
    let offset: usize = (0..node).map(|i| 2 + i).sum();
    (0..2 + node).map(move |input| (input, offset + input))
}

struct ConvSpec {
    channels_in: usize,
    channels_out: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    dilation: usize,
    groups: usize,
}

fn conv<B: Backend>(spec: ConvSpec, rng: &mut SeededRng, device: &B::Device) -> Conv2d<B> {
    let p = spec.padding;
    let mut conv = Conv2dConfig::new(
        [spec.channels_in, spec.channels_out],
        [spec.kernel, spec.kernel],
    )
    .with_stride([spec.stride, spec.stride])
    .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
    .with_dilation([spec.dilation, spec.dilation])
    .with_groups(spec.groups)
    .with_bias(false)
    .with_initializer(Initializer::Zeros)
    .init(device);
    let per_group = spec.channels_in / spec.groups;
    conv.weight = default_param(
        [spec.channels_out, per_group, spec.kernel, spec.kernel],
        per_group * spec.kernel * spec.kernel,
        rng,
        device,
    );
    conv
}

fn pointwise<B: Backend>(
    channels_in: usize,
    channels_out: usize,
    stride: usize,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Conv2d<B> {
    conv(
        ConvSpec {
            channels_in,
            channels_out,
            kernel: 1,
            stride,
            padding: 0,
            dilation: 1,
            groups: 1,
        },
        rng,
        device,
    )
}

fn depthwise<B: Backend>(
    channels: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Conv2d<B> {
    conv(
        ConvSpec {
            channels_in: channels,
            channels_out: channels,
            kernel,
            stride,
            padding: dilation * (kernel - 1) / 2,
            dilation,
            groups: channels,
        },
        rng,
        device,
    )
}

/// ReLU, 1x1 convolution, batch standardisation (the cells' input preprocessing).
#[derive(Module, Debug)]
struct ReluPointwise<B: Backend> {
    conv: Conv2d<B>,
}

impl<B: Backend> ReluPointwise<B> {
    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        standardize_batch(self.conv.forward(relu(x)))
    }
}

/// ReLU, two stride-2 1x1 convolutions on offset grids, concatenated:
/// halves the resolution without discarding every other pixel.
#[derive(Module, Debug)]
struct FactorizedReduce<B: Backend> {
    even: Conv2d<B>,
    odd: Conv2d<B>,
}

impl<B: Backend> FactorizedReduce<B> {
    fn new(
        channels_in: usize,
        channels_out: usize,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        Self {
            even: pointwise(channels_in, channels_out / 2, 2, rng, device),
            odd: pointwise(channels_in, channels_out / 2, 2, rng, device),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = relu(x);
        let [n, c, h, w] = x.dims();
        let shifted = x
            .clone()
            .slice([0..n, 0..c, 1.min(h - 1)..h, 1.min(w - 1)..w]);
        let even = self.even.forward(x);
        let mut odd = self.odd.forward(shifted);
        // An odd side gives the shifted grid one row or column less.
        let [_, _, he, we] = even.dims();
        let [_, _, ho, wo] = odd.dims();
        if (ho, wo) != (he, we) {
            odd = odd.pad(
                (0, we - wo, 0, he - ho),
                burn::tensor::ops::PadMode::Constant(0.0),
            );
        }
        standardize_batch(Tensor::cat(vec![even, odd], 1))
    }
}

/// Depthwise then pointwise convolution, batch standardised.
#[derive(Module, Debug)]
struct DepthwiseSeparable<B: Backend> {
    depthwise: Conv2d<B>,
    pointwise: Conv2d<B>,
}

impl<B: Backend> DepthwiseSeparable<B> {
    fn new(
        channels: usize,
        kernel: usize,
        stride: usize,
        dilation: usize,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        Self {
            depthwise: depthwise(channels, kernel, stride, dilation, rng, device),
            pointwise: pointwise(channels, channels, 1, rng, device),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        standardize_batch(self.pointwise.forward(self.depthwise.forward(relu(x))))
    }
}

/// The weights of one search edge's candidates.
#[derive(Module, Debug)]
struct DartsMixedEdge<B: Backend> {
    stride: usize,
    /// The skip connection of a stride-2 edge.
    reduce_skip: Option<FactorizedReduce<B>>,
    /// Separable convolutions: two depthwise-separable stages each (3x3, 5x5).
    sep_3x3: Vec<DepthwiseSeparable<B>>,
    sep_5x5: Vec<DepthwiseSeparable<B>>,
    dil_3x3: DepthwiseSeparable<B>,
    dil_5x5: DepthwiseSeparable<B>,
}

impl<B: Backend> DartsMixedEdge<B> {
    fn new(channels: usize, stride: usize, rng: &mut SeededRng, device: &B::Device) -> Self {
        let mut separable = |kernel| {
            vec![
                DepthwiseSeparable::new(channels, kernel, stride, 1, rng, device),
                DepthwiseSeparable::new(channels, kernel, 1, 1, rng, device),
            ]
        };
        let sep_3x3 = separable(3);
        let sep_5x5 = separable(5);
        Self {
            stride,
            reduce_skip: (stride == 2)
                .then(|| FactorizedReduce::new(channels, channels, rng, device)),
            sep_3x3,
            sep_5x5,
            dil_3x3: DepthwiseSeparable::new(channels, 3, stride, 2, rng, device),
            dil_5x5: DepthwiseSeparable::new(channels, 5, stride, 2, rng, device),
        }
    }

    fn op(&self, op: DartsOp, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let s = self.stride;
        let chain = |stages: &[DepthwiseSeparable<B>], x| {
            stages.iter().fold(x, |x, stage| stage.forward(x))
        };
        match op {
            // Pooling is followed by batch norm in the search network.
            DartsOp::MaxPool3x3 => {
                standardize_batch(max_pool2d(x, [3, 3], [s, s], [1, 1], [1, 1], false))
            }
            DartsOp::AvgPool3x3 => {
                standardize_batch(avg_pool2d(x, [3, 3], [s, s], [1, 1], false, false))
            }
            DartsOp::SkipConnect => match &self.reduce_skip {
                Some(reduce) => reduce.forward(x),
                None => x,
            },
            DartsOp::SepConv3x3 => chain(&self.sep_3x3, x),
            DartsOp::SepConv5x5 => chain(&self.sep_5x5, x),
            DartsOp::DilConv3x3 => self.dil_3x3.forward(x),
            DartsOp::DilConv5x5 => self.dil_5x5.forward(x),
        }
    }
}

/// The first input's preprocessing: a factorised reduction after a reduction cell.
#[derive(Module, Debug)]
struct FirstInput<B: Backend> {
    reduce: Option<FactorizedReduce<B>>,
    plain: Option<ReluPointwise<B>>,
}

/// A search cell.
#[derive(Module, Debug)]
struct DartsSearchCell<B: Backend> {
    reduction: bool,
    input_0: FirstInput<B>,
    input_1: ReluPointwise<B>,
    edges: Vec<DartsMixedEdge<B>>,
}

/// What each edge of a cell computes.
enum EdgeChoice<'a, B: Backend> {
    /// Mixture weights per cell kind, `[edge][op]` as `[1, 1, 1, 1]` scalars
    /// (ops: `none` first, then [`DartsOp::ALL`]).
    Mixture {
        normal: &'a [Vec<Tensor<B, 4>>],
        reduce: &'a [Vec<Tensor<B, 4>>],
    },
    /// One architecture.
    Single(&'a DartsArch),
}

impl<B: Backend> DartsSearchCell<B> {
    fn forward(
        &self,
        s0: Tensor<B, 4>,
        s1: Tensor<B, 4>,
        choice: &EdgeChoice<'_, B>,
    ) -> Tensor<B, 4> {
        let s0 = match (&self.input_0.reduce, &self.input_0.plain) {
            (Some(reduce), _) => reduce.forward(s0),
            (None, Some(plain)) => plain.forward(s0),
            (None, None) => s0,
        };
        let mut states = vec![s0, self.input_1.forward(s1)];
        for node in 0..DARTS_NODES {
            let value = match choice {
                EdgeChoice::Mixture { normal, reduce } => {
                    let weights = if self.reduction { reduce } else { normal };
                    node_edges(node)
                        .flat_map(|(input, edge)| {
                            // Index 0 is `none`: its output is zero, so it adds nothing.
                            DartsOp::ALL.iter().enumerate().map(move |(i, &op)| {
                                (input, edge, op, weights[edge][i + 1].clone())
                            })
                        })
                        .map(|(input, edge, op, w)| {
                            self.edges[edge].op(op, states[input].clone()).mul(w)
                        })
                        .reduce(|a, b| a + b)
                }
                EdgeChoice::Single(arch) => {
                    let cell: &DartsCell = if self.reduction {
                        &arch.reduce
                    } else {
                        &arch.normal
                    };
                    cell.node_edges(node + 2)
                        .iter()
                        .map(|e| {
                            let input = usize::from(e.input);
                            let (_, edge) = node_edges(node)
                                .nth(input)
                                .expect("cells are validated: inputs precede their node");
                            self.edges[edge].op(e.op, states[input].clone())
                        })
                        .reduce(|a, b| a + b)
                }
            };
            states.push(value.expect("every node has at least two inputs"));
        }
        Tensor::cat(states.split_off(2), 1)
    }
}

/// The DARTS supernet (see the module docs).
#[derive(Module, Debug)]
pub struct DartsSupernet<B: Backend> {
    stem: Conv2d<B>,
    /// The stem's batch norm (affine, `3C` channels).
    stem_bn: BatchAffine<B>,
    cells: Vec<DartsSearchCell<B>>,
    classifier: Linear<B>,
}

impl<B: Backend> DartsSupernet<B> {
    /// The supernet of `config`, every weight drawn from `rng`.
    pub fn new(
        config: &DartsSupernetConfig,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let c = config.channels;
        let stem = conv(
            ConvSpec {
                channels_in: config.input_channels,
                channels_out: 3 * c,
                kernel: 3,
                stride: 1,
                padding: 1,
                dilation: 1,
                groups: 1,
            },
            rng,
            device,
        );
        let (mut c_pp, mut c_p, mut c_cur) = (3 * c, 3 * c, c);
        let mut reduction_prev = false;
        let mut cells = Vec::new();
        for layer in 0..config.layers {
            let reduction = config.is_reduction(layer);
            if reduction {
                c_cur *= 2;
            }
            let input_0 = if reduction_prev {
                FirstInput {
                    reduce: Some(FactorizedReduce::new(c_pp, c_cur, rng, device)),
                    plain: None,
                }
            } else {
                FirstInput {
                    reduce: None,
                    plain: Some(ReluPointwise {
                        conv: pointwise(c_pp, c_cur, 1, rng, device),
                    }),
                }
            };
            let input_1 = ReluPointwise {
                conv: pointwise(c_p, c_cur, 1, rng, device),
            };
            let edges = (0..DARTS_NODES)
                .flat_map(node_edges)
                .map(|(input, _)| {
                    let stride = if reduction && input < 2 { 2 } else { 1 };
                    DartsMixedEdge::new(c_cur, stride, rng, device)
                })
                .collect();
            cells.push(DartsSearchCell {
                reduction,
                input_0,
                input_1,
                edges,
            });
            reduction_prev = reduction;
            (c_pp, c_p) = (c_p, DARTS_NODES * c_cur);
        }
        let classifier = default_linear(c_p, config.num_classes, rng, device);
        Ok(Self {
            stem,
            stem_bn: BatchAffine::new(3 * c, device),
            cells,
            classifier,
        })
    }

    /// Logits with every edge the mixture of its candidates: `normal` and
    /// `reduce` are `[14, 8]` weights (edges node by node, inputs in order;
    /// ops `none` then [`DartsOp::ALL`]).
    pub fn forward_mixture(
        &self,
        images: Tensor<B, 4>,
        normal: Tensor<B, 2>,
        reduce: Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        let scalars = |weights: Tensor<B, 2>| -> Vec<Vec<Tensor<B, 4>>> {
            (0..DARTS_SEARCH_EDGES)
                .map(|edge| {
                    (0..DARTS_SEARCH_OPS)
                        .map(|op| {
                            weights
                                .clone()
                                .slice([edge..edge + 1, op..op + 1])
                                .reshape([1, 1, 1, 1])
                        })
                        .collect()
                })
                .collect()
        };
        let (normal, reduce) = (scalars(normal), scalars(reduce));
        self.forward_choice(
            images,
            &EdgeChoice::Mixture {
                normal: &normal,
                reduce: &reduce,
            },
        )
    }

    /// Logits of the sub-network of `arch`, with the shared weights.
    pub fn forward_arch(&self, images: Tensor<B, 4>, arch: &DartsArch) -> Tensor<B, 2> {
        self.forward_choice(images, &EdgeChoice::Single(arch))
    }

    fn forward_choice(&self, images: Tensor<B, 4>, choice: &EdgeChoice<'_, B>) -> Tensor<B, 2> {
        let stem = self.stem_bn.forward(self.stem.forward(images));
        let (mut s0, mut s1) = (stem.clone(), stem);
        for cell in &self.cells {
            let out = cell.forward(s0, s1.clone(), choice);
            (s0, s1) = (s1, out);
        }
        let [batch, channels, _, _] = s1.dims();
        let features = adaptive_avg_pool2d(s1, [1, 1]).reshape([batch, channels]);
        self.classifier.forward(features)
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use burn::tensor::TensorData;
    use oxinas_core::seed::rng_from_seed;
    use oxinas_spaces::DartsEdge;
    use oxinas_train::init::uniform;

    use super::*;

    const TINY: DartsSupernetConfig = DartsSupernetConfig {
        channels: 4,
        layers: 3,
        num_classes: 3,
        input_channels: 1,
    };

    fn arch() -> DartsArch {
        use DartsOp::*;
        let cell = |ops: [(u8, DartsOp); 8]| {
            DartsCell::new(ops.map(|(i, op)| DartsEdge::new(i, op))).unwrap()
        };
        DartsArch::new(
            cell([
                (0, SepConv3x3),
                (1, SkipConnect),
                (0, DilConv3x3),
                (2, MaxPool3x3),
                (1, SepConv5x5),
                (3, AvgPool3x3),
                (0, DilConv5x5),
                (4, SkipConnect),
            ]),
            cell([
                (0, MaxPool3x3),
                (1, SkipConnect),
                (2, SepConv3x3),
                (0, AvgPool3x3),
                (1, DilConv3x3),
                (3, SkipConnect),
                (4, SepConv5x5),
                (2, DilConv5x5),
            ]),
        )
    }

    /// One-hot mixture weights of a cell: 1 on each of its edges' ops.
    fn one_hot(cell: &DartsCell) -> Tensor<NdArray, 2> {
        let mut values = vec![0.0f32; DARTS_SEARCH_EDGES * DARTS_SEARCH_OPS];
        for node in 0..DARTS_NODES {
            for e in cell.node_edges(node + 2) {
                let (_, edge) = node_edges(node).nth(usize::from(e.input)).unwrap();
                values[edge * DARTS_SEARCH_OPS + 1 + e.op.index()] = 1.0;
            }
        }
        Tensor::from_data(
            TensorData::new(values, [DARTS_SEARCH_EDGES, DARTS_SEARCH_OPS]),
            &Default::default(),
        )
    }

    #[test]
    fn a_one_hot_mixture_is_the_single_path_of_its_architecture() {
        let device = Default::default();
        let net = DartsSupernet::<NdArray>::new(&TINY, &mut rng_from_seed(2), &device).unwrap();
        let images = uniform::<NdArray, 4>([3, 1, 8, 8], 1.0, &mut rng_from_seed(3), &device);
        let arch = arch();
        let single = net.forward_arch(images.clone(), &arch);
        assert_eq!(single.dims(), [3, 3]);
        let mixture = net.forward_mixture(images, one_hot(&arch.normal), one_hot(&arch.reduce));
        let a: Vec<f32> = single.into_data().to_vec().unwrap();
        let b: Vec<f32> = mixture.into_data().to_vec().unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-4, "{x} vs {y}");
        }
    }

    #[test]
    fn only_the_stem_batch_norm_and_the_head_bias_have_vector_parameters() {
        // Convolutions here are bias-free and the cells' batch norm has no
        // affine parameters, so the only 1-D parameters are the stem batch
        // norm's scale and shift (3C channels each) and the linear head's
        // bias: 2 * 3 * 4 + 3 = 27 values.
        struct VectorParams(usize);
        impl<B: Backend> burn::module::ModuleVisitor<B> for VectorParams {
            fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<B, D>>) {
                if D == 1 {
                    self.0 += param.val().dims()[0];
                }
            }
        }
        let net = DartsSupernet::<NdArray>::new(&TINY, &mut rng_from_seed(2), &Default::default())
            .unwrap();
        let mut count = VectorParams(0);
        net.visit(&mut count);
        assert_eq!(count.0, 27);
    }

    #[test]
    fn reductions_sit_at_a_third_and_two_thirds_and_odd_channels_are_refused() {
        let eight = DartsSupernetConfig { layers: 8, ..TINY };
        let reductions: Vec<usize> = (0..8).filter(|&l| eight.is_reduction(l)).collect();
        assert_eq!(reductions, vec![2, 5]);
        let odd = DartsSupernetConfig {
            channels: 5,
            ..TINY
        };
        assert_eq!(odd.validate().unwrap_err().field, "channels");
    }

    #[test]
    fn odd_sides_reduce_without_shape_errors() {
        let device = Default::default();
        let net = DartsSupernet::<NdArray>::new(&TINY, &mut rng_from_seed(2), &device).unwrap();
        let images = uniform::<NdArray, 4>([2, 1, 7, 7], 1.0, &mut rng_from_seed(3), &device);
        assert_eq!(net.forward_arch(images, &arch()).dims(), [2, 3]);
    }
}
