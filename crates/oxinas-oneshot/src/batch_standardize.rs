//! Batch normalisation with the current batch's statistics, with or without
//! affine parameters.
//!
//! Weight-sharing supernets normalise with the current batch's statistics in
//! training and evaluation alike: running statistics averaged over many
//! sampled sub-networks would fit none of them. The searched cells' ops have
//! no affine parameters ([`standardize_batch`]; DARTS' and NAS-Bench-201's
//! search networks build them with `affine=False`), while the fixed parts of
//! those networks (the stem, NAS-Bench-201's residual reductions and final
//! batch norm) keep PyTorch's default learnable scale and shift
//! ([`BatchAffine`]).

use burn::module::{Module, Param};
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

/// Batch norm with affine parameters: [`standardize_batch`], then a learnable
/// per-channel scale (starting at 1) and shift (starting at 0), as PyTorch's
/// `BatchNorm2d(affine=True)` in training mode.
#[derive(Module, Debug)]
pub struct BatchAffine<B: Backend> {
    /// Per-channel scale `gamma`, `[channels]`.
    scale: Param<Tensor<B, 1>>,
    /// Per-channel shift `beta`, `[channels]`.
    shift: Param<Tensor<B, 1>>,
}

impl<B: Backend> BatchAffine<B> {
    /// The identity affine map on `channels` channels (scale 1, shift 0);
    /// draws nothing from any generator.
    pub fn new(channels: usize, device: &B::Device) -> Self {
        Self {
            scale: Param::from_tensor(Tensor::ones([channels], device)),
            shift: Param::from_tensor(Tensor::zeros([channels], device)),
        }
    }

    /// `x` (`[batch, channels, h, w]`) standardised over the batch, then
    /// scaled and shifted per channel.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let [batch, channels, _, _] = x.dims();
        // [N, C, 1, 1] broadcasts, as in `standardize_batch`.
        let per_channel = |t: Tensor<B, 1>| t.reshape([1, channels, 1, 1]).repeat_dim(0, batch);
        standardize_batch(x) * per_channel(self.scale.val()) + per_channel(self.shift.val())
    }
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

    #[test]
    fn the_affine_map_scales_and_shifts_each_channel_and_learns() {
        use burn::backend::Autodiff;
        use burn::module::Module;
        use burn::optim::GradientsParams;

        type Ad = Autodiff<NdArray>;
        let device = Default::default();
        // Channel 0 holds 1, 3 (mean 2, standard deviation 1), channel 1
        // holds 0, 0, so standardises to 0, 0.
        let x = Tensor::<Ad, 4>::from_data(
            TensorData::new(vec![1.0f32, 3.0, 0.0, 0.0], [1, 2, 1, 2]),
            &device,
        );
        let mut bn = BatchAffine::<Ad>::new(2, &device);
        assert_eq!(bn.num_params(), 4);
        bn.scale = Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![2.0f32, 5.0], [2]),
            &device,
        ));
        bn.shift = Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![0.5f32, -1.0], [2]),
            &device,
        ));
        let y = bn.forward(x);
        let values: Vec<f32> = y.clone().into_data().to_vec().unwrap();
        // (1 - 2) / 1 * 2 + 0.5, (3 - 2) / 1 * 2 + 0.5, then 0 * 5 - 1 twice
        // (the 1e-5 epsilon moves the first two by about 1e-5).
        for (got, want) in values.iter().zip([-1.5, 2.5, -1.0, -1.0]) {
            assert!((got - want).abs() < 1e-4, "{values:?}");
        }
        // d sum(y) / d shift = 2 positions per channel; d / d scale = the
        // sum of the standardised values: 0 for each channel.
        let grads = GradientsParams::from_grads(y.sum().backward(), &bn);
        let shift: Vec<f32> = grads
            .get::<NdArray, 1>(bn.shift.id)
            .unwrap()
            .into_data()
            .to_vec()
            .unwrap();
        assert_eq!(shift, vec![2.0, 2.0]);
        assert!(grads.get::<NdArray, 1>(bn.scale.id).is_some());
    }
}
