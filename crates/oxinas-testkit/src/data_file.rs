use std::path::PathBuf;

use oxinas_core::{DATA_ENV, data_root};

use crate::skip_test;

/// The path of `relative` under the data directory, or `None` after
/// recording a skip ([`skip_test`]) when the file is missing and neither
/// `OXINAS_DATA` nor `CI` is set.
///
/// # Panics
/// When the file is missing and `OXINAS_DATA` is set: a data directory was
/// given, so a missing file is a wrong directory or an incomplete download,
/// never a reason to pass. Also when `CI` is set: CI always has the data.
pub fn data_file(relative: &str) -> Option<PathBuf> {
    let path = data_root().join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os(DATA_ENV).is_some_and(|dir| !dir.is_empty()) {
        panic!(
            "benchmark data {} not found: {DATA_ENV} is set, so every file the tests read must be \
             there (layout and sources: docs/DATA.md)",
            path.display()
        );
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "benchmark data {} not found; CI must have it ({DATA_ENV} unset)",
            path.display()
        );
    }
    skip_test(&format!(
        "benchmark data {} not found ({DATA_ENV} unset; set it to the data directory)",
        path.display()
    ));
    None
}
