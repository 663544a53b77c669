use std::fmt;
use std::str::FromStr;

use oxinas_core::ConfigError;

/// The four NAS-Bench-201 dataset settings.
///
/// `cifar10-valid` trains on half of the CIFAR-10 training set and validates on
/// the other half; `cifar10` trains on all of it and only has a test split.
/// As in the official API, searching "on `cifar10`" uses the `cifar10-valid`
/// validation accuracy; only its test metric is that of the `cifar10` model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Nb201Dataset {
    /// CIFAR-10, train / validation split.
    Cifar10Valid,
    /// CIFAR-10, train+validation / test.
    Cifar10,
    /// CIFAR-100.
    Cifar100,
    /// ImageNet16-120 (16x16 ImageNet, 120 classes).
    ImageNet16_120,
}

impl Nb201Dataset {
    /// All four, in the order of the NAS-Bench-201 paper's tables.
    pub const ALL: [Nb201Dataset; 4] = [
        Nb201Dataset::Cifar10Valid,
        Nb201Dataset::Cifar10,
        Nb201Dataset::Cifar100,
        Nb201Dataset::ImageNet16_120,
    ];

    /// The official name (`cifar10-valid`, `cifar10`, `cifar100`, `ImageNet16-120`).
    pub fn name(self) -> &'static str {
        match self {
            Nb201Dataset::Cifar10Valid => "cifar10-valid",
            Nb201Dataset::Cifar10 => "cifar10",
            Nb201Dataset::Cifar100 => "cifar100",
            Nb201Dataset::ImageNet16_120 => "ImageNet16-120",
        }
    }
}

impl fmt::Display for Nb201Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Nb201Dataset {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        Self::ALL.into_iter().find(|d| d.name() == s).ok_or_else(|| {
            ConfigError::new(
                "dataset",
                format!(
                    "unknown NAS-Bench-201 dataset `{s}`; expected one of cifar10-valid, cifar10, cifar100, ImageNet16-120"
                ),
            )
        })
    }
}
