//! What several of this crate's test files need: the workspace root, and a
//! run of an inline config into a directory.

// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use oxinas_experiment::{
    ExperimentConfig, ExperimentReport, NoProgress, RunOptions, run_experiment,
};

/// The workspace root (configs, docs and README live there).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the config `text` into `out` on `threads` threads.
pub fn run(text: &str, out: &Path, threads: usize) -> ExperimentReport {
    let path = Path::new("inline.toml");
    let config = ExperimentConfig::from_toml(text, path).unwrap();
    let mut options = RunOptions::new(path, out, &workspace_root());
    options.threads = Some(threads);
    run_experiment(&config, text, &options, &NoProgress).unwrap()
}

/// Each query's cell and validation accuracy, from `trajectories.jsonl` (the
/// cost is wall time, which varies).
pub fn queries(run_dir: &Path) -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(run_dir.join("trajectories.jsonl")).unwrap();
    text.lines()
        .map(|line| {
            let q: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                q["arch"].as_str().unwrap().to_owned(),
                q["validation"].as_f64().unwrap(),
            )
        })
        .collect()
}
