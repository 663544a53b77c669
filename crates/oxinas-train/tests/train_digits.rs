//! Real training on the digits fixture: well above chance, and reproducible.

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Evaluator, Fidelity};
use oxinas_spaces::Nb201Arch;
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::*;

fn small_settings(epochs: usize) -> TrainSettings {
    TrainSettings {
        epochs,
        batch_size: 64,
        optimizer: OptimizerSettings::NB201,
        lr: 0.1,
        min_lr: 0.0,
        warmup_epochs: 1,
        label_smoothing: 0.1,
        grad_clip_norm: Some(5.0),
        augmentation: Some(AugmentationSettings {
            crop_padding: 1,
            horizontal_flip: false,
        }),
        eval_batch_size: 256,
    }
}

#[test]
fn nb201_cell_learns_digits_well_above_chance() {
    let data = read_digits().unwrap();
    let splits = split_three(&data, 300, 300, 1).unwrap();
    let config = Nb201NetworkConfig {
        channels: 8,
        cells_per_stage: 1,
        num_classes: 10,
        input_channels: 1,
    };
    // The best CIFAR-10 cell of NAS-Bench-201.
    let arch = Nb201Arch::from_op_digits("331213").unwrap();
    let device = Default::default();
    let run = |seed: u64| {
        let net =
            Nb201Network::<CpuTrainBackend>::new(&config, &arch, &mut rng_from_seed(seed), &device)
                .unwrap();
        let mut epochs_seen = Vec::new();
        let (_, report) = train(net, &splits, &small_settings(4), seed, &device, &mut |r| {
            epochs_seen.push(r.epoch)
        })
        .unwrap();
        assert_eq!(epochs_seen, vec![1, 2, 3, 4]);
        report
    };
    let report = run(3);
    assert!(report.failure.is_none());
    // Chance is 10 %.
    assert!(
        report.validation_accuracy > 0.7,
        "validation accuracy {}",
        report.validation_accuracy
    );
    assert!(
        report.test_accuracy > 0.7,
        "test accuracy {}",
        report.test_accuracy
    );
    assert!(report.epochs[3].train_loss < report.epochs[0].train_loss);
    // Same seed, same run.
    let again = run(3);
    assert_eq!(
        report
            .epochs
            .iter()
            .map(|e| e.train_loss)
            .collect::<Vec<_>>(),
        again
            .epochs
            .iter()
            .map(|e| e.train_loss)
            .collect::<Vec<_>>()
    );
    assert_eq!(report.test_accuracy, again.test_accuracy);
}

#[test]
fn train_evaluator_reports_validation_to_optimizers_and_test_apart() {
    let settings: TrainEvaluatorSettings = toml::from_str(
        r#"
        dataset = "digits"
        channels = 4
        cells_per_stage = 1
        epochs = 2
        batch_size = 64
        lr = 0.1
        seed = 5
        "#,
    )
    .unwrap();
    let evaluator = TrainEvaluator::new(settings).unwrap();
    assert_eq!(
        evaluator.fidelities(),
        vec![Fidelity::epochs(1), Fidelity::epochs(2)]
    );
    let arch = Nb201Arch::from_op_digits("331213").unwrap();
    let eval = evaluator
        .evaluate(&arch, Fidelity::epochs(2), &mut rng_from_seed(9))
        .unwrap();
    let v = eval.observation.validation.unwrap();
    assert!((0.0..=100.0).contains(&v));
    assert!(eval.test.is_some());
    assert_eq!(
        eval.observation.learning_curve.as_ref().map(Vec::len),
        Some(2)
    );
    assert!(eval.observation.params.unwrap() > 0.0);
    assert!(
        evaluator
            .evaluate(&arch, Fidelity::epochs(3), &mut rng_from_seed(9))
            .is_err()
    );
    // Unknown settings are rejected.
    let bad = toml::from_str::<TrainEvaluatorSettings>(
        "dataset = \"digits\"\nchannels = 4\ncells_per_stage = 1\nepochs = 1\nbatch_size = 8\nlr = 0.1\nseed = 1\nlearning_rate = 3",
    );
    assert!(bad.is_err());
}
