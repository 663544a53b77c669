//! `[search] workers`: the runner on a simulated cluster, ASHA, asynchronous
//! Hyperband and DEHB from configs.

mod support;

use support::{run, workspace_root};

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use oxinas_experiment::{
    ExperimentConfig, NoProgress, OptimizerConfig, RunOptions, run_experiment,
};
use oxinas_testkit::data_file;

const CLUSTER: &str = r#"
name = "cluster"
seed = 5
trials = 6

[benchmark]
name = "nb201"
dataset = "cifar10-valid"
noise = "random_seed"

[search]
fidelity = 200
budget = { simulated_seconds = 8000 }
workers = 4

[[optimizer]]
kind = "asha"

[[optimizer]]
kind = "async_hyperband"

[[optimizer]]
kind = "dehb"

[[optimizer]]
kind = "successive_halving"
initial = 9

[[report]]
label = "valid regret"
metric = "cifar10-valid/valid@200"
regret = true
"#;

#[test]
fn the_async_optimizers_and_the_workers_key_parse() {
    let config = ExperimentConfig::from_toml(CLUSTER, Path::new("x.toml")).unwrap();
    assert_eq!(config.search.workers, Some(4));
    let labels: Vec<&str> = config.optimizers.iter().map(|o| o.label()).collect();
    assert_eq!(labels, ["ASHA", "async HB", "DEHB", "SH"]);
    assert!(matches!(
        config.optimizers[2],
        OptimizerConfig::Dehb {
            mutation_factor: None,
            ..
        }
    ));
    let err = ExperimentConfig::from_toml(
        &CLUSTER.replace("kind = \"dehb\"", "kind = \"dehb\"\nmutation = 0.5"),
        Path::new("x.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("mutation"), "{err}");
    // Without the key: the sequential loop.
    let sequential = CLUSTER.replace("workers = 4\n", "");
    let config = ExperimentConfig::from_toml(&sequential, Path::new("x.toml")).unwrap();
    assert_eq!(config.search.workers, None);
}

#[test]
fn zero_workers_and_a_space_without_choices_are_refused() {
    let path = Path::new("configs/x.toml");
    let text = CLUSTER.replace("workers = 4", "workers = 0");
    let config = ExperimentConfig::from_toml(&text, path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(path, &dir.path().join("run"), &workspace_root());
    options.threads = Some(1);
    let err = run_experiment(&config, &text, &options, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(err.contains("search.workers"), "{err}");
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    // NB201's `compact` encoding holds integers, not one-hot choices.
    let text = CLUSTER.replace("kind = \"dehb\"", "kind = \"dehb\"\nencoding = \"compact\"");
    let config = ExperimentConfig::from_toml(&text, path).unwrap();
    let err = run_experiment(&config, &text, &options, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(err.contains("categorical choices"), "{err}");
}

#[test]
fn cluster_runs_are_identical_for_any_thread_count_and_report_wall_time() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = run(CLUSTER, &dir.path().join("a"), 1);
    let b = run(CLUSTER, &dir.path().join("b"), 2);
    let read = |run: &str, file: &str| std::fs::read(dir.path().join(run).join(file)).unwrap();
    for file in [
        "trajectories.jsonl",
        "trials.jsonl",
        "plots/anytime_time.svg",
    ] {
        assert!(read("a", file) == read("b", file), "{file}: 1 vs 2 threads");
    }
    assert_eq!(a.optimizers, b.optimizers);
    let text = String::from_utf8(read("a", "trajectories.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Every line has its arrival time; within a trial they never go back,
    // stay inside the budget, and 4 workers finish more compute than wall time.
    let mut last: Option<(String, u64, f64)> = None;
    let mut beyond = 0;
    for line in &lines {
        let wall = line["wall_time"].as_f64().expect("wall_time on every line");
        assert!(wall <= 8000.0);
        let key = (
            line["optimizer"].as_str().unwrap().to_owned(),
            line["trial"].as_u64().unwrap(),
        );
        if let Some((o, t, previous)) = &last
            && (o.as_str(), *t) == (key.0.as_str(), key.1)
        {
            assert!(wall >= *previous, "{line}");
        }
        if line["cumulative_cost"].as_f64().unwrap() > wall {
            beyond += 1;
        }
        last = Some((key.0, key.1, wall));
    }
    assert!(
        beyond > lines.len() / 2,
        "parallel compute exceeds wall time"
    );
    // The time figure says it is wall-clock time on 4 workers.
    let svg = String::from_utf8(read("a", "plots/anytime_time.svg")).unwrap();
    assert!(svg.contains("wall-clock seconds (4 workers)"), "svg axis");

    // The sequential loop writes no wall time.
    let sequential = CLUSTER
        .replace("workers = 4\n", "")
        .replace("trials = 6", "trials = 1");
    run(&sequential, &dir.path().join("s"), 1);
    let text = String::from_utf8(read("s", "trajectories.jsonl")).unwrap();
    assert!(!text.contains("wall_time"));
}

#[test]
fn the_committed_async_config_runs() {
    let path = workspace_root().join("configs/async-nb201.toml");
    let (config, text) = ExperimentConfig::load(&path).unwrap();
    assert_eq!(config.search.workers, Some(8));
    let labels: Vec<&str> = config.optimizers.iter().map(|o| o.label()).collect();
    assert_eq!(labels, ["SH", "HB", "ASHA", "async HB", "DEHB", "RS"]);
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let short = text.replace("trials = 50", "trials = 2");
    assert_ne!(short, text);
    let dir = tempfile::tempdir().unwrap();
    let report = run(&short, &dir.path().join("run"), 2);
    assert_eq!(report.optimizers.len(), 6);
}

#[test]
fn a_cluster_run_killed_mid_trial_resumes_with_the_uninterrupted_records() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    run(CLUSTER, &whole, 2);
    // Killed right after its 50th evaluated query: inside the first ASHA
    // trial, with queries asked but not yet told on the simulated workers.
    let killed = dir.path().join("killed");
    let config = dir.path().join("killed.toml");
    std::fs::write(&config, CLUSTER).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_oxinas-run"))
        .arg("experiment")
        .arg(&config)
        .arg("--out")
        .arg(&killed)
        .args(["--threads", "1"])
        .env("OXINAS_TEST_ABORT_AFTER_QUERIES", "50")
        .current_dir(workspace_root())
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(9), "the run was not killed: {status}");
    let journal = std::fs::read_to_string(killed.join("results.jsonl")).unwrap();
    assert!(journal.lines().count() >= 50, "{}", journal.lines().count());
    run(CLUSTER, &killed, 2);
    for file in [
        "trajectories.jsonl",
        "trials.jsonl",
        "plots/anytime_time.svg",
    ] {
        let a = std::fs::read(whole.join(file)).unwrap();
        let b = std::fs::read(killed.join(file)).unwrap();
        assert!(a == b, "{file} differs after resume");
    }
}
