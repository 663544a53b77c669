use std::path::PathBuf;

use oxinas_formats::{FormatError, MatError};
use thiserror::Error;

/// Why a NAS-Bench-360 task could not be loaded or scored.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Nb360Error {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A file the task needs is absent.
    #[error("{task}: missing {path}; {hint}")]
    MissingFile {
        /// The task's name.
        task: &'static str,
        /// The file that was looked for.
        path: PathBuf,
        /// Where the published file comes from and where to put it.
        hint: String,
    },
    /// A file is not in the published format.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was found and what was expected (with offsets or keys).
        message: String,
    },
    /// A setting is out of range or inconsistent.
    #[error("setting `{field}`: {message}")]
    Setting {
        /// The setting's name.
        field: String,
        /// What was expected.
        message: String,
    },
    /// A pickle, `.npy`/`.npz` file or MAT-file could not be read.
    #[error(transparent)]
    File(#[from] FormatError),
    /// A MAT-file could not be read.
    #[error(transparent)]
    Mat(#[from] MatError),
    /// Outputs and targets do not fit the task's metric.
    #[error("metric {metric}: {message}")]
    Metric {
        /// The metric's name.
        metric: &'static str,
        /// What did not fit.
        message: String,
    },
}

impl Nb360Error {
    /// A format error for `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Self::Format {
            path: path.into(),
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
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use oxinas_formats::mat_file::parse_mat;

    use super::*;

    #[test]
    fn format_errors_keep_the_file_name_in_front() {
        let mut v73 = vec![b' '; 512];
        v73[..19].copy_from_slice(b"MATLAB 7.3 MAT-file");
        let err = parse_mat(&v73, Path::new("big.mat")).unwrap_err();
        let as_nb360: Nb360Error = err.into();
        assert!(as_nb360.to_string().starts_with("big.mat: "));
        let err = oxinas_formats::npy::parse_npy(b"\x93NUMPY", Path::new("a.npy")).unwrap_err();
        let as_nb360: Nb360Error = err.into();
        assert!(as_nb360.to_string().starts_with("a.npy: "), "{as_nb360}");
    }
}
