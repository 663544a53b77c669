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
