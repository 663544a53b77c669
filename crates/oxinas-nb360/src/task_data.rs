//! A task's data in memory: float inputs and targets per split.

use crate::error::Nb360Error;
use crate::task::TaskSpec;

/// One split (train, validation or test) of a task.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskSplit {
    /// Inputs, sample-major: `len * input_shape.iter().product()` values.
    pub inputs: Vec<f32>,
    /// Per-sample input shape `[channels, height, width]` (height 1 for 1-D).
    pub input_shape: [usize; 3],
    /// Targets, sample-major: `len * target_len` values (a class index as a
    /// float for classification, 0/1 per label, or one value per pixel).
    pub targets: Vec<f32>,
    /// Target values per sample.
    pub target_len: usize,
    /// For tasks whose metric is computed per recording from several windows
    /// (ECG, FSD50K): the recording of each sample.
    pub groups: Option<Vec<u32>>,
}

impl TaskSplit {
    /// An empty split with the given shapes.
    pub fn empty(input_shape: [usize; 3], target_len: usize) -> Self {
        Self {
            inputs: Vec::new(),
            input_shape,
            targets: Vec::new(),
            target_len,
            groups: None,
        }
    }

    /// Values per input sample.
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.targets.len().checked_div(self.target_len).unwrap_or(0)
    }

    /// Whether the split has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index`'s input values.
    pub fn input(&self, index: usize) -> &[f32] {
        let n = self.input_len();
        &self.inputs[index * n..(index + 1) * n]
    }

    /// Sample `index`'s target values.
    pub fn target(&self, index: usize) -> &[f32] {
        &self.targets[index * self.target_len..(index + 1) * self.target_len]
    }

    /// The samples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Self {
        let mut out = Self::empty(self.input_shape, self.target_len);
        out.inputs.reserve(indices.len() * self.input_len());
        out.targets.reserve(indices.len() * self.target_len);
        for &i in indices {
            out.inputs.extend_from_slice(self.input(i));
            out.targets.extend_from_slice(self.target(i));
        }
        out.groups = self
            .groups
            .as_ref()
            .map(|g| indices.iter().map(|&i| g[i]).collect());
        out
    }

    /// The first `n` samples (all when `n` is larger).
    pub fn truncate(&self, n: usize) -> Self {
        let n = n.min(self.len());
        self.select(&(0..n).collect::<Vec<_>>())
    }

    /// Checks that inputs, targets and groups agree in length with the shapes.
    pub fn check(&self, what: &str) -> Result<(), Nb360Error> {
        let n = self.len();
        let problem = if !self.targets.len().is_multiple_of(self.target_len.max(1)) {
            Some(format!(
                "{} target values are not a multiple of {} per sample",
                self.targets.len(),
                self.target_len
            ))
        } else if self.inputs.len() != n * self.input_len() {
            Some(format!(
                "{} input values for {n} samples of shape {:?}",
                self.inputs.len(),
                self.input_shape
            ))
        } else if self.groups.as_ref().is_some_and(|g| g.len() != n) {
            Some(format!("group ids do not match the {n} samples"))
        } else {
            None
        };
        match problem {
            Some(message) => Err(Nb360Error::Setting {
                field: what.to_owned(),
                message,
            }),
            None => Ok(()),
        }
    }
}

/// Per-position mean and standard deviation of a field over the training
/// split (the reference code's `UnitGaussianNormalizer`), for tasks whose
/// network predicts a normalised field that is decoded before loss and metric.
#[derive(Clone, Debug, PartialEq)]
pub struct PointwiseNormalizer {
    /// Mean per position.
    pub mean: Vec<f32>,
    /// Standard deviation per position (with the reference's 1e-5 added).
    pub std: Vec<f32>,
}

impl PointwiseNormalizer {
    /// Fits the normalizer to samples of `len` values each.
    pub fn fit(values: &[f32], len: usize) -> Self {
        let n = values.len().checked_div(len).unwrap_or(0);
        let mut mean = vec![0f64; len];
        for sample in values.chunks_exact(len) {
            for (m, &v) in mean.iter_mut().zip(sample) {
                *m += f64::from(v);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let mut var = vec![0f64; len];
        for sample in values.chunks_exact(len) {
            for ((s, &v), m) in var.iter_mut().zip(sample).zip(&mean) {
                *s += (f64::from(v) - m).powi(2);
            }
        }
        // torch.std is the unbiased estimate.
        let denom = n.saturating_sub(1).max(1) as f64;
        Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std: var
                .iter()
                .map(|&s| ((s / denom).sqrt() + 1e-5) as f32)
                .collect(),
        }
    }

    /// `(x - mean) / std` in place, sample by sample.
    pub fn encode(&self, values: &mut [f32]) {
        for sample in values.chunks_exact_mut(self.mean.len()) {
            for ((v, m), s) in sample.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = (*v - m) / s;
            }
        }
    }

    /// `x * std + mean` in place, sample by sample.
    pub fn decode(&self, values: &mut [f32]) {
        for sample in values.chunks_exact_mut(self.mean.len()) {
            for ((v, m), s) in sample.iter_mut().zip(&self.mean).zip(&self.std) {
                *v = *v * s + m;
            }
        }
    }
}

/// A loaded task: its spec and three splits.
#[derive(Clone, Debug)]
pub struct TaskData {
    /// The task's definition.
    pub spec: &'static TaskSpec,
    /// Training split (the optimizer's weights learn from it).
    pub train: TaskSplit,
    /// Validation split (what searches see).
    pub valid: TaskSplit,
    /// Test split (reported after a search, never shown to it).
    pub test: TaskSplit,
    /// When set, networks predict the normalised target and outputs are
    /// decoded with it before the loss and the metric (Darcy flow).
    pub target_normalizer: Option<PointwiseNormalizer>,
}

impl TaskData {
    /// Checks every split against the task's shapes.
    pub fn check(&self) -> Result<(), Nb360Error> {
        for (name, split) in [
            ("train", &self.train),
            ("valid", &self.valid),
            ("test", &self.test),
        ] {
            split.check(name)?;
            if split.input_shape != self.spec.input_shape {
                return Err(Nb360Error::Setting {
                    field: name.to_owned(),
                    message: format!(
                        "input shape {:?}, task {} expects {:?}",
                        split.input_shape, self.spec.key, self.spec.input_shape
                    ),
                });
            }
            if split.target_len != self.spec.target_len() {
                return Err(Nb360Error::Setting {
                    field: name.to_owned(),
                    message: format!(
                        "{} target values per sample, task {} expects {}",
                        split.target_len,
                        self.spec.key,
                        self.spec.target_len()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// How much of a task to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LoadOptions {
    /// Keep at most this many samples per split (the first ones, after the
    /// published split), for quick runs; `None` keeps all.
    pub limit: Option<usize>,
    /// Seed of any random choice a loader makes (PSICOV crops).
    pub seed: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointwise_normalizer_round_trips_and_standardises() {
        let values = vec![1.0, 10.0, 3.0, 20.0, 5.0, 30.0];
        let norm = PointwiseNormalizer::fit(&values, 2);
        assert!((norm.mean[0] - 3.0).abs() < 1e-6);
        assert!((norm.mean[1] - 20.0).abs() < 1e-6);
        // Unbiased std of 1, 3, 5 is 2; of 10, 20, 30 is 10.
        assert!((norm.std[0] - 2.0).abs() < 1e-4);
        assert!((norm.std[1] - 10.0).abs() < 1e-4);
        let mut encoded = values.clone();
        norm.encode(&mut encoded);
        assert!((encoded[0] + 1.0).abs() < 1e-4);
        norm.decode(&mut encoded);
        for (a, b) in encoded.iter().zip(&values) {
            assert!((a - b).abs() < 1e-4);
        }
    }

    #[test]
    fn select_keeps_inputs_targets_and_groups_together() {
        let split = TaskSplit {
            inputs: vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5],
            input_shape: [1, 1, 2],
            targets: vec![0.0, 1.0, 2.0],
            target_len: 1,
            groups: Some(vec![7, 8, 9]),
        };
        let picked = split.select(&[2, 0]);
        assert_eq!(picked.inputs, vec![2.0, 2.5, 0.0, 0.5]);
        assert_eq!(picked.targets, vec![2.0, 0.0]);
        assert_eq!(picked.groups, Some(vec![9, 7]));
        assert!(picked.check("picked").is_ok());
        let mut broken = picked;
        broken.inputs.pop();
        assert!(broken.check("broken").is_err());
    }
}
