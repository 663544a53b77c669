//! NumPy's `.npy` format, for users who keep their images and labels as
//! arrays (`numpy.save`), read by `oxinas-formats` (every format version,
//! either byte order, C or Fortran order; gzip-compressed files too).

use std::path::Path;

use oxinas_core::DataError;
use oxinas_formats::npy::parse_npy;
use oxinas_formats::{ArrayData, NdArray};

use crate::idx_format::read_maybe_gzip;
use crate::image_dataset::{ImageDataset, ImageShape};

fn malformed(path: &Path, field: impl Into<String>, expected: impl Into<String>) -> DataError {
    DataError::malformed(path, field, expected)
}

/// Reads an `.npy` file (gzip-compressed or plain).
pub fn read_npy(path: &Path) -> Result<NdArray, DataError> {
    Ok(parse_npy(&read_maybe_gzip(path)?, path)?)
}

/// The numeric values of `array` in C order as `f64` (exact for every
/// integer label and pixel); `None` for object arrays.
fn values(array: &NdArray) -> Option<Box<dyn Iterator<Item = f64> + '_>> {
    Some(match &array.data {
        ArrayData::Bool(v) => Box::new(v.iter().map(|&b| f64::from(u8::from(b)))),
        ArrayData::U8(v) => Box::new(v.iter().map(|&x| f64::from(x))),
        ArrayData::I8(v) => Box::new(v.iter().map(|&x| f64::from(x))),
        ArrayData::I16(v) => Box::new(v.iter().map(|&x| f64::from(x))),
        ArrayData::I32(v) => Box::new(v.iter().map(|&x| f64::from(x))),
        ArrayData::I64(v) => Box::new(v.iter().map(|&x| x as f64)),
        ArrayData::F32(v) => Box::new(v.iter().map(|&x| f64::from(x))),
        ArrayData::F64(v) => Box::new(v.iter().copied()),
        ArrayData::Object(_) => return None,
    })
}

/// Labelled images from an array of images and an array of labels.
///
/// Images are `[N, H, W]` (one channel), `[N, C, H, W]` with C of 1 or 3, or
/// `[N, H, W, C]` with C of 1 or 3 (transposed to channel-major); a shape
/// that fits both, such as `[N, 3, 32, 3]`, is read channel-first. `u1`
/// pixels are taken as they are (0-255); float pixels must lie in [0, 1] and
/// are stored in 1/255 steps, as 8-bit images have. Labels are integers
/// `0..num_classes`, one per image; `num_classes` is their maximum plus one
/// unless given.
pub fn images_from_npy(
    images_path: &Path,
    images: &NdArray,
    labels_path: &Path,
    labels: &NdArray,
    num_classes: Option<usize>,
) -> Result<ImageDataset, DataError> {
    let layout_error = || {
        malformed(
            images_path,
            "shape",
            format!(
                "[N, H, W], [N, C, H, W] or [N, H, W, C] with C = 1 or 3, found {:?}",
                images.shape
            ),
        )
    };
    let (n, shape, channels_last) = match images.shape[..] {
        [n, height, width] => (
            n,
            ImageShape {
                channels: 1,
                height,
                width,
            },
            false,
        ),
        [n, c, height, width] if c == 1 || c == 3 => (
            n,
            ImageShape {
                channels: c,
                height,
                width,
            },
            false,
        ),
        [n, height, width, c] if c == 1 || c == 3 => (
            n,
            ImageShape {
                channels: c,
                height,
                width,
            },
            true,
        ),
        _ => return Err(layout_error()),
    };
    if labels.shape.len() != 1 || labels.shape[0] != n {
        return Err(malformed(
            labels_path,
            "shape",
            format!("[{n}] (one label per image), found {:?}", labels.shape),
        ));
    }
    let label_iter = match &labels.data {
        ArrayData::F32(_) | ArrayData::F64(_) | ArrayData::Object(_) => None,
        _ => values(labels),
    }
    .ok_or_else(|| {
        malformed(
            labels_path,
            "header 'descr'",
            format!(
                "an integer type for labels, found {}",
                labels.data.dtype_name()
            ),
        )
    })?;
    let mut label_values = Vec::with_capacity(n);
    for (i, l) in label_iter.enumerate() {
        if !(0.0..=f64::from(u16::MAX)).contains(&l) {
            return Err(malformed(
                labels_path,
                format!("label {i}"),
                format!("a class index from 0 to 65535, found {l}"),
            ));
        }
        label_values.push(l as u16);
    }
    let floats = matches!(images.data, ArrayData::F32(_) | ArrayData::F64(_));
    let pixel_iter = values(images).ok_or_else(|| {
        malformed(
            images_path,
            "header 'descr'",
            "a numeric type for images, found object",
        )
    })?;
    let mut pixels = Vec::with_capacity(images.data.len());
    for (i, v) in pixel_iter.enumerate() {
        let (valid, pixel) = if floats {
            ((0.0..=1.0).contains(&v), (v * 255.0).round())
        } else {
            ((0.0..=255.0).contains(&v), v)
        };
        if !valid {
            let range = if floats { "0 to 1" } else { "0 to 255" };
            return Err(malformed(
                images_path,
                format!("image {}, value {}", i / shape.len(), i % shape.len()),
                format!("a pixel from {range}, found {v}"),
            ));
        }
        pixels.push(pixel as u8);
    }
    if channels_last {
        let (c, hw) = (shape.channels, shape.height * shape.width);
        let mut planar = vec![0u8; pixels.len()];
        for (image, out) in pixels
            .chunks_exact(shape.len())
            .zip(planar.chunks_exact_mut(shape.len()))
        {
            for p in 0..hw {
                for ch in 0..c {
                    out[ch * hw + p] = image[p * c + ch];
                }
            }
        }
        pixels = planar;
    }
    let num_classes =
        num_classes.unwrap_or_else(|| label_values.iter().max().map_or(1, |&m| usize::from(m) + 1));
    ImageDataset::new(
        &images_path.display().to_string(),
        pixels,
        label_values,
        shape,
        num_classes,
        255,
    )
}

/// The four files of an `.npy` data set directory.
pub const NPY_FILES: [&str; 4] = [
    "train_images.npy",
    "train_labels.npy",
    "test_images.npy",
    "test_labels.npy",
];

/// Reads the training and test sets of `dir` (`train_images.npy`,
/// `train_labels.npy`, `test_images.npy`, `test_labels.npy`); both sets get
/// the number of classes of the training labels.
pub fn read_npy_dir(dir: &Path) -> Result<(ImageDataset, ImageDataset), DataError> {
    let read = |name: &str| {
        let path = dir.join(name);
        read_npy(&path).map(|array| (path, array))
    };
    let (train_x_path, train_x) = read(NPY_FILES[0])?;
    let (train_y_path, train_y) = read(NPY_FILES[1])?;
    let train = images_from_npy(&train_x_path, &train_x, &train_y_path, &train_y, None)?;
    let (test_x_path, test_x) = read(NPY_FILES[2])?;
    let (test_y_path, test_y) = read(NPY_FILES[3])?;
    let test = images_from_npy(
        &test_x_path,
        &test_x,
        &test_y_path,
        &test_y,
        Some(train.num_classes()),
    )?;
    if test.shape() != train.shape() {
        return Err(malformed(
            &test_x_path,
            "shape",
            format!(
                "images shaped like the training images ({:?}), found {:?}",
                train.shape(),
                test.shape()
            ),
        ));
    }
    Ok((train, test))
}
