//! The NAS-Bench-360 configs under configs/nb360 run end to end on data in
//! each task's published layout (written by the task's fixture writer, as
//! `cargo xtask nb360 fixture` does): DARTS on one task per family (1-D
//! sequence, 2-D classification, 2-D dense) with the training loss falling,
//! and a black-box search on a 1-D task.

use std::path::{Path, PathBuf};

use oxinas_experiment::{
    ExperimentConfig, NoProgress, OneShotOptions, RunOptions, run_experiment, run_oneshot_config,
};
use oxinas_nb360::{Nb360Task, write_task_fixture};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The config `name` with its `data_dir` pointing at a fresh fixture of
/// `task` (`samples` per split) inside `dir`; returns the config's path.
fn config_on_fixture(name: &str, task: Nb360Task, samples: usize, dir: &Path) -> PathBuf {
    let fixture = dir.join("fixture");
    std::fs::create_dir_all(&fixture).unwrap();
    write_task_fixture(task, &fixture, samples, 0).unwrap();
    let text = std::fs::read_to_string(workspace_root().join("configs/nb360").join(name)).unwrap();
    let mut replaced = 0;
    let text: String = text
        .lines()
        .map(|line| {
            if line.starts_with("data_dir = ") {
                replaced += 1;
                format!("data_dir = {:?}", fixture.display().to_string())
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(replaced, 1, "{name}: expected one data_dir line");
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs a DARTS config on its fixture and returns the report's per-epoch
/// training losses and the markdown summary.
fn darts_losses(name: &str, task: Nb360Task, samples: usize) -> (Vec<f64>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let config = config_on_fixture(name, task, samples, dir.path());
    let out = dir.path().join("run");
    let mut lines = Vec::new();
    let summary = run_oneshot_config(OneShotOptions {
        config_path: &config,
        out: Some(&out),
        repo_dir: &workspace_root(),
        progress: &NoProgress,
        log: &mut |line: &str| lines.push(line.to_owned()),
        device: None,
    })
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(summary.method, "darts");
    assert!(!lines.is_empty(), "{name}: no epoch lines");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let losses: Vec<f64> = report["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["train_loss"].as_f64().unwrap())
        .collect();
    assert!(losses.iter().all(|l| l.is_finite()), "{name}: {losses:?}");
    assert_eq!(report["arch"].as_str().unwrap().len(), 6, "{name}");
    assert!(
        summary
            .markdown
            .contains(report["arch_string"].as_str().unwrap()),
        "{name}"
    );
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"finished\": \"20"),
        "{name}: {manifest}"
    );
    for file in ["checkpoint/supernet.bin", "checkpoint/arch_weights.bin"] {
        let bytes = std::fs::metadata(out.join(file)).map_or(0, |m| m.len());
        assert!(bytes > 0, "{name}: {file} missing or empty");
    }
    (losses, report)
}

fn assert_falls(name: &str, losses: &[f64]) {
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    assert!(
        last < 0.9 * first,
        "{name}: training loss should fall by more than 10%: {losses:?}"
    );
}

#[test]
fn darts_on_a_1d_sequence_task_lowers_the_loss() {
    let (losses, report) = darts_losses("satellite_darts_tiny.toml", Nb360Task::Satellite, 512);
    assert_falls("satellite", &losses);
    assert_eq!(report["task"], "satellite");
    let metric = report["valid_metric"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&metric), "error {metric}");
}

#[test]
fn darts_on_a_2d_classification_task_lowers_the_loss() {
    let (losses, report) = darts_losses("ninapro_darts_tiny.toml", Nb360Task::NinaPro, 96);
    assert_falls("ninapro", &losses);
    assert_eq!(report["task"], "nina-pro");
}

#[test]
fn darts_on_a_2d_dense_task_lowers_the_loss() {
    let (losses, report) = darts_losses("darcy_darts_tiny.toml", Nb360Task::DarcyFlow, 16);
    assert_falls("darcy-flow", &losses);
    let metric = report["valid_metric"].as_f64().unwrap();
    assert!(metric > 0.0 && metric.is_finite(), "relative L2 {metric}");
}

#[test]
fn a_black_box_search_on_a_task_sees_validation_and_reports_test() {
    let dir = tempfile::tempdir().unwrap();
    let path = config_on_fixture(
        "satellite_bbo_tiny.toml",
        Nb360Task::Satellite,
        512,
        dir.path(),
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let config = ExperimentConfig::from_toml(&text, &path).unwrap();
    let out = dir.path().join("run");
    let mut options = RunOptions::new(&path, &out, &workspace_root());
    options.threads = Some(1);
    let report = run_experiment(&config, &text, &options, &NoProgress).unwrap();
    let trajectories = std::fs::read_to_string(out.join("trajectories.jsonl")).unwrap();
    let queries: Vec<serde_json::Value> = trajectories
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(queries.len(), 12, "6 queries for each of 2 optimizers");
    // The incumbent is the lowest validation error so far: the task's metric
    // is minimised.
    let mut best = f64::INFINITY;
    for q in &queries {
        if q["query"] == 0 {
            best = f64::INFINITY;
        }
        let v = q["validation"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&v), "validation error {v}");
        best = best.min(v);
        assert_eq!(q["incumbent_validation"].as_f64().unwrap(), best, "{q}");
    }
    // Trained cells learn the task: the best validation error is far below
    // chance (23/24 = 95.8 %).
    assert!(best < 80.0, "best validation error {best}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("test error (%)"), "{summary}");
    assert_eq!(report.optimizers.len(), 2);
}

#[test]
fn the_wide_resnet_baseline_trains_on_a_task_and_reports_its_metric() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_on_fixture(
        "satellite_wrn_tiny.toml",
        Nb360Task::Satellite,
        512,
        dir.path(),
    );
    let out = dir.path().join("run");
    let mut lines = Vec::new();
    let summary = run_oneshot_config(OneShotOptions {
        config_path: &config,
        out: Some(&out),
        repo_dir: &workspace_root(),
        progress: &NoProgress,
        log: &mut |line: &str| lines.push(line.to_owned()),
        device: None,
    })
    .unwrap();
    assert_eq!(summary.method, "wrn");
    assert_eq!(lines.len(), 6, "{lines:?}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let epochs = report["training"]["epochs"].as_array().unwrap();
    let loss = |i: usize| epochs[i]["train_loss"].as_f64().unwrap();
    assert!(
        loss(5) < 0.9 * loss(0),
        "train loss {} -> {}",
        loss(0),
        loss(5)
    );
    let test = report["test_metric"].as_f64().unwrap();
    assert!(test < 80.0, "test error {test}, chance 95.8");
    assert!(report["params"].as_u64().unwrap() > 0);
}

/// The error a one-shot config with body `text` is refused with.
fn refusal(dir: &Path, text: &str) -> String {
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    run_oneshot_config(OneShotOptions {
        config_path: &path,
        out: Some(&dir.join("run")),
        repo_dir: &workspace_root(),
        progress: &NoProgress,
        log: &mut |_: &str| {},
        device: None,
    })
    .unwrap_err()
    .to_string()
}

#[test]
fn a_config_naming_an_unknown_task_or_missing_data_says_so() {
    let head = "method = \"darts\"\nname = \"x\"\nseed = 0\n[task]\n";
    let dir = tempfile::tempdir().unwrap();
    let err = refusal(dir.path(), &format!("{head}name = \"ecgg\"\n"));
    assert!(err.contains("task.name") && err.contains("ecgg"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let err = refusal(
        dir.path(),
        &format!("{head}name = \"ecg\"\ndata_dir = \"nowhere\"\n"),
    );
    assert!(err.contains("challenge2017.pkl"), "{err}");
}
