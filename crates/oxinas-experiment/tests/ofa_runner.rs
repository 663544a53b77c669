//! The Once-for-All runner end to end on a shortened tiny config: it writes
//! the report, the config copy and every checkpoint, and its answer is
//! within the budget.

use std::path::Path;

use oxinas_experiment::{NoProgress, OneShotOptions, load_ofa_config, run_oneshot_config};

#[test]
fn shortened_tiny_config_writes_report_and_checkpoints() {
    let tiny = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/oneshot/ofa_tiny.toml");
    let text = std::fs::read_to_string(tiny).unwrap();
    // One epoch of the full network, one of the last width stage; few samples.
    let short = text
        .replace("full = 3", "full = 1")
        .replace("kernel = 1", "kernel = 0")
        .replace("depth = 1 ", "depth = 0 ")
        .replace("samples = 40", "samples = 6")
        .replace("generations = 20", "generations = 2");
    assert_ne!(short, text);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ofa_short.toml");
    std::fs::write(&config, short).unwrap();
    let run_dir = dir.path().join("run");
    let mut lines = Vec::new();
    let summary = run_oneshot_config(OneShotOptions {
        config_path: &config,
        out: Some(&run_dir),
        repo_dir: Path::new(env!("CARGO_MANIFEST_DIR")),
        progress: &NoProgress,
        log: &mut |line: &str| lines.push(line.to_owned()),
        device: None,
    })
    .unwrap();
    assert!(
        summary.markdown.contains("searched"),
        "{}",
        summary.markdown
    );
    assert!(lines.iter().any(|l| l.contains("epoch")), "{lines:?}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("report.json")).unwrap())
            .unwrap();
    let budget = load_ofa_config(&config).unwrap().ofa.search.max_mflops;
    let chosen = report["chosen"]["mflops"].as_f64().unwrap();
    assert!(chosen <= budget, "{chosen} > {budget}");
    assert_eq!(report["phases"].as_array().unwrap().len(), 6);
    for name in [
        "supernet_full.bin",
        "supernet_elastic_width_2.bin",
        "predictor_samples.json",
        "search.json",
        "subnet.bin",
    ] {
        assert!(run_dir.join("checkpoints").join(name).is_file(), "{name}");
    }
    for file in ["manifest.json", "summary.md"] {
        assert!(run_dir.join(file).is_file(), "{file}");
    }
}
