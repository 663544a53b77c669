//! Test fixtures: NATS-Bench archive files written in the published structure
//! (the official API's `ArchResults` / `ResultsCount` state dicts, pickled and
//! bzip2-compressed), with values given by closed-form formulas the tests
//! recompute on their own.

use std::io::Write;
use std::path::{Path, PathBuf};

use oxinas_formats::PyValue as Value;
use oxinas_formats::pickle_writer::pickle_value;

/// Seeds of the fixture's runs per dataset; cifar100 has two, as many
/// real cells do.
pub fn seeds(dataset: &str) -> &'static [i64] {
    match dataset {
        "cifar100" => &[777, 888],
        _ => &[777, 888, 999],
    }
}

/// The datasets and their evaluation sets, as in the real archive.
pub const DATASETS: [(&str, &[&str]); 4] = [
    ("cifar10-valid", &["x-valid", "ori-test"]),
    ("cifar10", &["ori-test"]),
    ("cifar100", &["ori-test", "x-valid", "x-test"]),
    ("ImageNet16-120", &["ori-test", "x-valid", "x-test"]),
];

fn set_offset(set: &str) -> f64 {
    match set {
        "train" => 5.0,
        "x-valid" => 0.0,
        "x-test" => 0.5,
        _ => 1.0,
    }
}

fn dataset_offset(dataset: &str) -> f64 {
    match dataset {
        "cifar10-valid" => 40.0,
        "cifar10" => 45.0,
        "cifar100" => 20.0,
        _ => 10.0,
    }
}

/// The fixture's accuracy of cell `index` on `dataset`/`set` (`"train"` for
/// training) after 0-based `epoch` of a run with `seed` and `epochs` epochs.
pub fn accuracy(index: usize, dataset: &str, set: &str, seed: i64, epochs: u32, epoch: u32) -> f64 {
    dataset_offset(dataset)
        + set_offset(set)
        + (index % 7) as f64
        + 30.0 * f64::from(epoch + 1) / f64::from(epochs)
        + (seed - 777) as f64 / 1000.0
}

/// Training time (s) of one epoch of the fixture's runs.
pub fn train_seconds(seed: i64, epoch: u32) -> f64 {
    10.0 + f64::from(epoch % 3) + (seed - 777) as f64 / 111.0
}

/// Evaluation time (s) of one epoch on any set.
pub const EVAL_SECONDS: f64 = 0.25;

fn s(text: &str) -> Value {
    Value::Str(text.to_owned())
}

fn hs(text: &str) -> Value {
    s(text)
}

fn dict(entries: Vec<(Value, Value)>) -> Value {
    Value::Dict(entries)
}

fn epoch_dict(epochs: u32, f: impl Fn(u32) -> f64) -> Value {
    dict(
        (0..epochs)
            .map(|e| (Value::Int(i64::from(e)), Value::Float(f(e))))
            .collect(),
    )
}

/// One `ResultsCount` state dict.
pub fn run_state(index: usize, arch_str: &str, dataset: &str, seed: i64, epochs: u32) -> Value {
    let sets = DATASETS
        .iter()
        .find(|(d, _)| *d == dataset)
        .map_or(&[][..], |(_, s)| s);
    let mut accs = Vec::new();
    let mut losses = Vec::new();
    let mut times = Vec::new();
    for set in sets {
        for e in 0..epochs {
            let key = hs(&format!("{set}@{e}"));
            let acc = accuracy(index, dataset, set, seed, epochs, e);
            accs.push((key.clone(), Value::Float(acc)));
            losses.push((key.clone(), Value::Float(5.0 - acc / 25.0)));
            times.push((key, Value::Float(EVAL_SECONDS)));
        }
    }
    let classes = match dataset {
        "cifar100" => 100,
        "ImageNet16-120" => 120,
        _ => 10,
    };
    dict(vec![
        (hs("name"), s(dataset)),
        (hs("net_state_dict"), Value::None),
        (
            hs("train_acc1es"),
            epoch_dict(epochs, |e| {
                accuracy(index, dataset, "train", seed, epochs, e)
            }),
        ),
        (hs("train_acc5es"), epoch_dict(epochs, |_| 99.0)),
        (
            hs("train_losses"),
            epoch_dict(epochs, |e| 3.0 - f64::from(e) / f64::from(epochs)),
        ),
        (
            hs("train_times"),
            epoch_dict(epochs, |e| train_seconds(seed, e)),
        ),
        (
            hs("arch_config"),
            dict(vec![
                (hs("name"), s("infer.tiny")),
                (hs("C"), Value::Int(16)),
                (hs("N"), Value::Int(5)),
                (hs("arch_str"), s(arch_str)),
                (hs("class_num"), Value::Int(classes)),
            ]),
        ),
        (hs("params"), Value::Float(0.5 + index as f64 / 100.0)),
        (hs("flop"), Value::Float(70.0 + index as f64)),
        (hs("seed"), Value::Int(seed)),
        (hs("epochs"), Value::Int(i64::from(epochs))),
        (
            hs("latency"),
            Value::List(vec![Value::Float(0.01), Value::Float(0.02)]),
        ),
        (
            hs("eval_names"),
            Value::List(sets.iter().map(|n| s(n)).collect()),
        ),
        (hs("eval_acc1es"), dict(accs)),
        (hs("eval_times"), dict(times)),
        (hs("eval_losses"), dict(losses)),
    ])
}

/// One `ArchResults` state dict with every dataset and its seeds.
pub fn arch_results_state(index: usize, arch_str: &str, epochs: u32) -> Value {
    let mut all_results = Vec::new();
    let mut dataset_seed = Vec::new();
    for (dataset, _) in DATASETS {
        let seeds = seeds(dataset);
        for &seed in seeds {
            all_results.push((
                Value::Tuple(vec![hs(dataset), Value::Int(seed)]),
                run_state(index, arch_str, dataset, seed, epochs),
            ));
        }
        dataset_seed.push((
            hs(dataset),
            Value::List(seeds.iter().map(|&s| Value::Int(s)).collect()),
        ));
    }
    dict(vec![
        (hs("arch_index"), Value::Int(index as i64)),
        (hs("arch_str"), s(arch_str)),
        (hs("all_results"), dict(all_results)),
        (hs("dataset_seed"), dict(dataset_seed)),
        (hs("clear_net_done"), Value::Bool(true)),
    ])
}

/// The whole file's value: both schedules.
pub fn file_state(index: usize, arch_str: &str) -> Value {
    dict(vec![
        (hs("12"), arch_results_state(index, arch_str, 12)),
        (hs("200"), arch_results_state(index, arch_str, 200)),
    ])
}

/// Pickles and bzip2-compresses `value` into `path`.
pub fn write_value(path: &Path, value: &Value) {
    let bytes = pickle_value(value);
    let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    encoder.write_all(&bytes).expect("compress");
    std::fs::write(path, encoder.finish().expect("compress")).expect("write fixture");
}

/// Writes the file of cell `index` (unpadded name) into `dir`.
pub fn write_arch_file(dir: &Path, index: usize, arch_str: &str) -> PathBuf {
    let path = dir.join(format!("{index}.pickle.pbz2"));
    write_value(&path, &file_state(index, arch_str));
    path
}
