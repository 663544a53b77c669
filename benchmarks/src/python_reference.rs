//! Runs the stdlib-only Python reference implementation of the NB201 search
//! protocol (`benchmarks/reference/nb201_search.py`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::BenchError;

/// The Python script, found from this crate's source directory.
pub fn script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("reference")
        .join("nb201_search.py")
}

/// What one run of the script printed.
#[derive(Clone, Debug, Deserialize)]
pub struct PythonSearchRun {
    /// Seconds spent reading the CSV.
    pub load_seconds: f64,
    /// Seconds spent on the trials.
    pub search_seconds: f64,
    /// Trials per optimizer.
    pub trials: u64,
    /// Charged queries over all trials.
    pub queries: u64,
    /// Mean of each reported metric, per optimizer label.
    pub means: BTreeMap<String, BTreeMap<String, f64>>,
}

/// Whether `python3` runs here.
pub fn python_available() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the script on `csv` with `trials` trials per optimizer.
pub fn run_python_search(csv: &Path, trials: u64) -> Result<PythonSearchRun, BenchError> {
    let script = script_path();
    let command = format!(
        "python3 {} --data {} --trials {trials}",
        script.display(),
        csv.display()
    );
    let output = Command::new("python3")
        .arg(&script)
        .arg("--data")
        .arg(csv)
        .arg("--trials")
        .arg(trials.to_string())
        .output()
        .map_err(|e| BenchError::Reference {
            command: command.clone(),
            message: format!("could not start: {e}"),
        })?;
    if !output.status.success() {
        return Err(BenchError::Reference {
            command,
            message: format!(
                "exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        });
    }
    serde_json::from_slice(&output.stdout).map_err(|e| BenchError::Reference {
        command,
        message: format!(
            "expected one JSON object on stdout ({e}); got `{}`",
            String::from_utf8_lossy(&output.stdout).trim()
        ),
    })
}
