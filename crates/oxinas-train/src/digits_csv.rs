//! The 8x8 handwritten digits set (1,797 images, pixels 0..16), shipped with
//! this crate as `fixtures/digits.csv.gz` (CC BY 4.0; see the fixture's note).

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use oxinas_core::DataError;

use crate::image_dataset::{ImageDataset, ImageShape};

const SIDE: usize = 8;
const MAX_PIXEL: u8 = 16;

/// The path of the digits fixture in this crate's sources.
pub fn digits_fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/digits.csv.gz")
}

/// Parses digits CSV `text`: per line 64 pixel values (0..16, row-major) then the label.
pub fn parse_digits_csv(path: &Path, text: &str) -> Result<ImageDataset, DataError> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (line_index, line) in text.lines().enumerate() {
        let line_no = line_index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != SIDE * SIDE + 1 {
            return Err(DataError::malformed(
                path,
                format!("line {line_no}"),
                format!(
                    "{} comma-separated values (64 pixels and a label), found {}",
                    SIDE * SIDE + 1,
                    fields.len()
                ),
            ));
        }
        for (column, field) in fields.iter().enumerate() {
            let value: u8 = field
                .trim()
                .parse()
                .ok()
                .filter(|v| {
                    if column < SIDE * SIDE {
                        *v <= MAX_PIXEL
                    } else {
                        *v < 10
                    }
                })
                .ok_or_else(|| {
                    let expected = if column < SIDE * SIDE {
                        "a pixel 0..16"
                    } else {
                        "a label 0..9"
                    };
                    DataError::malformed(
                        path,
                        format!("line {line_no}, column {}", column + 1),
                        format!("{expected}, found `{field}`"),
                    )
                })?;
            if column < SIDE * SIDE {
                pixels.push(value);
            } else {
                labels.push(u16::from(value));
            }
        }
    }
    ImageDataset::new(
        &path.display().to_string(),
        pixels,
        labels,
        ImageShape {
            channels: 1,
            height: SIDE,
            width: SIDE,
        },
        10,
        MAX_PIXEL,
    )
}

/// Reads a digits CSV file, gzip-compressed (as the fixture) or plain.
pub fn read_digits_csv(path: &Path) -> Result<ImageDataset, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let mut text = String::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        GzDecoder::new(raw.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| DataError::malformed(path, "gzip stream", e.to_string()))?;
    } else {
        text = String::from_utf8(raw)
            .map_err(|e| DataError::malformed(path, "text", e.to_string()))?;
    }
    parse_digits_csv(path, &text)
}

/// The digits fixture shipped with this crate.
pub fn read_digits() -> Result<ImageDataset, DataError> {
    read_digits_csv(&digits_fixture_path())
}
