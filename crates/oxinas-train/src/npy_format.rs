//! NumPy's `.npy` format, for users who keep their images and labels as
//! arrays (`numpy.save`).
//!
//! A file is the magic `\x93NUMPY`, a format version (1.0, 2.0 or 3.0), the
//! length of an ASCII header (`u16` in version 1, `u32` after), the header —
//! a Python dict literal such as `{'descr': '<f4', 'fortran_order': False,
//! 'shape': (60000, 28, 28), }` — and the values in the order it states.
//! Only C order is read; Fortran-ordered arrays are refused with an error
//! saying so.

use std::path::Path;

use oxinas_core::DataError;

use crate::idx_format::read_maybe_gzip;
use crate::image_dataset::{ImageDataset, ImageShape};

/// The element types this reader understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NpyDtype {
    /// `u1`: unsigned bytes.
    U8,
    /// `i1`, `i2`, `i4`, `i8`: signed integers of that many bytes.
    Int(usize),
    /// `u2`, `u4`, `u8`: unsigned integers of that many bytes.
    UInt(usize),
    /// `f4`: 32-bit floats.
    F32,
    /// `f8`: 64-bit floats.
    F64,
}

impl NpyDtype {
    fn size(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::Int(n) | Self::UInt(n) => n,
            Self::F32 => 4,
            Self::F64 => 8,
        }
    }
}

/// An `.npy` array: its shape, element type and the values' bytes as stored
/// (decoded one at a time, so a large `u1` image array is never widened).
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// Size of each dimension.
    pub shape: Vec<usize>,
    /// The element type in the file.
    pub dtype: NpyDtype,
    /// The values' little-endian bytes in C (row-major) order.
    data: Vec<u8>,
}

impl NpyArray {
    /// Number of values.
    pub fn len(&self) -> usize {
        self.data.len() / self.dtype.size()
    }

    /// Whether the array has no values.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The values in C order, as `f64` (exact for every integer label and pixel).
    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        let size = self.dtype.size();
        self.data.chunks_exact(size).map(move |c| {
            let mut wide = [0u8; 8];
            wide[..size].copy_from_slice(c);
            match self.dtype {
                NpyDtype::U8 => f64::from(c[0]),
                NpyDtype::UInt(_) => u64::from_le_bytes(wide) as f64,
                NpyDtype::Int(n) => {
                    // Sign-extend from n bytes.
                    let shift = 64 - 8 * n as u32;
                    ((i64::from_le_bytes(wide) << shift) >> shift) as f64
                }
                NpyDtype::F32 => f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])),
                NpyDtype::F64 => f64::from_le_bytes(wide),
            }
        })
    }
}

fn malformed(path: &Path, field: impl Into<String>, expected: impl Into<String>) -> DataError {
    DataError::malformed(path, field, expected)
}

/// The value of `key` in the header dict, as its literal text.
fn header_value<'a>(path: &Path, header: &'a str, key: &str) -> Result<&'a str, DataError> {
    let quoted = [format!("'{key}'"), format!("\"{key}\"")];
    let start = quoted
        .iter()
        .find_map(|k| header.find(k.as_str()).map(|i| i + k.len()))
        .ok_or_else(|| malformed(path, "header", format!("a '{key}' entry in {header:?}")))?;
    let rest = header[start..].trim_start();
    let rest = rest
        .strip_prefix(':')
        .ok_or_else(|| malformed(path, "header", format!("':' after '{key}' in {header:?}")))?
        .trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')').map(|i| i + 1)
    } else {
        rest.find([',', '}'])
    }
    .ok_or_else(|| malformed(path, "header", format!("an end to '{key}' in {header:?}")))?;
    Ok(rest[..end].trim())
}

fn parse_dtype(path: &Path, descr: &str) -> Result<NpyDtype, DataError> {
    let text = descr.trim_matches(|c| c == '\'' || c == '"');
    let expected = || {
        malformed(
            path,
            "header 'descr'",
            format!(
                "a little-endian or byte-sized integer or float type (u1, i1-i8, u2-u8, f4, f8), found {descr}"
            ),
        )
    };
    let (order, kind) = text.split_at_checked(1).ok_or_else(expected)?;
    let size: usize = kind
        .get(1..)
        .and_then(|s| s.parse().ok())
        .ok_or_else(expected)?;
    // Big-endian data is rare and would need byte swapping; refuse it clearly.
    if order == ">" && size > 1 {
        return Err(malformed(
            path,
            "header 'descr'",
            format!("little-endian data ('<'), found big-endian {descr}"),
        ));
    }
    if !matches!(order, "<" | "|" | "=") {
        return Err(expected());
    }
    match (kind.as_bytes().first(), size) {
        (Some(b'u'), 1) => Ok(NpyDtype::U8),
        (Some(b'u'), 2 | 4 | 8) => Ok(NpyDtype::UInt(size)),
        (Some(b'i'), 1 | 2 | 4 | 8) => Ok(NpyDtype::Int(size)),
        (Some(b'f'), 4) => Ok(NpyDtype::F32),
        (Some(b'f'), 8) => Ok(NpyDtype::F64),
        _ => Err(expected()),
    }
}

fn parse_shape(path: &Path, literal: &str) -> Result<Vec<usize>, DataError> {
    let inner = literal
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| malformed(path, "header 'shape'", format!("a tuple, found {literal}")))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L').parse().map_err(|_| {
                malformed(
                    path,
                    "header 'shape'",
                    format!("whole numbers, found {literal}"),
                )
            })
        })
        .collect()
}

/// Parses `.npy` `bytes`; `path` names the source in errors.
pub fn parse_npy(path: &Path, bytes: &[u8]) -> Result<NpyArray, DataError> {
    const MAGIC: &[u8] = b"\x93NUMPY";
    if !bytes.starts_with(MAGIC) || bytes.len() < 10 {
        return Err(malformed(
            path,
            "magic",
            "a file starting with \\x93NUMPY and a version (numpy.save output)",
        ));
    }
    let (header_len, header_start) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        major => {
            return Err(malformed(
                path,
                "version",
                format!("format version 1, 2 or 3, found {major}.{}", bytes[7]),
            ));
        }
    };
    let data_start = header_start + header_len;
    let header = bytes
        .get(header_start..data_start)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| {
            malformed(
                path,
                "header",
                format!("{header_len} bytes of text after the version"),
            )
        })?;
    let dtype = parse_dtype(path, header_value(path, header, "descr")?)?;
    if header_value(path, header, "fortran_order")? != "False" {
        return Err(malformed(
            path,
            "header 'fortran_order'",
            "C order (save with numpy.ascontiguousarray first)",
        ));
    }
    let shape = parse_shape(path, header_value(path, header, "shape")?)?;
    let count: usize = shape.iter().product();
    let data = &bytes[data_start..];
    let size = dtype.size();
    if data.len() != count * size {
        return Err(malformed(
            path,
            "data",
            format!(
                "{count} values of {size} bytes for shape {shape:?} ({} bytes), found {} bytes",
                count * size,
                data.len()
            ),
        ));
    }
    Ok(NpyArray {
        shape,
        dtype,
        data: data.to_vec(),
    })
}

/// Reads an `.npy` file (gzip-compressed or plain).
pub fn read_npy(path: &Path) -> Result<NpyArray, DataError> {
    parse_npy(path, &read_maybe_gzip(path)?)
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
    images: &NpyArray,
    labels_path: &Path,
    labels: &NpyArray,
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
    if matches!(labels.dtype, NpyDtype::F32 | NpyDtype::F64) {
        return Err(malformed(
            labels_path,
            "header 'descr'",
            "an integer type for labels",
        ));
    }
    let mut label_values = Vec::with_capacity(n);
    for (i, l) in labels.values().enumerate() {
        if !(0.0..=f64::from(u16::MAX)).contains(&l) {
            return Err(malformed(
                labels_path,
                format!("label {i}"),
                format!("a class index from 0 to 65535, found {l}"),
            ));
        }
        label_values.push(l as u16);
    }
    let floats = matches!(images.dtype, NpyDtype::F32 | NpyDtype::F64);
    let mut pixels = Vec::with_capacity(images.len());
    for (i, v) in images.values().enumerate() {
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
