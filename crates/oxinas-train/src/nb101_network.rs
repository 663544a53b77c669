//! The NAS-Bench-101 network: a 3x3 conv-BN-ReLU stem, three stacks of cells
//! with the channels doubled and the resolution halved (2x2 max pooling)
//! between stacks, global average pooling and a linear classifier.
//!
//! A cell is the module of the NAS-Bench-101 paper's code: every interior
//! vertex sums its inputs (the cell input through a 1x1 conv-BN-ReLU
//! projection, earlier vertices truncated to its channel count) and applies
//! its op; the output concatenates the vertices that feed it, plus a
//! projection of the cell input when the input feeds the output directly.
//! Channel counts per vertex follow the same rule as that code, so parameter
//! counts match the published ones (tested against the data set).

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use burn::tensor::module::{adaptive_avg_pool2d, max_pool2d};

use oxinas_core::ConfigError;
use oxinas_core::seed::SeededRng;
use oxinas_spaces::{Nb101Arch, Nb101Op};

use crate::classifier::ImageClassifier;
use crate::forward_context::ForwardContext;
use crate::init::default_linear;
use crate::relu_conv_bn::{ConvShape, batch_norm, conv_without_bias};

/// Sizes of an NAS-Bench-101 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nb101NetworkConfig {
    /// Output channels of the stem (128 in the benchmark).
    pub stem_channels: usize,
    /// Stacks of cells (3).
    pub stacks: usize,
    /// Cells per stack (3).
    pub cells_per_stack: usize,
    /// Classes of the classifier.
    pub num_classes: usize,
    /// Channels of the input images.
    pub input_channels: usize,
}

impl Nb101NetworkConfig {
    /// The network every NAS-Bench-101 cell was trained in (CIFAR-10).
    pub const CIFAR10: Self = Self {
        stem_channels: 128,
        stacks: 3,
        cells_per_stack: 3,
        num_classes: 10,
        input_channels: 3,
    };

    fn check(&self) -> Result<(), ConfigError> {
        for (field, value) in [
            ("stem_channels", self.stem_channels),
            ("stacks", self.stacks),
            ("cells_per_stack", self.cells_per_stack),
            ("num_classes", self.num_classes),
            ("input_channels", self.input_channels),
        ] {
            if value == 0 {
                return Err(ConfigError::new(field, "must be at least 1"));
            }
        }
        Ok(())
    }

    /// Input and output channels of every cell in forward order, and whether
    /// a 2x2 max pooling precedes it (the first cell of every stack but the
    /// first); the last entry's output channels are the classifier's inputs.
    fn cell_channels(&self) -> Vec<CellChannels> {
        let mut cells = Vec::with_capacity(self.stacks * self.cells_per_stack);
        let mut channels = self.stem_channels;
        for stack in 0..self.stacks {
            let c_in_first = channels;
            if stack > 0 {
                channels *= 2;
            }
            for cell in 0..self.cells_per_stack {
                cells.push(CellChannels {
                    c_in: if cell == 0 { c_in_first } else { channels },
                    c_out: channels,
                    pool_before: stack > 0 && cell == 0,
                });
            }
        }
        cells
    }

    /// Trainable parameters of the network for `arch` (conv weights, batch-norm
    /// scales and shifts, classifier weights and biases).
    pub fn params(&self, arch: &Nb101Arch) -> usize {
        let arch = &arch.pruned();
        let conv_bn = |c_in: usize, c_out: usize, k: usize| c_in * c_out * k * k + 2 * c_out;
        let cells = self.cell_channels();
        let mut total = conv_bn(self.input_channels, self.stem_channels, 3);
        for cell in &cells {
            let plan = CellPlan::new(arch, cell.c_in, cell.c_out);
            total += plan
                .projections
                .iter()
                .flatten()
                .map(|&c| conv_bn(cell.c_in, c, 1))
                .sum::<usize>();
            total += plan
                .ops
                .iter()
                .zip(&plan.vertex_channels)
                .map(|(op, &c)| match op {
                    Some(Nb101Op::Conv3x3BnRelu) => conv_bn(c, c, 3),
                    Some(Nb101Op::Conv1x1BnRelu) => conv_bn(c, c, 1),
                    _ => 0,
                })
                .sum::<usize>();
        }
        let features = cells.last().map_or(self.stem_channels, |c| c.c_out);
        total + features * self.num_classes + self.num_classes
    }
}

/// Channels around one cell of the network.
#[derive(Clone, Copy, Debug)]
struct CellChannels {
    c_in: usize,
    c_out: usize,
    pool_before: bool,
}

/// How one cell is wired: channels and op of every vertex, and which
/// vertices (and the output, last) get a projection of the cell input.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CellPlan {
    vertex_channels: Vec<usize>,
    ops: Vec<Option<Nb101Op>>,
    /// Output channels of the projection of the cell input into each vertex
    /// (index = vertex; the last entry is the output vertex).
    projections: Vec<Option<usize>>,
}

impl CellPlan {
    fn new(arch: &Nb101Arch, c_in: usize, c_out: usize) -> Self {
        let n = arch.num_vertices();
        let out = n - 1;
        let mut channels = vec![0; n];
        channels[0] = c_in;
        channels[out] = c_out;
        if n > 2 {
            // The output's in-degree from interior vertices splits its channels;
            // the first vertices take the remainder, one channel each.
            let feeding = (1..out).filter(|&v| arch.has_edge(v, out)).count().max(1);
            let (share, mut remainder) = (c_out / feeding, c_out % feeding);
            for (v, c) in channels.iter_mut().enumerate().take(out).skip(1) {
                if arch.has_edge(v, out) {
                    *c = share + usize::from(remainder > 0);
                    remainder = remainder.saturating_sub(1);
                }
            }
            // Other vertices get the most channels any of their successors has.
            for v in (1..out).rev() {
                if !arch.has_edge(v, out) {
                    channels[v] = (v + 1..out)
                        .filter(|&d| arch.has_edge(v, d))
                        .map(|d| channels[d])
                        .max()
                        .unwrap_or(0)
                        .max(channels[v]);
                }
            }
        }
        let ops = (0..n).map(|v| arch.op(v)).collect();
        let projections = (0..n)
            .map(|v| (v > 0 && arch.has_edge(0, v)).then_some(channels[v]))
            .collect();
        Self {
            vertex_channels: channels,
            ops,
            projections,
        }
    }
}

/// Convolution, batch norm, ReLU.
#[derive(Module, Debug)]
pub struct ConvBnRelu<B: Backend> {
    conv: Conv2d<B>,
    bn: BatchNorm<B>,
}

impl<B: Backend> ConvBnRelu<B> {
    fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let shape = ConvShape {
            channels_in: c_in,
            channels_out: c_out,
            kernel,
            stride: 1,
            padding: kernel / 2,
        };
        Self {
            conv: conv_without_bias(shape, rng, device),
            bn: batch_norm(c_out, device),
        }
    }

    fn forward(&self, x: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        ctx.relu(ctx.norm(&self.bn, ctx.probe(self.conv.forward(x))))
    }
}

/// One NAS-Bench-101 cell with its weights.
#[derive(Module, Debug)]
pub struct Nb101Cell<B: Backend> {
    /// The op of each vertex (`None` for input, output and max pooling).
    ops: Vec<Option<ConvBnRelu<B>>>,
    /// The projection of the cell input into each vertex that reads it.
    projections: Vec<Option<ConvBnRelu<B>>>,
    /// Whether each vertex is a max pooling.
    pools: Vec<bool>,
    /// Channels of each vertex.
    channels: Vec<usize>,
    /// `edges[v]`: the interior vertices that feed vertex `v`.
    edges: Vec<Vec<usize>>,
}

impl<B: Backend> Nb101Cell<B> {
    fn new(
        arch: &Nb101Arch,
        c_in: usize,
        c_out: usize,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let plan = CellPlan::new(arch, c_in, c_out);
        let n = arch.num_vertices();
        let projections = plan
            .projections
            .iter()
            .map(|p| p.map(|c| ConvBnRelu::new(c_in, c, 1, rng, device)))
            .collect();
        let ops = plan
            .ops
            .iter()
            .zip(&plan.vertex_channels)
            .map(|(op, &c)| match op {
                Some(Nb101Op::Conv3x3BnRelu) => Some(ConvBnRelu::new(c, c, 3, rng, device)),
                Some(Nb101Op::Conv1x1BnRelu) => Some(ConvBnRelu::new(c, c, 1, rng, device)),
                _ => None,
            })
            .collect();
        Self {
            ops,
            projections,
            pools: plan
                .ops
                .iter()
                .map(|op| *op == Some(Nb101Op::MaxPool3x3))
                .collect(),
            channels: plan.vertex_channels,
            edges: (0..n)
                .map(|v| (1..v).filter(|&s| arch.has_edge(s, v)).collect())
                .collect(),
        }
    }

    fn forward(&self, x: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        let n = self.channels.len();
        let out = n - 1;
        let mut values: Vec<Option<Tensor<B, 4>>> = vec![None; n];
        // Earlier vertices have at least as many channels: keep the first ones.
        let truncated = |t: &Tensor<B, 4>, c: usize| {
            if t.dims()[1] == c {
                t.clone()
            } else {
                t.clone().narrow(1, 0, c)
            }
        };
        for v in 1..out {
            let mut inputs: Vec<Tensor<B, 4>> = self.edges[v]
                .iter()
                .filter_map(|&s| values[s].as_ref().map(|t| truncated(t, self.channels[v])))
                .collect();
            if let Some(projection) = &self.projections[v] {
                inputs.push(projection.forward(x.clone(), ctx));
            }
            let Some(sum) = inputs.into_iter().reduce(|a, b| a + b) else {
                continue;
            };
            values[v] = Some(match (&self.ops[v], self.pools[v]) {
                (Some(op), _) => op.forward(sum, ctx),
                (None, true) => max_pool2d(sum, [3, 3], [1, 1], [1, 1], [1, 1], false),
                (None, false) => sum,
            });
        }
        let concatenated: Vec<Tensor<B, 4>> = self.edges[out]
            .iter()
            .filter_map(|&s| values[s].clone())
            .collect();
        let [batch, _, height, width] = x.dims();
        let device = x.device();
        let projected = self.projections[out]
            .as_ref()
            .map(|projection| projection.forward(x, ctx));
        match (concatenated.is_empty(), projected) {
            (false, Some(p)) => Tensor::cat(concatenated, 1) + p,
            (false, None) => Tensor::cat(concatenated, 1),
            (true, Some(p)) => p,
            // Not reached: the network refuses cells whose output is unreachable.
            (true, None) => Tensor::zeros([batch, self.channels[out], height, width], &device),
        }
    }
}

/// The NAS-Bench-101 network for one cell.
#[derive(Module, Debug)]
pub struct Nb101Network<B: Backend> {
    stem: ConvBnRelu<B>,
    /// The cells in forward order.
    cells: Vec<Nb101Cell<B>>,
    /// Whether a 2x2 max pooling comes before each cell.
    pool_before: Vec<bool>,
    classifier: Linear<B>,
}

impl<B: Backend> Nb101Network<B> {
    /// The network of `config` with every cell `arch`, weights drawn from `rng`.
    pub fn new(
        config: &Nb101NetworkConfig,
        arch: &Nb101Arch,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        config.check()?;
        if !arch.is_valid() {
            return Err(ConfigError::new(
                "arch",
                "a valid NAS-Bench-101 cell (input connected to output, at most 9 edges)",
            ));
        }
        let arch = &arch.pruned();
        let stem = ConvBnRelu::new(config.input_channels, config.stem_channels, 3, rng, device);
        let plan = config.cell_channels();
        let channels = plan.last().map_or(config.stem_channels, |c| c.c_out);
        let cells = plan
            .iter()
            .map(|c| Nb101Cell::new(arch, c.c_in, c.c_out, rng, device))
            .collect();
        let pool_before = plan.iter().map(|c| c.pool_before).collect();
        let classifier = default_linear(channels, config.num_classes, rng, device);
        Ok(Self {
            stem,
            cells,
            pool_before,
            classifier,
        })
    }

    /// Class logits `[batch, classes]` for images `[batch, channels, height, width]`.
    pub fn forward(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        self.logits(images, &ForwardContext::new(crate::NormMode::Apply))
    }
}

impl<B: Backend> ImageClassifier<B> for Nb101Network<B> {
    fn logits(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let mut x = self.stem.forward(images, ctx);
        for (cell, &pool) in self.cells.iter().zip(&self.pool_before) {
            if pool {
                x = max_pool2d(x, [2, 2], [2, 2], [0, 0], [1, 1], false);
            }
            x = cell.forward(x, ctx);
        }
        let [batch, channels, _, _] = x.dims();
        let features = adaptive_avg_pool2d(x, [1, 1]).reshape([batch, channels]);
        self.classifier.forward(features)
    }
}
