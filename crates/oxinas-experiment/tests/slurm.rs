//! The Slurm executor against a real Slurm (`.ci/slurm start` sets up a
//! single-node one): its merged records equal the local executor's. An
//! array task killed midway, and resubmitted, is tested without a cluster
//! too, through stand-ins for `sbatch` and `squeue`.

use std::collections::BTreeSet;
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
        oxinas_testkit::skip_test(
            "no Slurm controller answers `sinfo` (run `.ci/slurm install && .ci/slurm start`)",
        );
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
    let trials = results
        .lines()
        .filter(|l| l.starts_with("{\"trial\":"))
        .count();
    assert_eq!(trials, 20, "one result per array task");
    assert_eq!(results.lines().count(), 20 * 31, "and a line per query");
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

#[test]
fn slurm_resubmits_a_killed_task_which_resumes_at_its_first_unrecorded_query() {
    if data_file("nb201/nb201_merged.csv").is_none() || !slurm_available() {
        return;
    }
    let dir = tempfile::tempdir_in(workspace_root().join("target")).unwrap();
    // Task 2's first attempt kills itself (SIGKILL) after its 13th query.
    let wrapper = dir.path().join("killed-trial.sh");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n# args: trial --run-dir DIR --task N\nif [ \"$5\" = 2 ] && [ ! -e {mark} ]; then touch {mark}; export OXINAS_TEST_ABORT_AFTER_QUERIES=13; fi\nexec {binary} \"$@\"\n",
            mark = dir.path().join("killed-once").display(),
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
        run_experiment(&config, &text, &options, &NoProgress).unwrap()
    };
    let slurm = dir.path().join("slurm");
    let report = run(
        &slurm,
        ExecutorConfig::Slurm(SlurmConfig {
            partition: None,
            time_limit: None,
            cpus_per_task: 1,
            extra_args: Vec::new(),
            max_resubmits: 1,
            poll_seconds: 0.5,
        }),
        vec![wrapper.display().to_string(), "trial".to_owned()],
    );
    assert!(dir.path().join("killed-once").exists(), "task 2 was killed");
    let retry = std::fs::read_to_string(slurm.join("slurm/plan-1.json")).unwrap();
    assert!(retry.contains("\"array\": \"2\""), "{retry}");
    let queries = query_keys(&slurm);
    // A recorded query evaluated again would have been recorded again.
    assert_eq!(queries.len(), 4 * 30, "every query evaluated once");
    assert_eq!(queries.iter().collect::<BTreeSet<_>>().len(), queries.len());
    let local = run(&dir.path().join("local"), ExecutorConfig::Local, Vec::new());
    assert_eq!(local.optimizers, report.optimizers);
    for file in ["trajectories.jsonl", "trials.jsonl", "incumbent_test.jsonl"] {
        let a = std::fs::read(dir.path().join("local").join(file)).unwrap();
        let b = std::fs::read(slurm.join(file)).unwrap();
        assert!(a == b, "{file}: slurm differs from local");
    }
}

/// The (optimizer, trial, query) of every query line of the run's journal,
/// in the order written.
fn query_keys(run: &Path) -> Vec<(u64, u64, u64)> {
    std::fs::read_to_string(run.join("results.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let q = v.get("query")?;
            Some((
                q["optimizer"].as_u64().unwrap(),
                q["trial"].as_u64().unwrap(),
                q["query"].as_u64().unwrap(),
            ))
        })
        .collect()
}

/// A stand-in for `sbatch --array`: runs the job's array tasks one after the
/// other before it returns (the first attempt of task 2 with the test hook
/// that kills it after its 13th query), writing each task's log where Slurm
/// would; `squeue` then finds no job.
const FAKE_SBATCH: &str = r#"#!/bin/sh
for arg; do
  case "$arg" in
    --array=*) spec=${arg#--array=} ;;
    --output=*) out=${arg#--output=} ;;
  esac
  script=$arg
done
here=$(dirname "$0")
job=$(($(cat "$here/jobs" 2>/dev/null || echo 0) + 1))
echo "$job" > "$here/jobs"
for part in $(echo "$spec" | tr ',' ' '); do
  case "$part" in
    *-*) ids=$(seq "${part%-*}" "${part#*-}") ;;
    *) ids=$part ;;
  esac
  for id in $ids; do
    log=$(echo "$out" | sed "s/%A/$job/; s/%a/$id/")
    if [ "$id" = 2 ] && [ ! -e "$here/killed-once" ]; then
      touch "$here/killed-once"
      SLURM_ARRAY_TASK_ID=$id OXINAS_TEST_ABORT_AFTER_QUERIES=13 sh "$script" > "$log" 2>&1
    else
      SLURM_ARRAY_TASK_ID=$id sh "$script" > "$log" 2>&1
    fi
  done
done
echo "$job"
"#;

#[test]
fn an_array_task_killed_midway_is_resubmitted_and_resumes_at_its_first_unrecorded_query() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let dir = tempfile::tempdir_in(workspace_root().join("target")).unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::write(bin.join("sbatch"), FAKE_SBATCH).unwrap();
    std::fs::write(bin.join("squeue"), "#!/bin/sh\nexit 0\n").unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("sbatch"))
        .arg(bin.join("squeue"))
        .status()
        .unwrap();
    let text = TWENTY.replace("trials = 10", "trials = 2")
        + "\n[executor]\nkind = \"slurm\"\nmax_resubmits = 1\npoll_seconds = 0.1\n";
    let config = dir.path().join("four.toml");
    std::fs::write(&config, &text).unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.clone()];
    paths.extend(std::env::split_paths(&path));
    let slurm = dir.path().join("slurm");
    let status = Command::new(env!("CARGO_BIN_EXE_oxinas-run"))
        .arg("experiment")
        .arg(&config)
        .arg("--out")
        .arg(&slurm)
        .env("PATH", std::env::join_paths(paths).unwrap())
        .current_dir(workspace_root())
        .status()
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(bin.join("killed-once").exists(), "task 2 was killed once");
    let retry = std::fs::read_to_string(slurm.join("slurm/plan-1.json")).unwrap();
    assert!(retry.contains("\"array\": \"2\""), "{retry}");

    // Task 2 (REA's trial 0) recorded 13 queries before it was killed; its
    // resubmission recorded only the other 17, after task 3's.
    let queries = query_keys(&slurm);
    assert_eq!(queries.len(), 4 * 30, "every query evaluated once");
    assert_eq!(queries.iter().collect::<BTreeSet<_>>().len(), queries.len());
    let position = |key| queries.iter().position(|q| *q == key).unwrap();
    assert!(position((1, 0, 12)) < position((1, 1, 0)));
    assert!(position((1, 0, 13)) > position((1, 1, 29)));

    let path = Path::new("four.toml");
    let parsed = ExperimentConfig::from_toml(&text, path).unwrap();
    let local = dir.path().join("local");
    let mut options = RunOptions::new(path, &local, &workspace_root());
    options.executor = Some(ExecutorConfig::Local);
    run_experiment(&parsed, &text, &options, &NoProgress).unwrap();
    for file in [
        "trajectories.jsonl",
        "trials.jsonl",
        "incumbent_test.jsonl",
        "plots/anytime_queries.svg",
    ] {
        let a = std::fs::read(local.join(file)).unwrap();
        let b = std::fs::read(slurm.join(file)).unwrap();
        assert!(!a.is_empty());
        assert!(a == b, "{file}: slurm differs from local");
    }
}
