//! The one-shot configs under configs/oneshot run end to end through
//! `run_oneshot_config` (what `cargo xtask experiment` calls), and bad ones
//! are refused with the file and the key named.

use std::path::{Path, PathBuf};

use oxinas_experiment::{NoProgress, OneShotOptions, oneshot_method, run_oneshot_config};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(config: &Path, out: &Path) -> Result<oxinas_experiment::OneShotSummary, String> {
    let mut lines = Vec::new();
    let result = run_oneshot_config(OneShotOptions {
        config_path: config,
        out: Some(out),
        repo_dir: &workspace_root(),
        progress: &NoProgress,
        log: &mut |line: &str| lines.push(line.to_owned()),
        device: None,
    })
    .map_err(|e| e.to_string());
    if let Ok(summary) = &result {
        assert!(!lines.is_empty(), "{}: no epoch lines", summary.name);
    }
    result
}

fn report(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("report.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_tiny_darts_config_searches_and_records_its_run() {
    let out = tempfile::tempdir().unwrap();
    let config = workspace_root().join("configs/oneshot/darts_tiny.toml");
    let summary = run(&config, out.path()).unwrap();
    assert_eq!(summary.method, "darts");
    let report = report(out.path());
    let epochs = report["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 6);
    let loss = |i: usize| epochs[i]["train_loss"].as_f64().unwrap();
    assert!(loss(5) < loss(0), "train loss {} -> {}", loss(0), loss(5));
    assert_eq!(report["arch"].as_str().unwrap().len(), 6);
    assert!(
        summary
            .markdown
            .contains(report["arch_string"].as_str().unwrap())
    );
    for file in [
        "manifest.json",
        "summary.md",
        "checkpoint/supernet.bin",
        "checkpoint/arch_weights.bin",
    ] {
        assert!(out.path().join(file).exists(), "{file} missing");
    }
    let manifest = std::fs::read_to_string(out.path().join("manifest.json")).unwrap();
    assert!(manifest.contains("\"finished\": \"20"), "{manifest}");
}

#[test]
fn the_tiny_enas_config_searches_and_records_its_run() {
    let out = tempfile::tempdir().unwrap();
    let config = workspace_root().join("configs/oneshot/enas_tiny.toml");
    let summary = run(&config, out.path()).unwrap();
    assert_eq!(summary.method, "enas");
    let report = report(out.path());
    let rewards: Vec<f64> = report["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["mean_reward"].as_f64().unwrap())
        .collect();
    assert_eq!(rewards.len(), 8);
    assert!(rewards[7] > rewards[0], "mean rewards {rewards:?}");
    for file in ["checkpoint/supernet.bin", "checkpoint/controller.bin"] {
        assert!(out.path().join(file).exists(), "{file} missing");
    }
}

#[test]
fn full_size_configs_parse_and_name_the_missing_data() {
    for name in [
        "darts_cifar10.toml",
        "darts_space_cifar10.toml",
        "enas_cifar10.toml",
        "ofa_cifar10.toml",
        "petridish_cifar10.toml",
    ] {
        let config = workspace_root().join("configs/oneshot").join(name);
        let text = std::fs::read_to_string(&config).unwrap();
        assert!(oneshot_method(&text).is_some());
        let out = tempfile::tempdir().unwrap();
        // CIFAR-10 is not shipped: the error names the first file it looked for.
        let err = run(&config, out.path()).unwrap_err();
        assert!(err.contains("data_batch_1.bin"), "{name}: {err}");
    }
}

#[test]
fn typos_and_bad_values_name_the_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    let base =
        std::fs::read_to_string(workspace_root().join("configs/oneshot/darts_tiny.toml")).unwrap();
    std::fs::write(
        &config,
        base.replace("arch_lr = 0.05", "arch_lr = 0.05\narch_rate = 1"),
    )
    .unwrap();
    let err = run(&config, &dir.path().join("out")).unwrap_err();
    assert!(
        err.contains("bad.toml") && err.contains("arch_rate"),
        "{err}"
    );
    assert!(err.contains("line"), "{err}");

    std::fs::write(&config, base.replace("epochs = 6", "epochs = 0")).unwrap();
    let err = run(&config, &dir.path().join("out")).unwrap_err();
    assert!(err.contains("darts.epochs"), "{err}");

    std::fs::write(
        &config,
        base.replace("method = \"darts\"", "method = \"dart\""),
    )
    .unwrap();
    let err = run(&config, &dir.path().join("out")).unwrap_err();
    assert!(
        err.contains("\"dart\"") && err.contains("\"darts\""),
        "{err}"
    );
}
