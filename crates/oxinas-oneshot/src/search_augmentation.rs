//! Augmentation of the images a one-shot search trains on.
//!
//! DARTS (`train_search.py`) and NAS-Bench-201's DARTS and ENAS train the
//! supernet on CIFAR images with a random crop after zero padding 4 and a
//! random horizontal flip; their architecture (DARTS) and controller (ENAS)
//! batches come from the same augmented pipeline. The crop and flip are the
//! trainer's ([`oxinas_train::ImageBatcher`]); this only chooses them for an
//! image shape.

use serde::{Deserialize, Serialize};

use oxinas_train::{Augmentation, AugmentationSettings, ImageShape};

/// Whether a search augments its training (and architecture or controller) batches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchAugmentation {
    /// The references' augmentation, scaled to the images: a random crop after
    /// zero padding of `side / 8` pixels (4 on CIFAR's 32 x 32, as the
    /// references; 2 on 16 x 16), and a random horizontal flip on colour
    /// (3-channel) images; grayscale ones are not flipped (digits and
    /// clothes are not their own mirror images). Images under 12 pixels high
    /// (the 8 x 8 digits) are not augmented: there a one-pixel random crop
    /// slowed the shared weights' learning several-fold in short runs
    /// (uniform sampling, 180 steps: training loss 2.27 to 1.16 without it,
    /// 2.29 to 1.90 with it). Fashion-MNIST at 14 x 14 gets a one-pixel crop,
    /// so that the DARTS collapse study runs with the references' kind of
    /// augmentation.
    #[default]
    Standard,
    /// No augmentation: every batch shows the images as they are.
    Off,
}

impl SearchAugmentation {
    /// The augmentation of images of `shape` (`None`: none).
    pub fn for_images(self, shape: ImageShape) -> Option<Augmentation> {
        match self {
            SearchAugmentation::Off => None,
            SearchAugmentation::Standard if shape.height < 12 => None,
            SearchAugmentation::Standard => {
                AugmentationSettings::scaled_crop(shape.height).map(|crop| Augmentation {
                    crop_padding: crop.crop_padding,
                    horizontal_flip: shape.channels == 3,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(channels: usize, side: usize) -> ImageShape {
        ImageShape {
            channels,
            height: side,
            width: side,
        }
    }

    #[test]
    fn cifar_images_get_the_references_crop_and_flip() {
        let cifar = SearchAugmentation::Standard.for_images(shape(3, 32));
        assert_eq!(
            cifar,
            Some(Augmentation {
                crop_padding: 4,
                horizontal_flip: true,
            })
        );
        // CIFAR downsampled to 16 x 16: 16 / 8 = 2 pixels; grayscale 16 x 16
        // images are cropped but not flipped.
        let half = SearchAugmentation::Standard.for_images(shape(3, 16));
        assert_eq!(
            half,
            Some(Augmentation {
                crop_padding: 2,
                horizontal_flip: true,
            })
        );
        let gray = SearchAugmentation::Standard.for_images(shape(1, 28));
        assert_eq!(
            gray,
            Some(Augmentation {
                crop_padding: 3,
                horizontal_flip: false,
            })
        );
        // Fashion-MNIST at 14 x 14: 14 / 8 = 1 pixel; the digits (8 x 8): none.
        assert_eq!(
            SearchAugmentation::Standard.for_images(shape(1, 14)),
            Some(Augmentation {
                crop_padding: 1,
                horizontal_flip: false,
            })
        );
        assert_eq!(SearchAugmentation::Standard.for_images(shape(1, 8)), None);
        assert_eq!(SearchAugmentation::Standard.for_images(shape(1, 11)), None);
        assert_eq!(SearchAugmentation::Off.for_images(shape(3, 32)), None);
    }

    #[test]
    fn the_setting_reads_from_lowercase_names() {
        #[derive(Deserialize)]
        struct Wrapper {
            augmentation: SearchAugmentation,
        }
        let off: Wrapper = toml::from_str("augmentation = \"off\"").unwrap();
        assert_eq!(off.augmentation, SearchAugmentation::Off);
        let on: Wrapper = toml::from_str("augmentation = \"standard\"").unwrap();
        assert_eq!(on.augmentation, SearchAugmentation::Standard);
    }
}
