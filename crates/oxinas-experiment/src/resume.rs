//! Resuming a run: the run directory's manifest says which config it belongs
//! to, and its results log which trials have finished.

use std::collections::BTreeMap;
use std::path::Path;

use oxinas_record::{AppendLog, Manifest, sha256_hex};

use crate::trial_record::TrialRecord;
use crate::{ExperimentConfig, ExperimentError};

/// The crash-safe results log: one line per finished trial, appended and
/// synced as each trial finishes.
pub(crate) const RESULTS_LOG: &str = "results.jsonl";

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

/// The finished trials in the results log of `dir`, by (optimizer, trial).
/// A trial recorded twice (a resubmitted cluster task) counts once.
pub(crate) fn finished_trials(
    dir: &Path,
    config: &ExperimentConfig,
) -> Result<BTreeMap<(usize, u64), TrialRecord>, ExperimentError> {
    let path = dir.join(RESULTS_LOG);
    let mut done = BTreeMap::new();
    for (i, line) in AppendLog::read_lines(&path)?.iter().enumerate() {
        let bad = |message: String| ExperimentError::Records {
            path: path.clone(),
            line: Some(i + 1),
            message,
        };
        let record: TrialRecord =
            serde_json::from_str(line).map_err(|e| bad(format!("not a trial record: {e}")))?;
        let expected = config.optimizers.get(record.optimizer).map(|o| o.label());
        if expected != Some(record.label.as_str()) || record.trial >= config.trials {
            return Err(bad(format!(
                "trial {} of `{}` (optimizer {}) is not part of this config",
                record.trial, record.label, record.optimizer
            )));
        }
        done.entry((record.optimizer, record.trial))
            .or_insert(record);
    }
    Ok(done)
}
