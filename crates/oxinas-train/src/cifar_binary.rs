//! The CIFAR-10 and CIFAR-100 binary formats.
//!
//! A file is a sequence of fixed-size records: the label byte(s), then
//! 3,072 pixel bytes (the 1,024 red values of the 32x32 image row by row,
//! then green, then blue). CIFAR-10 records have one label byte; CIFAR-100
//! records have the coarse (20 classes) then the fine (100 classes) label.

use std::path::Path;

use oxinas_core::DataError;

use crate::image_dataset::{ImageDataset, ImageShape};

const PIXELS: usize = 3 * 32 * 32;

/// Which CIFAR data set, and so which record layout, a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CifarKind {
    /// CIFAR-10: one label byte per record, 10 classes.
    Cifar10,
    /// CIFAR-100 fine labels: two label bytes (coarse, fine), 100 classes.
    Cifar100,
}

impl CifarKind {
    fn label_bytes(self) -> usize {
        match self {
            CifarKind::Cifar10 => 1,
            CifarKind::Cifar100 => 2,
        }
    }

    fn num_classes(self) -> usize {
        match self {
            CifarKind::Cifar10 => 10,
            CifarKind::Cifar100 => 100,
        }
    }
}

/// Parses the records of `bytes`; `path` names the source in errors.
pub fn parse_cifar(path: &Path, bytes: &[u8], kind: CifarKind) -> Result<ImageDataset, DataError> {
    let record = kind.label_bytes() + PIXELS;
    if bytes.is_empty() || !bytes.len().is_multiple_of(record) {
        return Err(DataError::malformed(
            path,
            format!("byte {}", bytes.len() - bytes.len() % record),
            format!(
                "whole records of {record} bytes ({} label byte(s) + {PIXELS} pixels); {} bytes is not a positive multiple",
                kind.label_bytes(),
                bytes.len()
            ),
        ));
    }
    let n = bytes.len() / record;
    let mut pixels = Vec::with_capacity(n * PIXELS);
    let mut labels = Vec::with_capacity(n);
    for chunk in bytes.chunks_exact(record) {
        // The fine label is the last label byte in both layouts.
        labels.push(u16::from(chunk[kind.label_bytes() - 1]));
        pixels.extend_from_slice(&chunk[kind.label_bytes()..]);
    }
    ImageDataset::new(
        &path.display().to_string(),
        pixels,
        labels,
        ImageShape {
            channels: 3,
            height: 32,
            width: 32,
        },
        kind.num_classes(),
        u8::MAX,
    )
}

/// Reads and concatenates CIFAR binary `files` (gzip-compressed or not).
pub fn read_cifar(files: &[&Path], kind: CifarKind) -> Result<ImageDataset, DataError> {
    let mut bytes = Vec::new();
    for path in files {
        let file = crate::idx_format::read_maybe_gzip(path)?;
        // Validate each file on its own so that errors name the right one.
        parse_cifar(path, &file, kind)?;
        bytes.extend(file);
    }
    let origin = files.first().map_or(Path::new("<no files>"), |p| p);
    parse_cifar(origin, &bytes, kind)
}
