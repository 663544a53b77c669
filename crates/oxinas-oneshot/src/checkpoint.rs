//! Writing modules to a checkpoint directory in Burn's binary format.

use std::path::Path;

use burn::module::Module;
use burn::record::{BinFileRecorder, FullPrecisionSettings};
use burn::tensor::backend::Backend;

use crate::oneshot_error::OneShotError;

/// Writes `module` as `dir/<name>.bin` (full precision), creating `dir`.
pub fn save_module<B: Backend, M: Module<B>>(
    module: &M,
    dir: &Path,
    name: &str,
) -> Result<(), OneShotError> {
    let failed = |path: &Path, e: &dyn std::fmt::Display| OneShotError::Checkpoint {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, &e))?;
    let path = dir.join(name);
    module
        .clone()
        .save_file(&path, &BinFileRecorder::<FullPrecisionSettings>::new())
        .map_err(|e| failed(&path, &e))
}
