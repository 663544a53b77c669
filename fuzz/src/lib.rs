//! Support for the fuzz targets: readers that take a path get the fuzz input
//! as a file, written to one fixed place per process (libFuzzer runs the
//! inputs one after another in a single process).

use std::path::PathBuf;
use std::sync::OnceLock;

/// Writes `bytes` to a file named `name` in this process's scratch folder and
/// returns its path. The folder is under the system's temporary directory and
/// is reused for every input.
pub fn input_file(name: &str, bytes: &[u8]) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("oxinas-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
        dir
    });
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("the temporary directory is writable");
    path
}
