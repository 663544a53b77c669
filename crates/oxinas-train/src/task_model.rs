//! What NAS-Bench-360 training needs from a network, and the shapes a task
//! network is built for.

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use burn::tensor::module::adaptive_avg_pool2d;
use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_nb360::{TaskFamily, TaskSpec};

use crate::relu_conv_bn::ConvAxes;

/// The output of a task network from its last features `x`
/// `[batch, channels, height, width]`: a dense task's per-pixel head,
/// flattened to `[batch, height * width]`, or a point task's global average
/// pool and linear classifier. Networks hold exactly one of the two heads.
pub(crate) fn task_head<B: Backend>(
    classifier: Option<&Linear<B>>,
    dense_head: Option<&Conv2d<B>>,
    x: Tensor<B, 4>,
) -> Tensor<B, 2> {
    let [batch, channels, height, width] = x.dims();
    match (dense_head, classifier) {
        (Some(head), _) => head.forward(x).reshape([batch, height * width]),
        (None, Some(classifier)) => {
            classifier.forward(adaptive_avg_pool2d(x, [1, 1]).reshape([batch, channels]))
        }
        // Constructors always build one head; without one, the pooled
        // features stand in rather than a panic.
        (None, None) => adaptive_avg_pool2d(x, [1, 1]).reshape([batch, channels]),
    }
}

/// A network for a NAS-Bench-360 task: inputs `[batch, C, H, W]` (1-D tasks
/// `[batch, C, 1, L]`) to outputs `[batch, output_len]`, dense outputs
/// flattened row-major over `H * W`. Outputs are logits for classification
/// and per-label or per-pixel binary tasks, and (normalised) values for
/// regression tasks.
pub trait TaskModel<B: Backend>: Module<B> {
    /// The network's outputs `[batch, output_len]` for `inputs`.
    fn forward_task(&self, inputs: Tensor<B, 4>) -> Tensor<B, 2>;
}

/// The shapes a task network is built for: the task's family, the per-sample
/// input shape and the number of outputs per sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskShape {
    /// 1-D sequence, 2-D point prediction or 2-D dense prediction.
    pub family: TaskFamily,
    /// Per-sample input `[channels, height, width]` (height 1 for 1-D tasks).
    pub input_shape: [usize; 3],
    /// Outputs per sample (`height * width` for dense tasks).
    pub output_len: usize,
}

impl TaskShape {
    /// The shapes of `spec` at its published input size.
    pub fn of(spec: &TaskSpec) -> Self {
        Self {
            family: spec.family,
            input_shape: spec.input_shape,
            output_len: spec.output_len(),
        }
    }

    /// The shapes of `spec` for inputs of `input_shape` instead of the
    /// published size (small maps for quick runs and tests). Dense tasks then
    /// predict `height * width` values; the channels must stay the task's.
    pub fn with_input(spec: &TaskSpec, input_shape: [usize; 3]) -> Result<Self, ConfigError> {
        if input_shape[0] != spec.input_shape[0] {
            return Err(ConfigError::new(
                "input_shape",
                format!(
                    "{} channels, task {} has {}",
                    input_shape[0], spec.key, spec.input_shape[0]
                ),
            ));
        }
        let output_len = match spec.family {
            TaskFamily::Dense2d => input_shape[1] * input_shape[2],
            TaskFamily::Sequence1d | TaskFamily::Image2d => spec.output_len(),
        };
        let shape = Self {
            family: spec.family,
            input_shape,
            output_len,
        };
        shape.validate()?;
        Ok(shape)
    }

    /// Checks that every size is positive and that 1-D inputs have height 1.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.input_shape.contains(&0) {
            return Err(ConfigError::new(
                "input_shape",
                format!("every size positive, found {:?}", self.input_shape),
            ));
        }
        if self.output_len == 0 {
            return Err(ConfigError::new("output_len", "at least 1"));
        }
        if self.family == TaskFamily::Sequence1d && self.input_shape[1] != 1 {
            return Err(ConfigError::new(
                "input_shape",
                format!(
                    "height 1 for a 1-D task ([channels, 1, length]), found {:?}",
                    self.input_shape
                ),
            ));
        }
        if self.family == TaskFamily::Dense2d
            && self.output_len != self.input_shape[1] * self.input_shape[2]
        {
            return Err(ConfigError::new(
                "output_len",
                format!(
                    "height * width = {} for a dense task, found {}",
                    self.input_shape[1] * self.input_shape[2],
                    self.output_len
                ),
            ));
        }
        Ok(())
    }

    /// The axes convolutions act on: the width only for 1-D tasks.
    pub fn axes(&self) -> ConvAxes {
        match self.family {
            TaskFamily::Sequence1d => ConvAxes::Width,
            TaskFamily::Image2d | TaskFamily::Dense2d => ConvAxes::Both,
        }
    }
}
