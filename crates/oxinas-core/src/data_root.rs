use std::path::PathBuf;

/// The environment variable that points at the benchmark data directory.
pub const DATA_ENV: &str = "OXINAS_DATA";

/// Set by the workspace's cargo configuration for every process cargo starts:
/// the workspace root, against which a relative `OXINAS_DATA` is resolved.
const WORKSPACE_ENV: &str = "OXINAS_WORKSPACE_DIR";

/// The benchmark data directory: `$OXINAS_DATA` when set, else `./data`.
///
/// A relative path is taken relative to the workspace root when the process was
/// started by cargo in the oxinas workspace (tests run from each crate's own
/// directory, so the working directory would mislead), else relative to the
/// working directory.
pub fn data_root() -> PathBuf {
    let dir = match std::env::var_os(DATA_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from("data"),
    };
    match std::env::var_os(WORKSPACE_ENV) {
        Some(base) if dir.is_relative() && !base.is_empty() => PathBuf::from(base).join(dir),
        _ => dir,
    }
}
