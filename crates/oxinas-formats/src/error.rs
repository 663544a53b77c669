use std::path::{Path, PathBuf};

use oxinas_core::DataError;
use thiserror::Error;

/// Why a pickle, `.npy`/`.npz` file or checksum could not be read or written.
///
/// Every variant names the file; the messages say where in it (byte offset,
/// key, member) and what was expected.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A length the data declares runs past its end: a truncated file, or a
    /// corrupt length. Checked before anything of that length is allocated.
    #[error(
        "{path}: {format} byte {offset}: truncated {format}, expected {needed} more bytes for {what}, {available} left"
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// The format being read (`pickle`, `.npy`, `.npz`).
        format: &'static str,
        /// Byte offset where the declared data starts.
        offset: u64,
        /// What was being read.
        what: String,
        /// The bytes the data declares.
        needed: u64,
        /// The bytes that are left.
        available: u64,
    },
    /// The bytes are not in the format, or hold something this reader does
    /// not support.
    #[error("{path}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Byte offset of the offending opcode or field, where one applies
        /// (the message names it too).
        offset: Option<u64>,
        /// What was found and what was expected.
        message: String,
    },
}

impl FormatError {
    /// A [`FormatError::Malformed`] without a byte offset.
    pub fn malformed(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Malformed {
            path: path.into(),
            offset: None,
            message: message.into(),
        }
    }

    /// A [`FormatError::Malformed`] at byte `offset`.
    pub fn malformed_at(path: impl Into<PathBuf>, offset: u64, message: impl Into<String>) -> Self {
        Self::Malformed {
            path: path.into(),
            offset: Some(offset),
            message: message.into(),
        }
    }

    /// An I/O error for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Io { path, .. } | Self::Truncated { path, .. } | Self::Malformed { path, .. } => {
                path
            }
        }
    }

    /// What went wrong, without the file name in front.
    pub fn message(&self) -> String {
        let text = self.to_string();
        let prefix = format!("{}: ", self.path().display());
        text.strip_prefix(&prefix)
            .map(str::to_owned)
            .unwrap_or(text)
    }
}

/// The workspace's data error, for readers that report [`DataError`]s: the
/// location is the byte offset where one is known.
impl From<FormatError> for DataError {
    fn from(error: FormatError) -> Self {
        match error {
            FormatError::Io { path, source } => DataError::Io { path, source },
            FormatError::Truncated {
                ref path, offset, ..
            }
            | FormatError::Malformed {
                ref path,
                offset: Some(offset),
                ..
            } => DataError::malformed(path.clone(), format!("byte {offset}"), error.message()),
            FormatError::Malformed { ref path, .. } => {
                DataError::malformed(path.clone(), "content", error.message())
            }
        }
    }
}
