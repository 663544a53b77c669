//! NAS-Bench-201 cells in a NAS-Bench-360 task's skeleton, for black-box
//! searches over the NB201 cell space on any task.
//!
//! - 2-D point tasks: the NB201 macro skeleton unchanged (stem, `N` cells,
//!   reduction, `N` cells, reduction, `N` cells, batch norm, ReLU, global
//!   average pooling, a linear layer to the task's outputs).
//! - 1-D tasks: the same skeleton on `[C, 1, L]` inputs with true 1-D
//!   operations: every convolution is `1 x k` (`1 x 3` for the 3x3 op, the
//!   stem and the reductions), average pooling is `1 x 3`, and reductions
//!   halve the length only. The parameter count is that of a 1-D network
//!   (`C^2 * 3` weights per `1 x 3` convolution), not of a 2-D one with
//!   dead kernel rows.
//! - Dense tasks: the stem and `3N` cells at constant resolution and `C`
//!   channels (no reductions, so every pixel keeps its own features), then
//!   batch norm, ReLU and a per-pixel linear layer (`1 x 1` convolution with
//!   bias) to one channel, flattened to `[batch, height * width]`.
//!
//! Any cell runs, including one whose every edge is `none` (the network then
//! predicts from its biases alone).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, Initializer, Linear};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_core::seed::SeededRng;
use oxinas_nb360::TaskFamily;
use oxinas_spaces::Nb201Arch;

use crate::forward_context::{ForwardContext, NormMode};
use crate::init::{default_linear, default_param};
use crate::nb201_network::{Nb201Block, Nb201Cell, Nb201Reduction};
use crate::relu_conv_bn::{ConvShape, batch_norm, conv_along};
use crate::task_model::{TaskModel, TaskShape, task_head};

/// Size of a task cell network: stem channels `C` and cells per stage `N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCellConfig {
    /// Channels of the stem and first stage (`C`).
    pub channels: usize,
    /// Cells per stage (`N`); dense tasks stack `3N` cells.
    pub cells_per_stage: usize,
}

impl TaskCellConfig {
    /// Checks that both sizes are positive.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.channels == 0 {
            return Err(ConfigError::new("channels", "must be at least 1"));
        }
        if self.cells_per_stage == 0 {
            return Err(ConfigError::new("cells_per_stage", "must be at least 1"));
        }
        Ok(())
    }
}

/// An NB201 cell network for one task (see the module documentation).
#[derive(Module, Debug)]
pub struct TaskCellNetwork<B: Backend> {
    stem: Conv2d<B>,
    stem_bn: BatchNorm<B>,
    blocks: Vec<Nb201Block<B>>,
    last_bn: BatchNorm<B>,
    /// Point tasks: global average pooling, then this layer.
    classifier: Option<Linear<B>>,
    /// Dense tasks: a per-pixel linear layer to one channel.
    dense_head: Option<Conv2d<B>>,
}

impl<B: Backend> TaskCellNetwork<B> {
    /// Builds the network of `config` with cell `arch` for `shape`, every
    /// weight drawn from `rng`.
    pub fn new(
        config: &TaskCellConfig,
        arch: &Nb201Arch,
        shape: &TaskShape,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        shape.validate()?;
        let axes = shape.axes();
        let c = config.channels;
        let stem_shape = ConvShape {
            channels_in: shape.input_shape[0],
            channels_out: c,
            kernel: 3,
            stride: 1,
            padding: 1,
        };
        let stem = conv_along(stem_shape, axes, rng, device);
        let cell = |channels: usize, rng: &mut SeededRng| Nb201Block::<B> {
            cell: Some(Nb201Cell::new_along(arch, channels, axes, rng, device)),
            reduction: None,
        };
        let mut blocks = Vec::new();
        let mut channels = c;
        match shape.family {
            TaskFamily::Dense2d => {
                for _ in 0..3 * config.cells_per_stage {
                    blocks.push(cell(c, rng));
                }
            }
            TaskFamily::Image2d | TaskFamily::Sequence1d => {
                for stage in 0..3 {
                    if stage > 0 {
                        blocks.push(Nb201Block {
                            cell: None,
                            reduction: Some(Nb201Reduction::new_along(
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
                        blocks.push(cell(channels, rng));
                    }
                }
            }
        }
        let (classifier, dense_head) = match shape.family {
            TaskFamily::Dense2d => {
                let mut head = Conv2dConfig::new([channels, 1], [1, 1])
                    .with_initializer(Initializer::Zeros)
                    .init(device);
                head.weight = default_param([1, channels, 1, 1], channels, rng, device);
                head.bias = Some(default_param([1], channels, rng, device));
                (None, Some(head))
            }
            TaskFamily::Image2d | TaskFamily::Sequence1d => (
                Some(default_linear(channels, shape.output_len, rng, device)),
                None,
            ),
        };
        Ok(Self {
            stem,
            stem_bn: batch_norm(c, device),
            blocks,
            last_bn: batch_norm(channels, device),
            classifier,
            dense_head,
        })
    }

    /// Outputs `[batch, output_len]` under the settings of `ctx`.
    pub fn forward_with(&self, inputs: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let mut x = ctx.norm(&self.stem_bn, ctx.probe(self.stem.forward(inputs)));
        for block in &self.blocks {
            x = block.forward(x, ctx);
        }
        let x = ctx.relu(ctx.norm(&self.last_bn, x));
        task_head(self.classifier.as_ref(), self.dense_head.as_ref(), x)
    }
}

impl<B: Backend> TaskModel<B> for TaskCellNetwork<B> {
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

    const TINY: TaskCellConfig = TaskCellConfig {
        channels: 2,
        cells_per_stage: 1,
    };

    fn build(arch: &str, shape: &TaskShape, seed: u64) -> TaskCellNetwork<CpuBackend> {
        let arch = Nb201Arch::from_op_digits(arch).unwrap();
        TaskCellNetwork::new(
            &TINY,
            &arch,
            shape,
            &mut rng_from_seed(seed),
            &Default::default(),
        )
        .unwrap()
    }

    fn ramp(shape: [usize; 4]) -> Tensor<CpuBackend, 4> {
        let n: usize = shape.iter().product();
        let values: Vec<f32> = (0..n).map(|i| ((i % 13) as f32 - 6.0) / 6.0).collect();
        Tensor::from_data(TensorData::new(values, shape), &Default::default())
    }

    #[test]
    fn one_dimensional_cells_have_one_dimensional_parameter_counts() {
        // ECG, C = 2, N = 1, 1x3 kernels. Empty cell:
        // stem 1*2*3 + BN 4 = 10; reduction 2->4: 2*4*3+8 + 4*4*3+8 + 2*4 = 96;
        // reduction 4->8: 4*8*3+16 + 8*8*3+16 + 4*8 = 352; last BN 16; linear 8*4+4 = 36.
        let shape = TaskShape::of(Nb360Task::Ecg.spec());
        assert_eq!(trainable_params(&build("000000", &shape, 1)), 510);
        // One 1x3 conv edge adds 3C^2 + 2C per cell: 16 + 56 + 208.
        assert_eq!(trainable_params(&build("300000", &shape, 1)), 510 + 280);
    }

    #[test]
    fn dense_cells_keep_channels_and_resolution() {
        // Darcy flow (3 channels), C = 2, 3 cells of one 3x3 conv edge each:
        // stem 3*2*9 + BN 4 = 58; 3 * (2*2*9 + 4) = 120; last BN 4; head 2 + 1.
        let shape = TaskShape::with_input(Nb360Task::DarcyFlow.spec(), [3, 5, 6]).unwrap();
        let net = build("300000", &shape, 1);
        assert_eq!(trainable_params(&net), 58 + 120 + 4 + 3);
        assert_eq!(net.forward_task(ramp([2, 3, 5, 6])).dims(), [2, 30]);
    }

    #[test]
    fn every_family_gives_task_shaped_outputs_for_any_cell() {
        let ecg = TaskShape::with_input(Nb360Task::Ecg.spec(), [1, 1, 30]).unwrap();
        let fsd = TaskShape::with_input(Nb360Task::Fsd50k.spec(), [1, 12, 10]).unwrap();
        let cosmic = TaskShape::with_input(Nb360Task::Cosmic.spec(), [1, 6, 7]).unwrap();
        for arch in ["000000", "111111", "421211", "342114", "200000"] {
            let out = build(arch, &ecg, 3).forward_task(ramp([2, 1, 1, 30]));
            assert_eq!(out.dims(), [2, 4], "{arch}");
            let out = build(arch, &fsd, 3).forward_task(ramp([2, 1, 12, 10]));
            assert_eq!(out.dims(), [2, 200], "{arch}");
            let out = build(arch, &cosmic, 3).forward_task(ramp([2, 1, 6, 7]));
            assert_eq!(out.dims(), [2, 42], "{arch}");
            let values = out.into_data().to_vec::<f32>().unwrap();
            assert!(values.iter().all(|v| v.is_finite()), "{arch}");
        }
    }

    #[test]
    fn one_dimensional_pooling_averages_along_the_length_only() {
        // A cell whose only path is avg-pool (edge 3 <- 0 is op 4) on a
        // height-1 input: the output at position i is the mean of the inputs
        // at i-1, i, i+1 that exist (padding not counted), along the width.
        let arch = Nb201Arch::from_op_digits("000400").unwrap();
        let device = Default::default();
        let cell = Nb201Cell::<CpuBackend>::new_along(
            &arch,
            1,
            crate::relu_conv_bn::ConvAxes::Width,
            &mut rng_from_seed(1),
            &device,
        );
        let x = Tensor::<CpuBackend, 4>::from_data(
            TensorData::new(vec![3.0f32, 6.0, 0.0, 9.0], [1, 1, 1, 4]),
            &device,
        );
        let y = cell
            .forward(x, &ForwardContext::new(NormMode::Apply))
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let expected = [4.5, 3.0, 5.0, 4.5];
        for (a, b) in y.iter().zip(expected) {
            assert!((a - b).abs() < 1e-5, "{y:?}");
        }
    }

    #[test]
    fn seeds_fix_the_weights() {
        let shape = TaskShape::with_input(Nb360Task::NinaPro.spec(), [1, 8, 12]).unwrap();
        let x = ramp([2, 1, 8, 12]);
        let a = build("342114", &shape, 4)
            .forward_task(x.clone())
            .into_data();
        let b = build("342114", &shape, 4)
            .forward_task(x.clone())
            .into_data();
        let c = build("342114", &shape, 5).forward_task(x).into_data();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn zero_sizes_are_rejected() {
        let shape = TaskShape::of(Nb360Task::Ecg.spec());
        let arch = Nb201Arch::from_op_digits("000000").unwrap();
        let config = TaskCellConfig {
            channels: 2,
            cells_per_stage: 0,
        };
        let Err(err) = TaskCellNetwork::<CpuBackend>::new(
            &config,
            &arch,
            &shape,
            &mut rng_from_seed(1),
            &Default::default(),
        ) else {
            panic!("zero cells per stage must be rejected");
        };
        assert_eq!(err.field, "cells_per_stage");
    }
}
