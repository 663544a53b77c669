//! Turning images into normalised, optionally augmented tensor batches.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use rand::Rng;

use oxinas_core::seed::SeededRng;

use crate::image_dataset::{ImageDataset, ImageShape};

/// Per-channel mean and standard deviation of pixel values scaled to [0, 1].
#[derive(Clone, Debug, PartialEq)]
pub struct Normalization {
    /// Mean per channel.
    pub mean: Vec<f32>,
    /// Standard deviation per channel (never zero).
    pub std: Vec<f32>,
}

impl Normalization {
    /// The statistics of `data` (computed on the training split only).
    pub fn fit(data: &ImageDataset) -> Self {
        let shape = data.shape();
        let plane = shape.height * shape.width;
        let scale = 1.0 / f64::from(data.max_pixel());
        let mut sum = vec![0.0f64; shape.channels];
        let mut sum_sq = vec![0.0f64; shape.channels];
        for i in 0..data.len() {
            for (c, values) in data.image(i).chunks_exact(plane).enumerate() {
                for &v in values {
                    let x = f64::from(v) * scale;
                    sum[c] += x;
                    sum_sq[c] += x * x;
                }
            }
        }
        let count = (data.len() * plane).max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / count).collect();
        let std = sum_sq
            .iter()
            .zip(&mean)
            .map(|(sq, m)| {
                let var = (sq / count - m * m).max(0.0);
                // A constant channel keeps unit scale instead of dividing by zero.
                if var > 0.0 { var.sqrt() as f32 } else { 1.0 }
            })
            .collect();
        Self {
            mean: mean.iter().map(|m| *m as f32).collect(),
            std,
        }
    }
}

/// Standard augmentation: random crop after zero padding, random horizontal flip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Augmentation {
    /// Zero padding on every side before cropping back to the original size (0 = no crop).
    pub crop_padding: usize,
    /// Flip each image left-right with probability 1/2.
    pub horizontal_flip: bool,
}

/// Crops `image` (`[C, H, W]`) to its own size from a zero-padded copy, the
/// crop's top-left corner at `(dy, dx)` in padded coordinates (0..=2*padding),
/// then mirrors it left-right when `flip`.
pub fn crop_and_flip(
    image: &[u8],
    shape: ImageShape,
    padding: usize,
    (dy, dx): (usize, usize),
    flip: bool,
) -> Vec<u8> {
    let (h, w) = (shape.height, shape.width);
    let mut out = vec![0u8; image.len()];
    for c in 0..shape.channels {
        for y in 0..h {
            // Row y of the crop is row y + dy - padding of the original.
            let Some(src_y) = (y + dy).checked_sub(padding).filter(|&s| s < h) else {
                continue;
            };
            for x in 0..w {
                let Some(src_x) = (x + dx).checked_sub(padding).filter(|&s| s < w) else {
                    continue;
                };
                let dst_x = if flip { w - 1 - x } else { x };
                out[(c * h + y) * w + dst_x] = image[(c * h + src_y) * w + src_x];
            }
        }
    }
    out
}

/// Builds batches of `[batch, C, H, W]` float images and `[batch]` class indices.
#[derive(Clone, Debug)]
pub struct ImageBatcher {
    /// Normalisation applied to every image.
    pub normalization: Normalization,
    /// Augmentation for training batches (`None` for evaluation).
    pub augmentation: Option<Augmentation>,
}

impl ImageBatcher {
    /// The images at `indices` of `data`, augmented with draws from `rng` when
    /// augmentation is set, normalised, as tensors on `device`.
    pub fn batch<B: Backend>(
        &self,
        data: &ImageDataset,
        indices: &[usize],
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> (Tensor<B, 4>, Tensor<B, 1, Int>) {
        let shape = data.shape();
        let plane = shape.height * shape.width;
        let scale = 1.0 / f32::from(data.max_pixel());
        let mut values = Vec::with_capacity(indices.len() * shape.len());
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            let augmented;
            let image = match self.augmentation {
                Some(aug) => {
                    let p = aug.crop_padding;
                    let offset = (rng.random_range(0..=2 * p), rng.random_range(0..=2 * p));
                    let flip = aug.horizontal_flip && rng.random_bool(0.5);
                    augmented = crop_and_flip(data.image(i), shape, p, offset, flip);
                    augmented.as_slice()
                }
                None => data.image(i),
            };
            for (c, plane_values) in image.chunks_exact(plane).enumerate() {
                let (m, s) = (self.normalization.mean[c], self.normalization.std[c]);
                values.extend(plane_values.iter().map(|&v| (f32::from(v) * scale - m) / s));
            }
            labels.push(data.label(i) as i64);
        }
        let n = indices.len();
        let images = Tensor::from_data(
            TensorData::new(values, [n, shape.channels, shape.height, shape.width]),
            device,
        );
        let targets = Tensor::from_data(TensorData::new(labels, [n]), device);
        (images, targets)
    }
}
