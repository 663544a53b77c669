//! Batch norm over `[batch, channels, h, w]` with Burn's `BatchNorm` module
//! as the holder of parameters and running statistics, computed in a shape
//! that CPU backends run fast.
//!
//! Burn's own forward broadcasts per-channel `[1, C, 1, 1]` tensors against
//! the activations and reshapes through `swap_dims`; on the flex backend
//! both fall back to an element-by-element strided walk, which made batch
//! norm (forward and backward) about 60 % of an NB201 training step. Here
//! the statistics are reduced along the contiguous spatial axes and
//! broadcast as `[N, C, 1, 1]` tensors, a layout flex handles with its
//! vectorised per-row path. The results are Burn's (tested), except that
//! the running variance is updated with the unbiased batch variance, as
//! PyTorch does.

use burn::nn::BatchNorm;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// Applies `bn` to `x` (`[batch, channels, h, w]`): batch statistics and a
/// running-statistics update when the backend records gradients (training),
/// the running statistics otherwise (evaluation).
pub fn batch_norm_2d<B: Backend>(bn: &BatchNorm<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [batch, channels, height, width] = x.dims();
    // Per-channel values as a contiguous [N, C, 1, 1] tensor.
    let per_sample = |channel_values: Tensor<B, 1>| {
        channel_values
            .reshape([1, channels, 1, 1])
            .repeat_dim(0, batch)
    };
    let gamma = bn.gamma.val();
    let beta = bn.beta.val();
    if !B::ad_enabled(&x.device()) {
        let mean = bn.running_mean.value();
        let var = bn.running_var.value();
        let scale = gamma.div(var.add_scalar(bn.epsilon).sqrt());
        let shift = beta.sub(mean.mul(scale.clone()));
        return x.mul(per_sample(scale)).add(per_sample(shift));
    }
    let spatial_mean = |t: Tensor<B, 4>| t.mean_dim(3).mean_dim(2).mean_dim(0);
    let mean = spatial_mean(x.clone()).reshape([channels]);
    let centered = x.sub(per_sample(mean.clone()));
    let var = spatial_mean(centered.clone().square()).reshape([channels]);

    let n = (batch * height * width) as f64;
    let unbiased = if n > 1.0 { n / (n - 1.0) } else { 1.0 };
    let momentum = bn.momentum;
    let running_mean = bn
        .running_mean
        .value_sync()
        .mul_scalar(1.0 - momentum)
        .add(mean.detach().mul_scalar(momentum));
    let running_var = bn
        .running_var
        .value_sync()
        .mul_scalar(1.0 - momentum)
        .add(var.clone().detach().mul_scalar(momentum * unbiased));
    bn.running_mean.update(running_mean.detach());
    bn.running_var.update(running_var.detach());

    let scale = gamma.div(var.add_scalar(bn.epsilon).sqrt());
    centered.mul(per_sample(scale)).add(per_sample(beta))
}

#[cfg(test)]
mod tests {
    use burn::backend::{Autodiff, NdArray};
    use burn::module::{AutodiffModule, Param};
    use burn::nn::BatchNormConfig;
    use burn::tensor::{Tensor, TensorData};
    use oxinas_core::seed::rng_from_seed;

    use super::*;
    use crate::init::{normal, uniform};

    type Ad = Autodiff<NdArray>;

    fn close(a: Vec<f32>, b: Vec<f32>, what: &str) {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    fn values<const D: usize>(t: Tensor<impl Backend, D>) -> Vec<f32> {
        t.into_data().convert::<f32>().to_vec().unwrap()
    }

    #[test]
    fn outputs_and_gradients_match_burns_batch_norm() {
        let device = Default::default();
        let mut rng = rng_from_seed(5);
        let x = normal::<Ad, 4>([3, 4, 5, 6], 2.0, &mut rng, &device).add_scalar(1.0);
        let weights = uniform::<Ad, 4>([3, 4, 5, 6], 1.0, &mut rng, &device);
        // Non-trivial scale and shift.
        let bn = BatchNorm {
            gamma: Param::from_tensor(Tensor::from_floats([0.5, 1.5, 2.0, 0.7], &device)),
            beta: Param::from_tensor(Tensor::from_floats([-0.25, 0.0, 0.3, 1.0], &device)),
            ..BatchNormConfig::new(4).init::<Ad>(&device)
        };
        let ours_x = x.clone().require_grad();
        let burns_x = x.require_grad();
        let ours = batch_norm_2d(&bn, ours_x.clone());
        let burns = bn.forward(burns_x.clone());
        close(values(ours.clone()), values(burns.clone()), "output");

        let ours_grads = ours.mul(weights.clone()).sum().backward();
        let burns_grads = burns.mul(weights).sum().backward();
        close(
            values(ours_x.grad(&ours_grads).unwrap()),
            values(burns_x.grad(&burns_grads).unwrap()),
            "d/dx",
        );
        close(
            values(bn.gamma.grad(&ours_grads).unwrap()),
            values(bn.gamma.grad(&burns_grads).unwrap()),
            "d/dgamma",
        );
        close(
            values(bn.beta.grad(&ours_grads).unwrap()),
            values(bn.beta.grad(&burns_grads).unwrap()),
            "d/dbeta",
        );
    }

    #[test]
    fn running_statistics_follow_pytorch_and_drive_evaluation() {
        let device = Default::default();
        // Channel 0 holds 1..=4, channel 1 holds 10, 10, 20, 20 (batch 2, 1x2 images).
        let x = Tensor::<Ad, 4>::from_data(
            TensorData::new(
                vec![1.0f32, 2.0, 10.0, 10.0, 3.0, 4.0, 20.0, 20.0],
                [2, 2, 1, 2],
            ),
            &device,
        );
        let bn = BatchNormConfig::new(2).init::<Ad>(&device);
        let _ = batch_norm_2d(&bn, x.clone());
        // mean (2.5, 15); unbiased variance (5/3, 100/3); momentum 0.1 from (0, 1).
        close(
            values(bn.running_mean.value_sync()),
            vec![0.25, 1.5],
            "running mean",
        );
        close(
            values(bn.running_var.value_sync()),
            vec![0.9 + 0.1 * 5.0 / 3.0, 0.9 + 0.1 * 100.0 / 3.0],
            "running variance",
        );
        // Evaluation (no autodiff) normalises with the running statistics.
        let eval = bn.valid();
        let y = batch_norm_2d(&eval, x.inner());
        let var0 = 0.9f32 + 0.1 * 5.0 / 3.0;
        let expected = (1.0f32 - 0.25) / (var0 + 1e-5).sqrt();
        assert!((values(y)[0] - expected).abs() < 1e-5);
    }
}
