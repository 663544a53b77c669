//! The `train` benchmark: cells trained for real on the digits fixture.

mod support;

use support::{queries, run, workspace_root};

use std::path::Path;

use oxinas_experiment::{
    BenchmarkConfig, ExperimentConfig, NoProgress, RunOptions, run_experiment,
};
use oxinas_train::DatasetName;

/// The quickstart, shrunk: one random-search trial of 3 one-epoch queries.
const TINY: &str = r#"
name = "tiny-train"
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
budget = { queries = 3 }

[[optimizer]]
kind = "random_search"

[[report]]
label = "test acc"
metric = "test_acc@1"
"#;

#[test]
fn cells_trained_on_digits_are_searched_and_reported_reproducibly() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(TINY, &dir.path().join("a"), 1);
    let first = queries(&dir.path().join("a"));
    assert_eq!(first.len(), 3);
    for (arch, validation) in &first {
        assert!(
            (0.0..=100.0).contains(validation),
            "{arch}: validation {validation}"
        );
    }
    // The best of three random cells learns something in one epoch (chance: 10 %).
    let best = first.iter().map(|(_, v)| *v).fold(f64::MIN, f64::max);
    assert!(best > 20.0, "best validation accuracy {best}");
    let test = report.optimizers[0].metrics[0].expect("test accuracy reported");
    assert!((0.0..=100.0).contains(&test.mean));
    // The best returned cell is the one with the best validation accuracy,
    // named with its test accuracy.
    let returned = report.optimizers[0].best.as_ref().expect("a cell returned");
    assert_eq!(returned.validation, best);
    assert!(
        first.contains(&(returned.arch.clone(), best)),
        "{returned:?}"
    );
    assert_eq!(returned.metrics, vec![Some(test.mean)]);
    assert!(report.best_markdown().contains(returned.arch.as_str()));
    // The manifest records the digits fixture's checksum.
    let manifest = std::fs::read_to_string(dir.path().join("a/manifest.json")).unwrap();
    assert!(manifest.contains("digits.csv.gz"), "{manifest}");

    // Same seed, another thread count: the same cells and accuracies.
    let again = run(TINY, &dir.path().join("b"), 2);
    assert_eq!(queries(&dir.path().join("b")), first);
    assert_eq!(again.optimizers[0].metrics, report.optimizers[0].metrics);
}

#[test]
fn train_settings_are_checked() {
    let config_error = |text: &str| {
        ExperimentConfig::from_toml(text, Path::new("inline.toml"))
            .unwrap_err()
            .to_string()
    };
    let err = config_error(&TINY.replace("lr = 0.1", "lr = 0.1\nlearning_rate = 3"));
    assert!(err.contains("learning_rate"), "{err}");
    let err = config_error(&TINY.replace("\"digits\"", "\"mnist\""));
    assert!(err.contains("mnist"), "{err}");

    // Fidelity beyond the configured epochs, and an unknown report metric,
    // are refused before anything trains.
    let run_error = |text: String| {
        let path = Path::new("inline.toml");
        let config = ExperimentConfig::from_toml(&text, path).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let options = RunOptions::new(path, dir.path(), &workspace_root());
        run_experiment(&config, &text, &options, &NoProgress)
            .unwrap_err()
            .to_string()
    };
    let err = run_error(TINY.replace("fidelity = 1", "fidelity = 2"));
    assert!(err.contains("available epochs: 1"), "{err}");
    let err = run_error(TINY.replace("test_acc@1", "test_acc@5"));
    assert!(err.contains("test_acc@E"), "{err}");
}

#[test]
fn the_quickstart_config_trains_on_the_digits_fixture() {
    let path = workspace_root().join("configs/quickstart.toml");
    let (config, _) = ExperimentConfig::load(&path).unwrap();
    let BenchmarkConfig::Train(settings) = &config.benchmark else {
        panic!("quickstart must use the train benchmark");
    };
    // No download: the fixture ships with the sources.
    assert_eq!(settings.dataset, DatasetName::Digits);
    assert_eq!(config.search.fidelity, Some(settings.epochs));
}
