//! The Slurm executor against a real Slurm (`.ci/slurm start` sets up a
//! single-node one): its merged records equal the local executor's.

use std::path::{Path, PathBuf};
use std::process::Command;

use oxinas_experiment::{
    ExecutorConfig, ExperimentConfig, NoProgress, RunOptions, SlurmConfig, run_experiment,
};
use oxinas_testkit::data_file;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// 2 optimizers x 10 trials = 20 array tasks.
const TWENTY: &str = r#"
name = "twenty"
seed = 5
trials = 10

[benchmark]
name = "nb201"
dataset = "cifar100"
noise = "random_seed"

[search]
fidelity = 200
budget = { queries = 30 }

[[optimizer]]
kind = "random_search"

[[optimizer]]
kind = "regularized_evolution"
population = 8
tournament = 3

[[report]]
label = "C100 valid"
metric = "cifar100/valid@200"
"#;

/// Whether a Slurm controller answers; in CI its absence is a failure.
fn slurm_available() -> bool {
    let up = Command::new("sinfo")
        .args(["-h", "-o", "%T"])
        .output()
        .is_ok_and(|o| o.status.success() && !o.stdout.is_empty());
    if !up {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the Slurm test: `.ci/slurm start` did not bring up Slurm"
        );
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "skipping: no Slurm controller answers `sinfo` (run `.ci/slurm install && .ci/slurm start`)"
            );
        }
    }
    up
}

#[test]
fn slurm_executor_matches_the_local_executor() {
    if data_file("nb201/nb201_merged.csv").is_none() || !slurm_available() {
        return;
    }
    let dir = tempfile::tempdir_in(workspace_root().join("target")).unwrap();
    let path = Path::new("twenty.toml");
    let config = ExperimentConfig::from_toml(TWENTY, path).unwrap();
    let run = |out: &Path, executor: ExecutorConfig| {
        let mut options = RunOptions::new(path, out, &workspace_root());
        options.threads = Some(2);
        options.executor = Some(executor);
        options.trial_command = vec![
            env!("CARGO_BIN_EXE_oxinas-run").to_owned(),
            "trial".to_owned(),
        ];
        run_experiment(&config, TWENTY, &options, &NoProgress).unwrap()
    };
    let local = run(&dir.path().join("local"), ExecutorConfig::Local);
    let slurm = run(
        &dir.path().join("slurm"),
        ExecutorConfig::Slurm(SlurmConfig {
            partition: None,
            time_limit: Some("00:05:00".into()),
            cpus_per_task: 1,
            extra_args: Vec::new(),
            max_resubmits: 1,
            poll_seconds: 0.5,
        }),
    );
    assert_eq!(local.optimizers, slurm.optimizers);
    for file in ["trajectories.jsonl", "trials.jsonl", "incumbent_test.jsonl"] {
        let a = std::fs::read(dir.path().join("local").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("slurm").join(file)).unwrap();
        assert!(!a.is_empty());
        assert!(a == b, "{file}: slurm differs from local");
    }
    let results = std::fs::read_to_string(dir.path().join("slurm/results.jsonl")).unwrap();
    assert_eq!(results.lines().count(), 20, "one result per array task");
    let plan = std::fs::read_to_string(dir.path().join("slurm/slurm/plan-0.json")).unwrap();
    assert!(plan.contains("\"0-19\""), "{plan}");
    let manifest = std::fs::read_to_string(dir.path().join("slurm/manifest.json")).unwrap();
    assert!(manifest.contains("\"executor\": \"slurm\""));
}

#[test]
fn slurm_executor_resubmits_tasks_that_failed() {
    if data_file("nb201/nb201_merged.csv").is_none() || !slurm_available() {
        return;
    }
    let dir = tempfile::tempdir_in(workspace_root().join("target")).unwrap();
    // Task 2 fails on its first attempt: the wrapper leaves a mark and exits 1.
    let wrapper = dir.path().join("flaky-trial.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n# args: trial --run-dir DIR --task N\nif [ \"$5\" = 2 ] && [ ! -e {mark} ]; then touch {mark}; exit 1; fi\nexec {binary} \"$@\"\n",
            mark = dir.path().join("failed-once").display(),
            binary = env!("CARGO_BIN_EXE_oxinas-run"),
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .unwrap();
    let text = TWENTY.replace("trials = 10", "trials = 2");
    let path = Path::new("four.toml");
    let config = ExperimentConfig::from_toml(&text, path).unwrap();
    let run = |out: &Path, executor: ExecutorConfig, command: Vec<String>| {
        let mut options = RunOptions::new(path, out, &workspace_root());
        options.executor = Some(executor);
        options.trial_command = command;
        run_experiment(&config, &text, &options, &NoProgress)
    };
    let slurm = |max_resubmits| {
        ExecutorConfig::Slurm(SlurmConfig {
            partition: None,
            time_limit: None,
            cpus_per_task: 1,
            extra_args: Vec::new(),
            max_resubmits,
            poll_seconds: 0.5,
        })
    };
    run(
        &dir.path().join("slurm"),
        slurm(1),
        vec![wrapper.display().to_string(), "trial".to_owned()],
    )
    .unwrap();
    assert!(
        dir.path().join("failed-once").exists(),
        "task 2 failed once"
    );
    let retry = std::fs::read_to_string(dir.path().join("slurm/slurm/plan-1.json")).unwrap();
    assert!(retry.contains("\"array\": \"2\""), "{retry}");
    run(&dir.path().join("local"), ExecutorConfig::Local, Vec::new()).unwrap();
    for file in ["trajectories.jsonl", "trials.jsonl", "incumbent_test.jsonl"] {
        let a = std::fs::read(dir.path().join("local").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("slurm").join(file)).unwrap();
        assert!(a == b, "{file}: slurm differs from local");
    }

    // Without resubmissions, a failing task is an error naming it.
    std::fs::remove_file(dir.path().join("failed-once")).unwrap();
    let err = run(
        &dir.path().join("no-retry"),
        slurm(0),
        vec![wrapper.display().to_string(), "trial".to_owned()],
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("tasks 2 have no result"), "{err}");
}
