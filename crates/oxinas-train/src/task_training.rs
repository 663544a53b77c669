//! Training and evaluating a network on a NAS-Bench-360 task.
//!
//! The loop is the trainer's (seeded shuffling, SGD or AdamW, per-step cosine
//! schedule, global-norm gradient clipping) with the task's own loss and
//! metric. When the task has a target normalizer (Darcy flow) the network
//! predicts the normalised field: its outputs are decoded (`y * std + mean`,
//! as tensor operations inside the graph) before the loss and the metric,
//! which both see the field in its original units.

use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::{AdamWConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor, TensorData};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_nb360::metrics::score;
use oxinas_nb360::{Nb360Error, PointwiseNormalizer, TaskData, TaskSpec, TaskSplit};

use crate::grad_clipping::clip_global_norm;
use crate::lr_schedule::CosineSchedule;
use crate::task_batch::task_batch;
use crate::task_loss::task_loss;
use crate::task_model::TaskModel;
use crate::train_settings::OptimizerSettings;
use crate::trainer::sgd_config;

/// Hyperparameters of one training run on a task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTrainSettings {
    /// Passes over the training split.
    pub epochs: usize,
    /// Samples per optimisation step.
    pub batch_size: usize,
    /// The optimiser.
    pub optimizer: OptimizerSettings,
    /// Peak learning rate.
    pub lr: f64,
    /// Final learning rate of the cosine schedule.
    pub min_lr: f64,
    /// Epochs of linear warm-up.
    pub warmup_epochs: usize,
    /// Clip the global gradient norm to this value.
    pub grad_clip_norm: Option<f64>,
    /// Samples per evaluation batch.
    pub eval_batch_size: usize,
    /// Seed of the shuffling (weights are seeded where the network is built).
    pub seed: u64,
}

impl TaskTrainSettings {
    /// The benchmark's backbone recipe for `epochs` epochs: Nesterov SGD with
    /// momentum 0.9 and weight decay 5e-4, lr 0.1 annealed to 0 by cosine,
    /// batch 256, gradients clipped to norm 5.
    pub fn nb360(epochs: usize, seed: u64) -> Self {
        Self {
            epochs,
            batch_size: 256,
            optimizer: OptimizerSettings::NB201,
            lr: 0.1,
            min_lr: 0.0,
            warmup_epochs: 0,
            grad_clip_norm: Some(5.0),
            eval_batch_size: 256,
            seed,
        }
    }

    /// Checks ranges, naming the offending field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.epochs == 0 {
            return Err(ConfigError::new("epochs", "at least 1"));
        }
        if self.batch_size < 2 {
            return Err(ConfigError::new(
                "batch_size",
                "at least 2 (batch norm needs two samples)",
            ));
        }
        if self.eval_batch_size == 0 {
            return Err(ConfigError::new("eval_batch_size", "at least 1"));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(ConfigError::new(
                "lr",
                format!("a positive number, found {}", self.lr),
            ));
        }
        if !(0.0..=self.lr).contains(&self.min_lr) {
            return Err(ConfigError::new(
                "min_lr",
                format!("between 0 and lr, found {}", self.min_lr),
            ));
        }
        if let Some(clip) = self.grad_clip_norm
            && (clip.is_nan() || clip <= 0.0)
        {
            return Err(ConfigError::new(
                "grad_clip_norm",
                format!("positive, found {clip}"),
            ));
        }
        Ok(())
    }
}

/// What the loop reports after each epoch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskEpochReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Epochs in the run.
    pub epochs: usize,
    /// Mean task loss over the epoch's training batches.
    pub train_loss: f64,
    /// Mean task loss on the validation split after the epoch.
    pub valid_loss: f64,
    /// The task's metric on the validation split after the epoch (lower is better).
    pub valid_metric: f64,
    /// Learning rate of the epoch's last step.
    pub lr: f64,
    /// Training throughput of the epoch.
    pub samples_per_second: f64,
}

/// The result of a training run; validation only (test scores come from
/// [`evaluate_task_model`] on the test split, for reports).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskTrainReport {
    /// One entry per epoch.
    pub epochs: Vec<TaskEpochReport>,
    /// The validation metric of the final network.
    pub valid_metric: f64,
    /// Wall-clock seconds of training and per-epoch validation.
    pub wall_seconds: f64,
}

/// Why training on a task stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskTrainError {
    /// A setting or the data is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The loss became NaN or infinite (diverged).
    #[error("training loss is {loss} at epoch {epoch}, step {step}; the run diverged")]
    NonFiniteLoss {
        /// 1-based epoch.
        epoch: usize,
        /// 0-based optimisation step.
        step: usize,
        /// The loss value.
        loss: f64,
    },
    /// The metric could not be computed on the outputs.
    #[error(transparent)]
    Metric(#[from] Nb360Error),
}

/// One of a task's three splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskSplitKind {
    /// The training split.
    Train,
    /// The validation split (what searches see).
    Valid,
    /// The test split (reports only).
    Test,
}

impl TaskSplitKind {
    /// The split of `data`.
    pub fn of(self, data: &TaskData) -> &TaskSplit {
        match self {
            TaskSplitKind::Train => &data.train,
            TaskSplitKind::Valid => &data.valid,
            TaskSplitKind::Test => &data.test,
        }
    }
}

/// The normalizer's mean and std as `[1, outputs]` tensors.
struct Decoder<B: Backend> {
    mean: Tensor<B, 2>,
    std: Tensor<B, 2>,
}

impl<B: Backend> Decoder<B> {
    fn new(normalizer: Option<&PointwiseNormalizer>, device: &B::Device) -> Option<Self> {
        normalizer.map(|n| {
            let row = |values: &[f32]| {
                Tensor::from_data(TensorData::new(values.to_vec(), [1, values.len()]), device)
            };
            Self {
                mean: row(&n.mean),
                std: row(&n.std),
            }
        })
    }
}

/// `outputs * std + mean` when the task has a normalizer.
fn decode<B: Backend>(outputs: Tensor<B, 2>, decoder: Option<&Decoder<B>>) -> Tensor<B, 2> {
    match decoder {
        Some(d) => outputs * d.std.clone() + d.mean.clone(),
        None => outputs,
    }
}

/// Checks that `data` has samples to train and validate on, and a normalizer
/// (if any) of one value per target position.
fn check_data(data: &TaskData) -> Result<(), ConfigError> {
    if data.train.len() < 2 {
        return Err(ConfigError::new(
            "train split",
            format!("at least 2 samples, found {}", data.train.len()),
        ));
    }
    if data.valid.is_empty() {
        return Err(ConfigError::new("valid split", "at least 1 sample"));
    }
    if let Some(n) = &data.target_normalizer
        && (n.mean.len() != data.train.target_len || n.std.len() != n.mean.len())
    {
        return Err(ConfigError::new(
            "target_normalizer",
            format!(
                "{} means and {} deviations, the targets have {} values per sample",
                n.mean.len(),
                n.std.len(),
                data.train.target_len
            ),
        ));
    }
    Ok(())
}

/// Trains `model` on `data.train` with `settings`, measuring the task loss
/// and metric on the validation split after every epoch. `progress` receives
/// each epoch's report (the library never prints).
pub fn train_task_model<B, M>(
    model: M,
    data: &TaskData,
    settings: &TaskTrainSettings,
    device: &B::Device,
    progress: &mut dyn FnMut(&TaskEpochReport),
) -> Result<(M, TaskTrainReport), TaskTrainError>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + TaskModel<B>,
    M::InnerModule: TaskModel<B::InnerBackend>,
{
    settings.validate()?;
    match settings.optimizer {
        OptimizerSettings::Sgd {
            momentum,
            nesterov,
            weight_decay,
        } => {
            let optimizer = sgd_config(momentum, nesterov, weight_decay).init::<B, M>();
            run(model, optimizer, data, settings, device, progress)
        }
        OptimizerSettings::AdamW {
            weight_decay,
            beta1,
            beta2,
        } => {
            let optimizer = AdamWConfig::new()
                .with_weight_decay(weight_decay as f32)
                .with_beta_1(beta1 as f32)
                .with_beta_2(beta2 as f32)
                .with_epsilon(1e-8)
                .init::<B, M>();
            run(model, optimizer, data, settings, device, progress)
        }
    }
}

/// Seed stream of the shuffling.
const SHUFFLE_STREAM: u64 = 1;

fn run<B, M, O>(
    mut model: M,
    mut optimizer: O,
    data: &TaskData,
    settings: &TaskTrainSettings,
    device: &B::Device,
    progress: &mut dyn FnMut(&TaskEpochReport),
) -> Result<(M, TaskTrainReport), TaskTrainError>
where
    B: AutodiffBackend,
    M: AutodiffModule<B> + TaskModel<B>,
    M::InnerModule: TaskModel<B::InnerBackend>,
    O: Optimizer<M, B>,
{
    let start = Instant::now();
    let train = &data.train;
    check_data(data)?;
    let decoder = Decoder::<B>::new(data.target_normalizer.as_ref(), device);
    // A last batch of one sample would break batch norm's statistics.
    let batch_size = settings.batch_size.min(train.len());
    let mut steps_per_epoch = train.len() / batch_size;
    if train.len() % batch_size >= 2 {
        steps_per_epoch += 1;
    }
    let schedule = CosineSchedule {
        base_lr: settings.lr,
        min_lr: settings.min_lr,
        warmup_steps: settings.warmup_epochs * steps_per_epoch,
        total_steps: settings.epochs * steps_per_epoch,
    };
    let mut shuffle_rng = rng_from_seed(derive_seed(settings.seed, &[SHUFFLE_STREAM]));
    let mut order: Vec<usize> = (0..train.len()).collect();
    let mut reports = Vec::new();
    let mut step = 0;
    for epoch in 1..=settings.epochs {
        let epoch_start = Instant::now();
        order.shuffle(&mut shuffle_rng);
        let (mut loss_sum, mut seen) = (0.0, 0usize);
        let mut lr = schedule.lr(step);
        for indices in order.chunks(batch_size).filter(|b| b.len() >= 2) {
            let batch = task_batch::<B>(train, indices, device);
            let outputs = decode(model.forward_task(batch.inputs), decoder.as_ref());
            let loss = task_loss(data.spec.loss, outputs, batch.targets, &batch.classes);
            let loss_value: f64 = loss.clone().into_scalar().elem();
            if !loss_value.is_finite() {
                return Err(TaskTrainError::NonFiniteLoss {
                    epoch,
                    step,
                    loss: loss_value,
                });
            }
            loss_sum += loss_value * indices.len() as f64;
            seen += indices.len();
            let mut grads = GradientsParams::from_grads(loss.backward(), &model);
            if let Some(max_norm) = settings.grad_clip_norm {
                clip_global_norm::<B, M>(&model, &mut grads, max_norm);
            }
            lr = schedule.lr(step);
            model = optimizer.step(lr, model, grads);
            step += 1;
        }
        let train_seconds = epoch_start.elapsed().as_secs_f64();
        let scores = score_split(
            &model.valid(),
            data,
            &data.valid,
            settings.eval_batch_size,
            device,
        )?;
        let report = TaskEpochReport {
            epoch,
            epochs: settings.epochs,
            train_loss: loss_sum / seen.max(1) as f64,
            valid_loss: scores.loss,
            valid_metric: scores.metric,
            lr,
            samples_per_second: seen as f64 / train_seconds.max(1e-9),
        };
        progress(&report);
        reports.push(report);
    }
    let valid_metric = reports.last().map_or(f64::NAN, |r| r.valid_metric);
    Ok((
        model,
        TaskTrainReport {
            epochs: reports,
            valid_metric,
            wall_seconds: start.elapsed().as_secs_f64(),
        },
    ))
}

/// Mean task loss and metric of a network on one split.
struct SplitScores {
    loss: f64,
    metric: f64,
}

/// The decoded outputs of `model` on every sample of `split`, sample-major
/// (`split.len() * output_len` values), and the mean task loss.
fn split_outputs<B: Backend, M: TaskModel<B>>(
    model: &M,
    data: &TaskData,
    split: &TaskSplit,
    batch_size: usize,
    device: &B::Device,
) -> (Vec<f32>, f64) {
    let decoder = Decoder::<B>::new(data.target_normalizer.as_ref(), device);
    let indices: Vec<usize> = (0..split.len()).collect();
    let mut outputs = Vec::new();
    let mut loss_sum = 0.0;
    for chunk in indices.chunks(batch_size.max(1)) {
        let batch = task_batch::<B>(split, chunk, device);
        let out = decode(model.forward_task(batch.inputs), decoder.as_ref());
        let loss = task_loss(data.spec.loss, out.clone(), batch.targets, &batch.classes);
        let loss_value: f64 = loss.into_scalar().elem();
        loss_sum += loss_value * chunk.len() as f64;
        outputs.extend(out.into_data().iter::<f32>());
    }
    (outputs, loss_sum / split.len().max(1) as f64)
}

fn score_split<B: Backend, M: TaskModel<B>>(
    model: &M,
    data: &TaskData,
    split: &TaskSplit,
    batch_size: usize,
    device: &B::Device,
) -> Result<SplitScores, Nb360Error> {
    let (outputs, loss) = split_outputs(model, data, split, batch_size, device);
    // Scored at the split's own input size (dense tasks may run on maps
    // smaller than the published ones).
    let spec = TaskSpec {
        input_shape: split.input_shape,
        ..*data.spec
    };
    let metric = score(&spec, &outputs, split)?;
    Ok(SplitScores { loss, metric })
}

/// The task's metric (lower is better) of `model` on `split` of `data`.
///
/// Pass the network in inference mode (`model.valid()` of a trained
/// autodiff module), so batch norm uses its running statistics. Outputs are
/// decoded by the task's normalizer before scoring.
pub fn evaluate_task_model<B: Backend, M: TaskModel<B>>(
    model: &M,
    data: &TaskData,
    split: TaskSplitKind,
    batch_size: usize,
    device: &B::Device,
) -> Result<f64, Nb360Error> {
    let split = split.of(data);
    if split.is_empty() {
        return Err(Nb360Error::Setting {
            field: "split".to_owned(),
            message: "the split has no samples to score".to_owned(),
        });
    }
    Ok(score_split(model, data, split, batch_size, device)?.metric)
}

#[cfg(test)]
pub(crate) mod tests {
    use oxinas_core::seed::rng_from_seed;
    use oxinas_nb360::Nb360Task;
    use oxinas_spaces::Nb201Arch;
    use rand::Rng;

    use super::*;
    use crate::backend::{CpuBackend, CpuTrainBackend};
    use crate::task_cell_network::{TaskCellConfig, TaskCellNetwork};
    use crate::task_model::TaskShape;

    /// A 1-D two-class task in Satellite's layout (`[1, 1, 46]`, class index
    /// targets): class 0 carries a positive pulse at positions 8-15, class 1
    /// an alternating pattern at positions 26-35; uniform noise everywhere.
    pub(crate) fn pattern_task(per_split: usize, seed: u64) -> TaskData {
        let spec = Nb360Task::Satellite.spec();
        let length = spec.input_shape[2];
        let mut rng = rng_from_seed(seed);
        let mut split = |n: usize| {
            let mut out = TaskSplit::empty(spec.input_shape, 1);
            for i in 0..n {
                let class = (i + rng.random_range(0..2)) % 2;
                for p in 0..length {
                    let signal = match class {
                        0 if (8..16).contains(&p) => 1.0,
                        1 if (26..36).contains(&p) => {
                            if p % 2 == 0 {
                                1.0
                            } else {
                                -1.0
                            }
                        }
                        _ => 0.0,
                    };
                    out.inputs.push(signal + rng.random_range(-0.3f32..0.3));
                }
                out.targets.push(class as f32);
            }
            out
        };
        TaskData {
            spec,
            train: split(per_split),
            valid: split(per_split / 2),
            test: split(per_split / 2),
            target_normalizer: None,
        }
    }

    /// A dense regression task in Darcy flow's layout on `side x side` maps:
    /// channel 0 is a random +-1 field, channels 1-2 the pixel coordinates;
    /// the target is `2 + field + 0.5 * right neighbour's field`, and
    /// networks predict it normalised per pixel, as on Darcy flow.
    pub(crate) fn dense_task(per_split: usize, side: usize, seed: u64) -> TaskData {
        let spec = Nb360Task::DarcyFlow.spec();
        let mut rng = rng_from_seed(seed);
        let mut split = |n: usize| {
            let mut out = TaskSplit::empty([3, side, side], side * side);
            for _ in 0..n {
                let field: Vec<f32> = (0..side * side)
                    .map(|_| if rng.random_bool(0.5) { 1.0 } else { -1.0 })
                    .collect();
                out.inputs.extend_from_slice(&field);
                for axis in 0..2 {
                    for y in 0..side {
                        for x in 0..side {
                            let v = if axis == 0 { y } else { x };
                            out.inputs.push(v as f32 / side as f32);
                        }
                    }
                }
                for y in 0..side {
                    for x in 0..side {
                        let right = if x + 1 < side {
                            field[y * side + x + 1]
                        } else {
                            0.0
                        };
                        out.targets.push(2.0 + field[y * side + x] + 0.5 * right);
                    }
                }
            }
            out
        };
        let train = split(per_split);
        let normalizer = PointwiseNormalizer::fit(&train.targets, side * side);
        TaskData {
            spec,
            train,
            valid: split(per_split / 2),
            test: split(per_split / 2),
            target_normalizer: Some(normalizer),
        }
    }

    fn settings(epochs: usize, seed: u64) -> TaskTrainSettings {
        TaskTrainSettings {
            batch_size: 16,
            lr: 0.05,
            eval_batch_size: 64,
            ..TaskTrainSettings::nb360(epochs, seed)
        }
    }

    fn cell_net(data: &TaskData, arch: &str, seed: u64) -> TaskCellNetwork<CpuTrainBackend> {
        let shape = TaskShape::with_input(data.spec, data.train.input_shape).unwrap();
        let config = TaskCellConfig {
            channels: 4,
            cells_per_stage: 1,
        };
        let arch = Nb201Arch::from_op_digits(arch).unwrap();
        TaskCellNetwork::new(
            &config,
            &arch,
            &shape,
            &mut rng_from_seed(seed),
            &Default::default(),
        )
        .unwrap()
    }

    #[test]
    fn one_dimensional_training_lowers_the_loss_and_repeats_exactly() {
        let data = pattern_task(96, 1);
        let run = || {
            let mut seen = Vec::new();
            let (model, report) = train_task_model(
                cell_net(&data, "303130", 2),
                &data,
                &settings(5, 3),
                &Default::default(),
                &mut |r: &TaskEpochReport| seen.push(r.epoch),
            )
            .unwrap();
            assert_eq!(seen, vec![1, 2, 3, 4, 5]);
            (model, report)
        };
        let (model, report) = run();
        let first = report.epochs[0].train_loss;
        let last = report.epochs[4].train_loss;
        assert!(last < 0.8 * first, "train loss {first} -> {last}");
        // Two classes: chance is 50 % error; the patterns are easy to tell apart.
        assert!(
            report.valid_metric < 25.0,
            "valid error {}",
            report.valid_metric
        );
        let valid = evaluate_task_model(
            &model.valid(),
            &data,
            TaskSplitKind::Valid,
            7,
            &Default::default(),
        )
        .unwrap();
        assert!((valid - report.valid_metric).abs() < 1e-9);
        let (_, again) = run();
        assert_eq!(
            report
                .epochs
                .iter()
                .map(|e| (e.train_loss, e.valid_loss, e.valid_metric))
                .collect::<Vec<_>>(),
            again
                .epochs
                .iter()
                .map(|e| (e.train_loss, e.valid_loss, e.valid_metric))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn dense_training_lowers_the_relative_l2_loss() {
        let data = dense_task(48, 6, 4);
        let (_, report) = train_task_model(
            cell_net(&data, "303130", 5),
            &data,
            &settings(6, 6),
            &Default::default(),
            &mut |_: &TaskEpochReport| {},
        )
        .unwrap();
        let first = report.epochs[0].train_loss;
        let last = report.epochs[5].train_loss;
        assert!(last < 0.8 * first, "train loss {first} -> {last}");
        let valid_first = report.epochs[0].valid_metric;
        assert!(
            report.valid_metric < valid_first,
            "{valid_first} -> {}",
            report.valid_metric
        );
        // Relative L2 of the decoded outputs equals the loss on the same split.
        let last_epoch = &report.epochs[5];
        assert!((last_epoch.valid_loss - last_epoch.valid_metric).abs() < 1e-4);
    }

    #[test]
    fn decoding_applies_std_then_mean() {
        let normalizer = PointwiseNormalizer {
            mean: vec![1.0, -2.0],
            std: vec![2.0, 0.5],
        };
        let device = Default::default();
        let decoder = Decoder::<CpuBackend>::new(Some(&normalizer), &device);
        let outputs = Tensor::<CpuBackend, 2>::from_data(
            TensorData::new(vec![0.0f32, 0.0, 1.0, 4.0], [2, 2]),
            &device,
        );
        let decoded = decode(outputs, decoder.as_ref())
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        assert_eq!(decoded, vec![1.0, -2.0, 3.0, 0.0]);
    }

    #[test]
    fn a_diverging_run_is_an_error_not_a_panic() {
        // A NaN target makes the relative L2 loss NaN on the first step.
        let mut data = dense_task(8, 4, 1);
        data.train.targets[3] = f32::NAN;
        let trained = train_task_model(
            cell_net(&data, "303130", 2),
            &data,
            &settings(1, 3),
            &Default::default(),
            &mut |_: &TaskEpochReport| {},
        );
        match trained {
            Err(TaskTrainError::NonFiniteLoss { epoch, step, loss }) => {
                assert_eq!((epoch, step), (1, 0));
                assert!(loss.is_nan());
            }
            Err(other) => panic!("expected a non-finite loss, got {other}"),
            Ok(_) => panic!("expected a non-finite loss, training succeeded"),
        }
    }

    #[test]
    fn bad_settings_and_data_name_the_field() {
        let data = pattern_task(16, 1);
        let mut bad = settings(1, 3);
        bad.batch_size = 1;
        let Err(err) = train_task_model(
            cell_net(&data, "000000", 2),
            &data,
            &bad,
            &Default::default(),
            &mut |_: &TaskEpochReport| {},
        ) else {
            panic!("batch size 1 must be rejected");
        };
        assert!(
            matches!(&err, TaskTrainError::Config(e) if e.field == "batch_size"),
            "{err}"
        );
        let mut empty = data.clone();
        empty.valid = TaskSplit::empty(data.spec.input_shape, 1);
        let Err(err) = train_task_model(
            cell_net(&data, "000000", 2),
            &empty,
            &settings(1, 3),
            &Default::default(),
            &mut |_: &TaskEpochReport| {},
        ) else {
            panic!("an empty validation split must be rejected");
        };
        assert!(
            matches!(&err, TaskTrainError::Config(e) if e.field == "valid split"),
            "{err}"
        );
    }
}
