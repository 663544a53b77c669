//! The training losses of NAS-Bench-360 tasks on `[batch, outputs]` tensors.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;
use oxinas_nb360::LossKind;

use crate::smoothed_cross_entropy::smoothed_cross_entropy;

/// The task loss of `outputs` `[batch, outputs]` against `targets`
/// `[batch, target_len]`: class indices (one column, as floats) for
/// cross-entropy, 0/1 per label or pixel for binary cross-entropy, values per
/// pixel for the regression losses. `classes` holds the class indices of the
/// batch for cross-entropy (read once from the host data).
pub fn task_loss<B: Backend>(
    kind: LossKind,
    outputs: Tensor<B, 2>,
    targets: Tensor<B, 2>,
    classes: &[usize],
) -> Tensor<B, 1> {
    match kind {
        LossKind::CrossEntropy => smoothed_cross_entropy(outputs, classes, 0.0),
        // max(x, 0) - x t + log(1 + exp(-|x|)): stable for large logits.
        // Targets below 0 mark ignored entries (Cosmic's ignore mask): they
        // add nothing to the loss and count for nothing in the mean.
        LossKind::BinaryCrossEntropy => {
            let kept = targets.clone().greater_equal_elem(0.0).float();
            let stable = outputs.clone().clamp_min(0.0) - outputs.clone() * targets;
            let per_entry = (stable + outputs.abs().neg().exp().log1p()) * kept.clone();
            per_entry.sum() / kept.sum().clamp_min(1.0)
        }
        // Per sample ||y - t|| / ||t||, averaged (the reference's LpLoss).
        LossKind::RelativeL2 => {
            let diff = (outputs - targets.clone()).powi_scalar(2).sum_dim(1).sqrt();
            let norm = targets.powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
            (diff / norm).mean()
        }
        LossKind::MeanSquaredError => (outputs - targets).powi_scalar(2).mean(),
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Tensor, TensorData};

    use super::*;
    use crate::backend::CpuBackend;

    fn t(values: Vec<f32>, rows: usize) -> Tensor<CpuBackend, 2> {
        let cols = values.len() / rows;
        Tensor::from_data(TensorData::new(values, [rows, cols]), &Default::default())
    }

    fn value(loss: Tensor<CpuBackend, 1>) -> f32 {
        loss.into_data().to_vec::<f32>().unwrap()[0]
    }

    #[test]
    fn binary_cross_entropy_matches_the_formula_by_hand() {
        // -[t ln s(x) + (1-t) ln(1-s(x))] for x=0,t=1: ln 2; x=2,t=0: ln(1+e^2).
        let loss = task_loss(
            LossKind::BinaryCrossEntropy,
            t(vec![0.0, 2.0], 1),
            t(vec![1.0, 0.0], 1),
            &[],
        );
        let expected = (2f32.ln() + (1.0 + 2f32.exp()).ln()) / 2.0;
        assert!((value(loss) - expected).abs() < 1e-5);
    }

    #[test]
    fn binary_cross_entropy_skips_ignored_targets() {
        // The second entry is ignored (target -1): the loss is ln 2 alone.
        let loss = task_loss(
            LossKind::BinaryCrossEntropy,
            t(vec![0.0, 5.0], 1),
            t(vec![1.0, -1.0], 1),
            &[],
        );
        assert!((value(loss) - 2f32.ln()).abs() < 1e-5);
    }

    #[test]
    fn relative_l2_and_mse_match_hand_computed_values() {
        // Sample 1: diff (3,4) -> 5, target norm 5 -> 1; sample 2: diff 0 -> 0.
        let outputs = t(vec![3.0, 4.0, 1.0, 1.0], 2);
        let targets = t(vec![0.0, 5.0, 1.0, 1.0], 2);
        let rel = task_loss(LossKind::RelativeL2, outputs.clone(), targets.clone(), &[]);
        // ||(3,-1)|| = sqrt(10); / 5; then mean with 0.
        let expected = (10f32.sqrt() / 5.0) / 2.0;
        assert!((value(rel) - expected).abs() < 1e-5);
        let mse = task_loss(LossKind::MeanSquaredError, outputs, targets, &[]);
        assert!((value(mse) - (9.0 + 1.0) / 4.0).abs() < 1e-5);
    }

    #[test]
    fn cross_entropy_reads_the_class_indices() {
        let logits = t(vec![0.0, 0.0, 10.0, 0.0], 2);
        let loss = task_loss(
            LossKind::CrossEntropy,
            logits,
            t(vec![1.0, 0.0], 2),
            &[1, 0],
        );
        // Row 1: ln 2; row 2: -log softmax(10 vs 0) at 0 ~ 4.54e-5.
        let expected = (2f32.ln() + (1.0 + (-10f32).exp()).ln()) / 2.0;
        assert!((value(loss) - expected).abs() < 1e-5);
    }
}
