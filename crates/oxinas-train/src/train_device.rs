//! Where training runs: a device name (`cpu`, `cuda:1`, `wgpu`) and the one
//! place that turns it into a Burn backend.
//!
//! Everything that trains is generic over `B: AutodiffBackend`; a caller wraps
//! its work in a [`TrainJob`] and [`TrainDevice::run`] picks the backend. A
//! device is checked by [`TrainDevice::open`] (driver present, index in range,
//! a first computation succeeds) so that a wrong choice is refused before any
//! data is loaded.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock};

use burn::tensor::backend::{AutodiffBackend, Backend};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::backend::{BackendError, CpuBackend, CpuTrainBackend};

/// A device to train on, as written in a config (`[compute] device`) or on
/// the command line.
///
/// ```
/// use oxinas_train::TrainDevice;
///
/// assert_eq!("cuda:1".parse::<TrainDevice>().unwrap(), TrainDevice::Cuda(1));
/// assert_eq!("cuda".parse::<TrainDevice>().unwrap(), TrainDevice::Cuda(0));
/// assert_eq!(TrainDevice::default().to_string(), "cpu");
/// assert!("gpu".parse::<TrainDevice>().is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TrainDevice {
    /// The CPU backend ([`CpuTrainBackend`]).
    #[default]
    Cpu,
    /// CUDA device `index` (`cuda` is `cuda:0`); needs the `cuda` feature.
    Cuda(usize),
    /// A GPU through wgpu (Vulkan, Metal, DirectX 12); needs the `wgpu` feature.
    Wgpu(WgpuAdapter),
}

/// Which adapter a [`TrainDevice::Wgpu`] uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WgpuAdapter {
    /// `wgpu`: the adapter wgpu ranks first (a discrete GPU when there is one).
    Default,
    /// `wgpu:N`: the N-th discrete GPU.
    Discrete(usize),
    /// `wgpu:cpu`: a software adapter (lavapipe, SwiftShader), which runs the
    /// GPU code path on machines without a GPU.
    Software,
}

/// The accepted device names, for error messages.
pub const DEVICE_NAMES: &str =
    "\"cpu\", \"cuda\", \"cuda:N\", \"wgpu\", \"wgpu:N\" or \"wgpu:cpu\"";

/// A device name that is none of [`DEVICE_NAMES`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown device \"{given}\": expected {DEVICE_NAMES}")]
pub struct DeviceNameError {
    /// The name as given.
    pub given: String,
}

impl FromStr for TrainDevice {
    type Err = DeviceNameError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || DeviceNameError {
            given: text.to_owned(),
        };
        let index = |digits: &str| -> Result<usize, DeviceNameError> {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(error());
            }
            digits.parse().map_err(|_| error())
        };
        match text.split_once(':') {
            None => match text {
                "cpu" => Ok(Self::Cpu),
                "cuda" => Ok(Self::Cuda(0)),
                "wgpu" => Ok(Self::Wgpu(WgpuAdapter::Default)),
                _ => Err(error()),
            },
            Some(("cuda", n)) => Ok(Self::Cuda(index(n)?)),
            Some(("wgpu", "cpu")) => Ok(Self::Wgpu(WgpuAdapter::Software)),
            Some(("wgpu", n)) => Ok(Self::Wgpu(WgpuAdapter::Discrete(index(n)?))),
            Some(_) => Err(error()),
        }
    }
}

impl fmt::Display for TrainDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Cpu => f.write_str("cpu"),
            Self::Cuda(index) => write!(f, "cuda:{index}"),
            Self::Wgpu(WgpuAdapter::Default) => f.write_str("wgpu"),
            Self::Wgpu(WgpuAdapter::Discrete(index)) => write!(f, "wgpu:{index}"),
            Self::Wgpu(WgpuAdapter::Software) => f.write_str("wgpu:cpu"),
        }
    }
}

impl Serialize for TrainDevice {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TrainDevice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What a run actually trained on, for its manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceDescription {
    /// The device as asked for (`cuda:0`).
    pub requested: String,
    /// Burn's name of the backend.
    pub backend: String,
    /// The hardware: the CPU's model, the GPU's or the adapter's name.
    pub name: Option<String>,
    /// The driver and its version, where known.
    pub driver: Option<String>,
}

/// Work that trains, run on whichever backend a [`TrainDevice`] selects.
///
/// ```
/// use burn::tensor::Tensor;
/// use burn::tensor::backend::AutodiffBackend;
/// use oxinas_train::{TrainDevice, TrainJob};
///
/// struct SumOfOnes;
///
/// impl TrainJob for SumOfOnes {
///     type Output = f32;
///     fn run<B: AutodiffBackend>(self, device: B::Device) -> f32 {
///         let sum = Tensor::<B, 1>::ones([4], &device).sum();
///         sum.into_data().to_vec::<f32>().unwrap()[0]
///     }
/// }
///
/// assert_eq!(TrainDevice::Cpu.run(SumOfOnes).unwrap(), 4.0);
/// ```
pub trait TrainJob {
    /// What the job returns.
    type Output;
    /// Runs the job on `device` of backend `B`.
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output;
}

impl TrainDevice {
    /// Checks that this device can train here and describes it: the backend
    /// is compiled in, the driver is installed, the index exists and a first
    /// computation succeeds. The result is kept for the process, so a device
    /// is probed once.
    pub fn open(self) -> Result<DeviceDescription, BackendError> {
        static OPENED: OnceLock<
            Mutex<HashMap<TrainDevice, Result<DeviceDescription, BackendError>>>,
        > = OnceLock::new();
        let opened = OPENED.get_or_init(Default::default);
        // Held while probing: two threads must not initialise one device twice.
        let mut opened = opened.lock().unwrap_or_else(|poison| poison.into_inner());
        opened.entry(self).or_insert_with(|| self.probe()).clone()
    }

    /// Runs `job` on this device's backend, after [`TrainDevice::open`].
    pub fn run<J: TrainJob>(self, job: J) -> Result<J::Output, BackendError> {
        self.open()?;
        match self {
            Self::Cpu => Ok(job.run::<CpuTrainBackend>(Default::default())),
            Self::Cuda(index) => run_on_cuda(index, job),
            Self::Wgpu(adapter) => run_on_wgpu(adapter, job),
        }
    }

    fn probe(self) -> Result<DeviceDescription, BackendError> {
        let described = |backend: String, name, driver| DeviceDescription {
            requested: self.to_string(),
            backend,
            name,
            driver,
        };
        match self {
            Self::Cpu => Ok(described(
                CpuBackend::name(&Default::default()),
                cpu_model(),
                None,
            )),
            Self::Cuda(index) => {
                let (backend, name, driver) = probe_cuda(index)?;
                Ok(described(backend, name, driver))
            }
            Self::Wgpu(adapter) => {
                let (backend, name, driver) = probe_wgpu(adapter)?;
                Ok(described(backend, name, driver))
            }
        }
    }
}

/// The GPU backends compiled into this build (`cuda`, `wgpu`), for manifests.
pub fn compiled_gpu_backends() -> Vec<String> {
    let mut backends = Vec::new();
    if cfg!(feature = "cuda") {
        backends.push("cuda".to_owned());
    }
    if cfg!(feature = "wgpu") {
        backends.push("wgpu".to_owned());
    }
    backends
}

/// The CPU's model name, from `/proc/cpuinfo` where there is one.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, name)| name.trim().to_owned())
}

/// The message of a caught panic.
#[cfg(any(feature = "cuda", feature = "wgpu"))]
fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(feature = "cuda")]
fn probe_cuda(index: usize) -> Result<(String, Option<String>, Option<String>), BackendError> {
    use crate::backend::{CudaBackend, cuda_device};
    if !crate::backend::cuda_driver_available() {
        return Err(BackendError::CudaDriverMissing);
    }
    // The runtime reports a missing device by panicking on first use.
    let count = std::panic::catch_unwind(|| CudaBackend::device_count(0))
        .map_err(|panic| BackendError::CudaInitFailed(panic_message(panic)))?;
    if index >= count {
        return Err(BackendError::NoSuchDevice {
            requested: format!("cuda:{index}"),
            available: (0..count).map(|i| format!("cuda:{i}")).collect(),
        });
    }
    let device = cuda_device(index)?;
    let (name, driver) = nvidia_smi_name_and_driver(index);
    Ok((CudaBackend::name(&device), name, driver))
}

#[cfg(not(feature = "cuda"))]
fn probe_cuda(_index: usize) -> Result<(String, Option<String>, Option<String>), BackendError> {
    Err(BackendError::CudaNotCompiled)
}

/// GPU `index`'s name and driver version as `nvidia-smi` reports them.
#[cfg(feature = "cuda")]
fn nvidia_smi_name_and_driver(index: usize) -> (Option<String>, Option<String>) {
    let output = std::process::Command::new("nvidia-smi")
        .args([
            "--query-gpu=name,driver_version",
            "--format=csv,noheader",
            &format!("--id={index}"),
        ])
        .output()
        .ok()
        .filter(|o| o.status.success());
    let text = output.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match text.as_deref().and_then(|t| t.split_once(',')) {
        Some((name, driver)) => (
            Some(name.trim().to_owned()),
            Some(format!("NVIDIA {}", driver.trim())),
        ),
        None => (None, None),
    }
}

#[cfg(feature = "cuda")]
fn run_on_cuda<J: TrainJob>(index: usize, job: J) -> Result<J::Output, BackendError> {
    let device = crate::backend::cuda_device(index)?;
    Ok(job.run::<crate::backend::CudaTrainBackend>(device))
}

#[cfg(not(feature = "cuda"))]
fn run_on_cuda<J: TrainJob>(_index: usize, _job: J) -> Result<J::Output, BackendError> {
    Err(BackendError::CudaNotCompiled)
}

#[cfg(feature = "wgpu")]
fn wgpu_device(adapter: WgpuAdapter) -> burn::backend::wgpu::WgpuDevice {
    use burn::backend::wgpu::WgpuDevice;
    match adapter {
        WgpuAdapter::Default => WgpuDevice::DefaultDevice,
        WgpuAdapter::Discrete(index) => WgpuDevice::DiscreteGpu(index),
        WgpuAdapter::Software => WgpuDevice::Cpu,
    }
}

#[cfg(feature = "wgpu")]
fn probe_wgpu(
    adapter: WgpuAdapter,
) -> Result<(String, Option<String>, Option<String>), BackendError> {
    use burn::backend::wgpu::{RuntimeOptions, graphics::AutoGraphicsApi, init_setup};
    use burn::tensor::Tensor;

    use crate::backend::WgpuBackend;
    let device = wgpu_device(adapter);
    let requested = TrainDevice::Wgpu(adapter).to_string();
    // wgpu reports a missing adapter by panicking; so may a broken driver on
    // first use.
    let probe = device.clone();
    let info = std::panic::catch_unwind(move || {
        let setup = init_setup::<AutoGraphicsApi>(&probe, RuntimeOptions::default());
        let info = setup.adapter.get_info();
        let x = Tensor::<WgpuBackend, 1>::ones([4], &probe);
        let _ = x.sum().into_data();
        (info.name, info.driver, info.driver_info, info.backend)
    })
    .map_err(|panic| BackendError::WgpuUnavailable {
        requested,
        message: panic_message(panic),
    })?;
    let (name, driver, driver_info, graphics) = info;
    let driver = [driver, driver_info]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok((
        format!("{} ({graphics:?})", WgpuBackend::name(&device)),
        Some(name).filter(|n| !n.is_empty()),
        Some(driver).filter(|d| !d.is_empty()),
    ))
}

#[cfg(not(feature = "wgpu"))]
fn probe_wgpu(
    _adapter: WgpuAdapter,
) -> Result<(String, Option<String>, Option<String>), BackendError> {
    Err(BackendError::WgpuNotCompiled)
}

#[cfg(feature = "wgpu")]
fn run_on_wgpu<J: TrainJob>(adapter: WgpuAdapter, job: J) -> Result<J::Output, BackendError> {
    Ok(job.run::<crate::backend::WgpuTrainBackend>(wgpu_device(adapter)))
}

#[cfg(not(feature = "wgpu"))]
fn run_on_wgpu<J: TrainJob>(_adapter: WgpuAdapter, _job: J) -> Result<J::Output, BackendError> {
    Err(BackendError::WgpuNotCompiled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_and_prints_back() {
        for name in ["cpu", "cuda:0", "cuda:3", "wgpu", "wgpu:1", "wgpu:cpu"] {
            let device: TrainDevice = name.parse().unwrap();
            assert_eq!(device.to_string(), name);
        }
        assert_eq!("cuda".parse::<TrainDevice>(), Ok(TrainDevice::Cuda(0)));
        assert_eq!(
            "wgpu:2".parse::<TrainDevice>(),
            Ok(TrainDevice::Wgpu(WgpuAdapter::Discrete(2)))
        );
    }

    #[test]
    fn malformed_names_are_refused_with_the_accepted_ones() {
        for bad in [
            "",
            "gpu",
            "CPU",
            "cuda:",
            "cuda:-1",
            "cuda:+1",
            "cuda:x",
            "cuda:1:2",
            "cpu:0",
            "wgpu:",
            "metal",
            "cuda:99999999999999999999999",
        ] {
            let err = bad.parse::<TrainDevice>().unwrap_err();
            assert_eq!(err.given, bad);
            let message = err.to_string();
            assert!(message.contains("\"cuda:N\""), "{message}");
        }
    }

    #[test]
    fn the_cpu_opens_and_runs_a_job() {
        let description = TrainDevice::Cpu.open().unwrap();
        assert_eq!(description.requested, "cpu");
        assert!(!description.backend.is_empty());

        struct Twice(f32);
        impl TrainJob for Twice {
            type Output = f32;
            fn run<B: AutodiffBackend>(self, device: B::Device) -> f32 {
                let x = burn::tensor::Tensor::<B, 1>::from_floats([self.0], &device);
                (x * 2.0).into_data().to_vec::<f32>().unwrap()[0]
            }
        }
        assert_eq!(TrainDevice::Cpu.run(Twice(1.5)).unwrap(), 3.0);
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_in_a_build_without_it_is_refused_before_anything_runs() {
        struct Unreachable;
        impl TrainJob for Unreachable {
            type Output = ();
            fn run<B: AutodiffBackend>(self, _device: B::Device) {
                panic!("the job must not run");
            }
        }
        assert_eq!(
            TrainDevice::Cuda(0).open(),
            Err(BackendError::CudaNotCompiled)
        );
        assert_eq!(
            TrainDevice::Cuda(7).run(Unreachable).unwrap_err(),
            BackendError::CudaNotCompiled
        );
    }

    #[cfg(not(feature = "wgpu"))]
    #[test]
    fn wgpu_in_a_build_without_it_is_refused() {
        assert_eq!(
            TrainDevice::Wgpu(WgpuAdapter::Default).open(),
            Err(BackendError::WgpuNotCompiled)
        );
    }
}
