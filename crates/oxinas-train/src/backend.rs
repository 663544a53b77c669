//! The backends oxinas trains on: a CPU backend by default, CUDA behind the
//! `cuda` feature, wgpu (Vulkan, Metal, DirectX 12) behind the `wgpu` feature.
//! [`crate::TrainDevice`] chooses among them.

use burn::backend::Autodiff;

/// Burn's trait of backends that train, re-exported so that code writing a
/// [`crate::TrainJob`] needs no dependency on Burn of its own.
pub use burn::tensor::backend::AutodiffBackend;

/// The default CPU backend for inference and evaluation.
pub type CpuBackend = burn::backend::Flex;

/// The default CPU backend with automatic differentiation, for training.
pub type CpuTrainBackend = Autodiff<CpuBackend>;

/// The ndarray CPU backend, kept for comparison and for `f64` work.
pub type NdArrayBackend<F = f32> = burn::backend::NdArray<F>;

/// Why a backend cannot be used on this machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The CUDA driver library is not installed.
    #[error(
        "the CUDA driver (libcuda.so.1) was not found in the dynamic linker cache, LD_LIBRARY_PATH or the usual library directories; install the NVIDIA driver or use the CPU backend"
    )]
    CudaDriverMissing,
    /// The driver is present but CUDA failed to start.
    #[error("CUDA failed to initialise: {0}")]
    CudaInitFailed(String),
    /// The crate was built without the `cuda` feature.
    #[error(
        "this build has no CUDA backend; build with the `cuda` feature (`cargo xtask-cuda ...` for the command line)"
    )]
    CudaNotCompiled,
    /// The device index is beyond the devices this machine has.
    #[error("device {requested} does not exist; this machine has {}", available_list(.available))]
    NoSuchDevice {
        /// The device asked for.
        requested: String,
        /// The devices there are.
        available: Vec<String>,
    },
    /// The crate was built without the `wgpu` feature.
    #[error(
        "this build has no wgpu backend; build with the `wgpu` feature (`cargo xtask-wgpu ...` for the command line)"
    )]
    WgpuNotCompiled,
    /// wgpu found no usable adapter for the device, or failed on it.
    #[error(
        "{requested} is not available: {message} (on Linux without a GPU, Mesa's software Vulkan driver, Debian's `mesa-vulkan-drivers`, provides `wgpu:cpu`)"
    )]
    WgpuUnavailable {
        /// The device asked for.
        requested: String,
        /// What wgpu reported.
        message: String,
    },
}

/// `cuda:0, cuda:1`, or `none` for an empty list.
fn available_list(devices: &[String]) -> String {
    if devices.is_empty() {
        "none".to_owned()
    } else {
        devices.join(", ")
    }
}

/// Library directories where distributions install the NVIDIA driver.
const DRIVER_DIRS: [&str; 6] = [
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/nvidia/lib64",
    "/usr/lib/wsl/lib",
];

/// Whether the CUDA driver library can be found, without loading it.
///
/// The CUDA bindings panic when they cannot load `libcuda`, so the driver is
/// looked for first: in the dynamic linker's cache, in `LD_LIBRARY_PATH`, then
/// in the usual driver directories.
pub fn cuda_driver_available() -> bool {
    const NAME: &str = "libcuda.so.1";
    if std::fs::read("/etc/ld.so.cache")
        .is_ok_and(|cache| cache.windows(NAME.len()).any(|w| w == NAME.as_bytes()))
    {
        return true;
    }
    let from_env = std::env::var("LD_LIBRARY_PATH").unwrap_or_default();
    from_env
        .split(':')
        .filter(|d| !d.is_empty())
        .chain(DRIVER_DIRS)
        .any(|dir| std::path::Path::new(dir).join(NAME).exists())
}

#[cfg(feature = "cuda")]
mod cuda {
    use burn::backend::Autodiff;
    use burn::backend::cuda::{Cuda, CudaDevice};
    use burn::tensor::Tensor;

    use super::{BackendError, cuda_driver_available};

    /// The CUDA backend.
    pub type CudaBackend = Cuda;

    /// The CUDA backend with automatic differentiation.
    pub type CudaTrainBackend = Autodiff<Cuda>;

    /// CUDA device `index`, checked to work: the driver must be installed and a
    /// first small computation must succeed.
    pub fn cuda_device(index: usize) -> Result<CudaDevice, BackendError> {
        if !cuda_driver_available() {
            return Err(BackendError::CudaDriverMissing);
        }
        let device = CudaDevice::new(index);
        // The runtime reports some failures (no device, driver too old) by
        // panicking on first use; turn that into an error.
        let probe = device.clone();
        std::panic::catch_unwind(move || {
            let x = Tensor::<Cuda, 1>::ones([4], &probe);
            x.sum().into_data()
        })
        .map_err(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "unknown panic".to_owned());
            BackendError::CudaInitFailed(message)
        })?;
        Ok(device)
    }
}

#[cfg(feature = "cuda")]
pub use cuda::{CudaBackend, CudaTrainBackend, cuda_device};

/// The wgpu backend (Vulkan, Metal, DirectX 12; Burn's fusion and autotuning on).
#[cfg(feature = "wgpu")]
pub type WgpuBackend = burn::backend::Wgpu;

/// The wgpu backend with automatic differentiation.
#[cfg(feature = "wgpu")]
pub type WgpuTrainBackend = Autodiff<WgpuBackend>;

/// Without the `cuda` feature: always [`BackendError::CudaNotCompiled`].
#[cfg(not(feature = "cuda"))]
pub fn cuda_device(_index: usize) -> Result<std::convert::Infallible, BackendError> {
    Err(BackendError::CudaNotCompiled)
}
