//! Batch normalisation without affine parameters or running statistics.
//!
//! Weight-sharing supernets normalise with the current batch's statistics in
//! training and evaluation alike (DARTS' and NAS-Bench-201's search networks
//! use `affine=False, track_running_stats=False`): running statistics
//! averaged over many sampled sub-networks would fit none of them.

use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

const EPSILON: f64 = 1e-5;

/// `x` (`[batch, channels, h, w]`) standardised per channel over the batch
/// and the spatial positions.
pub fn standardize_batch<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let [batch, channels, _, _] = x.dims();
    // Reductions along the contiguous spatial axes and [N, C, 1, 1]
    // broadcasts: the layout CPU backends vectorise (see oxinas-train's batch norm).
    let per_sample = |t: Tensor<B, 4>| t.repeat_dim(0, batch);
    let spatial_mean = |t: Tensor<B, 4>| t.mean_dim(3).mean_dim(2).mean_dim(0);
    let mean = spatial_mean(x.clone());
    let centered = x.sub(per_sample(mean));
    let var = spatial_mean(centered.clone().square());
    let inv_std = var.add_scalar(EPSILON).sqrt().recip();
    debug_assert_eq!(inv_std.dims(), [1, channels, 1, 1]);
    centered.mul(per_sample(inv_std))
}

#[cfg(test)]
mod tests {
    use burn::backend::NdArray;
    use burn::tensor::TensorData;

    use super::*;

    #[test]
    fn every_channel_has_zero_mean_and_unit_variance() {
        let device = Default::default();
        // Two channels with different scales and offsets.
        let values: Vec<f32> = (0..2 * 2 * 3 * 3)
            .map(|i| {
                let channel = (i / 9) % 2;
                (i as f32).sin() * (1.0 + 4.0 * channel as f32) + 10.0 * channel as f32
            })
            .collect();
        let x = Tensor::<NdArray, 4>::from_data(TensorData::new(values, [2, 2, 3, 3]), &device);
        let y = standardize_batch(x);
        for c in 0..2 {
            let v: Vec<f32> = y.clone().narrow(1, c, 1).into_data().to_vec().unwrap();
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32;
            assert!(mean.abs() < 1e-5, "channel {c} mean {mean}");
            assert!((var - 1.0).abs() < 1e-3, "channel {c} variance {var}");
        }
    }
}
