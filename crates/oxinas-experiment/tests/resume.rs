//! Crash-safe resume at the query: a run killed right after its k-th query
//! was recorded, and rerun, evaluates none of the recorded queries again and
//! ends with exactly the records of an uninterrupted run. The run kills
//! itself (SIGKILL) through the test hook `OXINAS_TEST_ABORT_AFTER_QUERIES`,
//! at a point it reaches itself, so no test races the run. A changed config,
//! or a replay that no longer matches its record, is refused.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use oxinas_experiment::{
    ExperimentConfig, ExperimentError, ExperimentReport, NoProgress, RunOptions, run_experiment,
};
use oxinas_testkit::data_file;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
/// 3 optimizers x 100 trials of 60 queries.
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

const RESULT_FILES: [&str; 7] = [
    "trajectories.jsonl",
    "trials.jsonl",
    "incumbent_test.jsonl",
    "summary.md",
    "plots/anytime_queries.svg",
    "plots/anytime_time.svg",
    "plots/pareto.svg",
];

fn run_in_process(text: &str, out: &Path, force_new: bool) -> Result<(), ExperimentError> {
    run_with_threads(text, out, 2, force_new).map(|_| ())
}

fn run_with_threads(
    text: &str,
    out: &Path,
    threads: usize,
    force_new: bool,
) -> Result<ExperimentReport, ExperimentError> {
    let path = Path::new("inline.toml");
    let config = ExperimentConfig::from_toml(text, path).unwrap();
    let mut options = RunOptions::new(path, out, &workspace_root());
    options.threads = Some(threads);
    options.force_new = force_new;
    run_experiment(&config, text, &options, &NoProgress)
}

/// Runs `text` in a child process on one thread that kills itself with
/// SIGKILL right after its `k`-th query is recorded.
fn run_killed_after(text: &str, out: &Path, k: u64) {
    let config = out.with_extension("toml");
    std::fs::write(&config, text).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_oxinas-run"))
        .arg("experiment")
        .arg(&config)
        .arg("--out")
        .arg(out)
        .args(["--threads", "1"])
        .env("OXINAS_TEST_ABORT_AFTER_QUERIES", k.to_string())
        .current_dir(workspace_root())
        .status()
        .unwrap();
    assert_eq!(status.signal(), Some(9), "the run was not killed: {status}");
    assert!(!out.join("trials.jsonl").exists(), "the merge never ran");
}

/// The journal's query keys (optimizer, trial, query) and finished trials
/// (optimizer, trial), in the order written.
#[allow(clippy::type_complexity)]
fn journal(run: &Path) -> (Vec<(u64, u64, u64)>, Vec<(u64, u64)>) {
    let mut queries = Vec::new();
    let mut trials = Vec::new();
    for line in std::fs::read_to_string(run.join("results.jsonl"))
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        if let Some(q) = v.get("query") {
            queries.push((
                q["optimizer"].as_u64().unwrap(),
                q["trial"].as_u64().unwrap(),
                q["query"].as_u64().unwrap(),
            ));
        } else {
            let t = &v["trial"];
            trials.push((
                t["optimizer"].as_u64().unwrap(),
                t["trial"].as_u64().unwrap(),
            ));
        }
    }
    (queries, trials)
}

/// Every query and every trial is in the journal exactly once.
fn assert_recorded_once(run: &Path) {
    let (queries, trials) = journal(run);
    let unique: BTreeSet<_> = queries.iter().collect();
    assert_eq!(unique.len(), queries.len(), "a query was recorded twice");
    let unique: BTreeSet<_> = trials.iter().collect();
    assert_eq!(unique.len(), trials.len(), "a trial was recorded twice");
}

/// `file` of run `a` equals that of run `b` byte for byte, apart from the
/// worker-thread count that the summary states.
fn assert_same(a: &Path, b: &Path, file: &str) {
    let read = |dir: &Path| {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        String::from_utf8_lossy(&bytes).replace("Worker threads: 1.", "Worker threads: 2.")
    };
    let (x, y) = (read(a), read(b));
    assert!(!x.is_empty(), "{file} is empty");
    assert!(x == y, "{file} differs from the uninterrupted run's");
}

#[test]
fn a_run_killed_after_a_query_resumes_there_with_the_uninterrupted_records() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let killed = dir.path().join("killed");
    // On one thread the trials run in plan order: RS trials 0 to 4 have
    // finished, trial 5 has 17 of its 60 queries.
    let k = 5 * 60 + 17;
    run_killed_after(MEDIUM, &killed, k);
    let (queries, trials) = journal(&killed);
    assert_eq!(
        queries.len() as u64,
        k,
        "exactly the queries before the kill"
    );
    assert_eq!(trials, [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4)]);
    assert_eq!(queries.last(), Some(&(0, 5, 16)));

    // The rerun (on two threads) answers the 17 recorded queries of trial 5
    // from the journal and evaluates every other query once.
    let resumed = run_with_threads(MEDIUM, &killed, 2, false).unwrap();
    assert_eq!(resumed.queries_replayed, 17);
    assert_eq!(resumed.queries_evaluated, 3 * 100 * 60 - k);
    assert_recorded_once(&killed);
    let (queries, trials) = journal(&killed);
    assert_eq!((queries.len(), trials.len()), (3 * 100 * 60, 300));

    let uninterrupted = dir.path().join("uninterrupted");
    let fresh = run_with_threads(MEDIUM, &uninterrupted, 2, false).unwrap();
    assert_eq!(
        (fresh.queries_evaluated, fresh.queries_replayed),
        (18_000, 0)
    );
    for file in RESULT_FILES {
        assert_same(&killed, &uninterrupted, file);
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(killed.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["resumed"].as_array().unwrap().len(), 1);
}

/// BANANAS with a small ensemble; its first 10 queries are random, the rest
/// chosen by the surrogate fitted to every earlier query.
const BANANAS: &str = r#"
name = "bananas-resume"
seed = 8
trials = 2

[benchmark]
name = "nb201"
dataset = "cifar10-valid"
noise = "random_seed"

[search]
fidelity = 200
budget = { queries = 25 }

[[optimizer]]
kind = "bananas"
ensemble_size = 2
hidden_layers = 2
width = 8
epochs = 10

[[report]]
label = "C10 test"
metric = "cifar10/test@200"
"#;

#[test]
fn a_model_based_search_resumes_with_the_surrogate_it_would_have_had() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let killed = dir.path().join("killed");
    // Trial 0 has finished; trial 1 has 14 queries, 4 of them chosen by the
    // surrogate: the resumed trial must refit it to the recorded ones.
    run_killed_after(BANANAS, &killed, 25 + 14);
    assert_eq!(journal(&killed).1, [(0, 0)]);
    let resumed = run_with_threads(BANANAS, &killed, 2, false).unwrap();
    assert_eq!(resumed.queries_replayed, 14);
    assert_eq!(resumed.queries_evaluated, 11);
    assert_recorded_once(&killed);

    let uninterrupted = dir.path().join("uninterrupted");
    run_with_threads(BANANAS, &uninterrupted, 1, false).unwrap();
    for file in RESULT_FILES {
        assert_same(&killed, &uninterrupted, file);
    }
    // The journals hold the same facts (in another order: trials of the
    // rerun ran in parallel).
    let lines = |run: &Path| -> BTreeSet<String> {
        std::fs::read_to_string(run.join("results.jsonl"))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    assert!(lines(&killed) == lines(&uninterrupted));
}

/// Random search and regularized evolution over cells trained on the digits
/// (one epoch, 4 channels): 4 trainings per trial.
const TRAINED: &str = r#"
name = "trained-resume"
seed = 4
trials = 1

[benchmark]
name = "train"
dataset = "digits"
channels = 4
cells_per_stage = 1
epochs = 1
batch_size = 64
lr = 0.1
seed = 0

[search]
fidelity = 1
budget = { queries = 4 }

[[optimizer]]
kind = "random_search"

[[optimizer]]
kind = "regularized_evolution"
population = 2
tournament = 2

[[report]]
label = "test acc"
metric = "test_acc@1"
"#;

/// The lines of a JSONL file without their cost fields: a trained query's
/// cost is its measured wall time, which no two runs share.
fn without_costs(run: &Path, file: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run.join(file))
        .unwrap()
        .lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            let fields = v.as_object_mut().unwrap();
            fields.remove("cost");
            fields.remove("cumulative_cost");
            v
        })
        .collect()
}

#[test]
fn a_search_that_trains_resumes_without_training_a_recorded_query_again() {
    let dir = tempfile::tempdir().unwrap();
    let killed = dir.path().join("killed");
    // Random search's trial has finished; evolution's has trained 2 cells.
    run_killed_after(TRAINED, &killed, 6);
    assert_eq!(journal(&killed).1, [(0, 0)]);
    let resumed = run_with_threads(TRAINED, &killed, 1, false).unwrap();
    assert_eq!(
        (resumed.queries_replayed, resumed.queries_evaluated),
        (2, 2),
        "only the 2 unrecorded cells are trained"
    );
    assert_recorded_once(&killed);
    assert_eq!(journal(&killed).0.len(), 8);

    let uninterrupted = dir.path().join("uninterrupted");
    let fresh = run_with_threads(TRAINED, &uninterrupted, 2, false).unwrap();
    assert_eq!(fresh.queries_evaluated, 8);
    for file in ["trajectories.jsonl", "trials.jsonl"] {
        let (a, b) = (
            without_costs(&killed, file),
            without_costs(&uninterrupted, file),
        );
        assert_eq!(a.len(), if file == "trials.jsonl" { 2 } else { 8 });
        assert!(a == b, "{file} differs from the uninterrupted run's");
    }
    for file in [
        "incumbent_test.jsonl",
        "summary.md",
        "plots/anytime_queries.svg",
    ] {
        assert_same(&killed, &uninterrupted, file);
    }
    assert_eq!(resumed.optimizers, fresh.optimizers);
}

#[test]
fn a_replay_that_differs_from_its_record_names_the_trial_and_query() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let small = MEDIUM
        .replace("trials = 100", "trials = 2")
        .replace("queries = 60", "queries = 10");
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    run_with_threads(&small, &run, 1, false).unwrap();
    // What a change of the code would leave behind: REA's trial 1 is not
    // finished, and its query 3 is an architecture the search does not
    // propose there.
    let path = run.join("results.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = Vec::new();
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
        let ours = |r: &serde_json::Value| r["optimizer"] == 1 && r["trial"] == 1;
        if v.get("trial").is_some_and(|t| t.is_object() && ours(t)) {
            continue;
        }
        if let Some(q) = v.get_mut("query").filter(|q| ours(q) && q["query"] == 3) {
            q["arch"] = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|".into();
        }
        lines.push(v.to_string());
    }
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let err = run_with_threads(&small, &run, 1, false).unwrap_err();
    assert!(
        matches!(
            err,
            ExperimentError::Replay {
                trial: 1,
                query: 3,
                what: "architecture",
                ..
            }
        ),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("trial 1 of REA") && message.contains("--force-new"),
        "{message}"
    );
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
