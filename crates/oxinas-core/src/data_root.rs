use std::path::PathBuf;

/// The environment variable that points at the benchmark data directory.
pub const DATA_ENV: &str = "OXINAS_DATA";

/// The benchmark data directory: `$OXINAS_DATA` when set, else `./data`.
pub fn data_root() -> PathBuf {
    match std::env::var_os(DATA_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("data"),
    }
}
