//! DARTS on the NB201 and DARTS supernets, trained on the digits fixture:
//! the supernet learns and the architecture logits leave the uniform start.

use oxinas_oneshot::{DartsOrder, DartsReport, DartsSettings, SupernetSpace, run_darts};
use oxinas_spaces::DartsArch;
use oxinas_train::{DataSettings, DataSplits, DatasetName};

type Ad = oxinas_train::backend::CpuTrainBackend;

fn digits() -> DataSplits {
    DataSettings {
        dataset: DatasetName::Digits,
        subset: None,
        seed: 0,
        downsample: None,
        validation_size: Some(300),
        test_size: None,
        data_dir: None,
    }
    .load()
    .expect("the digits fixture ships with oxinas-train")
}

fn tiny(order: DartsOrder, epochs: usize) -> DartsSettings {
    DartsSettings {
        channels: 4,
        cells_per_stage: 1,
        epochs,
        batch_size: 64,
        order,
        weight_lr: 0.05,
        arch_lr: 0.05,
        steps_per_epoch: Some(12),
        ..DartsSettings::default()
    }
}

fn search(splits: &DataSplits, settings: &DartsSettings, seed: u64) -> DartsReport {
    let mut seen = 0;
    let report = run_darts::<Ad>(
        splits,
        settings,
        seed,
        &Default::default(),
        None,
        &mut |e| {
            seen += 1;
            assert_eq!(e.epoch, seen);
        },
    )
    .unwrap();
    assert_eq!(seen, settings.epochs);
    report
}

fn assert_learns(report: &DartsReport) {
    let first = &report.epochs[0];
    let last = report.epochs.last().unwrap();
    assert!(
        last.train_loss < first.train_loss * 0.8,
        "training loss {} -> {}",
        first.train_loss,
        last.train_loss
    );
    // The mixtures leave the uniform start.
    // Uniform mixtures have entropy ln 5 = 1.609 (NB201) or ln 8 = 2.079 (DARTS).
    let uniform = (report.mixture[0][0].len() as f64).ln();
    assert!(
        last.mean_entropy < uniform - 0.02,
        "mean entropy stayed at {}",
        last.mean_entropy
    );
    let spread = report
        .mixture
        .iter()
        .flatten()
        .flat_map(|row| row.iter().map(move |&p| (p - 1.0 / row.len() as f64).abs()))
        .fold(0.0f64, f64::max);
    assert!(spread > 0.02, "largest departure from uniform: {spread}");
}

#[test]
fn first_order_darts_learns_and_moves_the_architecture() {
    let splits = digits();
    let settings = tiny(DartsOrder::First, 4);
    let report = search(&splits, &settings, 1);
    assert_learns(&report);
    assert_eq!(report.arch.len(), 6);
    assert!(report.valid_accuracy > 0.2, "{}", report.valid_accuracy);
    // A seed fixes the search.
    let again = search(&splits, &settings, 1);
    assert_eq!(again.mixture, report.mixture);
    assert_eq!(again.epochs[3].train_loss, report.epochs[3].train_loss);
}

#[test]
fn second_order_darts_learns_and_moves_the_architecture() {
    let splits = digits();
    let report = search(&splits, &tiny(DartsOrder::Second, 4), 2);
    assert_learns(&report);
}

#[test]
fn darts_on_the_darts_space_learns_and_derives_a_genotype() {
    let splits = digits();
    let settings = DartsSettings {
        space: SupernetSpace::Darts,
        layers: 3,
        epochs: 3,
        batch_size: 48,
        steps_per_epoch: Some(10),
        ..tiny(DartsOrder::First, 3)
    };
    let report = search(&splits, &settings, 5);
    assert_learns(&report);
    assert_eq!(report.mixture.len(), 2, "normal and reduction logits");
    let arch = DartsArch::from_genotype(&report.arch_string).unwrap();
    assert_eq!(arch.to_compact(), report.arch);
}

#[test]
fn checkpoints_are_written_and_bad_settings_name_their_field() {
    let splits = digits();
    let dir = tempfile::tempdir().unwrap();
    let settings = DartsSettings {
        steps_per_epoch: Some(2),
        ..tiny(DartsOrder::First, 1)
    };
    run_darts::<Ad>(
        &splits,
        &settings,
        0,
        &Default::default(),
        Some(dir.path()),
        &mut |_| {},
    )
    .unwrap();
    for file in ["supernet.bin", "arch_weights.bin"] {
        let len = std::fs::metadata(dir.path().join(file)).unwrap().len();
        assert!(len > 100, "{file}: {len} bytes");
    }
    let bad = DartsSettings {
        batch_size: 5000,
        ..settings
    };
    let err =
        run_darts::<Ad>(&splits, &bad, 0, &Default::default(), None, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("batch_size"), "{err}");
}
