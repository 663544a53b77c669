//! `[compute]`: where a run that trains networks does its training, shared by
//! every kind of config that trains (black-box searches on the `train` and
//! `nb360` benchmarks, DARTS, ENAS, OFA, Petridish, WRN).
//!
//! ```toml
//! [compute]
//! device = "cuda:0"   # "cpu" (default), "cuda", "cuda:N", "wgpu", "wgpu:N", "wgpu:cpu"
//! ```
//!
//! `cargo xtask experiment --device D` overrides the config. The device is
//! opened (backend compiled in, driver present, index in range, a first
//! computation done) before any data is loaded, and the manifest records what
//! was used.

use std::path::Path;

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_record::ComputeDevice;
use oxinas_train::backend::BackendError;
use oxinas_train::{DeviceDescription, TrainDevice, TrainJob};

use crate::error::ExperimentError;

/// The `[compute]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeSettings {
    /// The device to train on; unset means the CPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<TrainDevice>,
}

/// A device chosen for a run and found to work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpenedDevice {
    /// The device.
    pub(crate) device: TrainDevice,
    /// Where the choice came from, for errors: `compute.device` or `--device`.
    key: &'static str,
    /// What it is, for the manifest.
    pub(crate) description: DeviceDescription,
}

/// The key a device error names, and the device: the command line's over the
/// config's, the CPU when neither names one.
fn chosen(
    settings: &ComputeSettings,
    command_line: Option<TrainDevice>,
) -> (&'static str, TrainDevice) {
    match (command_line, settings.device) {
        (Some(device), _) => ("--device", device),
        (None, Some(device)) => ("compute.device", device),
        (None, None) => ("compute.device", TrainDevice::Cpu),
    }
}

/// Opens the device a run of the config at `config_path` trains on; a device
/// that cannot be used is an error naming the key, before any work starts.
pub(crate) fn open_device(
    config_path: &Path,
    settings: &ComputeSettings,
    command_line: Option<TrainDevice>,
) -> Result<OpenedDevice, ExperimentError> {
    let (key, device) = chosen(settings, command_line);
    let description = device
        .open()
        .map_err(|e| device_error(config_path, key, device, &e))?;
    tracing::info!(
        device = %device,
        backend = %description.backend,
        name = description.name.as_deref().unwrap_or("unknown"),
        "training device opened"
    );
    Ok(OpenedDevice {
        device,
        key,
        description,
    })
}

/// Refuses a device for a run that trains nothing (a table or a surrogate).
pub(crate) fn refuse_device(
    config_path: &Path,
    settings: &ComputeSettings,
    command_line: Option<TrainDevice>,
    benchmark: &str,
) -> Result<(), ExperimentError> {
    let named = command_line.is_some() || settings.device.is_some();
    if !named {
        return Ok(());
    }
    let (key, _) = chosen(settings, command_line);
    Err(ExperimentError::Setting {
        path: config_path.to_owned(),
        source: ConfigError::new(
            key,
            format!(
                "benchmark \"{benchmark}\" looks results up and trains nothing; a device applies to the `train` and `nb360` benchmarks and to one-shot methods"
            ),
        ),
    })
}

fn device_error(
    config_path: &Path,
    key: &str,
    device: TrainDevice,
    error: &BackendError,
) -> ExperimentError {
    ExperimentError::Setting {
        path: config_path.to_owned(),
        source: ConfigError::new(key, format!("device \"{device}\": {error}")),
    }
}

impl OpenedDevice {
    /// Runs `job` on the device's backend.
    pub(crate) fn run<J: TrainJob>(
        &self,
        config_path: &Path,
        job: J,
    ) -> Result<J::Output, ExperimentError> {
        self.device
            .run(job)
            .map_err(|e| device_error(config_path, self.key, self.device, &e))
    }

    /// The manifest's record of the device.
    pub(crate) fn record(&self) -> ComputeDevice {
        let d = &self.description;
        ComputeDevice {
            requested: d.requested.clone(),
            backend: d.backend.clone(),
            name: d.name.clone(),
            driver: d.driver.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct File {
        #[serde(default)]
        compute: ComputeSettings,
    }

    #[test]
    fn the_command_line_wins_over_the_config() {
        let settings = ComputeSettings {
            device: Some(TrainDevice::Cuda(1)),
        };
        assert_eq!(
            chosen(&settings, Some(TrainDevice::Cpu)),
            ("--device", TrainDevice::Cpu)
        );
        assert_eq!(
            chosen(&settings, None),
            ("compute.device", TrainDevice::Cuda(1))
        );
        assert_eq!(
            chosen(&ComputeSettings::default(), None),
            ("compute.device", TrainDevice::Cpu)
        );
    }

    #[test]
    fn a_device_parses_and_an_absent_table_means_none() {
        let file: File = toml::from_str("[compute]\ndevice = \"cuda:2\"\n").unwrap();
        assert_eq!(file.compute.device, Some(TrainDevice::Cuda(2)));
        let file: File = toml::from_str("").unwrap();
        assert_eq!(file.compute, ComputeSettings::default());
    }

    #[test]
    fn an_unknown_device_names_its_line_and_the_accepted_names() {
        let text = "[compute]\ndevice = \"gpu0\"\n";
        let err = toml::from_str::<File>(text).unwrap_err();
        let message = crate::config::with_key_line(text, &err);
        assert!(message.contains("line 2"), "{message}");
        assert!(message.contains("unknown device \"gpu0\""), "{message}");
        assert!(message.contains("\"wgpu:cpu\""), "{message}");
    }

    #[test]
    fn an_unknown_key_in_compute_is_refused() {
        let err = toml::from_str::<File>("[compute]\ndevices = \"cpu\"\n").unwrap_err();
        assert!(err.to_string().contains("devices"), "{err}");
    }

    #[test]
    fn a_device_for_a_table_benchmark_is_refused_naming_the_key() {
        let settings = ComputeSettings {
            device: Some(TrainDevice::Cuda(0)),
        };
        let err = refuse_device(Path::new("x.toml"), &settings, None, "nb201").unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("compute.device") && message.contains("nb201"),
            "{message}"
        );
        assert!(
            refuse_device(
                Path::new("x.toml"),
                &ComputeSettings::default(),
                None,
                "nb201"
            )
            .is_ok()
        );
    }
}
