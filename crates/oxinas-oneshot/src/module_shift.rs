//! Moving a module's parameters along gradients, for DARTS' second-order
//! approximation (the virtual step `w - xi * dw` and the finite differences
//! `w +- eps * dw'`).

use burn::module::{AutodiffModule, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;

struct ShiftByGradients<'a> {
    gradients: &'a GradientsParams,
    scale: f64,
}

impl<B: AutodiffBackend> ModuleMapper<B> for ShiftByGradients<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        let (id, tensor, mapper) = param.consume();
        let tensor = match self.gradients.get::<B::InnerBackend, D>(id) {
            Some(gradient) => {
                Tensor::from_inner(tensor.inner() + gradient.mul_scalar(self.scale)).require_grad()
            }
            None => tensor,
        };
        Param::from_mapped_value(id, tensor, mapper)
    }
}

/// `module` with every parameter `p` replaced by `p + scale * gradient(p)`
/// (parameters without a gradient stay); ids are kept, so gradients computed
/// on the shifted module apply to the original.
pub fn shift_by_gradients<B: AutodiffBackend, M: AutodiffModule<B>>(
    module: M,
    gradients: &GradientsParams,
    scale: f64,
) -> M {
    module.map(&mut ShiftByGradients { gradients, scale })
}

#[cfg(test)]
mod tests {
    use burn::backend::{Autodiff, NdArray};
    use burn::module::Module;
    use burn::tensor::TensorData;

    use super::*;

    type Ad = Autodiff<NdArray>;

    #[derive(Module, Debug)]
    struct Pair<B: burn::tensor::backend::Backend> {
        a: Param<Tensor<B, 1>>,
        b: Param<Tensor<B, 1>>,
    }

    #[test]
    fn parameters_move_by_scaled_gradients() {
        let device = Default::default();
        let t = |v: Vec<f32>| Tensor::<Ad, 1>::from_data(TensorData::new(v, [2]), &device);
        let pair = Pair {
            a: Param::from_tensor(t(vec![1.0, 2.0])),
            b: Param::from_tensor(t(vec![3.0, -1.0])),
        };
        // loss = sum(a * a) + 3 * sum(b): da = 2a, db = 3.
        let loss = pair.a.val().square().sum() + pair.b.val().sum().mul_scalar(3.0);
        let grads = GradientsParams::from_grads(loss.backward(), &pair);
        let moved = shift_by_gradients(pair, &grads, -0.5);
        let a: Vec<f32> = moved.a.val().into_data().to_vec().unwrap();
        let b: Vec<f32> = moved.b.val().into_data().to_vec().unwrap();
        assert_eq!(a, vec![0.0, 0.0]);
        assert_eq!(b, vec![1.5, -2.5]);
    }
}
