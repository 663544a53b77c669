//! The NAS-Bench-201 supernet: the NB201 macro skeleton (stem, three stages
//! of `N` cells with residual reductions between them, pooling, linear head)
//! whose cells hold every candidate operation on every edge, with weights
//! shared by all 15,625 cells.
//!
//! Two ways to run it: a *mixture*, every edge the weighted sum of its five
//! ops (DARTS), and a *single path*, every edge the one op of a given cell
//! (ENAS, random sampling, and evaluating any cell with the shared weights).
//! As in the benchmark's search code, batch norm has no affine parameters and
//! always uses batch statistics ([`standardize_batch`]).

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d};

use oxinas_core::ConfigError;
use oxinas_core::seed::SeededRng;
use oxinas_spaces::{NB201_EDGES, Nb201Arch, Nb201Op};
use oxinas_train::init::default_linear;
use oxinas_train::{ConvShape, Nb201NetworkConfig, conv_without_bias};

use crate::batch_standardize::standardize_batch;

/// Candidate ops per edge, in [`Nb201Op::ALL`] order (the columns of mixture weights).
pub const NB201_OPS: usize = Nb201Op::ALL.len();

/// ReLU, a bias-free convolution, then batch standardisation.
#[derive(Module, Debug)]
struct SharedConv<B: Backend> {
    conv: Conv2d<B>,
}

impl<B: Backend> SharedConv<B> {
    fn new(shape: ConvShape, rng: &mut SeededRng, device: &B::Device) -> Self {
        Self {
            conv: conv_without_bias(shape, rng, device),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        standardize_batch(self.conv.forward(relu(x)))
    }
}

fn same_conv(channels: usize, kernel: usize) -> ConvShape {
    ConvShape {
        channels_in: channels,
        channels_out: channels,
        kernel,
        stride: 1,
        padding: kernel / 2,
    }
}

/// The weights of one edge's ops: the two convolutions (the other ops have none).
#[derive(Module, Debug)]
struct MixedEdge<B: Backend> {
    conv_1x1: SharedConv<B>,
    conv_3x3: SharedConv<B>,
}

impl<B: Backend> MixedEdge<B> {
    fn new(channels: usize, rng: &mut SeededRng, device: &B::Device) -> Self {
        Self {
            conv_1x1: SharedConv::new(same_conv(channels, 1), rng, device),
            conv_3x3: SharedConv::new(same_conv(channels, 3), rng, device),
        }
    }

    /// `op` applied to `x`; `None` for the zero op.
    fn op(&self, op: Nb201Op, x: Tensor<B, 4>) -> Option<Tensor<B, 4>> {
        match op {
            Nb201Op::None => None,
            Nb201Op::SkipConnect => Some(x),
            Nb201Op::NorConv1x1 => Some(self.conv_1x1.forward(x)),
            Nb201Op::NorConv3x3 => Some(self.conv_3x3.forward(x)),
            Nb201Op::AvgPool3x3 => Some(avg_pool2d(x, [3, 3], [1, 1], [1, 1], false, false)),
        }
    }
}

/// What each edge of a cell computes.
enum EdgeChoice<'a, B: Backend> {
    /// The weighted sum of all ops; `weights[edge][op]` are `[1, 1, 1, 1]` scalars.
    Mixture(&'a [Vec<Tensor<B, 4>>]),
    /// One op per edge.
    Single(&'a Nb201Arch),
}

/// A cell with every op on every edge.
#[derive(Module, Debug)]
struct SupernetCell<B: Backend> {
    edges: Vec<MixedEdge<B>>,
}

impl<B: Backend> SupernetCell<B> {
    fn forward(&self, x: Tensor<B, 4>, choice: &EdgeChoice<'_, B>) -> Tensor<B, 4> {
        let mut nodes = vec![x];
        for node in 1..=3 {
            let mut sum: Option<Tensor<B, 4>> = None;
            for (edge, &(to, from)) in NB201_EDGES.iter().enumerate() {
                if to != node {
                    continue;
                }
                let input = &nodes[from];
                let out = match choice {
                    EdgeChoice::Single(arch) => self.edges[edge].op(arch.ops[edge], input.clone()),
                    EdgeChoice::Mixture(weights) => Nb201Op::ALL
                        .iter()
                        .zip(&weights[edge])
                        .filter_map(|(&op, w)| {
                            self.edges[edge]
                                .op(op, input.clone())
                                .map(|y| y.mul(w.clone()))
                        })
                        .reduce(|a, b| a + b),
                };
                if let Some(out) = out {
                    sum = Some(match sum {
                        Some(acc) => acc + out,
                        None => out,
                    });
                }
            }
            // A node whose every input is the zero op carries zeros.
            let value = sum.unwrap_or_else(|| nodes[0].zeros_like());
            nodes.push(value);
        }
        nodes.pop().expect("three nodes were pushed")
    }
}

/// The residual block between stages, as in the NB201 network.
#[derive(Module, Debug)]
struct SupernetReduction<B: Backend> {
    conv_a: SharedConv<B>,
    conv_b: SharedConv<B>,
    shortcut: Conv2d<B>,
}

impl<B: Backend> SupernetReduction<B> {
    fn new(
        channels_in: usize,
        channels_out: usize,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let conv = |channels_in, stride, kernel| ConvShape {
            channels_in,
            channels_out,
            kernel,
            stride,
            padding: kernel / 2,
        };
        Self {
            conv_a: SharedConv::new(conv(channels_in, 2, 3), rng, device),
            conv_b: SharedConv::new(conv(channels_out, 1, 3), rng, device),
            shortcut: conv_without_bias(conv(channels_in, 1, 1), rng, device),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let branch = self.conv_b.forward(self.conv_a.forward(x.clone()));
        // Ceil mode, as the NB201 network: odd sides pool to the strided branch size.
        let pooled = avg_pool2d(x, [2, 2], [2, 2], [0, 0], true, true);
        branch + self.shortcut.forward(pooled)
    }
}

/// A searched cell or a reduction block.
#[derive(Module, Debug)]
struct SupernetBlock<B: Backend> {
    cell: Option<SupernetCell<B>>,
    reduction: Option<SupernetReduction<B>>,
}

/// The NAS-Bench-201 supernet (see the module docs).
#[derive(Module, Debug)]
pub struct Nb201Supernet<B: Backend> {
    stem: Conv2d<B>,
    blocks: Vec<SupernetBlock<B>>,
    classifier: Linear<B>,
}

impl<B: Backend> Nb201Supernet<B> {
    /// The supernet of `config` (the NB201 network's size settings), every
    /// weight drawn from `rng`.
    pub fn new(
        config: &Nb201NetworkConfig,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let c = config.channels;
        let stem = conv_without_bias(
            ConvShape {
                channels_in: config.input_channels,
                channels_out: c,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            rng,
            device,
        );
        let mut blocks = Vec::new();
        let mut channels = c;
        for stage in 0..3 {
            if stage > 0 {
                blocks.push(SupernetBlock {
                    cell: None,
                    reduction: Some(SupernetReduction::new(channels, channels * 2, rng, device)),
                });
                channels *= 2;
            }
            for _ in 0..config.cells_per_stage {
                let edges = (0..NB201_EDGES.len())
                    .map(|_| MixedEdge::new(channels, rng, device))
                    .collect();
                blocks.push(SupernetBlock {
                    cell: Some(SupernetCell { edges }),
                    reduction: None,
                });
            }
        }
        let classifier = default_linear(channels, config.num_classes, rng, device);
        Ok(Self {
            stem,
            blocks,
            classifier,
        })
    }

    /// Logits `[batch, classes]` with every edge the mixture of its ops
    /// weighted by `weights` (`[6, 5]`: edges in [`NB201_EDGES`] order, ops in
    /// [`Nb201Op::ALL`] order), shared by every cell.
    pub fn forward_mixture(&self, images: Tensor<B, 4>, weights: Tensor<B, 2>) -> Tensor<B, 2> {
        let scalars: Vec<Vec<Tensor<B, 4>>> = (0..NB201_EDGES.len())
            .map(|edge| {
                (0..NB201_OPS)
                    .map(|op| {
                        weights
                            .clone()
                            .slice([edge..edge + 1, op..op + 1])
                            .reshape([1, 1, 1, 1])
                    })
                    .collect()
            })
            .collect();
        self.forward_choice(images, &EdgeChoice::Mixture(&scalars))
    }

    /// Logits `[batch, classes]` of the sub-network of `arch`, with the shared weights.
    pub fn forward_arch(&self, images: Tensor<B, 4>, arch: &Nb201Arch) -> Tensor<B, 2> {
        self.forward_choice(images, &EdgeChoice::Single(arch))
    }

    fn forward_choice(&self, images: Tensor<B, 4>, choice: &EdgeChoice<'_, B>) -> Tensor<B, 2> {
        let mut x = standardize_batch(self.stem.forward(images));
        for block in &self.blocks {
            x = match (&block.cell, &block.reduction) {
                (Some(cell), _) => cell.forward(x, choice),
                (None, Some(reduction)) => reduction.forward(x),
                (None, None) => x,
            };
        }
        let x = relu(standardize_batch(x));
        let [batch, channels, _, _] = x.dims();
        let features = adaptive_avg_pool2d(x, [1, 1]).reshape([batch, channels]);
        self.classifier.forward(features)
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use burn::tensor::{Distribution, TensorData};
    use oxinas_core::seed::rng_from_seed;

    use super::*;

    const TINY: Nb201NetworkConfig = Nb201NetworkConfig {
        channels: 4,
        cells_per_stage: 1,
        num_classes: 3,
        input_channels: 1,
    };

    fn one_hot(arch: &Nb201Arch) -> Tensor<NdArray, 2> {
        let mut values = vec![0.0f32; 6 * NB201_OPS];
        for (edge, op) in arch.ops.iter().enumerate() {
            values[edge * NB201_OPS + usize::from(op.digit())] = 1.0;
        }
        Tensor::from_data(TensorData::new(values, [6, NB201_OPS]), &Default::default())
    }

    fn assert_close(a: Tensor<NdArray, 2>, b: Tensor<NdArray, 2>) {
        let a: Vec<f32> = a.into_data().to_vec().unwrap();
        let b: Vec<f32> = b.into_data().to_vec().unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }

    #[test]
    fn a_one_hot_mixture_is_the_single_path_of_its_cell() {
        let device = Default::default();
        let net = Nb201Supernet::<NdArray>::new(&TINY, &mut rng_from_seed(3), &device).unwrap();
        let images = Tensor::<NdArray, 4>::random([4, 1, 8, 8], Distribution::Default, &device);
        for digits in ["342114", "000000", "111111", "404040"] {
            let arch = Nb201Arch::from_op_digits(digits).unwrap();
            let single = net.forward_arch(images.clone(), &arch);
            assert_eq!(single.dims(), [4, 3]);
            assert_close(net.forward_mixture(images.clone(), one_hot(&arch)), single);
        }
    }

    #[test]
    fn cells_differ_through_the_shared_weights_and_seeds_fix_them() {
        let device = Default::default();
        let net = Nb201Supernet::<NdArray>::new(&TINY, &mut rng_from_seed(5), &device).unwrap();
        let images = Tensor::<NdArray, 4>::random([2, 1, 8, 8], Distribution::Default, &device);
        let a = Nb201Arch::from_op_digits("300010").unwrap();
        let b = Nb201Arch::from_op_digits("300030").unwrap();
        // Different cells give different outputs ...
        let out_a = net.forward_arch(images.clone(), &a);
        let out_b = net.forward_arch(images.clone(), &b);
        let diff: f32 = (out_a.clone() - out_b.clone()).abs().sum().into_scalar();
        assert!(diff > 1e-4);
        // ... and a seeded network is reproducible.
        let again = Nb201Supernet::<NdArray>::new(&TINY, &mut rng_from_seed(5), &device).unwrap();
        assert_close(again.forward_arch(images, &a), out_a);
    }
}
