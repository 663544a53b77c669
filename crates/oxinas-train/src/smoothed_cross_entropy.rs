//! Cross-entropy with label smoothing.

use burn::tensor::activation::log_softmax;
use burn::tensor::backend::Backend;
use burn::tensor::{ElementConversion, Int, Tensor, TensorData};

/// Mean cross-entropy of `logits` `[batch, classes]` against `targets` `[batch]`
/// with the target distribution `(1 - smoothing)` on the true class plus
/// `smoothing / classes` on every class (PyTorch's `label_smoothing`).
pub fn smoothed_cross_entropy<B: Backend>(
    logits: Tensor<B, 2>,
    targets: &[usize],
    smoothing: f32,
) -> Tensor<B, 1> {
    let [batch, classes] = logits.dims();
    let off = smoothing / classes as f32;
    let mut dist = vec![off; batch * classes];
    for (row, &t) in targets.iter().enumerate() {
        dist[row * classes + t] += 1.0 - smoothing;
    }
    let dist = Tensor::<B, 2>::from_data(TensorData::new(dist, [batch, classes]), &logits.device());
    let log_p = log_softmax(logits, 1);
    (dist * log_p).sum_dim(1).mean().neg()
}

/// The number of rows of `logits` whose largest entry is at the target class.
pub fn correct_predictions<B: Backend>(logits: Tensor<B, 2>, targets: Tensor<B, 1, Int>) -> usize {
    let predicted = logits.argmax(1).flatten::<1>(0, 1);
    let hits: i64 = predicted.equal(targets).int().sum().into_scalar().elem();
    hits as usize
}
