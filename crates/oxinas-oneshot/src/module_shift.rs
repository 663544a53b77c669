//! Moving a module's parameters along gradients, for DARTS' second-order
//! approximation (the virtual step `w - xi * (momentum * v + dw + wd * w)`
//! and the finite differences `w +- eps * dw'`), and the momentum buffer of
//! the weights' SGD that virtual step reads.

use burn::module::{AutodiffModule, ModuleMapper, ModuleVisitor, Param};
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

/// The SGD of the supernet weights as DARTS' virtual step sees it: its
/// momentum, its weight decay, and its momentum buffer (velocity) after the
/// weight steps recorded so far.
///
/// DARTS' `architect.py` unrolls the weights by the step their optimiser
/// would take next, `w' = w - xi * (momentum * v + dw + wd * w)`, with `v`
/// the momentum buffer (zero before the first weight step). Burn's SGD keeps
/// its buffer private, so this follows it alongside: after each weight step
/// with (clipped) gradient `g` at weights `w`, `v <- momentum * v + g + wd * w`,
/// PyTorch's and Burn's update with dampening 0.
pub(crate) struct SgdTrace {
    momentum: f64,
    weight_decay: f64,
    velocity: Option<GradientsParams>,
}

impl SgdTrace {
    /// A trace before any weight step.
    pub(crate) fn new(momentum: f64, weight_decay: f64) -> Self {
        Self {
            momentum,
            weight_decay,
            velocity: None,
        }
    }

    /// A trace whose momentum buffer is `velocity` (tests).
    #[cfg(test)]
    pub(crate) fn with_velocity(
        momentum: f64,
        weight_decay: f64,
        velocity: GradientsParams,
    ) -> Self {
        Self {
            momentum,
            weight_decay,
            velocity: Some(velocity),
        }
    }

    /// `momentum * v + grads + wd * w` for every parameter of `module` with a
    /// gradient: the step SGD would take with `grads`, before the learning rate.
    pub(crate) fn direction<B: AutodiffBackend, M: AutodiffModule<B>>(
        &self,
        module: &M,
        grads: &GradientsParams,
    ) -> GradientsParams {
        let mut visitor = Velocity::<B> {
            grads,
            previous: self.velocity.as_ref(),
            momentum: self.momentum,
            weight_decay: self.weight_decay,
            out: GradientsParams::new(),
            backend: std::marker::PhantomData,
        };
        module.visit(&mut visitor);
        visitor.out
    }

    /// Records the weight step SGD takes with `grads` at `module`'s weights
    /// (before the step): the buffer becomes [`direction`](Self::direction).
    pub(crate) fn record<B: AutodiffBackend, M: AutodiffModule<B>>(
        &mut self,
        module: &M,
        grads: &GradientsParams,
    ) {
        self.velocity = Some(self.direction::<B, M>(module, grads));
    }
}

struct Velocity<'a, B> {
    grads: &'a GradientsParams,
    previous: Option<&'a GradientsParams>,
    momentum: f64,
    weight_decay: f64,
    out: GradientsParams,
    backend: std::marker::PhantomData<B>,
}

impl<B: AutodiffBackend> ModuleVisitor<B> for Velocity<'_, B> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
        let Some(grad) = self.grads.get::<B::InnerBackend, D>(param.id) else {
            return;
        };
        let mut step = grad + param.val().inner().mul_scalar(self.weight_decay);
        if let Some(v) = self
            .previous
            .and_then(|p| p.get::<B::InnerBackend, D>(param.id))
        {
            step = step + v.mul_scalar(self.momentum);
        }
        self.out.register::<B::InnerBackend, D>(param.id, step);
    }
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

    #[test]
    fn the_trace_follows_sgds_momentum_buffer_with_weight_decay() {
        use burn::optim::decay::WeightDecayConfig;
        use burn::optim::momentum::MomentumConfig;
        use burn::optim::{Optimizer, SgdConfig};

        let device = Default::default();
        let t = |v: Vec<f32>| Tensor::<Ad, 1>::from_data(TensorData::new(v, [2]), &device);
        let mut pair = Pair {
            a: Param::from_tensor(t(vec![1.0, 2.0])),
            b: Param::from_tensor(t(vec![3.0, -1.0])),
        };
        let (momentum, decay, lr) = (0.5, 0.1, 0.25);
        let mut sgd = SgdConfig::new()
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_momentum(momentum)
                    .with_dampening(0.0),
            ))
            .with_weight_decay(Some(WeightDecayConfig::new(decay as f32)))
            .init::<Ad, Pair<Ad>>();
        let mut trace = SgdTrace::new(momentum, decay);
        // loss = sum(a * a) + 3 * sum(b): da = 2a, db = 3.
        let grads_at = |pair: &Pair<Ad>| {
            let loss = pair.a.val().square().sum() + pair.b.val().sum().mul_scalar(3.0);
            GradientsParams::from_grads(loss.backward(), pair)
        };
        // By hand, a = (1, 2), b = (3, -1):
        // step 1: v_a = 2a + 0.1a = (2.1, 4.2), v_b = 3 + 0.1b = (3.3, 2.9);
        //   a -> a - 0.25 v_a = (0.475, 0.95), b -> (2.175, -1.725).
        // step 2: v_a = 0.5 (2.1, 4.2) + 2.1 (0.475, 0.95) = (2.0475, 4.095),
        //   v_b = 0.5 (3.3, 2.9) + 3 + 0.1 (2.175, -1.725) = (4.8675, 4.2775).
        for _ in 0..2 {
            let grads = grads_at(&pair);
            trace.record::<Ad, _>(&pair, &grads);
            pair = sgd.step(lr, pair, grads);
        }
        let velocity = |p: &Param<Tensor<Ad, 1>>| -> Vec<f32> {
            let v = trace.velocity.as_ref().unwrap();
            v.get::<NdArray, 1>(p.id)
                .unwrap()
                .into_data()
                .to_vec()
                .unwrap()
        };
        for (got, want) in velocity(&pair.a)
            .into_iter()
            .chain(velocity(&pair.b))
            .zip([2.0475, 4.095, 4.8675, 4.2775])
        {
            assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        }
        // And the optimiser moved the weights by the same velocities:
        // a = (0.475, 0.95) - 0.25 (2.0475, 4.095) = (-0.036875, -0.07375).
        let a: Vec<f32> = pair.a.val().into_data().to_vec().unwrap();
        for (got, want) in a.into_iter().zip([-0.036875, -0.07375]) {
            assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        }
    }
}
