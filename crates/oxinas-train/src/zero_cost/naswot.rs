//! NASWOT (Mellor et al., ICML 2021): how differently the ReLUs partition a batch.

use burn::module::AutodiffModule;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;

use crate::classifier::ImageClassifier;
use crate::forward_context::{ForwardContext, NormMode};

use super::linear_algebra::log_abs_determinant;

/// NASWOT: with `c_i` the binary code of which ReLU inputs are positive for
/// image `i`, `K[i][j]` counts, over every ReLU, the units on which images `i`
/// and `j` agree (`c cᵀ + (1 - c)(1 - c)ᵀ`); the score is `ln |det K|`.
pub fn naswot<B, M>(model: &M, images: Tensor<B, 4>) -> f64
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
{
    let [batch, ..] = images.dims();
    let ctx = ForwardContext::recording(NormMode::Apply);
    let _ = model.logits(images, &ctx);
    let mut kernel = vec![0.0f64; batch * batch];
    for inputs in ctx.take_relu_inputs() {
        let codes: Vec<f64> = inputs
            .greater_elem(0.0)
            .float()
            .into_data()
            .convert::<f64>()
            .into_vec::<f64>()
            .unwrap_or_default();
        let width = codes.len() / batch.max(1);
        for i in 0..batch {
            for j in i..batch {
                let (a, b) = (
                    &codes[i * width..(i + 1) * width],
                    &codes[j * width..(j + 1) * width],
                );
                let agree: f64 = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| x * y + (1.0 - x) * (1.0 - y))
                    .sum();
                kernel[i * batch + j] += agree;
                if i != j {
                    kernel[j * batch + i] += agree;
                }
            }
        }
    }
    log_abs_determinant(&kernel, batch)
}
