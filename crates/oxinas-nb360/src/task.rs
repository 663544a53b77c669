//! The ten NAS-Bench-360 tasks (Tu et al., NeurIPS 2022 Datasets and
//! Benchmarks): shapes, losses, metrics, published files and baselines.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One NAS-Bench-360 task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Nb360Task {
    /// CIFAR-100 image classification.
    Cifar100,
    /// CIFAR-100 projected onto the sphere (Spherical CIFAR-100).
    Spherical,
    /// NinaPro DB5 hand-gesture classification from sEMG.
    NinaPro,
    /// FSD50K multi-label sound event classification.
    Fsd50k,
    /// Darcy flow: PDE coefficient field to solution field.
    DarcyFlow,
    /// PSICOV: protein inter-residue distance maps.
    Psicov,
    /// Cosmic-ray identification in Hubble ACS/WFC images.
    Cosmic,
    /// ECG: PhysioNet/CinC 2017 atrial-fibrillation classification.
    Ecg,
    /// Satellite image time series land-cover classification.
    Satellite,
    /// DeepSEA chromatin-profile prediction from DNA.
    DeepSea,
}

/// How a task's inputs are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskFamily {
    /// A 1-D sequence per sample: inputs `[channels, 1, length]`, one output vector.
    Sequence1d,
    /// A 2-D image per sample, one output vector (classes or labels).
    Image2d,
    /// A 2-D input and a 2-D output of the same height and width.
    Dense2d,
}

/// What a task predicts per sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "size")]
pub enum TargetKind {
    /// One of `n` classes; the target is the class index.
    Classes(usize),
    /// Any subset of `n` labels; the target is a 0/1 vector.
    MultiLabel(usize),
    /// A real value per pixel of the output map.
    DenseRegression,
    /// A 0/1 value per pixel of the output map.
    DenseBinary,
}

/// The training loss of a task (as NAS-Bench-360's reference code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LossKind {
    /// Softmax cross-entropy on class logits.
    CrossEntropy,
    /// Sigmoid binary cross-entropy on per-label or per-pixel logits.
    BinaryCrossEntropy,
    /// Relative L2 error per sample, `||y - t|| / ||t||`, averaged.
    RelativeL2,
    /// Mean squared error.
    MeanSquaredError,
}

/// The published metric of a task; lower is better for all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricKind {
    /// 0-1 error in percent.
    ErrorPercent,
    /// 1 - mean average precision over labels (FSD50K; clips average their chunks' logits).
    OneMinusMap,
    /// Relative L2 error, averaged over samples.
    RelativeL2,
    /// Mean absolute error over residue pairs with true distance below 8 Å
    /// and sequence separation of at least 24 (PSICOV's MAE₈).
    Mae8,
    /// False-negative rate in percent of cosmic-ray pixels at threshold 0.5.
    FalseNegativePercent,
    /// 1 - macro F1 over classes, each recording voted from its windows (ECG).
    OneMinusF1,
    /// 1 - area under the ROC curve, averaged over labels (DeepSEA).
    OneMinusAuroc,
}

impl MetricKind {
    /// A short name for tables and reports.
    pub fn name(self) -> &'static str {
        match self {
            MetricKind::ErrorPercent => "0-1 error (%)",
            MetricKind::OneMinusMap => "1 - mAP",
            MetricKind::RelativeL2 => "relative L2",
            MetricKind::Mae8 => "MAE8",
            MetricKind::FalseNegativePercent => "FNR (%)",
            MetricKind::OneMinusF1 => "1 - F1",
            MetricKind::OneMinusAuroc => "1 - AUROC",
        }
    }
}

/// A published result on a task (NAS-Bench-360 paper, Table 3; lower is better).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Baseline {
    /// Search space or model (`WRN`, `DenseNAS`, `DARTS`, ...).
    pub space: &'static str,
    /// Search algorithm (`default`, `ASHA`, `GAEA`, ...).
    pub algorithm: &'static str,
    /// Mean over three seeds.
    pub mean: f64,
    /// Standard deviation over three seeds.
    pub std: f64,
}

/// Everything fixed about a task.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TaskSpec {
    /// The task.
    pub task: Nb360Task,
    /// The name used in configs and directories (`ecg`, `darcy-flow`, ...).
    pub key: &'static str,
    /// The name in the paper.
    pub title: &'static str,
    /// Input layout.
    pub family: TaskFamily,
    /// Input shape `[channels, height, width]`; 1-D tasks have height 1.
    pub input_shape: [usize; 3],
    /// What is predicted.
    pub target: TargetKind,
    /// Training loss.
    pub loss: LossKind,
    /// Published metric.
    pub metric: MetricKind,
    /// Published split sizes: train, validation, test.
    pub split: [usize; 3],
    /// The published files, relative to the task's data directory.
    pub files: &'static [&'static str],
    /// Results published in the NAS-Bench-360 paper.
    pub baselines: &'static [Baseline],
}

impl TaskSpec {
    /// Number of values the network outputs per sample.
    pub fn output_len(&self) -> usize {
        match self.target {
            TargetKind::Classes(n) | TargetKind::MultiLabel(n) => n,
            TargetKind::DenseRegression | TargetKind::DenseBinary => {
                self.input_shape[1] * self.input_shape[2]
            }
        }
    }

    /// Number of target values stored per sample.
    pub fn target_len(&self) -> usize {
        match self.target {
            TargetKind::Classes(_) => 1,
            _ => self.output_len(),
        }
    }
}

const fn b(space: &'static str, algorithm: &'static str, mean: f64, std: f64) -> Baseline {
    Baseline {
        space,
        algorithm,
        mean,
        std,
    }
}

/// All ten tasks in the paper's order.
pub const TASKS: [TaskSpec; 10] = [
    TaskSpec {
        task: Nb360Task::Cifar100,
        key: "cifar100",
        title: "CIFAR-100",
        family: TaskFamily::Image2d,
        input_shape: [3, 32, 32],
        target: TargetKind::Classes(100),
        loss: LossKind::CrossEntropy,
        metric: MetricKind::ErrorPercent,
        split: [40_000, 10_000, 10_000],
        files: &["cifar-100-python/train", "cifar-100-python/test"],
        baselines: &[
            b("WRN", "default", 23.35, 0.05),
            b("DenseNAS", "random", 25.49, 0.41),
            b("DenseNAS", "original", 25.98, 0.38),
            b("Perceiver IO", "default", 70.04, 0.44),
            b("XGBoost", "default", 84.83, 4.15),
            b("WRN", "ASHA", 23.39, 0.01),
            b("DARTS", "GAEA", 24.02, 1.92),
        ],
    },
    TaskSpec {
        task: Nb360Task::Spherical,
        key: "spherical",
        title: "Spherical CIFAR-100",
        family: TaskFamily::Image2d,
        input_shape: [3, 60, 60],
        target: TargetKind::Classes(100),
        loss: LossKind::CrossEntropy,
        metric: MetricKind::ErrorPercent,
        split: [40_000, 10_000, 10_000],
        files: &["s2_cifar100.gz"],
        baselines: &[
            b("WRN", "default", 85.77, 0.71),
            b("DenseNAS", "random", 71.23, 1.65),
            b("DenseNAS", "original", 72.99, 0.95),
            b("Perceiver IO", "default", 82.57, 0.19),
            b("XGBoost", "default", 96.92, 0.02),
            b("WRN", "ASHA", 75.46, 0.40),
            b("DARTS", "GAEA", 48.23, 2.87),
        ],
    },
    TaskSpec {
        task: Nb360Task::NinaPro,
        key: "ninapro",
        title: "NinaPro DB5",
        family: TaskFamily::Image2d,
        input_shape: [1, 16, 52],
        target: TargetKind::Classes(18),
        loss: LossKind::CrossEntropy,
        metric: MetricKind::ErrorPercent,
        split: [2_638, 659, 659],
        files: &[
            "ninapro_train.npy",
            "label_train.npy",
            "ninapro_val.npy",
            "label_val.npy",
            "ninapro_test.npy",
            "label_test.npy",
        ],
        baselines: &[
            b("WRN", "default", 6.78, 0.26),
            b("DenseNAS", "random", 8.45, 0.56),
            b("DenseNAS", "original", 10.17, 1.31),
            b("Perceiver IO", "default", 22.22, 1.80),
            b("XGBoost", "default", 21.90, 0.70),
            b("WRN", "ASHA", 7.34, 0.76),
            b("DARTS", "GAEA", 17.67, 1.39),
        ],
    },
    TaskSpec {
        task: Nb360Task::Fsd50k,
        key: "fsd50k",
        title: "FSD50K",
        family: TaskFamily::Image2d,
        input_shape: [1, 96, 101],
        target: TargetKind::MultiLabel(200),
        loss: LossKind::BinaryCrossEntropy,
        metric: MetricKind::OneMinusMap,
        split: [37_000, 4_000, 10_000],
        files: &[
            "data/chunks/tr.csv",
            "data/chunks/val.csv",
            "data/chunks/eval.csv",
            "data/chunks/lbl_map.json",
        ],
        baselines: &[
            b("WRN", "default", 0.92, 0.001),
            b("DenseNAS", "random", 0.60, 0.001),
            b("DenseNAS", "original", 0.64, 0.002),
            b("Perceiver IO", "default", 0.72, 0.002),
            b("XGBoost", "default", 0.98, 0.002),
            b("WRN", "ASHA", 0.91, 0.030),
            b("DARTS", "GAEA", 0.94, 0.020),
        ],
    },
    TaskSpec {
        task: Nb360Task::DarcyFlow,
        key: "darcy-flow",
        title: "Darcy Flow",
        family: TaskFamily::Dense2d,
        input_shape: [3, 85, 85],
        target: TargetKind::DenseRegression,
        loss: LossKind::RelativeL2,
        metric: MetricKind::RelativeL2,
        split: [900, 100, 100],
        files: &[
            "piececonst_r421_N1024_smooth1.mat",
            "piececonst_r421_N1024_smooth2.mat",
        ],
        baselines: &[
            b("WRN", "default", 0.073, 0.001),
            b("DenseNAS", "random", 0.071, 0.006),
            b("DenseNAS", "original", 0.100, 0.010),
            b("Perceiver IO", "default", 0.240, 0.010),
            b("XGBoost", "default", 0.085, 0.000),
            b("WRN", "ASHA", 0.066, 0.00),
            b("DARTS", "GAEA", 0.026, 0.001),
            b("Auto-DL", "DARTS", 0.049, 0.005),
        ],
    },
    TaskSpec {
        task: Nb360Task::Psicov,
        key: "psicov",
        title: "PSICOV",
        family: TaskFamily::Dense2d,
        input_shape: [57, 128, 128],
        target: TargetKind::DenseRegression,
        loss: LossKind::MeanSquaredError,
        metric: MetricKind::Mae8,
        split: [3_356, 100, 150],
        files: &[
            "deepcov.lst",
            "psicov.lst",
            "deepcov/features",
            "deepcov/distance",
            "psicov/features",
            "psicov/distance",
        ],
        baselines: &[
            b("WRN", "default", 3.84, 0.05),
            b("DenseNAS", "random", 3.70, 0.06),
            b("DenseNAS", "original", 3.84, 0.15),
            b("Perceiver IO", "default", 8.06, 0.06),
            b("WRN", "ASHA", 3.84, 0.05),
            b("DARTS", "GAEA", 2.94, 0.13),
            b("Auto-DL", "DARTS", 6.73, 0.73),
        ],
    },
    TaskSpec {
        task: Nb360Task::Cosmic,
        key: "cosmic",
        title: "Cosmic",
        family: TaskFamily::Dense2d,
        input_shape: [1, 128, 128],
        target: TargetKind::DenseBinary,
        loss: LossKind::BinaryCrossEntropy,
        metric: MetricKind::FalseNegativePercent,
        split: [4_347, 483, 420],
        files: &["data/npy_train/f435w", "data/npy_test/f435w"],
        baselines: &[
            b("WRN", "default", 51.76, 2.09),
            b("DenseNAS", "random", 70.42, 6.07),
            b("DenseNAS", "original", 79.52, 2.20),
            b("Perceiver IO", "default", 100.0, 0.00),
            b("XGBoost", "default", 46.26, 0.09),
            b("WRN", "ASHA", 37.53, 10.2),
            b("DARTS", "GAEA", 31.15, 3.48),
            b("Auto-DL", "DARTS", 99.79, 0.02),
        ],
    },
    TaskSpec {
        task: Nb360Task::Ecg,
        key: "ecg",
        title: "ECG",
        family: TaskFamily::Sequence1d,
        input_shape: [1, 1, 1000],
        target: TargetKind::Classes(4),
        loss: LossKind::CrossEntropy,
        metric: MetricKind::OneMinusF1,
        split: [260_000, 33_000, 33_000],
        files: &["challenge2017.pkl"],
        baselines: &[
            b("WRN", "default", 0.43, 0.01),
            b("DenseNAS", "random", 0.42, 0.01),
            b("DenseNAS", "original", 0.40, 0.01),
            b("Perceiver IO", "default", 0.66, 0.01),
            b("XGBoost", "default", 0.56, 0.00),
            b("WRN", "ASHA", 0.43, 0.01),
            b("DARTS", "GAEA", 0.34, 0.01),
            b("AMBER", "ENAS", 0.33, 0.02),
        ],
    },
    TaskSpec {
        task: Nb360Task::Satellite,
        key: "satellite",
        title: "Satellite",
        family: TaskFamily::Sequence1d,
        input_shape: [1, 1, 46],
        target: TargetKind::Classes(24),
        loss: LossKind::CrossEntropy,
        metric: MetricKind::ErrorPercent,
        split: [800_000, 100_000, 100_000],
        files: &["satellite_train.npy", "satellite_test.npy"],
        baselines: &[
            b("WRN", "default", 15.49, 0.03),
            b("DenseNAS", "random", 13.91, 0.13),
            b("DenseNAS", "original", 13.81, 0.69),
            b("Perceiver IO", "default", 15.93, 0.08),
            b("XGBoost", "default", 36.36, 0.02),
            b("WRN", "ASHA", 15.84, 0.52),
            b("DARTS", "GAEA", 12.51, 0.24),
            b("AMBER", "ENAS", 12.97, 0.07),
        ],
    },
    TaskSpec {
        task: Nb360Task::DeepSea,
        key: "deepsea",
        title: "DeepSEA",
        family: TaskFamily::Sequence1d,
        input_shape: [4, 1, 1000],
        target: TargetKind::MultiLabel(36),
        loss: LossKind::BinaryCrossEntropy,
        metric: MetricKind::OneMinusAuroc,
        split: [71_000, 2_500, 150_000],
        files: &["deepsea_filtered.npz"],
        baselines: &[
            b("WRN", "default", 0.40, 0.001),
            b("DenseNAS", "random", 0.40, 0.001),
            b("DenseNAS", "original", 0.40, 0.001),
            b("Perceiver IO", "default", 0.38, 0.004),
            b("XGBoost", "default", 0.50, 0.000),
            b("WRN", "ASHA", 0.41, 0.002),
            b("DARTS", "GAEA", 0.36, 0.020),
            b("AMBER", "ENAS", 0.32, 0.010),
        ],
    },
];

impl Nb360Task {
    /// All ten tasks in the paper's order.
    pub const ALL: [Nb360Task; 10] = [
        Nb360Task::Cifar100,
        Nb360Task::Spherical,
        Nb360Task::NinaPro,
        Nb360Task::Fsd50k,
        Nb360Task::DarcyFlow,
        Nb360Task::Psicov,
        Nb360Task::Cosmic,
        Nb360Task::Ecg,
        Nb360Task::Satellite,
        Nb360Task::DeepSea,
    ];

    /// The task's fixed definition.
    pub fn spec(self) -> &'static TaskSpec {
        let index = Self::ALL.iter().position(|&t| t == self).unwrap_or(0);
        &TASKS[index]
    }

    /// The name used in configs (`ecg`, `darcy-flow`, ...).
    pub fn key(self) -> &'static str {
        self.spec().key
    }
}

impl fmt::Display for Nb360Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A task name that is not one of the ten.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown NAS-Bench-360 task `{0}`; expected one of cifar100, spherical, ninapro, fsd50k, darcy-flow, psicov, cosmic, ecg, satellite, deepsea"
)]
pub struct UnknownTask(pub String);

impl FromStr for Nb360Task {
    type Err = UnknownTask;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.key() == s)
            .ok_or_else(|| UnknownTask(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_round_trips_through_its_key_and_has_its_own_spec() {
        for task in Nb360Task::ALL {
            assert_eq!(task.key().parse::<Nb360Task>(), Ok(task));
            assert_eq!(task.spec().task, task);
        }
        assert!("ECG".parse::<Nb360Task>().is_err());
    }

    #[test]
    fn output_sizes_follow_the_target_kind() {
        assert_eq!(Nb360Task::Ecg.spec().output_len(), 4);
        assert_eq!(Nb360Task::Ecg.spec().target_len(), 1);
        assert_eq!(Nb360Task::DeepSea.spec().target_len(), 36);
        assert_eq!(Nb360Task::DarcyFlow.spec().output_len(), 85 * 85);
        assert_eq!(Nb360Task::Cosmic.spec().target_len(), 128 * 128);
    }
}
