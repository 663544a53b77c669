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

    // `cargo xtask ranks` reads declared runs like any other: a second seed,
    // then both runs ranked together.
    let seed1 = config.replace("seed = 0", "seed = 1");
    let parsed1 = ExperimentConfig::from_toml(&seed1, &path).unwrap();
    let mut options1 = RunOptions::new(&path, &dir.path().join("run1"), &workspace_root());
    options1.threads = Some(2);
    run_experiment(&parsed1, &seed1, &options1, &NoProgress).unwrap();
    let ranks = oxinas_experiment::RankReport::from_run_dirs(
        "valid regret",
        &[dir.path().join("run"), dir.path().join("run1")],
        oxinas_experiment::RankOrder::LowerIsBetter,
    )
    .unwrap();
    assert_eq!(ranks.benchmarks.len(), 2);
    let text = ranks.markdown(None);
    for label in ["RS", "REA", "LS", "BANANAS", "MO-REA"] {
        assert!(text.contains(label), "{text}");
    }
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

/// Writes `cell.toml` (NB201 declared) and `cells.jsonl`: every cell with a
/// made-up curve (convolutions help, more so late) and a cost.
fn write_cells(dir: &std::path::Path) {
    std::fs::write(dir.join("cell.toml"), NB201_SPACE).unwrap();
    let space = DeclaredSpace::from_toml(NB201_SPACE, None).unwrap();
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
    std::fs::write(dir.join("cells.jsonl"), jsonl).unwrap();
}

#[test]
fn a_declared_cell_space_with_curves_runs_graph_and_multi_fidelity_optimizers() {
    let dir = tempfile::tempdir().unwrap();
    write_cells(dir.path());
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
    // The tutorial's predictor study reads the same table.
    let study_text =
        std::fs::read_to_string(configs.join("predictors-nas-bench-graph.toml")).unwrap();
    let study: toml::Table = toml::from_str(&study_text).unwrap();
    let table: oxinas_benchmarks::TableConfig = study["table"].clone().try_into().unwrap();
    let encoding = study["encoding"].as_str().unwrap();
    let (archs, _) = oxinas_experiment::table_study_archs(
        &table,
        &dir.path().join("predictors-nas-bench-graph.toml"),
        encoding,
        None,
    )
    .unwrap();
    assert_eq!(archs.len(), valids.len());
    for name in study["predictors"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        assert!(
            name.parse::<oxinas_predictors::predictor_study::PredictorKind>()
                .is_ok(),
            "{name}"
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

#[test]
fn the_predictor_study_reads_a_declared_table() {
    use oxinas_predictors::predictor_study::{
        CurveSettings, PredictorKind, StudyConfig, TargetTransform, run_study,
    };
    let dir = tempfile::tempdir().unwrap();
    write_cells(dir.path());
    let table: oxinas_benchmarks::TableConfig = toml::from_str(
        r#"
        path = "cells.jsonl"
        space_file = "cell.toml"
        arch_column = "cell"
        validation = { columns = { 12 = "v12", 200 = "v200" }, goal = "maximize" }
        "#,
    )
    .unwrap();
    let config_path = dir.path().join("study.toml");
    let (archs, target_epoch) =
        oxinas_experiment::table_study_archs(&table, &config_path, "path", Some("gcn_raw"))
            .unwrap();
    assert_eq!((archs.len(), target_epoch), (15_625, 200));
    // Every cell's observed curve is its 12-epoch value.
    assert!(
        archs
            .iter()
            .all(|a| a.validation_curve.len() == 1 && a.graph.is_some())
    );
    let study = StudyConfig {
        test_size: 300,
        train_sizes: vec![100],
        trials: 2,
        seed: 0,
        predictors: vec![PredictorKind::Blr, PredictorKind::EarlyStop],
        curves: CurveSettings {
            target_epoch,
            sotl_epochs: 1,
        },
        target_transform: TargetTransform::Identity,
    };
    let result = run_study(&archs, &study).unwrap();
    // v12 and v200 both grow with convolutions and fall with zero edges.
    let early = result.row("early_stop", 100).unwrap().kendall_tau.mean;
    assert!(early > 0.8, "early stop tau {early}");
    let blr = result.row("blr", 100).unwrap().kendall_tau.mean;
    assert!(blr > 0.3, "BLR tau {blr}");
    // A table over a built-in space is refused, naming the key.
    let built_in: oxinas_benchmarks::TableConfig = toml::from_str(
        r#"
        path = "cells.jsonl"
        space = "nb201"
        arch_column = "cell"
        validation = { column = "v200", goal = "maximize" }
        "#,
    )
    .unwrap();
    let message = oxinas_experiment::table_study_archs(&built_in, &config_path, "path", None)
        .unwrap_err()
        .to_string();
    assert!(message.contains("table.space_file"), "{message}");
}
