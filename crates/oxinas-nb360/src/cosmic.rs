//! Loader of the published cosmic files (to be written).

use std::path::Path;

use crate::error::Nb360Error;
use crate::task_data::{LoadOptions, TaskData};

/// Loads the task from `dir` (the published layout).
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let _ = (dir, options);
    Err(Nb360Error::Setting {
        field: "task".into(),
        message: "loader not written yet".into(),
    })
}
