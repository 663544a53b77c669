//! A layer-wise space declared in TOML builds networks that learn the digits.

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Evaluator, Fidelity, SearchSpace};
use oxinas_spaces::DeclaredSpace;
use oxinas_train::{DatasetName, LayerwiseTrainEvaluator, TrainEvaluatorSettings};

const SPACE: &str = r#"
name = "tiny-layers"

[[choice]]
name = "op"
values = ["conv3x3", "sep_conv3x3", "mbconv3x3_e2", "max_pool3x3", "skip"]
repeat = 2

[[choice]]
name = "width"
values = [8, 16]

[network]
layers = 2
op = "op"
width = "width"
stem = 8
"#;

fn settings() -> TrainEvaluatorSettings {
    TrainEvaluatorSettings {
        dataset: DatasetName::Digits,
        subset: None,
        channels: 0,
        cells_per_stage: 0,
        epochs: 4,
        batch_size: 32,
        lr: 0.05,
        seed: 0,
        downsample: None,
        validation_size: None,
        test_size: None,
        data_dir: None,
        space_file: None,
    }
}

#[test]
fn declared_networks_learn_digits_and_repeat_exactly() {
    let space = DeclaredSpace::from_toml(SPACE, None).unwrap();
    let evaluator = LayerwiseTrainEvaluator::new(settings(), space.clone()).unwrap();
    let conv = space.parse("conv3x3 mbconv3x3_e2 16").unwrap();
    let run = |seed: u64| {
        evaluator
            .evaluate(&conv, Fidelity::epochs(4), &mut rng_from_seed(seed))
            .unwrap()
    };
    let first = run(1);
    // Ten classes: chance is 10%.
    let valid = first.observation.validation.unwrap();
    assert!(valid > 60.0, "validation accuracy {valid}%");
    assert!(first.test.unwrap() > 60.0);
    // Parameters by hand: stem 1->8 3x3 (72) + BN 16; conv3x3 8->16 (1,152) + BN 32;
    // mbconv e2 16->16: 16->32 (512) + BN 64, depthwise 32x9 (288) + BN 64,
    // 32->16 (512) + BN 32; classifier 16->10 (160 + 10).
    assert_eq!(
        first.observation.params,
        Some((72 + 16 + 1152 + 32 + 512 + 64 + 288 + 64 + 512 + 32 + 170) as f64)
    );
    let again = run(1);
    assert_eq!(again.observation.validation, first.observation.validation);
    assert_eq!(again.test, first.test);
    // Two skips learn from the stem alone, and less.
    let skips = space.parse("skip skip 8").unwrap();
    let weak = evaluator
        .evaluate(&skips, Fidelity::epochs(4), &mut rng_from_seed(1))
        .unwrap();
    assert!(weak.observation.params.unwrap() < first.observation.params.unwrap());
}

#[test]
fn declared_training_settings_are_checked_before_any_work() {
    let space = DeclaredSpace::from_toml(SPACE, None).unwrap();
    let mut with_channels = settings();
    with_channels.channels = 16;
    let message = LayerwiseTrainEvaluator::new(with_channels, space.clone())
        .err()
        .unwrap()
        .to_string();
    assert!(
        message.contains("channels") && message.contains("remove it"),
        "{message}"
    );
    let flat = DeclaredSpace::from_toml(
        "name = \"flat\"\n[[choice]]\nname = \"a\"\nvalues = [1, 2]\n",
        None,
    )
    .unwrap();
    let message = LayerwiseTrainEvaluator::new(settings(), flat)
        .err()
        .unwrap()
        .to_string();
    assert!(message.contains("[network]"), "{message}");
    let evaluator = LayerwiseTrainEvaluator::new(settings(), space.clone()).unwrap();
    let arch = space.parse("skip skip 8").unwrap();
    assert!(
        evaluator
            .evaluate(&arch, Fidelity::epochs(5), &mut rng_from_seed(0))
            .is_err()
    );
    assert_eq!(evaluator.name(), "train-tiny-layers-digits");
}
