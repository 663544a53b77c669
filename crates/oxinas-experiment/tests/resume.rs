//! Crash-safe resume: a run killed midway and rerun ends with exactly the
//! records of an uninterrupted run; a changed config is refused.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use oxinas_experiment::{
    ExperimentConfig, ExperimentError, NoProgress, RunOptions, run_experiment,
};
use oxinas_testkit::data_file;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// 3 optimizers x 100 trials; each finished trial is synced to disk, which
/// paces the run enough to be killed midway.
const MEDIUM: &str = r#"
name = "medium"
seed = 11
trials = 100

[benchmark]
name = "nb201"
dataset = "cifar10-valid"
noise = "random_seed"

[search]
fidelity = 12
budget = { queries = 60 }

[[optimizer]]
kind = "random_search"

[[optimizer]]
kind = "regularized_evolution"
population = 10
tournament = 3

[[optimizer]]
kind = "local_search"

[[report]]
label = "C10 test"
metric = "cifar10/test@200"
"#;

const RESULT_FILES: [&str; 4] = [
    "trajectories.jsonl",
    "trials.jsonl",
    "incumbent_test.jsonl",
    "summary.md",
];

fn run_in_process(text: &str, out: &Path, force_new: bool) -> Result<(), ExperimentError> {
    let path = Path::new("medium.toml");
    let config = ExperimentConfig::from_toml(text, path).unwrap();
    let mut options = RunOptions::new(path, out, &workspace_root());
    options.threads = Some(2);
    options.force_new = force_new;
    run_experiment(&config, text, &options, &NoProgress).map(|_| ())
}

fn count_lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[test]
fn a_run_killed_midway_resumes_to_the_uninterrupted_records() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("medium.toml");
    std::fs::write(&config, MEDIUM).unwrap();
    let killed = dir.path().join("killed");
    let binary = env!("CARGO_BIN_EXE_oxinas-run");
    let spawn = || {
        Command::new(binary)
            .arg("experiment")
            .arg(&config)
            .arg("--out")
            .arg(&killed)
            .args(["--threads", "1"])
            .current_dir(workspace_root())
            .spawn()
            .unwrap()
    };

    let mut child = spawn();
    let results = killed.join("results.jsonl");
    let deadline = Instant::now() + Duration::from_secs(300);
    while count_lines(&results) < 5 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before 5 trials were recorded"
        );
        assert!(Instant::now() < deadline, "no trial recorded in 300 s");
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run finished before it could be killed"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let recorded = count_lines(&results);
    assert!((5..300).contains(&recorded), "{recorded} trials recorded");
    assert!(!killed.join("trials.jsonl").exists(), "the merge never ran");

    let status = spawn().wait().unwrap();
    assert!(status.success());
    let uninterrupted = dir.path().join("uninterrupted");
    run_in_process(MEDIUM, &uninterrupted, false).unwrap();
    // The killed run used 1 thread, the uninterrupted one 2: the records
    // match byte for byte; the summary differs only in the thread count.
    for file in RESULT_FILES {
        let read = |dir: &Path| {
            std::fs::read_to_string(dir.join(file))
                .unwrap()
                .replace("Worker threads: 1.", "Worker threads: 2.")
        };
        assert!(
            read(&killed) == read(&uninterrupted),
            "{file} differs after resuming"
        );
    }
    // Every trial exactly once in the results log.
    let mut keys: Vec<(String, u64)> = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["label"].as_str().unwrap().to_owned(),
                v["trial"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(keys.len(), 300);
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 300, "a trial was recorded twice");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(killed.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["resumed"].as_array().unwrap().len(), 1);
}

#[test]
fn a_changed_config_is_refused_unless_forced() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let small = MEDIUM
        .replace("trials = 100", "trials = 4")
        .replace("queries = 60", "queries = 10");
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    run_in_process(&small, &run, false).unwrap();
    let first = std::fs::read(run.join("trajectories.jsonl")).unwrap();
    // The same config resumes with nothing to do and the same records.
    run_in_process(&small, &run, false).unwrap();
    assert!(std::fs::read(run.join("trajectories.jsonl")).unwrap() == first);

    let changed = small.replace("seed = 11", "seed = 12");
    let err = run_in_process(&changed, &run, false).unwrap_err();
    assert!(
        matches!(err, ExperimentError::ConfigChanged { .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("different config") && message.contains("--force-new"),
        "{message}"
    );
    assert!(
        std::fs::read(run.join("trajectories.jsonl")).unwrap() == first,
        "refusal kept the old run"
    );

    run_in_process(&changed, &run, true).unwrap();
    let fresh = dir.path().join("fresh");
    run_in_process(&changed, &fresh, false).unwrap();
    for file in RESULT_FILES {
        let a = std::fs::read(run.join(file)).unwrap();
        let b = std::fs::read(fresh.join(file)).unwrap();
        assert!(a == b, "{file}: a forced new run differs from a fresh one");
    }
    assert!(std::fs::read(run.join("trajectories.jsonl")).unwrap() != first);
}
