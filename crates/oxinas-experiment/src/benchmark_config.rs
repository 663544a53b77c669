use std::path::PathBuf;
use std::str::FromStr;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise, NlpDataset, TableConfig, TransNasTask};
use oxinas_train::{Nb360EvaluatorSettings, TrainEvaluatorSettings};
use serde::{Deserialize, Deserializer};

/// The benchmark an experiment searches, chosen by `name`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "name", deny_unknown_fields)]
#[non_exhaustive]
pub enum BenchmarkConfig {
    /// NAS-Bench-201 (tabular).
    #[serde(rename = "nb201")]
    Nb201(Nb201BenchmarkConfig),
    /// NAS-Bench-101, the 30,001-cell subset (tabular, validation only).
    #[serde(rename = "nb101")]
    Nb101 {
        /// The subset CSV, relative to the data directory
        /// (default `nb101/nb101_subset30k.csv`).
        #[serde(default)]
        data: Option<PathBuf>,
    },
    /// NAS-Bench-301 (the YAHPO Gym surrogate; deterministic).
    #[serde(rename = "nb301")]
    Nb301 {},
    /// NAS-Bench-NLP (tabular; validation perplexity, lower is better).
    #[serde(rename = "nlp")]
    Nlp {
        /// `ptb` (14,322 cells) or `wikitext2` (345 cells).
        #[serde(deserialize_with = "nlp_dataset")]
        dataset: NlpDataset,
    },
    /// NAS-Bench-Macro (tabular, 6,561 networks).
    #[serde(rename = "nb_macro")]
    NbMacro {},
    /// TransNAS-Bench-101, the architectures of the NASLib subset files.
    #[serde(rename = "transnas")]
    TransNas {
        /// `micro` (cell) or `macro` (network skeleton) space.
        variant: TransNasVariant,
        /// The task, e.g. `class_scene`, `room_layout`.
        #[serde(deserialize_with = "transnas_task")]
        task: TransNasTask,
    },
    /// A user's table, CSV or JSON Lines, over a built-in space (`space`) or
    /// a space declared in TOML (`space_file`); see
    /// [`oxinas_benchmarks::TableConfig`]. Relative paths are resolved
    /// against the config file's directory, `$OXINAS_DATA/...` against the
    /// data directory. (`name = "csv"` is accepted for older configs.)
    #[serde(rename = "table", alias = "csv")]
    Table(TableConfig),
    /// NAS-Bench-201 cells trained for real on a small image data set (the
    /// digits fixture or Fashion-MNIST): optimizers see the validation
    /// accuracy after `search.fidelity` epochs, reports retrain the returned
    /// cell once (`test_acc@E`, `valid_acc@E`).
    #[serde(rename = "train")]
    Train(TrainEvaluatorSettings),
    /// NAS-Bench-201 cells in a NAS-Bench-360 task's network (1-D, 2-D or
    /// dense skeleton), trained for real on the task's published data:
    /// optimizers see the task's validation metric (lower is better) after
    /// `search.fidelity` epochs; reports retrain the returned cell once
    /// (`test_<metric>@E`, `valid_<metric>@E`). A relative `data_dir` is
    /// resolved against the config's directory.
    #[serde(rename = "nb360")]
    Nb360(Nb360EvaluatorSettings),
}

impl BenchmarkConfig {
    /// The `name` this benchmark has in a config.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Nb201(_) => "nb201",
            Self::Nb101 { .. } => "nb101",
            Self::Nb301 {} => "nb301",
            Self::Nlp { .. } => "nlp",
            Self::NbMacro {} => "nb_macro",
            Self::TransNas { .. } => "transnas",
            Self::Table(_) => "table",
            Self::Train(_) => "train",
            Self::Nb360(_) => "nb360",
        }
    }
}

/// The two TransNAS-Bench-101 spaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransNasVariant {
    /// The cell space (4 ops on an NB201-shaped cell).
    Micro,
    /// The macro skeleton space.
    Macro,
}

fn nlp_dataset<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NlpDataset, D::Error> {
    let text = String::deserialize(deserializer)?;
    match text.as_str() {
        "ptb" => Ok(NlpDataset::Ptb),
        "wikitext2" => Ok(NlpDataset::WikiText2),
        _ => Err(serde::de::Error::custom(format!(
            "unknown NAS-Bench-NLP dataset `{text}`; expected `ptb` or `wikitext2`"
        ))),
    }
}

fn transnas_task<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TransNasTask, D::Error> {
    let text = String::deserialize(deserializer)?;
    TransNasTask::from_name(&text).ok_or_else(|| {
        let names: Vec<&str> = TransNasTask::ALL.iter().map(|t| t.name()).collect();
        serde::de::Error::custom(format!(
            "unknown TransNAS-Bench-101 task `{text}`; expected one of {}",
            names.join(", ")
        ))
    })
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
