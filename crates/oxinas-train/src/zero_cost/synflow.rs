//! SynFlow (Tanaka et al., NeurIPS 2020), as a zero-cost proxy.

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor};

use crate::classifier::ImageClassifier;
use crate::forward_context::{ForwardContext, NormMode};

use super::weights::{AbsoluteValues, for_each_weight_grad};

/// SynFlow: with every parameter replaced by its absolute value, batch norm
/// bypassed and an all-ones input of `input_shape` (`[1, C, H, W]`), the sum
/// over kernels of `|w * dR/dw|` where `R` is the sum of the outputs.
///
/// Data-independent. The products grow with depth; use an `f64` backend for
/// deep networks (the published code casts the network to double).
pub fn synflow<B, M>(model: &M, input_shape: [usize; 4], device: &B::Device) -> f64
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
{
    let linearised = model.clone().map(&mut AbsoluteValues);
    let ones = Tensor::<B, 4>::ones(input_shape, device);
    let output = linearised.logits(ones, &ForwardContext::new(NormMode::Bypass));
    let grads = output.sum().backward();
    let mut score = 0.0;
    for_each_weight_grad::<B, M>(&linearised, &grads, |w, g| {
        let s: f64 = (w * g).abs().sum().into_scalar().elem();
        score += s;
    });
    score
}
