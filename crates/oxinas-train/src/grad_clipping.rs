//! Clipping gradients by their global norm (PyTorch's `clip_grad_norm_`).
//!
//! Burn's own clipping scales each parameter's gradient by that tensor's norm;
//! the usual recipe scales all gradients together by the norm of their
//! concatenation, which keeps their direction.

use std::marker::PhantomData;

use burn::module::{AutodiffModule, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};

/// The L2 norm of all gradients of `module` held in `grads`.
pub fn global_grad_norm<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &GradientsParams,
) -> f64 {
    let mut visitor = SquaredNorm::<B> {
        grads,
        total: 0.0,
        backend: PhantomData,
    };
    module.visit(&mut visitor);
    visitor.total.sqrt()
}

/// Scales all gradients so that their global norm is at most `max_norm`;
/// returns the norm before clipping.
pub fn clip_global_norm<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &mut GradientsParams,
    max_norm: f64,
) -> f64 {
    let norm = global_grad_norm::<B, M>(module, grads);
    // The 1e-6 matches PyTorch and keeps a zero gradient finite.
    let factor = max_norm / (norm + 1e-6);
    if factor < 1.0 {
        let mut visitor = Scale::<B> {
            grads,
            factor,
            backend: PhantomData,
        };
        module.visit(&mut visitor);
    }
    norm
}

struct SquaredNorm<'a, B> {
    grads: &'a GradientsParams,
    total: f64,
    backend: PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for SquaredNorm<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(grad) = self.grads.get::<B::InnerBackend, D>(param.id) {
            let sum: f64 = grad.powi_scalar(2).sum().into_scalar().elem();
            self.total += sum;
        }
    }
}

struct Scale<'a, B> {
    grads: &'a mut GradientsParams,
    factor: f64,
    backend: PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Scale<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if let Some(grad) = self.grads.remove::<B::InnerBackend, D>(param.id) {
            self.grads.register(param.id, grad.mul_scalar(self.factor));
        }
    }
}
