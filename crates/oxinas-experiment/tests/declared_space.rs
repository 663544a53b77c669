//! A space declared in TOML and a table written by the user run through the
//! experiment runner with no code: the black-box, model-based,
//! multi-fidelity and multi-objective optimizers, regret over the whole
//! space, one-fidelity tables without a `fidelity` key.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use oxinas_core::{Enumerable, SearchSpace};
use oxinas_experiment::{ExperimentConfig, NoProgress, RunOptions, run_experiment};
use oxinas_spaces::DeclaredSpace;
use support::workspace_root;

/// A space like a public tabular benchmark of graph neural networks: a link
/// pattern and four layer operations, written as space-separated tokens.
const GNN_SPACE: &str = r#"
name = "gnn"
format = { separator = " " }

[[choice]]
name = "link"
values = ["chain", "residual", "dense"]

[[choice]]
name = "layer"
values = ["gcn", "gat", "sage"]
repeat = 4
"#;

/// A made-up accuracy, latency and parameter count of each architecture.
fn gnn_row(link: usize, layers: &[usize]) -> (f64, f64, f64, f64) {
    let op_gain = [1.0, 2.5, 1.5];
    let op_latency = [1.0, 3.0, 1.5];
    let mut valid = 60.0 + 2.0 * link as f64;
    let mut latency = 0.5 * link as f64;
    for (i, &op) in layers.iter().enumerate() {
        valid += op_gain[op] * (1.0 + 0.25 * i as f64);
        latency += op_latency[op];
    }
    // Interactions, so that the optimum is not found one choice at a time.
    if layers[0] == layers[3] {
        valid -= 3.0;
    }
    let test = valid - 0.7 + 0.1 * link as f64;
    let params = 1000.0 * (1 + link + layers.iter().sum::<usize>()) as f64;
    (valid, test, latency, params)
}

const OPS: [&str; 3] = ["gcn", "gat", "sage"];
const LINKS: [&str; 3] = ["chain", "residual", "dense"];

fn gnn_table() -> (String, Vec<f64>) {
    let mut csv = String::from("arch,valid_acc,test_acc,latency_ms,params\n");
    let mut valids = Vec::new();
    for (link, link_name) in LINKS.iter().enumerate() {
        for code in 0..81usize {
            let layers = [code / 27, code / 9 % 3, code / 3 % 3, code % 3];
            let (valid, test, latency, params) = gnn_row(link, &layers);
            let names: Vec<&str> = layers.iter().map(|&o| OPS[o]).collect();
            writeln!(
                csv,
                "{link_name} {},{valid},{test},{latency},{params}",
                names.join(" ")
            )
            .unwrap();
            valids.push(valid);
        }
    }
    (csv, valids)
}

#[test]
fn a_declared_space_and_table_are_searched_without_code() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gnn_space.toml"), GNN_SPACE).unwrap();
    let (csv, valids) = gnn_table();
    std::fs::write(dir.path().join("gnn.csv"), csv).unwrap();
    // By hand: the regret of one architecture drawn at random.
    let best = valids.iter().cloned().fold(f64::MIN, f64::max);
    let random_regret = valids.iter().map(|v| best - v).sum::<f64>() / valids.len() as f64;
    let config = r#"
name = "gnn"
seed = 0
trials = 4

[benchmark]
name = "table"
path = "gnn.csv"
space_file = "gnn_space.toml"
arch_column = "arch"
validation = { column = "valid_acc", goal = "maximize" }
test = { column = "test_acc", goal = "maximize" }
latency_ms_column = "latency_ms"
params_column = "params"

[search]
budget = { queries = 40 }

[[optimizer]]
kind = "random_search"
label = "RS"

[[optimizer]]
kind = "regularized_evolution"
label = "REA"
population = 10
tournament = 3

[[optimizer]]
kind = "local_search"
label = "LS"

[[optimizer]]
kind = "bananas"
label = "BANANAS"
epochs = 30

[[optimizer]]
kind = "multi_objective_evolution"
label = "MO-REA"
population = 10
tournament = 3
cost = "latency"

[[report]]
label = "valid regret"
metric = "valid_acc"
regret = true

[[report]]
label = "test acc"
metric = "test_acc"
"#;
    let path = dir.path().join("gnn.toml");
    std::fs::write(&path, config).unwrap();
    let parsed = ExperimentConfig::from_toml(config, &path).unwrap();
    assert_eq!(parsed.search.fidelity, None);
    let mut options = RunOptions::new(&path, &dir.path().join("run"), &workspace_root());
    options.threads = Some(2);
    let report = run_experiment(&parsed, config, &options, &NoProgress).unwrap();
    let rows: BTreeMap<&str, f64> = report
        .optimizers
        .iter()
        .map(|row| (row.label.as_str(), row.metrics[0].unwrap().mean))
        .collect();
    assert_eq!(rows.len(), 5, "{rows:?}");
    for (label, regret) in &rows {
        // 40 queries of 243 architectures beat one random architecture.
        assert!(
            *regret >= 0.0 && *regret < random_regret / 2.0,
            "{label}: regret {regret}, a random architecture {random_regret}"
        );
    }
    let again = run_experiment(&parsed, config, &options.clone(), &NoProgress);
    assert!(again.is_ok(), "a finished run reruns from its records");
}

const NB201_SPACE: &str = r#"
name = "nb201-declared"
format = { template = "|{edge_0_1}~0|+|{edge_0_2}~0|{edge_1_2}~1|+|{edge_0_3}~0|{edge_1_3}~1|{edge_2_3}~2|" }

[graph]
nodes = 4
ops_on = "edges"
ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
zero_op = "none"
identity_op = "skip_connect"
"#;

#[test]
fn a_declared_cell_space_with_curves_runs_graph_and_multi_fidelity_optimizers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cell.toml"), NB201_SPACE).unwrap();
    let space = DeclaredSpace::from_toml(NB201_SPACE, None).unwrap();
    // Every cell, with a made-up curve: convolutions help, more so late.
    let mut jsonl = String::new();
    for arch in space.enumerate() {
        let texts = space.texts(&arch);
        let convs = texts.iter().filter(|t| t.starts_with("nor_conv")).count() as f64;
        let nones = texts.iter().filter(|t| **t == "none").count() as f64;
        let v12 = 40.0 + 4.0 * convs - 3.0 * nones;
        let v200 = 50.0 + 6.0 * convs - 4.0 * nones;
        writeln!(
            jsonl,
            r#"{{"cell": "{}", "v12": {v12}, "v200": {v200}, "seconds": {}}}"#,
            space.format(&arch),
            1000.0 + 100.0 * convs
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("cells.jsonl"), jsonl).unwrap();
    let config = r#"
name = "cells"
seed = 1
trials = 2

[benchmark]
name = "table"
path = "cells.jsonl"
space_file = "cell.toml"
arch_column = "cell"
validation = { columns = { 12 = "v12", 200 = "v200" }, goal = "maximize" }
cost_column = "seconds"

[search]
fidelity = 200
budget = { queries = 30 }

[[optimizer]]
kind = "bonas"
label = "BONAS"
epochs = 20
candidates = 50

[[optimizer]]
kind = "npenas"
label = "NPENAS"
epochs = 20

[[optimizer]]
kind = "successive_halving"
label = "SH"
eta = 3
initial = 9

[[optimizer]]
kind = "hyperband"
label = "HB"
eta = 3

[[report]]
label = "regret"
metric = "v200"
regret = true
"#;
    let path = dir.path().join("cells.toml");
    std::fs::write(&path, config).unwrap();
    let parsed = ExperimentConfig::from_toml(config, &path).unwrap();
    let mut options = RunOptions::new(&path, &dir.path().join("run"), &workspace_root());
    options.threads = Some(2);
    let report = run_experiment(&parsed, config, &options, &NoProgress).unwrap();
    assert_eq!(report.optimizers.len(), 4);
    // Best by hand: six 3x3 or 1x1 convolutions, v200 = 86.
    for row in &report.optimizers {
        let regret = row.metrics[0].unwrap().mean;
        assert!((0.0..=36.0).contains(&regret), "{}: {regret}", row.label);
    }

    // Without `fidelity`, a table with two fidelities is refused, naming both.
    let no_fidelity = config.replace("fidelity = 200\n", "");
    let parsed = ExperimentConfig::from_toml(&no_fidelity, &path).unwrap();
    let options = RunOptions::new(&path, &dir.path().join("run2"), &workspace_root());
    let message = run_experiment(&parsed, &no_fidelity, &options, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("search.fidelity") && message.contains("12, 200"),
        "{message}"
    );
}

#[test]
fn a_bad_space_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"bad\"\n[[choice]]\nname = \"a\"\nvalues = [1, 2]\n[[condition]]\nchoice = \"a\"\nwhen = \"b\"\nin = [1]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("t.csv"), "arch,v\n1,1\n").unwrap();
    let config = r#"
name = "bad"
seed = 0
trials = 1
[benchmark]
name = "table"
path = "t.csv"
space_file = "bad.toml"
arch_column = "arch"
validation = { column = "v", goal = "maximize" }
[search]
budget = { queries = 2 }
[[optimizer]]
kind = "random_search"
"#;
    let path = dir.path().join("bad_run.toml");
    let parsed = ExperimentConfig::from_toml(config, &path).unwrap();
    let options = RunOptions::new(&path, &dir.path().join("run"), &workspace_root());
    let message = run_experiment(&parsed, config, &options, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("bad.toml line 5") && message.contains("found `b`"),
        "{message}"
    );
}

#[test]
fn the_tutorial_config_runs_on_a_table_in_the_exported_format() {
    let configs = workspace_root().join("configs/declared");
    let dir = tempfile::tempdir().unwrap();
    let space_text = std::fs::read_to_string(configs.join("nas_bench_graph_space.toml")).unwrap();
    std::fs::write(dir.path().join("nas_bench_graph_space.toml"), &space_text).unwrap();
    let space = DeclaredSpace::from_toml(&space_text, None).unwrap();
    assert_eq!(space.cardinality(), Some(2 * 3 * 4 * 9u128.pow(4)));
    // The export's format, with made-up values; architectures whose first
    // node skips are left out (the benchmark leaves some out too).
    let mut csv = String::from("arch,valid_perf,perf,latency,para\n");
    let mut valids = Vec::new();
    for (i, arch) in space.enumerate().enumerate() {
        let texts = space.texts(&arch);
        if texts[4] == "skip" {
            continue;
        }
        let gcn = texts.iter().filter(|t| **t == "gcn").count() as f64;
        let valid = 0.6 + 0.05 * gcn + (i % 7) as f64 * 0.001;
        valids.push(valid);
        writeln!(
            csv,
            "{},{valid},{},{},{}",
            space.format(&arch),
            valid - 0.01,
            1.0 + gcn,
            1000 + i
        )
        .unwrap();
    }
    let best = valids.iter().cloned().fold(f64::MIN, f64::max);
    let random_regret = valids.iter().map(|v| best - v).sum::<f64>() / valids.len() as f64;
    std::fs::write(dir.path().join("nas_bench_graph_cora.csv"), csv).unwrap();
    let text = std::fs::read_to_string(configs.join("nas-bench-graph.toml"))
        .unwrap()
        .replace("trials = 20", "trials = 2");
    let path = dir.path().join("nas-bench-graph.toml");
    std::fs::write(&path, &text).unwrap();
    let parsed = ExperimentConfig::from_toml(&text, &path).unwrap();
    let mut options = RunOptions::new(&path, &dir.path().join("run"), &workspace_root());
    options.threads = Some(2);
    let report = run_experiment(&parsed, &text, &options, &NoProgress).unwrap();
    assert_eq!(report.optimizers.len(), 5);
    for row in &report.optimizers {
        let regret = row.metrics[0].unwrap().mean;
        // 100 queries beat one architecture drawn at random.
        assert!(
            (0.0..0.75 * random_regret).contains(&regret),
            "{}: {regret}, a random architecture {random_regret}",
            row.label
        );
    }
    // A bad value in the table is named by line, column and the allowed values.
    let bad = std::fs::read_to_string(dir.path().join("nas_bench_graph_cora.csv"))
        .unwrap()
        .replacen("gat", "gatt", 1);
    std::fs::write(dir.path().join("nas_bench_graph_cora.csv"), bad).unwrap();
    let options = RunOptions::new(&path, &dir.path().join("run-bad"), &workspace_root());
    let message = run_experiment(&parsed, &text, &options, &NoProgress)
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("line 2, column `arch`") && message.contains("gat, gcn, gin"),
        "{message}"
    );
}

#[test]
fn a_declared_layerwise_space_is_searched_by_training_on_digits() {
    let path = workspace_root().join("configs/declared/layers-digits.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let parsed = ExperimentConfig::from_toml(&text, &path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(&path, &dir.path().join("run"), &workspace_root());
    options.threads = Some(2);
    let report = run_experiment(&parsed, &text, &options, &NoProgress).unwrap();
    assert_eq!(report.optimizers.len(), 2);
    for row in &report.optimizers {
        let test = row.metrics[0].unwrap().mean;
        // Ten classes: chance is 10%.
        assert!(test > 50.0, "{}: test accuracy {test}%", row.label);
    }
    // The space file is part of the run's record.
    let manifest = std::fs::read_to_string(dir.path().join("run/manifest.json")).unwrap();
    assert!(manifest.contains("layers_space.toml"), "{manifest}");
}

#[test]
fn nb201_table5_over_the_declared_space_lands_within_the_same_tolerances() {
    if oxinas_testkit::data_file("nb201/nb201_merged.csv").is_none() {
        return;
    }
    let path = workspace_root().join("configs/declared/nb201-table5.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let parsed = ExperimentConfig::from_toml(&text, &path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut options = RunOptions::new(&path, &dir.path().join("run"), &workspace_root());
    options.threads = Some(2);
    let report = run_experiment(&parsed, &text, &options, &NoProgress).unwrap();
    assert_eq!(report.references.len(), 8, "REA and RS on four columns");
    for check in &report.references {
        assert_eq!(check.within_tolerance(), Some(true), "{check:?}");
    }
}
