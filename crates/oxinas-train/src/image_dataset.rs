//! Labelled images held in memory as bytes, the common form of every loader.

use oxinas_core::DataError;

/// Channels, height and width of every image of a data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageShape {
    /// Colour channels (1 or 3).
    pub channels: usize,
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
}

impl ImageShape {
    /// Values per image.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Whether an image has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Labelled images: pixels are stored channel-major (`[C, H, W]` per image)
/// as integers from 0 to `max_pixel`, labels as class indices.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageDataset {
    pixels: Vec<u8>,
    labels: Vec<u16>,
    shape: ImageShape,
    num_classes: usize,
    max_pixel: u8,
}

impl ImageDataset {
    /// A data set from raw parts; `origin` names the source in errors.
    ///
    /// Fails when the pixel count is not a whole number of images, when
    /// labels and images differ in number, or when a label or pixel is out of range.
    pub fn new(
        origin: &str,
        pixels: Vec<u8>,
        labels: Vec<u16>,
        shape: ImageShape,
        num_classes: usize,
        max_pixel: u8,
    ) -> Result<Self, DataError> {
        let per_image = shape.len();
        if per_image == 0 || pixels.len() != labels.len() * per_image {
            return Err(DataError::malformed(
                origin,
                "images",
                format!(
                    "{} labels need {} pixel values of {} per image, found {}",
                    labels.len(),
                    labels.len() * per_image,
                    per_image,
                    pixels.len()
                ),
            ));
        }
        if let Some((i, label)) = labels
            .iter()
            .enumerate()
            .find(|(_, l)| usize::from(**l) >= num_classes)
        {
            return Err(DataError::malformed(
                origin,
                format!("label {i}"),
                format!("a class below {num_classes}, found {label}"),
            ));
        }
        if let Some(i) = pixels.iter().position(|&p| p > max_pixel) {
            return Err(DataError::malformed(
                origin,
                format!("image {}, value {}", i / per_image, i % per_image),
                format!("a pixel in 0..={max_pixel}, found {}", pixels[i]),
            ));
        }
        Ok(Self {
            pixels,
            labels,
            shape,
            num_classes,
            max_pixel,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Shape of every image.
    pub fn shape(&self) -> ImageShape {
        self.shape
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// The largest possible pixel value (255 for bytes, 16 for the digits set).
    pub fn max_pixel(&self) -> u8 {
        self.max_pixel
    }

    /// The pixels of image `index`, `[C, H, W]`.
    pub fn image(&self, index: usize) -> &[u8] {
        let n = self.shape.len();
        &self.pixels[index * n..(index + 1) * n]
    }

    /// The class of image `index`.
    pub fn label(&self, index: usize) -> usize {
        usize::from(self.labels[index])
    }

    /// All labels.
    pub fn labels(&self) -> &[u16] {
        &self.labels
    }

    /// The images at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Self {
        let mut pixels = Vec::with_capacity(indices.len() * self.shape.len());
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        Self {
            pixels,
            labels,
            shape: self.shape,
            num_classes: self.num_classes,
            max_pixel: self.max_pixel,
        }
    }

    /// Every image shrunk by `factor` in both directions, each output pixel the
    /// rounded mean of a `factor` x `factor` block (trailing rows and columns
    /// that do not fill a block are dropped). A factor of 1 returns a copy.
    pub fn downsample(&self, factor: usize) -> Self {
        let factor = factor.max(1);
        let (h, w) = (self.shape.height / factor, self.shape.width / factor);
        let shape = ImageShape {
            channels: self.shape.channels,
            height: h,
            width: w,
        };
        let block = (factor * factor) as u32;
        let mut pixels = Vec::with_capacity(self.len() * shape.len());
        for i in 0..self.len() {
            let image = self.image(i);
            for c in 0..shape.channels {
                for y in 0..h {
                    for x in 0..w {
                        let mut sum = 0u32;
                        for dy in 0..factor {
                            for dx in 0..factor {
                                let (sy, sx) = (y * factor + dy, x * factor + dx);
                                sum += u32::from(
                                    image[(c * self.shape.height + sy) * self.shape.width + sx],
                                );
                            }
                        }
                        pixels.push(((sum + block / 2) / block) as u8);
                    }
                }
            }
        }
        Self {
            pixels,
            labels: self.labels.clone(),
            shape,
            num_classes: self.num_classes,
            max_pixel: self.max_pixel,
        }
    }
}
