//! ENAS on the NB201 supernet, trained on the digits fixture: the
//! controller's mean reward rises as the shared weights and the controller learn.

use oxinas_oneshot::{EnasReport, EnasSettings, run_enas};
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::{DataSettings, DataSplits, DatasetName};

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

fn tiny() -> EnasSettings {
    EnasSettings {
        channels: 4,
        cells_per_stage: 1,
        epochs: 6,
        batch_size: 64,
        weight_lr: 0.1,
        steps_per_epoch: Some(18),
        controller_hidden: 16,
        controller_lr: 0.01,
        controller_steps: 15,
        temperature: 1.0,
        tanh_constant: 0.0,
        final_samples: 8,
        ..EnasSettings::default()
    }
}

fn search(splits: &DataSplits, settings: &EnasSettings, seed: u64) -> EnasReport {
    run_enas::<CpuTrainBackend>(
        splits,
        settings,
        seed,
        &Default::default(),
        None,
        &mut |_| {},
    )
    .unwrap()
}

#[test]
fn the_mean_reward_rises_and_a_seed_fixes_the_search() {
    let splits = digits();
    let report = search(&splits, &tiny(), 3);
    let rewards: Vec<f64> = report.epochs.iter().map(|e| e.mean_reward).collect();
    assert!(
        rewards[5] > rewards[0] + 0.2,
        "mean rewards by epoch: {rewards:?}"
    );
    assert!(report.valid_accuracy > 0.3, "{}", report.valid_accuracy);
    assert_eq!(report.arch.len(), 6);
    let again = search(&splits, &tiny(), 3);
    assert_eq!(again.arch, report.arch);
    assert_eq!(again.epochs[5].mean_reward, report.epochs[5].mean_reward);
}

#[test]
fn checkpoints_hold_the_supernet_and_the_controller() {
    let splits = digits();
    let dir = tempfile::tempdir().unwrap();
    let settings = EnasSettings {
        epochs: 1,
        steps_per_epoch: Some(2),
        controller_steps: 2,
        final_samples: 1,
        ..tiny()
    };
    run_enas::<CpuTrainBackend>(
        &splits,
        &settings,
        0,
        &Default::default(),
        Some(dir.path()),
        &mut |_| {},
    )
    .unwrap();
    for file in ["supernet.bin", "controller.bin"] {
        let len = std::fs::metadata(dir.path().join(file)).unwrap().len();
        assert!(len > 100, "{file}: {len} bytes");
    }
    let bad = EnasSettings {
        baseline_decay: 1.5,
        ..settings
    };
    let err = run_enas::<CpuTrainBackend>(&splits, &bad, 0, &Default::default(), None, &mut |_| {})
        .unwrap_err();
    assert!(err.to_string().contains("baseline_decay"), "{err}");
}
