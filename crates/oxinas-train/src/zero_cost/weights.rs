//! Walking the weight tensors of convolution and linear layers together with
//! their gradients, the unit most zero-cost proxies sum over.

use std::marker::PhantomData;

use burn::module::{AutodiffModule, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;
use burn::tensor::backend::{AutodiffBackend, Backend};

/// Convolution and linear layers name their kernel `weight` (batch norm has
/// `gamma` and `beta`); the proxies score kernels only, as the published code does.
const WEIGHT: &str = "weight";

/// Calls `f(weight, gradient)` for every kernel of `module` that has a gradient in `grads`.
pub(crate) fn for_each_weight_grad<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &B::Gradients,
    mut f: impl FnMut(Tensor<B::InnerBackend, 1>, Tensor<B::InnerBackend, 1>),
) {
    let mut visitor = WeightVisitor::<B, _> {
        path: Vec::new(),
        grads,
        f: &mut f,
        backend: PhantomData,
    };
    module.visit(&mut visitor);
}

struct WeightVisitor<'a, B: AutodiffBackend, F> {
    path: Vec<String>,
    grads: &'a B::Gradients,
    f: &'a mut F,
    backend: PhantomData<B>,
}

impl<B, F> ModuleVisitor<B> for WeightVisitor<'_, B, F>
where
    B: AutodiffBackend,
    F: FnMut(Tensor<B::InnerBackend, 1>, Tensor<B::InnerBackend, 1>),
{
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if self.path.last().map(String::as_str) != Some(WEIGHT) {
            return;
        }
        let value = param.val();
        if let Some(grad) = value.grad(self.grads) {
            (self.f)(value.inner().flatten(0, D - 1), grad.flatten(0, D - 1))
        }
    }
}

/// Replaces every kernel `w` by `w + step * direction[w]` where `direction` has
/// an entry for it; other parameters are unchanged. Used for finite differences.
pub(crate) struct ShiftWeights<'a, B: Backend> {
    pub(crate) path: Vec<String>,
    pub(crate) direction: &'a [(ParamId, Vec<f32>)],
    pub(crate) step: f32,
    pub(crate) backend: PhantomData<B>,
}

impl<B: Backend> ModuleMapper<B> for ShiftWeights<'_, B> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        if self.path.last().map(String::as_str) != Some(WEIGHT) {
            return param;
        }
        let Some((_, dir)) = self.direction.iter().find(|(id, _)| *id == param.id) else {
            return param;
        };
        let (id, value, _) = param.consume();
        let (shape, device) = (value.shape(), value.device());
        let delta = Tensor::<B, 1>::from_floats(dir.as_slice(), &device).reshape(shape);
        let shifted = (value + delta.mul_scalar(self.step)).into_data();
        Param::initialized(id, leaf(shifted, &device))
    }
}

/// Replaces every float tensor of a module by its absolute value (SynFlow's
/// linearisation: with non-negative weights and input, ReLUs pass everything).
pub(crate) struct AbsoluteValues;

impl<B: Backend> ModuleMapper<B> for AbsoluteValues {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, value, _) = param.consume();
        let device = value.device();
        Param::initialized(id, leaf(value.abs().into_data(), &device))
    }
}

/// A fresh trainable tensor: autodiff only tracks leaves created from data.
fn leaf<B: Backend, const D: usize>(
    data: burn::tensor::TensorData,
    device: &B::Device,
) -> Tensor<B, D> {
    Tensor::from_data(data, device).require_grad()
}

/// Kernel ids and gradient values, read once so they can direct a shift.
pub(crate) fn weight_gradients<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: &M,
    grads: &B::Gradients,
) -> Vec<(ParamId, Vec<f32>)> {
    let mut out = Vec::new();
    let mut visitor = IdCollector::<B> {
        path: Vec::new(),
        grads,
        out: &mut out,
    };
    module.visit(&mut visitor);
    out
}

struct IdCollector<'a, B: AutodiffBackend> {
    path: Vec<String>,
    grads: &'a B::Gradients,
    out: &'a mut Vec<(ParamId, Vec<f32>)>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for IdCollector<'_, B> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_owned());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        if self.path.last().map(String::as_str) != Some(WEIGHT) {
            return;
        }
        if let Some(grad) = param.val().grad(self.grads) {
            let values = grad
                .into_data()
                .convert::<f32>()
                .into_vec::<f32>()
                .unwrap_or_default();
            self.out.push((param.id, values));
        }
    }
}
