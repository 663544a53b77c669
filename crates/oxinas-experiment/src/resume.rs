//! Resuming a run: the run directory's manifest says which config it belongs
//! to, and its journal (`run_journal`) which queries and trials have finished.

use std::path::Path;

use oxinas_record::{Manifest, sha256_hex};

use crate::ExperimentError;
use crate::run_journal::RESULTS_LOG;

/// What a run directory holds that `--force-new` discards. Nothing else in
/// the directory is touched.
const RUN_FILES: &[&str] = &[
    "manifest.json",
    RESULTS_LOG,
    "trajectories.jsonl",
    "trials.jsonl",
    "incumbent_test.jsonl",
    "summary.md",
    "checklist.md",
];
const RUN_DIRS: &[&str] = &["plots", "slurm"];

/// The manifest of an earlier run of the same config in `dir`, to resume.
///
/// A run of another config is refused unless `force_new`, which discards it.
pub(crate) fn previous_run(
    dir: &Path,
    config_text: &str,
    force_new: bool,
) -> Result<Option<Manifest>, ExperimentError> {
    let path = dir.join("manifest.json");
    let current = sha256_hex(config_text.as_bytes());
    let previous =
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(serde_json::from_str::<Manifest>(&text).map_err(|e| {
                ExperimentError::Records {
                    path: path.clone(),
                    line: Some(e.line()),
                    message: format!("not a run manifest ({e}); use --force-new to start over"),
                }
            })),
            Err(_) => None,
        };
    let previous = match previous {
        Some(Ok(manifest)) if manifest.config_sha256 == current => return Ok(Some(manifest)),
        Some(Ok(manifest)) if !force_new => {
            return Err(ExperimentError::ConfigChanged {
                dir: dir.to_owned(),
                recorded: manifest.config_sha256,
                current,
            });
        }
        Some(Err(e)) if !force_new => return Err(e),
        other => other,
    };
    if previous.is_none() && dir.join(RESULTS_LOG).exists() && !force_new {
        return Err(ExperimentError::Records {
            path: dir.join(RESULTS_LOG),
            line: None,
            message: "results without a manifest: their config is unknown; use --force-new to discard them".into(),
        });
    }
    discard(dir)?;
    Ok(None)
}

/// Removes the files of a run from `dir`.
fn discard(dir: &Path) -> Result<(), ExperimentError> {
    let io = |path: &Path, e: std::io::Error| ExperimentError::Records {
        path: path.to_owned(),
        line: None,
        message: format!("cannot remove: {e}"),
    };
    for name in RUN_FILES {
        let path = dir.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path, e)),
            _ => {}
        }
    }
    for name in RUN_DIRS {
        let path = dir.join(name);
        match std::fs::remove_dir_all(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&path, e)),
            _ => {}
        }
    }
    Ok(())
}
