//! Training and inference throughput of the NB201 cell network on every
//! backend compiled in (the CPU always; CUDA and wgpu in builds with those
//! features), side by side with PyTorch running the same network and step
//! (`benchmarks/nb201_train_speed_pytorch.py`) when `torch` is importable.

use std::process::Command;

use oxinas_spaces::Nb201Arch;
use oxinas_train::backend::AutodiffBackend;
use oxinas_train::{Nb201NetworkConfig, TrainDevice, TrainJob, WgpuAdapter, time_nb201_steps};
use serde::Deserialize;

use crate::{BenchError, Case, CaseReport, Check, Mode, ReferenceTiming, Throughput, time_runs};

/// Threads of both sides on the CPU: the protocol, and what CI has.
const THREADS: usize = 2;
/// Images per batch.
const BATCH: usize = 64;
/// The best CIFAR-10 cell of NAS-Bench-201 (convolutions on most edges).
const ARCH: &str = "331213";

/// The two network sizes: NB201's own (C=16, N=5) and a small one.
const SIZES: [(usize, usize); 2] = [(16, 5), (8, 1)];

/// One case per backend compiled in, network size, and training step or
/// forward pass.
pub fn cases() -> Vec<Case> {
    // This crate's own features, not the trainer's: the workspace's test
    // build turns the trainer's wgpu on, and the quick suite must not time
    // NB201-sized training on a software GPU.
    let mut devices = vec![TrainDevice::Cpu];
    if cfg!(feature = "cuda") {
        devices.push(TrainDevice::Cuda(0));
    }
    if cfg!(feature = "wgpu") {
        devices.push(TrainDevice::Wgpu(WgpuAdapter::Default));
    }
    let mut cases = Vec::new();
    for device in devices {
        for (channels, cells) in SIZES {
            for train in [true, false] {
                let part = if train { "step" } else { "forward" };
                let what = format!(
                    "NB201 network C={channels} N={cells}, batch {BATCH} of 32x32x3, {} on {device} ({THREADS} CPU threads)",
                    if train {
                        "training step (forward, backward, Nesterov SGD)"
                    } else {
                        "forward pass"
                    }
                );
                cases.push(Case::new(
                    format!("train/{device}/c{channels}-n{cells}-{part}"),
                    what,
                    move |mode| run(mode, device, channels, cells, train),
                ));
            }
        }
    }
    cases
}

/// The timing, on whichever backend the device selects.
#[derive(Clone)]
struct Timing {
    config: Nb201NetworkConfig,
    steps: usize,
    runs: usize,
    train: bool,
}

impl TrainJob for Timing {
    type Output = Result<oxinas_train::StepTiming, oxinas_core::ConfigError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let arch = Nb201Arch::from_op_digits(ARCH).expect("a valid cell");
        time_nb201_steps::<B>(
            &self.config,
            &arch,
            BATCH,
            self.steps,
            self.runs,
            self.train,
            &device,
        )
    }
}

fn run(
    mode: Mode,
    device: TrainDevice,
    channels: usize,
    cells: usize,
    train: bool,
) -> Result<CaseReport, BenchError> {
    let config = Nb201NetworkConfig {
        channels,
        cells_per_stage: cells,
        num_classes: 10,
        input_channels: 3,
    };
    // About 20 s per run on 2 cores at NB201's size; one step in quick mode.
    let steps = match (mode, channels, train) {
        (Mode::Quick, _, _) => 1,
        (_, 16, true) => 5,
        (_, 16, false) => 15,
        (_, _, true) => 20,
        (_, _, false) => 60,
    };
    let runs = mode.runs(3);
    let name = format!(
        "train/{device}/c{channels}-n{cells}-{}",
        if train { "step" } else { "forward" }
    );
    let description = device
        .open()
        .map_err(|e| BenchError::setup(format!("opening {device}"), e))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(THREADS)
        .build()
        .map_err(|e| BenchError::setup("a 2-thread pool", e))?;
    let job = Timing {
        config,
        steps,
        runs: 1,
        train,
    };
    // Each run is timed inside the job (after its warm-up step); the outer
    // loop only repeats it.
    let (_, timings) = time_runs(runs, || {
        pool.install(|| device.run(job.clone()))
            .map_err(|e| BenchError::setup(format!("running on {device}"), e))?
            .map_err(|e| BenchError::setup("the NB201 network", e))
    })?;
    let samples: Vec<f64> = timings.iter().flat_map(|t| t.seconds.clone()).collect();
    let finite = timings.iter().all(|t| t.last_loss.is_finite());
    let check = Check::new(
        finite,
        format!(
            "{} finite after every run ({})",
            if train { "loss" } else { "logit sum" },
            timings
                .iter()
                .map(|t| format!("{:.4}", t.last_loss))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    );
    let mut note = format!(
        "{} on {} ({}); {steps} {} of {BATCH} images per run",
        description.backend,
        description.requested,
        description.name.as_deref().unwrap_or("unknown hardware"),
        if train { "steps" } else { "forward passes" }
    );
    let torch_device = match device {
        TrainDevice::Cpu => Ok("cpu"),
        TrainDevice::Cuda(_) => Ok("cuda"),
        TrainDevice::Wgpu(_) => Err("PyTorch has no wgpu backend".to_owned()),
    };
    let reference = torch_device
        .and_then(|torch| pytorch_reference(channels, cells, steps, runs, train, torch))
        .inspect_err(|why| note.push_str(&format!("; no PyTorch reference: {why}")))
        .ok();
    Ok(CaseReport {
        name,
        samples_s: samples,
        throughput: Some(Throughput {
            items: (steps * BATCH) as f64,
            unit: "image".to_owned(),
        }),
        reference,
        check,
        peak_rss_kib: None,
        note,
    })
}

/// What the PyTorch script prints with `--json`.
#[derive(Deserialize)]
struct TorchRun {
    torch: String,
    seconds: Vec<f64>,
}

/// Runs the PyTorch script with the first Python that imports `torch`
/// (Debian's `python3-torch` installs for `/usr/bin/python3`).
fn pytorch_reference(
    channels: usize,
    cells: usize,
    steps: usize,
    runs: usize,
    train: bool,
    device: &str,
) -> Result<ReferenceTiming, String> {
    if !train {
        return Err("the script times training steps only".to_owned());
    }
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("nb201_train_speed_pytorch.py");
    let python = ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|python| {
            Command::new(python)
                .args(["-c", "import torch"])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or("torch is not importable (Debian: apt-get install python3-torch)")?;
    let output = Command::new(python)
        .arg(&script)
        .args(["--arch", ARCH])
        .args(["--channels", &channels.to_string()])
        .args(["--cells", &cells.to_string()])
        .args(["--batch", &BATCH.to_string()])
        .args(["--steps", &steps.to_string()])
        .args(["--threads", &THREADS.to_string()])
        .args(["--runs", &runs.to_string()])
        .args(["--device", device, "--json"])
        .output()
        .map_err(|e| format!("{python} did not start: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{} exited with {}: {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let run: TorchRun = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("unexpected output of {}: {e}", script.display()))?;
    Ok(ReferenceTiming {
        label: format!("PyTorch {} ({device})", run.torch),
        samples_s: run.seconds,
    })
}
