#![allow(clippy::print_stderr)]

use std::path::PathBuf;

use oxinas_core::{DATA_ENV, data_root};

/// The path of `relative` under the data directory, or `None` (after saying so
/// on stderr) when it is missing outside CI.
///
/// # Panics
/// When the file is missing and the `CI` environment variable is set.
pub fn data_file(relative: &str) -> Option<PathBuf> {
    let path = data_root().join(relative);
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "benchmark data {} not found (set {DATA_ENV} to the data directory)",
        path.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message}; CI must have it");
    }
    eprintln!("skipping: {message}");
    None
}
