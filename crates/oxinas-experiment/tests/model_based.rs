//! Model-based, multi-fidelity and multi-objective optimizers through the
//! experiment runner, with regret reports, on NAS-Bench-201 (tiny budgets).

use std::path::{Path, PathBuf};

use oxinas_experiment::{
    ExperimentConfig, ExperimentError, ExperimentReport, NoProgress, RunOptions, run_experiment,
};
use oxinas_testkit::data_file;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(text: &str, out: &Path, threads: usize) -> Result<ExperimentReport, ExperimentError> {
    let path = Path::new("inline.toml");
    let config = ExperimentConfig::from_toml(text, path)?;
    let mut options = RunOptions::new(path, out, &workspace_root());
    options.threads = Some(threads);
    run_experiment(&config, text, &options, &NoProgress)
}

const TINY: &str = r#"
name = "tiny-model-based"
seed = 5
trials = 3

[benchmark]
name = "nb201"
dataset = "cifar10-valid"

[search]
fidelity = 200
budget = { queries = 25 }

[[optimizer]]
kind = "bananas"
ensemble_size = 2
hidden_layers = 2
width = 8
epochs = 10

[[optimizer]]
kind = "npenas"
acquisition = "mean"
ensemble_size = 2
hidden_layers = 2
width = 8
epochs = 10

[[optimizer]]
kind = "bonas"
candidates = 200

[[optimizer]]
kind = "bananas"
label = "BANANAS-UCB"
acquisition = "ucb"
acquisition_optimizer = "random"
predictor = "blr"
encoding = "categorical"

[[optimizer]]
kind = "successive_halving"
initial = 9

[[optimizer]]
kind = "hyperband"

[[optimizer]]
kind = "multi_objective_evolution"
population = 10
tournament = 3
cost = "params"

[[report]]
label = "valid regret"
metric = "cifar10-valid/valid@200"
regret = true

[[report]]
label = "valid"
metric = "cifar10-valid/valid@200"
"#;

#[test]
fn every_new_optimizer_runs_deterministically_and_reports_regret() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = run(TINY, &dir.path().join("a"), 1).unwrap();
    let b = run(TINY, &dir.path().join("b"), 2).unwrap();
    let read = |run: &str, file: &str| std::fs::read(dir.path().join(run).join(file)).unwrap();
    assert!(read("a", "trajectories.jsonl") == read("b", "trajectories.jsonl"));
    assert_eq!(a.optimizers, b.optimizers);
    let labels: Vec<&str> = a.optimizers.iter().map(|o| o.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "BANANAS",
            "NPENAS",
            "BONAS",
            "BANANAS-UCB",
            "SH",
            "HB",
            "MO-REA"
        ]
    );
    // Regret + value is the benchmark's best validation accuracy, the same
    // for every trial, and regret is never negative.
    let trials = std::fs::read_to_string(dir.path().join("a/trials.jsonl")).unwrap();
    let mut optimum = None;
    for line in trials.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let regret = v["metrics"]["valid regret"].as_f64().unwrap();
        let value = v["metrics"]["valid"].as_f64().unwrap();
        assert!(regret >= 0.0, "{line}");
        let sum = regret + value;
        let first = *optimum.get_or_insert(sum);
        assert!((sum - first).abs() < 1e-9, "{line}");
    }
    // Multi-fidelity rows queried both fidelities.
    let fidelities: std::collections::HashSet<u64> =
        std::fs::read_to_string(dir.path().join("a/trajectories.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["optimizer"] == "HB")
            .map(|v| v["fidelity"].as_u64().unwrap())
            .collect();
    assert_eq!(fidelities, [12, 200].into_iter().collect());
}

#[test]
fn bad_model_settings_are_refused_with_their_field() {
    if data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = |optimizer: &str| {
        // Inserted once, before the first report table.
        let text = TINY.replacen("[[report]]", &format!("{optimizer}\n\n[[report]]"), 1);
        run(&text, dir.path(), 1).unwrap_err().to_string()
    };
    let e = bad("[[optimizer]]\nkind = \"bananas\"\nlabel = \"X\"\nencoding = \"pathh\"");
    assert!(e.contains("trunc_path"), "{e}");
    let e = bad("[[optimizer]]\nkind = \"npenas\"\nlabel = \"X\"\nacquisition = \"greedy\"");
    assert!(e.contains("acquisition"), "{e}");
    let e = bad("[[optimizer]]\nkind = \"hyperband\"\nlabel = \"X\"\nfidelities = [12, 100]");
    assert!(e.contains("available epochs: 12, 200"), "{e}");
    let e = bad(
        "[[optimizer]]\nkind = \"multi_objective_evolution\"\nlabel = \"X\"\npopulation = 5\ntournament = 2\ncost = \"flops\"",
    );
    assert!(e.contains("cost"), "{e}");
}

/// Every comparison config, shrunk to one trial of a few queries, runs on its
/// benchmark: its optimizers find the encodings they need on that space and
/// its regrets are non-negative.
#[test]
fn the_comparison_configs_run_on_their_benchmarks() {
    let needs = [
        ("bbo-nb201.toml", "nb201/nb201_merged.csv", 8),
        ("bbo-nb201-cifar100.toml", "nb201/nb201_merged.csv", 8),
        ("bbo-nb201-imagenet16.toml", "nb201/nb201_merged.csv", 8),
        ("bbo-nb101.toml", "nb101", 8),
        ("bbo-nlp.toml", "nasbench_nlp", 7),
        ("bbo-transnas-micro.toml", "transnas_bench_101", 6),
    ];
    for (name, data, optimizers) in needs {
        if data_file(data).is_none() {
            return;
        }
        let path = workspace_root().join("configs").join(name);
        let (config, text) = ExperimentConfig::load(&path).unwrap();
        assert!(config.trials >= 50, "{name}");
        assert_eq!(config.optimizers.len(), optimizers, "{name}");
        let small = text
            .replace("trials = 50", "trials = 1")
            .replace("queries = 150", "queries = 14")
            .replace("queries = 100", "queries = 14");
        let dir = tempfile::tempdir().unwrap();
        let report = run(&small, dir.path(), 2).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.optimizers.len(), optimizers, "{name}");
        for summary in &report.optimizers {
            let regret = summary.metrics[0].as_ref().expect("a regret").mean;
            assert!(regret >= 0.0, "{name} {}: regret {regret}", summary.label);
        }
    }
}
