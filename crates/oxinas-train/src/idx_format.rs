//! The IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//!
//! Header: two zero bytes, a type byte (0x08 = unsigned bytes, the only type
//! these data sets use), the number of dimensions, then each dimension as a
//! big-endian `u32`; the values follow in row-major order.

use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;
use oxinas_core::DataError;

use crate::image_dataset::{ImageDataset, ImageShape};

/// An IDX array of unsigned bytes: its dimensions and values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// Size of each dimension.
    pub dims: Vec<usize>,
    /// Values in row-major order.
    pub values: Vec<u8>,
}

/// Reads the file's bytes, decompressing when it starts with the gzip magic.
pub(crate) fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| DataError::malformed(path, "gzip stream", e.to_string()))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parses IDX `bytes`; `path` names the source in errors.
pub fn parse_idx(path: &Path, bytes: &[u8]) -> Result<IdxArray, DataError> {
    if bytes.len() < 4 {
        return Err(DataError::malformed(
            path,
            "header",
            format!("at least 4 header bytes, found {}", bytes.len()),
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(DataError::malformed(
            path,
            "magic bytes 0-1",
            format!("0x00 0x00, found {:#04x} {:#04x}", bytes[0], bytes[1]),
        ));
    }
    if bytes[2] != 0x08 {
        return Err(DataError::malformed(
            path,
            "magic byte 2 (type)",
            format!("0x08 (unsigned byte), found {:#04x}", bytes[2]),
        ));
    }
    let ndims = usize::from(bytes[3]);
    let header = 4 + 4 * ndims;
    if bytes.len() < header {
        return Err(DataError::malformed(
            path,
            "header",
            format!(
                "{ndims} dimension sizes ({header} header bytes), file has {} bytes",
                bytes.len()
            ),
        ));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let expected = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    let found = bytes.len() - header;
    if expected != Some(found) {
        return Err(DataError::malformed(
            path,
            format!("data after the {header}-byte header"),
            format!(
                "{} values for dimensions {dims:?}, found {found}",
                expected.map_or("too many".into(), |e| e.to_string())
            ),
        ));
    }
    Ok(IdxArray {
        dims,
        values: bytes[header..].to_vec(),
    })
}

/// Reads an IDX file (gzip-compressed or not).
pub fn read_idx(path: &Path) -> Result<IdxArray, DataError> {
    parse_idx(path, &read_maybe_gzip(path)?)
}

/// Reads an image file (`[n, rows, cols]`) and its label file (`[n]`) as a
/// one-channel data set of `num_classes` classes.
pub fn read_idx_images(
    images: &Path,
    labels: &Path,
    num_classes: usize,
) -> Result<ImageDataset, DataError> {
    let image_array = read_idx(images)?;
    let label_array = read_idx(labels)?;
    let [n, height, width] = image_array.dims[..] else {
        return Err(DataError::malformed(
            images,
            "header",
            format!(
                "3 dimensions (images, rows, columns), found {:?}",
                image_array.dims
            ),
        ));
    };
    if label_array.dims != [n] {
        return Err(DataError::malformed(
            labels,
            "header",
            format!(
                "1 dimension of {n} labels (as many as images), found {:?}",
                label_array.dims
            ),
        ));
    }
    let labels_u16 = label_array.values.iter().map(|&l| u16::from(l)).collect();
    ImageDataset::new(
        &labels.display().to_string(),
        image_array.values,
        labels_u16,
        ImageShape {
            channels: 1,
            height,
            width,
        },
        num_classes,
        u8::MAX,
    )
}

/// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// The four official Fashion-MNIST files: training images and labels, then
/// test images and labels.
pub const FASHION_MNIST_FILES: [&str; 4] = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
];

/// Fashion-MNIST's training (60,000) and test (10,000) sets from `dir`, which
/// holds the four [`FASHION_MNIST_FILES`].
pub fn read_fashion_mnist(dir: &Path) -> Result<(ImageDataset, ImageDataset), DataError> {
    let [train_images, train_labels, test_images, test_labels] = FASHION_MNIST_FILES;
    let train = read_idx_images(&dir.join(train_images), &dir.join(train_labels), 10)?;
    let test = read_idx_images(&dir.join(test_images), &dir.join(test_labels), 10)?;
    Ok((train, test))
}
