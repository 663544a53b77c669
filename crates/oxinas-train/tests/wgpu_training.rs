//! The GPU code path on every test run: a few training steps of a small
//! NB201 network on the wgpu backend (Mesa's software Vulkan driver where the
//! machine has no GPU) against the same steps on the CPU backend.
//!
//! Compiled when the `wgpu` feature is on, which the workspace's test build
//! turns on (oxinas-experiment's dev-dependency).
#![cfg(feature = "wgpu")]

use oxinas_core::ConfigError;
use oxinas_core::seed::rng_from_seed;
use oxinas_spaces::Nb201Arch;
use oxinas_testkit::skip_test;
use oxinas_train::backend::{AutodiffBackend, BackendError};
use oxinas_train::*;

/// Two epochs of the training split in batches of 64, no augmentation, from seed 3.
struct TwoEpochs<'a> {
    splits: &'a DataSplits,
}

impl TrainJob for TwoEpochs<'_> {
    type Output = Result<TrainReport, ConfigError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let config = Nb201NetworkConfig {
            channels: 4,
            cells_per_stage: 1,
            num_classes: 10,
            input_channels: 1,
        };
        // Every op of the space: convolutions, pooling, skip and zero.
        let arch = Nb201Arch::from_op_digits("320413").unwrap();
        let net = Nb201Network::<B>::new(&config, &arch, &mut rng_from_seed(3), &device).unwrap();
        let settings = TrainSettings {
            epochs: 2,
            batch_size: 64,
            optimizer: OptimizerSettings::NB201,
            lr: 0.05,
            min_lr: 0.0,
            warmup_epochs: 0,
            label_smoothing: 0.0,
            grad_clip_norm: Some(5.0),
            augmentation: None,
            eval_batch_size: 128,
        };
        train(net, self.splits, &settings, 3, &device, &mut |_| {}).map(|(_, report)| report)
    }
}

fn wgpu_or_skip() -> Option<TrainDevice> {
    let device = TrainDevice::Wgpu(WgpuAdapter::Default);
    match device.open() {
        Ok(_) => Some(device),
        Err(e) => {
            skip_test(&format!(
                "no wgpu adapter ({e}); on Debian install mesa-vulkan-drivers"
            ));
            None
        }
    }
}

#[test]
fn training_steps_on_wgpu_match_the_cpu_backend() {
    let Some(gpu) = wgpu_or_skip() else { return };
    // 128 training images: 2 steps per epoch (lavapipe runs kernels slowly).
    let data = seeded_subset(&read_digits().unwrap(), 384, 0);
    let splits = split_three(&data, 128, 128, 1).unwrap();
    let on_gpu = gpu.run(TwoEpochs { splits: &splits }).unwrap().unwrap();
    let on_cpu = TrainDevice::Cpu
        .run(TwoEpochs { splits: &splits })
        .unwrap()
        .unwrap();
    assert_eq!(on_gpu.epochs.len(), 2);
    for (g, c) in on_gpu.epochs.iter().zip(&on_cpu.epochs) {
        // Same weights, same batches: only float32 summation order differs
        // between the kernels, so the losses agree to a few units in the
        // fourth decimal after four steps (the gap grows with the steps:
        // 2.4e-3 after 48).
        assert!(
            (g.train_loss - c.train_loss).abs() <= 1e-3,
            "epoch {}: wgpu loss {} vs cpu {}",
            g.epoch,
            g.train_loss,
            c.train_loss
        );
    }
    // 128 validation images: one image is 0.0078.
    assert!(
        (on_gpu.validation_accuracy - on_cpu.validation_accuracy).abs() <= 0.02,
        "wgpu {} vs cpu {}",
        on_gpu.validation_accuracy,
        on_cpu.validation_accuracy
    );
}

#[test]
fn the_wgpu_device_is_described() {
    let Some(gpu) = wgpu_or_skip() else { return };
    let description = gpu.open().unwrap();
    assert_eq!(description.requested, "wgpu");
    assert!(
        description.backend.contains("wgpu"),
        "{}",
        description.backend
    );
    assert!(compiled_gpu_backends().contains(&"wgpu".to_owned()));
}

#[test]
fn a_discrete_gpu_that_is_not_there_is_an_error_not_a_panic() {
    // No machine this suite runs on has 1000 discrete GPUs.
    match TrainDevice::Wgpu(WgpuAdapter::Discrete(999)).open() {
        Err(BackendError::WgpuUnavailable { requested, message }) => {
            assert_eq!(requested, "wgpu:999");
            assert!(!message.is_empty());
        }
        other => panic!("expected WgpuUnavailable, got {other:?}"),
    }
}
