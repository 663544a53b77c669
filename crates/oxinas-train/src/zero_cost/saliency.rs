//! Gradient-based proxies on a minibatch: grad_norm, SNIP, GraSP, Fisher.

use std::marker::PhantomData;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};

use crate::classifier::ImageClassifier;
use crate::forward_context::{ForwardContext, NormMode};
use crate::smoothed_cross_entropy::smoothed_cross_entropy;

use super::weights::{ShiftWeights, for_each_weight_grad, weight_gradients};

fn loss_grads<B, M>(model: &M, images: Tensor<B, 4>, targets: &[usize]) -> B::Gradients
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
{
    let logits = model.logits(images, &ForwardContext::new(NormMode::Apply));
    smoothed_cross_entropy(logits, targets, 0.0).backward()
}

/// grad_norm: the sum over kernels of the L2 norm of the loss gradient.
pub fn grad_norm<B, M>(model: &M, images: Tensor<B, 4>, targets: &[usize]) -> f64
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
{
    let grads = loss_grads(model, images, targets);
    let mut score = 0.0;
    for_each_weight_grad::<B, M>(model, &grads, |_, g| {
        let s: f64 = g.powi_scalar(2).sum().into_scalar().elem();
        score += s.sqrt();
    });
    score
}

/// SNIP (Lee et al., ICLR 2019): the sum over kernels of `|w * dL/dw|`.
pub fn snip<B, M>(model: &M, images: Tensor<B, 4>, targets: &[usize]) -> f64
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
{
    let grads = loss_grads(model, images, targets);
    let mut score = 0.0;
    for_each_weight_grad::<B, M>(model, &grads, |w, g| {
        let s: f64 = (w * g).abs().sum().into_scalar().elem();
        score += s;
    });
    score
}

/// GraSP (Wang et al., ICLR 2020): the sum over kernels of `-w * (H g)`, with
/// `g` the loss gradient and `H` the Hessian of the loss in the kernels.
///
/// `H g` is the central difference `(∇L(w + εĝ) - ∇L(w - εĝ)) / (2ε) * |g|`
/// along the unit direction `ĝ = g / |g|` with `ε = 1e-3`; for the quadratic
/// part of the loss this is exact, the error is `O(ε²)`. (Burn has first-order
/// autodiff only.) Batch statistics of batch norm make the loss a function of
/// the weights alone, so both shifted passes see the same function.
pub fn grasp<B, M>(model: &M, images: Tensor<B, 4>, targets: &[usize]) -> f64
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
{
    const EPSILON: f32 = 1e-3;
    let grads = loss_grads(model, images.clone(), targets);
    let mut direction = weight_gradients::<B, M>(model, &grads);
    let norm = direction
        .iter()
        .flat_map(|(_, g)| g.iter())
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 {
        return 0.0;
    }
    for (_, g) in &mut direction {
        g.iter_mut()
            .for_each(|v| *v = (f64::from(*v) / norm) as f32);
    }
    let shifted_grads = |step: f32| {
        let mut shift = ShiftWeights::<B> {
            path: Vec::new(),
            direction: &direction,
            step,
            backend: PhantomData,
        };
        let shifted = model.clone().map(&mut shift);
        let grads = loss_grads(&shifted, images.clone(), targets);
        weight_gradients::<B, M>(&shifted, &grads)
    };
    let plus = shifted_grads(EPSILON);
    let minus = shifted_grads(-EPSILON);
    // Kernel values in the same (visit) order as the gradients.
    let mut weights = Vec::new();
    for_each_weight_grad::<B, M>(model, &grads, |w, _| {
        weights.push(
            w.into_data()
                .convert::<f32>()
                .into_vec::<f32>()
                .unwrap_or_default(),
        );
    });
    let scale = norm / (2.0 * f64::from(EPSILON));
    let mut score = 0.0;
    for ((w, (_, gp)), (_, gm)) in weights.iter().zip(&plus).zip(&minus) {
        for ((&w, &p), &m) in w.iter().zip(gp).zip(gm) {
            let hg = (f64::from(p) - f64::from(m)) * scale;
            score -= f64::from(w) * hg;
        }
    }
    score
}

/// Fisher (Theis et al. 2018; Turner et al., BlockSwap): for every convolution
/// and linear output `a` (channels `k`), `0.5 * mean_n (Σ_hw a * dL/da)²`,
/// summed over channels and layers.
pub fn fisher<B, M>(model: &M, images: Tensor<B, 4>, targets: &[usize]) -> f64
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
{
    let ctx = ForwardContext::recording(NormMode::Apply);
    let logits = model.logits(images, &ctx);
    let grads = smoothed_cross_entropy(logits, targets, 0.0).backward();
    let mut score = 0.0;
    for probe in ctx.take_probes() {
        // d L / d probe = Σ_hw a * dL/d(a * probe), at probe = 1.
        if let Some(g) = probe.grad(&grads) {
            let s: f64 = g.powi_scalar(2).mean_dim(0).sum().into_scalar().elem();
            score += 0.5 * s;
        }
    }
    score
}
