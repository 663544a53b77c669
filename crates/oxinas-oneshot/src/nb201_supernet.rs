//! The NAS-Bench-201 supernet: the NB201 macro skeleton (stem, three stages
//! of `N` cells with residual reductions between them, pooling, linear head)
//! whose cells hold every candidate operation on every edge, with weights
//! shared by all 15,625 cells.
//!
//! Two ways to run it: a *mixture*, every edge the weighted sum of its five
//! ops (DARTS), and a *single path*, every edge the one op of a given cell
//! (ENAS, random sampling, and evaluating any cell with the shared weights).
//! As in the benchmark's search code, the cells' batch norm has no affine
//! parameters ([`standardize_batch`]) while the stem's, the residual
//! reductions' and the final one have a learnable scale and shift
//! ([`BatchAffine`]); all of them always use batch statistics.
//!
//! [`Nb201Supernet::for_task`] builds the same supernet for a NAS-Bench-360
//! task ([`Nb201TaskConfig`]): any number of input channels, and one of two
//! heads. Point tasks (2-D images, 1-D sequences) keep the skeleton above with
//! a linear head to the task's outputs. Dense tasks (an output per pixel) keep
//! every cell at the input resolution (no reductions, `C` channels throughout)
//! and end in batch norm, ReLU and a 1x1 convolution to one channel, flattened
//! to `[batch, height * width]`.
//!
//! Sequences arrive as `[channels, 1, length]`, and a sequence task's
//! supernet ([`ConvAxes::Width`]) has true 1-D kernels: `1 x 3` convolutions
//! and average pools, stride-2 reductions and `1 x 2` pooled shortcuts that
//! halve the length alone. (A 3x3 kernel on one padded row computes the same
//! function, but with three times the arithmetic and weights that never
//! learn.)

use burn::module::Module;
use burn::nn::Initializer;
use burn::nn::Linear;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::module::{adaptive_avg_pool2d, avg_pool2d};

use oxinas_core::ConfigError;
use oxinas_core::seed::SeededRng;
use oxinas_nb360::{TaskFamily, TaskSpec};
use oxinas_spaces::{NB201_EDGES, Nb201Arch, Nb201Op};
use oxinas_train::init::{default_linear, default_param};
use oxinas_train::{ConvAxes, ConvShape, Nb201NetworkConfig, conv_along};

use crate::batch_standardize::{BatchAffine, standardize_batch};

/// Candidate ops per edge, in [`Nb201Op::ALL`] order (the columns of mixture weights).
pub const NB201_OPS: usize = Nb201Op::ALL.len();

/// ReLU, a bias-free convolution, then batch norm: without affine
/// parameters in the cells, with them in the reductions.
#[derive(Module, Debug)]
struct SharedConv<B: Backend> {
    conv: Conv2d<B>,
    affine: Option<BatchAffine<B>>,
}

impl<B: Backend> SharedConv<B> {
    /// A cell op's convolution (batch norm without affine parameters).
    fn new(shape: ConvShape, axes: ConvAxes, rng: &mut SeededRng, device: &B::Device) -> Self {
        Self {
            conv: conv_along(shape, axes, rng, device),
            affine: None,
        }
    }

    /// A reduction's convolution (batch norm with affine parameters).
    fn with_affine(
        shape: ConvShape,
        axes: ConvAxes,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let channels = shape.channels_out;
        Self {
            conv: conv_along(shape, axes, rng, device),
            affine: Some(BatchAffine::new(channels, device)),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let y = self.conv.forward(relu(x));
        match &self.affine {
            Some(bn) => bn.forward(y),
            None => standardize_batch(y),
        }
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
    /// `[height, width]` of the 3-wide average-pooling window.
    pool_window: [usize; 2],
    /// `[height, width]` zero padding of that window.
    pool_padding: [usize; 2],
}

impl<B: Backend> MixedEdge<B> {
    fn new(channels: usize, axes: ConvAxes, rng: &mut SeededRng, device: &B::Device) -> Self {
        Self {
            conv_1x1: SharedConv::new(same_conv(channels, 1), axes, rng, device),
            conv_3x3: SharedConv::new(same_conv(channels, 3), axes, rng, device),
            pool_window: axes.kernel(3),
            pool_padding: axes.pair(1, 0),
        }
    }

    /// `op` applied to `x`; `None` for the zero op.
    fn op(&self, op: Nb201Op, x: Tensor<B, 4>) -> Option<Tensor<B, 4>> {
        match op {
            Nb201Op::None => None,
            Nb201Op::SkipConnect => Some(x),
            Nb201Op::NorConv1x1 => Some(self.conv_1x1.forward(x)),
            Nb201Op::NorConv3x3 => Some(self.conv_3x3.forward(x)),
            Nb201Op::AvgPool3x3 => Some(avg_pool2d(
                x,
                self.pool_window,
                [1, 1],
                self.pool_padding,
                false,
                false,
            )),
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
    /// `[height, width]` of the shortcut's 2-wide pooling window and stride.
    pool_window: [usize; 2],
}

impl<B: Backend> SupernetReduction<B> {
    fn new(
        channels_in: usize,
        channels_out: usize,
        axes: ConvAxes,
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
            conv_a: SharedConv::with_affine(conv(channels_in, 2, 3), axes, rng, device),
            conv_b: SharedConv::with_affine(conv(channels_out, 1, 3), axes, rng, device),
            shortcut: conv_along(conv(channels_in, 1, 1), axes, rng, device),
            pool_window: axes.kernel(2),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let branch = self.conv_b.forward(self.conv_a.forward(x.clone()));
        // Ceil mode, as the NB201 network: odd sides pool to the strided branch
        // size (a sequence's along its length only).
        let window = self.pool_window;
        let pooled = avg_pool2d(x, window, window, [0, 0], true, true);
        branch + self.shortcut.forward(pooled)
    }
}

/// A searched cell or a reduction block.
#[derive(Module, Debug)]
struct SupernetBlock<B: Backend> {
    cell: Option<SupernetCell<B>>,
    reduction: Option<SupernetReduction<B>>,
}

/// The head a task's supernet ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SupernetHead {
    /// Global average pooling and a linear layer (classes or labels), after
    /// the NB201 skeleton's two reductions.
    Pooled,
    /// No reductions; batch norm, ReLU and a 1x1 convolution to one channel,
    /// flattened: one output per input pixel.
    Dense,
}

impl SupernetHead {
    /// The head of a task family: dense for dense tasks, pooled otherwise.
    pub fn for_family(family: TaskFamily) -> Self {
        match family {
            TaskFamily::Dense2d => SupernetHead::Dense,
            TaskFamily::Image2d | TaskFamily::Sequence1d => SupernetHead::Pooled,
        }
    }
}

/// The size of a supernet built for a NAS-Bench-360 task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nb201TaskConfig {
    /// Channels `C` of the first stage (doubled by each reduction; dense: all cells).
    pub channels: usize,
    /// Cells per stage `N` (three stages).
    pub cells_per_stage: usize,
    /// Channels of the input.
    pub input_channels: usize,
    /// Outputs per sample: the linear head's width, or `height * width` for dense tasks.
    pub output_len: usize,
    /// The head.
    pub head: SupernetHead,
    /// The axes convolutions and pools act on: [`ConvAxes::Width`] (1-D
    /// kernels) for sequence tasks, [`ConvAxes::Both`] otherwise.
    pub axes: ConvAxes,
}

impl Nb201TaskConfig {
    /// The supernet of `spec` for inputs of `input_shape` (`[channels, height,
    /// width]`; usually the spec's own, smaller ones for quick runs): dense
    /// tasks output one value per input pixel, point tasks `spec.output_len()`.
    pub fn for_task(
        spec: &TaskSpec,
        input_shape: [usize; 3],
        channels: usize,
        cells_per_stage: usize,
    ) -> Self {
        let head = SupernetHead::for_family(spec.family);
        let [input_channels, height, width] = input_shape;
        let output_len = match head {
            SupernetHead::Dense => height * width,
            SupernetHead::Pooled => spec.output_len(),
        };
        let axes = match spec.family {
            TaskFamily::Sequence1d => ConvAxes::Width,
            TaskFamily::Image2d | TaskFamily::Dense2d => ConvAxes::Both,
        };
        Self {
            channels,
            cells_per_stage,
            input_channels,
            output_len,
            head,
            axes,
        }
    }

    /// Checks every size, naming the first that is zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("channels", self.channels),
            ("cells_per_stage", self.cells_per_stage),
            ("input_channels", self.input_channels),
            ("output_len", self.output_len),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1"));
            }
        }
        Ok(())
    }
}

/// The NAS-Bench-201 supernet (see the module docs).
#[derive(Module, Debug)]
pub struct Nb201Supernet<B: Backend> {
    stem: Conv2d<B>,
    /// The stem's batch norm (affine).
    stem_bn: BatchAffine<B>,
    blocks: Vec<SupernetBlock<B>>,
    /// The batch norm before the head's ReLU (affine).
    final_bn: BatchAffine<B>,
    /// The pooled head (absent on dense supernets).
    classifier: Option<Linear<B>>,
    /// The dense head's 1x1 convolution to one channel (absent on pooled supernets).
    dense_head: Option<Conv2d<B>>,
}

/// A 1x1 convolution `channels -> 1` with a bias, drawn from `rng` (PyTorch's
/// default distribution, weights then bias).
fn pixel_head<B: Backend>(channels: usize, rng: &mut SeededRng, device: &B::Device) -> Conv2d<B> {
    let mut conv = Conv2dConfig::new([channels, 1], [1, 1])
        .with_initializer(Initializer::Zeros)
        .init(device);
    conv.weight = default_param([1, channels, 1, 1], channels, rng, device);
    conv.bias = Some(default_param([1], channels, rng, device));
    conv
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
        Ok(Self::build(
            &Nb201TaskConfig {
                channels: config.channels,
                cells_per_stage: config.cells_per_stage,
                input_channels: config.input_channels,
                output_len: config.num_classes,
                head: SupernetHead::Pooled,
                axes: ConvAxes::Both,
            },
            rng,
            device,
        ))
    }

    /// The supernet of a NAS-Bench-360 task (see the module docs), every
    /// weight drawn from `rng`; outputs `[batch, config.output_len]`.
    pub fn for_task(
        config: &Nb201TaskConfig,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self::build(config, rng, device))
    }

    /// Draws the stem, the blocks in order, then the head.
    fn build(config: &Nb201TaskConfig, rng: &mut SeededRng, device: &B::Device) -> Self {
        let c = config.channels;
        let axes = config.axes;
        let stem = conv_along(
            ConvShape {
                channels_in: config.input_channels,
                channels_out: c,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            axes,
            rng,
            device,
        );
        let reduces = config.head == SupernetHead::Pooled;
        let mut blocks = Vec::new();
        let mut channels = c;
        for stage in 0..3 {
            if stage > 0 && reduces {
                blocks.push(SupernetBlock {
                    cell: None,
                    reduction: Some(SupernetReduction::new(
                        channels,
                        channels * 2,
                        axes,
                        rng,
                        device,
                    )),
                });
                channels *= 2;
            }
            for _ in 0..config.cells_per_stage {
                let edges = (0..NB201_EDGES.len())
                    .map(|_| MixedEdge::new(channels, axes, rng, device))
                    .collect();
                blocks.push(SupernetBlock {
                    cell: Some(SupernetCell { edges }),
                    reduction: None,
                });
            }
        }
        let (classifier, dense_head) = match config.head {
            SupernetHead::Pooled => (
                Some(default_linear(channels, config.output_len, rng, device)),
                None,
            ),
            SupernetHead::Dense => (None, Some(pixel_head(channels, rng, device))),
        };
        Self {
            stem,
            stem_bn: BatchAffine::new(c, device),
            blocks,
            final_bn: BatchAffine::new(channels, device),
            classifier,
            dense_head,
        }
    }

    /// Logits `[batch, classes]` (task supernets: `[batch, output_len]`)
    /// with every edge the mixture of its ops weighted by `weights` (`[6, 5]`: edges in [`NB201_EDGES`] order, ops in
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

    /// Logits `[batch, classes]` (task supernets: `[batch, output_len]`) of
    /// the sub-network of `arch`, with the shared weights.
    pub fn forward_arch(&self, images: Tensor<B, 4>, arch: &Nb201Arch) -> Tensor<B, 2> {
        self.forward_choice(images, &EdgeChoice::Single(arch))
    }

    fn forward_choice(&self, images: Tensor<B, 4>, choice: &EdgeChoice<'_, B>) -> Tensor<B, 2> {
        let mut x = self.stem_bn.forward(self.stem.forward(images));
        for block in &self.blocks {
            x = match (&block.cell, &block.reduction) {
                (Some(cell), _) => cell.forward(x, choice),
                (None, Some(reduction)) => reduction.forward(x),
                (None, None) => x,
            };
        }
        let x = relu(self.final_bn.forward(x));
        let [batch, channels, height, width] = x.dims();
        match (&self.classifier, &self.dense_head) {
            (_, Some(head)) => head.forward(x).reshape([batch, height * width]),
            (Some(classifier), None) => {
                let features = adaptive_avg_pool2d(x, [1, 1]).reshape([batch, channels]);
                classifier.forward(features)
            }
            (None, None) => unreachable!("every supernet is built with one head"),
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use burn::tensor::TensorData;
    use oxinas_core::seed::rng_from_seed;
    use oxinas_train::init::uniform;

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

    /// Inputs of `shape` drawn from `U(0, 1)` with `seed`.
    fn inputs(shape: [usize; 4], seed: u64) -> Tensor<NdArray, 4> {
        uniform::<NdArray, 4>(shape, 0.5, &mut rng_from_seed(seed), &Default::default())
            .add_scalar(0.5)
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
        let images = inputs([4, 1, 8, 8], 101);
        for digits in ["342114", "000000", "111111", "404040"] {
            let arch = Nb201Arch::from_op_digits(digits).unwrap();
            let single = net.forward_arch(images.clone(), &arch);
            assert_eq!(single.dims(), [4, 3]);
            assert_close(net.forward_mixture(images.clone(), one_hot(&arch)), single);
        }
    }

    /// Every cell's single path equals its one-hot mixture on `net`.
    fn assert_one_hot_is_single_path(
        net: &Nb201Supernet<NdArray>,
        inputs: Tensor<NdArray, 4>,
        outputs: usize,
    ) {
        let batch = inputs.dims()[0];
        for digits in ["342114", "000000", "111111", "404040", "123401"] {
            let arch = Nb201Arch::from_op_digits(digits).unwrap();
            let single = net.forward_arch(inputs.clone(), &arch);
            assert_eq!(single.dims(), [batch, outputs]);
            assert_close(net.forward_mixture(inputs.clone(), one_hot(&arch)), single);
        }
    }

    #[test]
    fn task_supernets_give_one_output_per_pixel_or_per_class_and_keep_one_hot_exact() {
        let device = Default::default();
        // Dense: one value per pixel of a 2-channel 5x7 input (odd sides: no reductions).
        let dense = Nb201TaskConfig {
            channels: 3,
            cells_per_stage: 1,
            input_channels: 2,
            output_len: 35,
            head: SupernetHead::Dense,
            axes: ConvAxes::Both,
        };
        let net =
            Nb201Supernet::<NdArray>::for_task(&dense, &mut rng_from_seed(4), &device).unwrap();
        let images = inputs([3, 2, 5, 7], 102);
        assert_one_hot_is_single_path(&net, images, 35);

        // 1-D: a 3-channel sequence of odd length 13 as [C, 1, L], through both reductions.
        let sequence = Nb201TaskConfig {
            channels: 4,
            cells_per_stage: 1,
            input_channels: 3,
            output_len: 5,
            head: SupernetHead::Pooled,
            axes: ConvAxes::Width,
        };
        let net =
            Nb201Supernet::<NdArray>::for_task(&sequence, &mut rng_from_seed(6), &device).unwrap();
        let series = inputs([4, 3, 1, 13], 103);
        assert_one_hot_is_single_path(&net, series, 5);
    }

    #[test]
    fn task_configs_follow_the_spec_and_refuse_zero_sizes() {
        use oxinas_nb360::Nb360Task;
        let darcy = Nb201TaskConfig::for_task(Nb360Task::DarcyFlow.spec(), [3, 9, 11], 4, 1);
        assert_eq!((darcy.head, darcy.output_len), (SupernetHead::Dense, 99));
        assert_eq!(darcy.input_channels, 3);
        let deepsea = Nb360Task::DeepSea.spec();
        let config = Nb201TaskConfig::for_task(deepsea, deepsea.input_shape, 4, 1);
        assert_eq!((config.head, config.output_len), (SupernetHead::Pooled, 36));
        assert_eq!(config.input_channels, 4);
        let zero = Nb201TaskConfig {
            output_len: 0,
            ..config
        };
        assert_eq!(zero.validate().unwrap_err().field, "output_len");
    }

    #[test]
    fn sequence_supernets_have_1d_kernels_and_keep_one_row() {
        use burn::module::Module;
        use oxinas_nb360::Nb360Task;

        let device = Default::default();
        let satellite = Nb360Task::Satellite.spec();
        let config = Nb201TaskConfig {
            channels: 2,
            output_len: 2,
            ..Nb201TaskConfig::for_task(satellite, [1, 1, 8], 2, 1)
        };
        assert_eq!(config.axes, ConvAxes::Width);
        let mut rng = rng_from_seed(9);
        let reduction = SupernetReduction::<NdArray>::new(2, 4, ConvAxes::Width, &mut rng, &device);
        let x = inputs([2, 2, 1, 9], 104);
        // Both branches halve the length (ceil) and keep the one row.
        assert_eq!(reduction.forward(x).dims(), [2, 4, 1, 5]);
        let net = Nb201Supernet::<NdArray>::for_task(&config, &mut rng, &device).unwrap();
        assert_eq!(net.stem.weight.dims(), [2, 1, 1, 3]);
        // Counted by hand with 1 x k kernels (3x3 ones would give 6,196):
        // stem 2*1*3 = 6; cell at C: 6 edges * (C*C + 3*C*C), so 96, 384 and
        // 1,536 at C = 2, 4, 8; reduction a -> b: 3*a*b + 3*b*b + a*b, so 80
        // and 320; linear 8 -> 2 with bias: 18. The cells' batch norm has no
        // parameters; the stem's, the reductions' two each and the final one
        // have a scale and a shift per channel: 2*2, 2*(2*4) and 2*(2*8),
        // 2*8, so 4 + 16 + 32 + 16 = 68.
        assert_eq!(net.num_params(), 6 + 96 + 80 + 384 + 320 + 1536 + 18 + 68);
        let series = inputs([3, 1, 1, 8], 105);
        let arch = Nb201Arch::from_op_digits("333333").unwrap();
        assert_eq!(net.forward_arch(series, &arch).dims(), [3, 2]);
    }

    #[test]
    fn cells_differ_through_the_shared_weights_and_seeds_fix_them() {
        let device = Default::default();
        let net = Nb201Supernet::<NdArray>::new(&TINY, &mut rng_from_seed(5), &device).unwrap();
        let images = inputs([2, 1, 8, 8], 106);
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
