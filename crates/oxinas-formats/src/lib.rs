//! Readers and writers of the data formats NAS benchmarks publish in, one
//! implementation per format, with typed errors that name the file, the byte
//! offset or key, and what was expected:
//!
//! - pickles (protocols 0-5) holding Python containers, `OrderedDict`s and
//!   NumPy arrays, dtypes and scalars ([`numpy_pickle`]), and their writer
//!   ([`pickle_writer`]);
//! - NumPy `.npy` and `.npz` files ([`npy`]);
//! - MATLAB level-5 MAT-files ([`mat_file`]);
//! - SHA-256 checksums of files ([`sha256_file`]).
//!
//! Values come back as [`PyValue`]s and [`NdArray`]s. A length a file
//! declares is checked against the bytes that are there before anything of
//! that length is allocated, so a corrupt or hostile file is an error, not an
//! out-of-memory abort. No deep-learning dependency.
//!
//! ```
//! use std::path::Path;
//! use oxinas_formats::{ArrayData, NdArray, npy};
//!
//! let array = NdArray { shape: vec![2, 2], data: ArrayData::F32(vec![1.0, 2.0, 3.0, 4.0]) };
//! let bytes = npy::npy_bytes(&array);
//! assert_eq!(npy::parse_npy(&bytes, Path::new("a.npy"))?, array);
//! # Ok::<(), oxinas_formats::FormatError>(())
//! ```

mod checksum;
mod error;
pub mod mat_file;
pub mod npy;
pub mod numpy_pickle;
pub mod pickle_writer;
mod py_value;

pub use checksum::{sha256_file, sha256_hex};
pub use error::FormatError;
pub use mat_file::MatError;
pub use py_value::{ArrayData, NdArray, PyValue};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
