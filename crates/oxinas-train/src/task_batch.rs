//! Batches of a NAS-Bench-360 split as tensors.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use oxinas_nb360::TaskSplit;

/// One batch: inputs `[batch, channels, height, width]`, targets
/// `[batch, target_len]`, and the class indices for cross-entropy tasks.
pub struct TaskBatch<B: Backend> {
    /// Inputs.
    pub inputs: Tensor<B, 4>,
    /// Targets.
    pub targets: Tensor<B, 2>,
    /// The targets' first column as class indices (only meaningful for
    /// classification tasks).
    pub classes: Vec<usize>,
}

/// The samples `indices` of `split` as one batch on `device`.
pub fn task_batch<B: Backend>(
    split: &TaskSplit,
    indices: &[usize],
    device: &B::Device,
) -> TaskBatch<B> {
    let [c, h, w] = split.input_shape;
    let mut inputs = Vec::with_capacity(indices.len() * split.input_len());
    let mut targets = Vec::with_capacity(indices.len() * split.target_len);
    for &i in indices {
        inputs.extend_from_slice(split.input(i));
        targets.extend_from_slice(split.target(i));
    }
    let classes = targets
        .iter()
        .step_by(split.target_len.max(1))
        .map(|&v| v.max(0.0) as usize)
        .collect();
    let n = indices.len();
    TaskBatch {
        inputs: Tensor::from_data(TensorData::new(inputs, [n, c, h, w]), device),
        targets: Tensor::from_data(TensorData::new(targets, [n, split.target_len]), device),
        classes,
    }
}
