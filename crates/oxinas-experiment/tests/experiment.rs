//! The experiment runner end to end on NAS-Bench-201.

mod support;

use support::{run, workspace_root};

use std::path::Path;

use oxinas_experiment::{
    ExperimentConfig, NoProgress, OptimizerConfig, RunOptions, run_experiment,
};
use oxinas_testkit::data_file;

const SMALL: &str = r#"
name = "small"
seed = 3
trials = 24

[benchmark]
name = "nb201"
dataset = "cifar100"
noise = "random_seed"

[search]
fidelity = 200
budget = { queries = 40 }

[[optimizer]]
kind = "random_search"

[[optimizer]]
kind = "regularized_evolution"
population = 8
tournament = 3

[[optimizer]]
kind = "local_search"

[[report]]
label = "C100 valid"
metric = "cifar100/valid@200"
"#;

#[test]
fn records_are_identical_across_runs_and_thread_counts() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = run(SMALL, &dir.path().join("a"), 1);
    let b = run(SMALL, &dir.path().join("b"), 2);
    let c = run(SMALL, &dir.path().join("c"), 2);
    let read = |run: &str, file: &str| std::fs::read(dir.path().join(run).join(file)).unwrap();
    for file in [
        "trajectories.jsonl",
        "trials.jsonl",
        "incumbent_test.jsonl",
        "plots/anytime_queries.svg",
        "plots/anytime_time.svg",
        "plots/pareto.svg",
    ] {
        assert!(read("a", file) == read("b", file), "{file}: 1 vs 2 threads");
        assert!(read("b", file) == read("c", file), "{file}: two runs");
    }
    // The summary states the thread count, and otherwise matches.
    assert!(read("b", "summary.md") == read("c", "summary.md"));
    let lines = std::fs::read_to_string(dir.path().join("a/trajectories.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 3 * 24 * 40);
    assert_eq!(a.optimizers.len(), 3);
    assert_eq!(a.optimizers[0].queries.mean, 40.0);
    assert_eq!(a.optimizers, b.optimizers);
    assert_eq!(c.optimizers, b.optimizers);
    // The trajectory holds validation values only.
    let first: serde_json::Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
    let keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert!(!keys.iter().any(|k| k.contains("test")), "{keys:?}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["config"], SMALL);
    assert_eq!(
        manifest["config_sha256"].as_str().unwrap(),
        oxinas_record_sha256(SMALL.as_bytes())
    );
    let data = &manifest["data_files"][0];
    assert!(data["path"].as_str().unwrap().ends_with("nb201_merged.csv"));
    assert_eq!(data["sha256"].as_str().unwrap().len(), 64);
    assert!(manifest["code"]["cargo_lock_sha256"].is_string());
    assert!(manifest["environment"]["OXINAS_DATA"].is_string());
    assert_eq!(manifest["executor"], "local");

    // Figures: both formats, linked from the summary; the PNG is a real image
    // and the SVG carries its text.
    let summary = String::from_utf8(read("a", "summary.md")).unwrap();
    for stem in ["anytime_queries", "anytime_time", "pareto"] {
        assert!(summary.contains(&format!("plots/{stem}.png")), "{summary}");
        let png = read("a", &format!("plots/{stem}.png"));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
            "{stem}.png"
        );
    }
    let svg = String::from_utf8(read("a", "plots/anytime_queries.svg")).unwrap();
    assert!(
        svg.contains("\nRS\n") && svg.contains("incumbent test regret"),
        "svg text"
    );

    // The checklist marks what the records prove and leaves the rest open.
    let checklist = String::from_utf8(read("a", "checklist.md")).unwrap();
    let item = |number: &str| {
        checklist
            .lines()
            .find(|l| l.contains(&format!("**{number}**")))
            .unwrap_or_else(|| panic!("item {number} missing:\n{checklist}"))
            .to_owned()
    };
    assert!(item("1e").starts_with("- [x]") && item("1e").contains("24 trial seeds"));
    assert!(
        item("2f").starts_with("- [x]"),
        "random search is in the config"
    );
    assert!(item("2g").starts_with("- [x]") && item("2g").contains("24 trials"));
    assert!(item("2c").starts_with("- [ ] for you"));
    assert!(item("3a").starts_with("- [ ] for you"));
    assert_eq!(
        checklist.lines().filter(|l| l.starts_with("- [")).count(),
        16,
        "16 items"
    );
    assert_eq!(manifest["seeds"]["trials"].as_array().unwrap().len(), 24);
    assert!(manifest["finished"].is_string());
}

fn oxinas_record_sha256(bytes: &[u8]) -> String {
    oxinas_record::sha256_hex(bytes)
}

#[test]
fn checklist_marks_missing_random_search_and_single_trials() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let text = SMALL.replace("trials = 24", "trials = 1").replace(
        "kind = \"random_search\"\n",
        "kind = \"local_search\"\nlabel = \"LS2\"\n",
    );
    let dir = tempfile::tempdir().unwrap();
    run(&text, dir.path(), 1);
    let checklist = std::fs::read_to_string(dir.path().join("checklist.md")).unwrap();
    let line = |n: &str| {
        checklist
            .lines()
            .find(|l| l.contains(&format!("**{n}**")))
            .unwrap()
            .to_owned()
    };
    assert!(line("2f").starts_with("- [ ] **no**"), "{}", line("2f"));
    assert!(line("2g").starts_with("- [ ] **no**"), "{}", line("2g"));
}

#[test]
fn nb201_table5_reproduces_the_paper() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let path = workspace_root().join("configs/nb201-table5.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = run(&text, dir.path(), 2);
    assert_eq!(
        report.references.len(),
        12,
        "REA, RS and REINFORCE on four columns"
    );
    for check in &report.references {
        assert_eq!(check.within_tolerance(), Some(true), "{check:?}");
        // The paper's stds (0.3-1.1) over 500 trials: standard errors of
        // 0.013-0.05, well inside the tolerances of 0.06 and 0.2.
        assert!((0.01..0.06).contains(&check.standard_error), "{check:?}");
        let tolerance = check.tolerance.unwrap();
        let cifar10 = ["C10 valid", "C10 test"].contains(&check.metric.as_str());
        let expected = if cifar10 { 0.06 } else { 0.2 };
        assert_eq!(tolerance, expected, "{check:?}");
    }
    let table = report.references_markdown();
    assert!(table.contains("| SE (ours) |"), "{table}");
    for row in &report.optimizers {
        for metric in &row.metrics {
            let std = metric.unwrap().std;
            assert!(
                (0.2..1.4).contains(&std),
                "{}: std {std} unlike the paper's 0.3-1.1",
                row.label
            );
        }
    }
}

fn config_error(text: &str) -> String {
    ExperimentConfig::from_toml(text, Path::new("configs/x.toml"))
        .unwrap_err()
        .to_string()
}

#[test]
fn unknown_keys_are_errors_naming_key_and_line() {
    let typo = SMALL.replace("tournament = 3", "tournamnet = 3");
    let err = config_error(&typo);
    assert!(err.contains("configs/x.toml"), "{err}");
    assert!(err.contains("tournamnet"), "{err}");
    let line = typo.lines().position(|l| l.contains("tournamnet")).unwrap() + 1;
    assert!(
        err.contains(&format!("line {line}")) || err.contains(&format!("{line} |")),
        "{err}"
    );

    let err = config_error(&SMALL.replace("trials = 24", "trials = 24\nthreads = 2"));
    assert!(err.contains("unknown field `threads`"), "{err}");
    let err = config_error(&SMALL.replace("budget = { queries = 40 }", "budget = { querys = 40 }"));
    assert!(err.contains("querys"), "{err}");
    let err = config_error(&SMALL.replace("kind = \"local_search\"", "kind = \"local_serch\""));
    assert!(
        err.contains("local_serch") && err.contains("local_search"),
        "{err}"
    );
    let err = config_error(&SMALL.replace("dataset = \"cifar100\"", "dataset = \"cifar1000\""));
    assert!(
        err.contains("cifar1000") && err.contains("ImageNet16-120"),
        "{err}"
    );
}

#[test]
fn invalid_settings_are_reported_before_running() {
    let check = |text: String, expected: &str| {
        let path = Path::new("configs/x.toml");
        let config = ExperimentConfig::from_toml(&text, path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut options = RunOptions::new(path, &dir.path().join("run"), &workspace_root());
        options.threads = Some(1);
        let err = run_experiment(&config, &text, &options, &NoProgress)
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err}");
    };
    check(
        SMALL.replace("budget = { queries = 40 }", "budget = {}"),
        "search.budget",
    );
    check(
        SMALL.replace("tournament = 3", "tournament = 9"),
        "tournament",
    );
    check(SMALL.replace("trials = 24", "trials = 0"), "trials");
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    check(
        SMALL.replace("fidelity = 200", "fidelity = 50"),
        "available epochs: 12, 200",
    );
    check(
        SMALL.replace("cifar100/valid@200", "cifar100/test@200"),
        "cifar10/test@200",
    );
}

#[test]
fn reinforce_is_configured_checked_and_run_from_toml() {
    let with = |settings: &str| {
        SMALL.replace(
            "kind = \"local_search\"",
            &format!("kind = \"reinforce\"{settings}"),
        )
    };
    let config = ExperimentConfig::from_toml(&with(""), Path::new("x.toml")).unwrap();
    let labels: Vec<&str> = config.optimizers.iter().map(|o| o.label()).collect();
    assert_eq!(labels, ["RS", "REA", "REINFORCE"]);
    assert!(matches!(
        config.optimizers[2],
        OptimizerConfig::Reinforce {
            learning_rate: None,
            baseline_momentum: None,
            encoding: None,
            ..
        }
    ));
    let err = config_error(&with("\nlearning_rat = 0.1"));
    assert!(err.contains("learning_rat"), "{err}");
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    // Settings are checked when the optimizers are built, on the benchmark's space.
    let refused = |text: String| {
        let path = Path::new("configs/x.toml");
        let config = ExperimentConfig::from_toml(&text, path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut options = RunOptions::new(path, &dir.path().join("run"), &workspace_root());
        options.threads = Some(1);
        run_experiment(&config, &text, &options, &NoProgress)
            .unwrap_err()
            .to_string()
    };
    let err = refused(with("\nlearning_rate = 0.0"));
    assert!(err.contains("learning_rate"), "{err}");
    let err = refused(with("\nbaseline_momentum = 1.0"));
    assert!(err.contains("baseline_momentum"), "{err}");
    // NB201's `compact` encoding holds integers, not one-hot choices.
    let err = refused(with("\nencoding = \"compact\""));
    assert!(err.contains("categorical choices"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let text = with("\nlearning_rate = 0.1");
    run(&text, &dir.path().join("a"), 1);
    run(&text, &dir.path().join("b"), 2);
    let read = |run: &str| std::fs::read(dir.path().join(run).join("trials.jsonl")).unwrap();
    assert!(read("a") == read("b"), "1 vs 2 threads");
}

#[test]
fn every_adapter_runs_through_the_runner() {
    let configs = [
        ("smoke-nb101.toml", "nb101/nb101_subset30k.csv"),
        ("smoke-nb301.toml", "nb301/yahpo_nb301/new_model.onnx"),
        (
            "smoke-nlp.toml",
            "nasbench_nlp/ptb_single_run_logs.jsonl.gz",
        ),
        (
            "smoke-nb-macro.toml",
            "nas_bench_macro/nas-bench-macro_cifar10.json",
        ),
        (
            "smoke-transnas-micro.toml",
            "transnas_bench_101/zc_transbench101_micro.json",
        ),
        (
            "smoke-transnas-macro.toml",
            "transnas_bench_101/zc_transbench101_macro.json",
        ),
    ];
    for (file, data) in configs {
        if data_file(data).is_none() {
            continue;
        }
        let text = std::fs::read_to_string(workspace_root().join("configs").join(file)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let report = run(&text, dir.path(), 2);
        assert_eq!(report.optimizers.len(), 3, "{file}");
        for row in &report.optimizers {
            assert!(row.queries.mean > 0.0, "{file}: {}", row.label);
            let metric =
                row.metrics[0].unwrap_or_else(|| panic!("{file}: {} has no value", row.label));
            assert!(metric.mean.is_finite(), "{file}");
        }
        let again = run(&text, &dir.path().join("again"), 1);
        assert_eq!(again.optimizers, report.optimizers, "{file}: deterministic");
    }
}

#[test]
fn a_csv_table_is_searchable_without_code() {
    let Some(source) = data_file("nb201/nb201_merged.csv") else {
        return;
    };
    // A user's table: NB201 archs with a validation and a test column, 400 rows.
    let text = std::fs::read_to_string(source).unwrap();
    let mut csv = String::from("architecture,val,test,seconds\n");
    for line in text.lines().skip(1).step_by(39) {
        let f: Vec<&str> = line.split(',').collect();
        csv.push_str(&format!("{},{},{},{}\n", f[1], f[3], f[30], f[8]));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("table.csv"), csv).unwrap();
    let config = r#"
name = "csv"
seed = 0
trials = 3

[benchmark]
name = "csv"
path = "table.csv"
space = "nb201"
arch_column = "architecture"
validation = { column = "val", goal = "maximize" }
test = { column = "test", goal = "maximize" }
cost_column = "seconds"
epochs = 200

[search]
fidelity = 200
budget = { queries = 25 }

[[optimizer]]
kind = "regularized_evolution"
population = 5
tournament = 2

[[report]]
label = "test"
metric = "test"
"#;
    let path = dir.path().join("csv.toml");
    std::fs::write(&path, config).unwrap();
    let parsed = ExperimentConfig::from_toml(config, &path).unwrap();
    let mut options = RunOptions::new(&path, &dir.path().join("run"), &workspace_root());
    options.threads = Some(2);
    let report = run_experiment(&parsed, config, &options, &NoProgress).unwrap();
    let test = report.optimizers[0].metrics[0].unwrap();
    assert!(test.mean > 80.0 && test.mean < 95.0, "{test:?}");
}
