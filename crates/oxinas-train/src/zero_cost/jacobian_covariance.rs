//! Jacobian covariance (Mellor et al., "Neural Architecture Search without
//! Training", 2020 version), as in NASLib's `jacov`.

use burn::module::AutodiffModule;
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;

use crate::classifier::ImageClassifier;
use crate::forward_context::{ForwardContext, NormMode};

use super::linear_algebra::symmetric_eigenvalues;

/// jacov: with `J` the gradients of the summed outputs with respect to each
/// input image (one row per image), the eigenvalues `v` of the correlation
/// matrix of the rows give `-Σ (ln(v + k) + 1 / (v + k))`, `k = 1e-5`.
/// Higher means less correlated local linear maps.
pub fn jacov<B, M>(model: &M, images: Tensor<B, 4>) -> f64
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + ImageClassifier<B>,
{
    let [batch, ..] = images.dims();
    let images = images.detach().require_grad();
    let logits = model.logits(images.clone(), &ForwardContext::new(NormMode::Apply));
    let grads = logits.sum().backward();
    let Some(jacobian) = images.grad(&grads) else {
        return f64::NAN;
    };
    let rows: Vec<f64> = jacobian
        .reshape([batch as i32, -1])
        .into_data()
        .convert::<f64>()
        .into_vec::<f64>()
        .unwrap_or_default();
    let width = rows.len() / batch.max(1);
    let centred: Vec<Vec<f64>> = rows
        .chunks_exact(width)
        .map(|r| {
            let mean = r.iter().sum::<f64>() / width as f64;
            r.iter().map(|v| v - mean).collect()
        })
        .collect();
    let norms: Vec<f64> = centred
        .iter()
        .map(|r| r.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    let mut corr = vec![0.0; batch * batch];
    for i in 0..batch {
        for j in 0..batch {
            let dot: f64 = centred[i].iter().zip(&centred[j]).map(|(a, b)| a * b).sum();
            corr[i * batch + j] = dot / (norms[i] * norms[j]);
        }
    }
    const K: f64 = 1e-5;
    -symmetric_eigenvalues(&corr, batch)
        .iter()
        .map(|v| (v + K).ln() + 1.0 / (v + K))
        .sum::<f64>()
}
