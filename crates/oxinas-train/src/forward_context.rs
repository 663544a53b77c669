//! How a forward pass runs: batch norm applied or bypassed, and what it records
//! for the zero-cost proxies that look inside the network.

use std::cell::RefCell;

use burn::nn::BatchNorm;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use crate::batch_norm::batch_norm_2d;

/// How a forward pass treats batch norm layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NormMode {
    /// Normal operation: batch statistics under autodiff, running statistics otherwise.
    #[default]
    Apply,
    /// Batch norm is the identity. SynFlow is defined on the network without
    /// batch norm, since batch statistics would undo its all-ones input.
    Bypass,
}

/// Settings and recordings of one forward pass.
///
/// With `record` on, every ReLU input is kept (NASWOT reads their sign
/// patterns) and every convolution and linear output is multiplied by a
/// trainable all-ones probe of shape `[batch, channels, 1, 1]`: the gradient
/// of the loss with respect to a probe is the per-sample, per-channel sum of
/// activation times activation gradient, which is what Fisher needs.
#[derive(Debug, Default)]
pub struct ForwardContext<B: Backend> {
    /// Batch norm applied or bypassed.
    pub norm: NormMode,
    record: bool,
    relu_inputs: RefCell<Vec<Tensor<B, 2>>>,
    probes: RefCell<Vec<Tensor<B, 4>>>,
}

impl<B: Backend> ForwardContext<B> {
    /// A plain forward pass with `norm`.
    pub fn new(norm: NormMode) -> Self {
        Self {
            norm,
            record: false,
            relu_inputs: RefCell::new(Vec::new()),
            probes: RefCell::new(Vec::new()),
        }
    }

    /// A forward pass that records ReLU inputs and probes layer outputs.
    pub fn recording(norm: NormMode) -> Self {
        Self {
            record: true,
            ..Self::new(norm)
        }
    }

    /// Applies `bn` to `x`, or returns `x` when bypassed.
    pub fn norm(&self, bn: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
        match self.norm {
            NormMode::Apply => batch_norm_2d(bn, x),
            NormMode::Bypass => x,
        }
    }

    /// ReLU of `x`, keeping `x` (flattened per sample) when recording.
    pub fn relu<const D: usize>(&self, x: Tensor<B, D>) -> Tensor<B, D> {
        if self.record {
            let batch = x.dims()[0];
            self.relu_inputs
                .borrow_mut()
                .push(x.clone().detach().reshape([batch as i32, -1]));
        }
        burn::tensor::activation::relu(x)
    }

    /// A layer output `[batch, channels, h, w]`, multiplied by a fresh probe when recording.
    pub fn probe(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        if !self.record {
            return x;
        }
        let [batch, channels, _, _] = x.dims();
        let probe = Tensor::<B, 4>::ones([batch, channels, 1, 1], &x.device()).require_grad();
        self.probes.borrow_mut().push(probe.clone());
        x * probe
    }

    /// The recorded ReLU inputs, `[batch, features]` each, in forward order.
    pub fn take_relu_inputs(&self) -> Vec<Tensor<B, 2>> {
        std::mem::take(&mut self.relu_inputs.borrow_mut())
    }

    /// The probes, in forward order.
    pub fn take_probes(&self) -> Vec<Tensor<B, 4>> {
        std::mem::take(&mut self.probes.borrow_mut())
    }
}
