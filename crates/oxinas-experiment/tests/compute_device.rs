//! `[compute] device` and `--device`: a wrong choice is a typed error naming
//! the key before any data is loaded or any run directory is made; a search
//! on the wgpu backend (Mesa's software Vulkan driver where there is no GPU)
//! finds what the CPU finds and records the device in its manifest.

mod support;

use std::path::Path;

use oxinas_experiment::{
    ExperimentConfig, ExperimentError, NoProgress, OneShotOptions, RunOptions, TrainDevice,
    run_experiment, run_oneshot_config,
};
use oxinas_testkit::skip_test;
use oxinas_train::WgpuAdapter;
use support::{queries, workspace_root};

/// One random-search trial of 2 one-epoch queries of cells trained on 136
/// digits (2 steps; lavapipe runs kernels slowly).
const TINY_TRAIN: &str = r#"
name = "tiny-train-device"
seed = 4
trials = 1

[benchmark]
name = "train"
dataset = "digits"
subset = 200
validation_size = 64
test_size = 64
channels = 4
cells_per_stage = 1
epochs = 1
batch_size = 64
lr = 0.1
seed = 0

[search]
fidelity = 1
budget = { queries = 2 }

[[optimizer]]
kind = "random_search"
"#;

fn with_device(text: &str, device: &str) -> String {
    format!("{text}\n[compute]\ndevice = \"{device}\"\n")
}

/// Runs `text` into `out`, with `device` over the config's.
fn try_run(
    text: &str,
    out: &Path,
    device: Option<TrainDevice>,
) -> Result<oxinas_experiment::ExperimentReport, ExperimentError> {
    let path = Path::new("inline.toml");
    let config = ExperimentConfig::from_toml(text, path)?;
    let mut options = RunOptions::new(path, out, &workspace_root());
    options.threads = Some(1);
    options.device = device;
    run_experiment(&config, text, &options, &NoProgress)
}

#[test]
fn an_unknown_device_names_its_line_and_the_accepted_names() {
    let text = with_device(TINY_TRAIN, "gpu");
    let err = ExperimentConfig::from_toml(&text, Path::new("inline.toml")).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("inline.toml"), "{message}");
    assert!(message.contains("unknown device \"gpu\""), "{message}");
    assert!(message.contains("\"cuda:N\""), "{message}");
    let line = text.lines().position(|l| l.contains("\"gpu\"")).unwrap() + 1;
    assert!(message.contains(&format!("line {line}")), "{message}");
}

#[cfg(not(feature = "cuda"))]
#[test]
fn cuda_in_a_build_without_it_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let err = try_run(&with_device(TINY_TRAIN, "cuda"), &out, None).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("compute.device"), "{message}");
    assert!(message.contains("no CUDA backend"), "{message}");
    assert!(!out.exists(), "a run directory was made");

    // The command line's device is named as such.
    let err = try_run(TINY_TRAIN, &out, Some(TrainDevice::Cuda(7))).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("--device") && message.contains("cuda:7"),
        "{message}"
    );
    assert!(!out.exists());
}

#[test]
fn a_device_for_a_benchmark_that_trains_nothing_is_refused() {
    let text = r#"
name = "table-device"
seed = 0
trials = 1
[benchmark]
name = "nb201"
dataset = "cifar10-valid"
[search]
fidelity = 200
budget = { queries = 5 }
[[optimizer]]
kind = "random_search"
"#;
    let dir = tempfile::tempdir().unwrap();
    let err = try_run(&with_device(text, "cpu"), dir.path(), None).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("compute.device") && message.contains("nb201"),
        "{message}"
    );
}

#[cfg(not(feature = "cuda"))]
#[test]
fn a_one_shot_run_checks_its_device_before_loading_data() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("darts.toml");
    let tiny =
        std::fs::read_to_string(workspace_root().join("configs/oneshot/darts_tiny.toml")).unwrap();
    // A data directory that does not exist: the device error must come first.
    let text = tiny.replace(
        "dataset = \"digits\"",
        "dataset = \"cifar10\"\ndata_dir = \"missing\"",
    );
    std::fs::write(&config, with_device(&text, "cuda:1")).unwrap();
    let out = dir.path().join("run");
    let err = run_oneshot_config(OneShotOptions {
        config_path: &config,
        out: Some(&out),
        repo_dir: &workspace_root(),
        progress: &NoProgress,
        log: &mut |_: &str| {},
        device: None,
    })
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("compute.device") && message.contains("no CUDA backend"),
        "{message}"
    );
    assert!(!out.exists());
}

#[test]
fn a_search_on_wgpu_finds_what_the_cpu_finds_and_records_the_device() {
    if let Err(e) = TrainDevice::Wgpu(WgpuAdapter::Default).open() {
        skip_test(&format!(
            "no wgpu adapter ({e}); on Debian install mesa-vulkan-drivers"
        ));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let gpu = dir.path().join("wgpu");
    try_run(&with_device(TINY_TRAIN, "wgpu"), &gpu, None).unwrap();
    let cpu = dir.path().join("cpu");
    try_run(TINY_TRAIN, &cpu, None).unwrap();

    let (on_gpu, on_cpu) = (queries(&gpu), queries(&cpu));
    assert_eq!(on_gpu.len(), 2);
    for ((gpu_arch, gpu_acc), (cpu_arch, cpu_acc)) in on_gpu.iter().zip(&on_cpu) {
        // The same seeds draw the same cells whatever trains them.
        assert_eq!(gpu_arch, cpu_arch);
        // One epoch of the same batches from the same weights: float32
        // summation order differs, so one of the 64 validation images may
        // change class (1 image = 1.56 points).
        assert!(
            (gpu_acc - cpu_acc).abs() <= 1.6,
            "{gpu_arch}: wgpu {gpu_acc} vs cpu {cpu_acc}"
        );
    }

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(gpu.join("manifest.json")).unwrap()).unwrap();
    let compute = &manifest["compute"];
    assert_eq!(compute["requested"], "wgpu");
    let backend = compute["backend"].as_str().unwrap();
    assert!(backend.contains("wgpu"), "{backend}");
    assert_eq!(manifest["code"]["backend"].as_str(), Some(backend));
    assert!(
        manifest["code"]["features"]
            .as_array()
            .unwrap()
            .contains(&"wgpu".into())
    );
    let cpu_manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(cpu.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(cpu_manifest["compute"]["requested"], "cpu");
}
