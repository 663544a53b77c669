use std::path::PathBuf;
use std::str::FromStr;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise};
use serde::{Deserialize, Deserializer};

/// The benchmark an experiment searches, chosen by `name`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "name", deny_unknown_fields)]
#[non_exhaustive]
pub enum BenchmarkConfig {
    /// NAS-Bench-201 (tabular).
    #[serde(rename = "nb201")]
    Nb201(Nb201BenchmarkConfig),
}

/// Settings of the NAS-Bench-201 benchmark.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nb201BenchmarkConfig {
    /// `cifar10-valid`, `cifar10`, `cifar100` or `ImageNet16-120`.
    #[serde(deserialize_with = "from_str")]
    pub dataset: Nb201Dataset,
    /// Which 200-epoch validation value a query sees.
    #[serde(default)]
    pub noise: Nb201NoiseConfig,
    /// The merged CSV, relative to the data directory
    /// (default `nb201/nb201_merged.csv`).
    #[serde(default)]
    pub data: Option<PathBuf>,
}

/// [`Nb201Noise`] as written in configs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nb201NoiseConfig {
    /// Mean over training seeds.
    #[default]
    Mean,
    /// One training seed at random per query.
    RandomSeed,
}

impl From<Nb201NoiseConfig> for Nb201Noise {
    fn from(noise: Nb201NoiseConfig) -> Self {
        match noise {
            Nb201NoiseConfig::Mean => Nb201Noise::Mean,
            Nb201NoiseConfig::RandomSeed => Nb201Noise::RandomSeed,
        }
    }
}

/// Deserialises through `FromStr`, so that the parser's message (which lists
/// the valid values) reaches the user with the config's line number.
fn from_str<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(serde::de::Error::custom)
}
