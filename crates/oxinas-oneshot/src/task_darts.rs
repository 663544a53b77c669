//! DARTS (first or second order) over NAS-Bench-201 cells on a NAS-Bench-360 task:
//! the task's supernet ([`Nb201Supernet::for_task`]) trained on the training
//! split with the task's loss, its architecture logits on the validation
//! split, and after every epoch the derived cell scored on the validation
//! split with the task's published metric and the shared weights.

use std::ops::Range;
use std::path::Path;

use burn::module::AutodiffModule;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, GradientsParams, Optimizer, SgdConfig};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_nb360::{
    MetricKind, Nb360Error, Nb360Task, PointwiseNormalizer, TargetKind, TaskData, TaskSplit,
    metrics,
};
use oxinas_spaces::Nb201Arch;
use oxinas_train::{CosineSchedule, TaskBatch, clip_global_norm, task_batch, task_loss};

use crate::architecture_weights::{ArchWeights, mean_entropy};
use crate::checkpoint::save_module;
use crate::darts_search::{check_finite, scalar, second_order_gradient};
use crate::darts_settings::DartsOrder;
use crate::module_shift::SgdTrace;
use crate::nb201_supernet::{Nb201Supernet, Nb201TaskConfig};
use crate::oneshot_error::OneShotError;
use crate::search_supernet::{Mixture, SearchSupernet};
use crate::supernet_evaluation::BatchStream;
use crate::task_darts_settings::TaskDartsSettings;

/// What a task search reports after each epoch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskDartsEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Epochs in the search.
    pub epochs: usize,
    /// Mean task loss of the weight steps (the mixture network, training split).
    pub train_loss: f64,
    /// Mean task loss of the architecture steps (the mixture network, validation split).
    pub arch_loss: f64,
    /// The cell derived from the logits after the epoch (NB201 op digits).
    pub arch: String,
    /// The task's metric of that cell on the validation split, with the shared weights.
    pub valid_metric: f64,
    /// Mean entropy (nats) of the edges' mixtures: `ln 5` uniform, 0 one-hot.
    pub mean_entropy: f64,
    /// Skip connections in the derived cell (DARTS' known collapse).
    pub skip_edges: usize,
}

/// The result of a DARTS search on a task. Holds no timings, so the same
/// data, settings and seed give an equal report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskDartsReport {
    /// The task searched.
    pub task: Nb360Task,
    /// The task's published metric (lower is better).
    pub metric: MetricKind,
    /// The metric's short name, for tables.
    pub metric_name: String,
    /// The settings of the search.
    pub settings: TaskDartsSettings,
    /// One entry per epoch.
    pub epochs: Vec<TaskDartsEpoch>,
    /// The derived cell as NB201 op digits (edges in NB201 order).
    pub arch: String,
    /// The derived cell in NAS-Bench-201's string format.
    pub arch_string: String,
    /// Final mixture weights, `[edge][op]` (one cell kind).
    pub mixture: Mixture,
    /// The metric of the derived cell on the validation split, with the shared weights.
    pub valid_metric: f64,
    /// The metric of the derived cell on the test split, with the shared
    /// weights (reports only; absent when the test split is empty).
    pub test_metric: Option<f64>,
}

/// Seed streams of a search.
mod stream {
    pub const SUPERNET: u64 = 1;
    pub const ARCH: u64 = 2;
    pub const TRAIN_ORDER: u64 = 3;
    pub const VALID_ORDER: u64 = 4;
}

/// Runs DARTS over NB201 cells on `data` with `settings`
/// (`settings.seed` fixes the weights, the logits and the batch order).
///
/// The supernet is built from the training split's input shape (not the
/// spec's published one, so quick runs may shrink inputs): its input
/// channels, and for dense tasks one output per input pixel; point tasks
/// output `data.spec.output_len()` values. When `data.target_normalizer` is
/// set, outputs are decoded (`outputs * std + mean`) before the loss and the
/// metric. After each epoch `progress` gets the epoch's report and, when
/// `checkpoint_dir` is given, the supernet and the architecture logits are
/// written there (`supernet.bin`, `arch_weights.bin`, Burn's binary format).
pub fn run_task_darts<B: AutodiffBackend>(
    data: &TaskData,
    settings: &TaskDartsSettings,
    device: &B::Device,
    checkpoint_dir: Option<&Path>,
    mut progress: impl FnMut(&TaskDartsEpoch),
) -> Result<TaskDartsReport, OneShotError> {
    settings.validate()?;
    let config = Nb201TaskConfig::for_task(
        data.spec,
        data.train.input_shape,
        settings.channels,
        settings.cells_per_stage,
    );
    check_task_data(data, &config, settings)?;
    let seed = settings.seed;
    let mut supernet = Nb201Supernet::<B>::for_task(
        &config,
        &mut rng_from_seed(derive_seed(seed, &[stream::SUPERNET])),
        device,
    )?;
    type Net<B> = Nb201Supernet<B>;
    let mut arch_weights: ArchWeights<B> = ArchWeights::new(
        &<Net<B> as SearchSupernet<B>>::logit_shapes(),
        &mut rng_from_seed(derive_seed(seed, &[stream::ARCH])),
        device,
    );
    let mut weight_optimizer = SgdConfig::new()
        .with_momentum(Some(
            MomentumConfig::new()
                .with_momentum(settings.momentum)
                .with_dampening(0.0),
        ))
        .with_weight_decay(Some(WeightDecayConfig::new(settings.weight_decay as f32)))
        .init::<B, Net<B>>();
    let mut arch_optimizer = AdamConfig::new()
        .with_beta_1(0.5)
        .with_beta_2(0.999)
        .with_epsilon(1e-8)
        .with_weight_decay(Some(WeightDecayConfig::new(
            settings.arch_weight_decay as f32,
        )))
        .init::<B, ArchWeights<B>>();

    let mut train_stream = BatchStream::new(
        data.train.len(),
        settings.batch_size,
        derive_seed(seed, &[stream::TRAIN_ORDER]),
    );
    let mut valid_stream = BatchStream::new(
        data.valid.len(),
        settings.batch_size,
        derive_seed(seed, &[stream::VALID_ORDER]),
    );
    let per_pass = train_stream.batches_per_pass();
    let steps_per_epoch = settings
        .steps_per_epoch
        .map_or(per_pass, |s| s.min(per_pass));
    let schedule = CosineSchedule {
        base_lr: settings.weight_lr,
        min_lr: settings.weight_min_lr,
        warmup_steps: 0,
        total_steps: settings.epochs * steps_per_epoch,
    };
    let decoder = OutputDecoder::<B>::new(data.target_normalizer.as_ref(), device);
    let loss_of = |outputs: Tensor<B, 2>, batch: &TaskBatch<B>| {
        task_loss(
            data.spec.loss,
            decoder.decode(outputs),
            batch.targets.clone(),
            &batch.classes,
        )
    };

    // The weights' SGD as the second-order virtual step unrolls it.
    let mut sgd_trace = SgdTrace::new(settings.momentum, settings.weight_decay);
    let mut epochs = Vec::with_capacity(settings.epochs);
    let mut step = 0;
    for epoch in 1..=settings.epochs {
        let (mut train_loss, mut arch_loss) = (0.0, 0.0);
        for _ in 0..steps_per_epoch {
            let train = task_batch::<B>(&data.train, &train_stream.next_batch(), device);
            let valid = task_batch::<B>(&data.valid, &valid_stream.next_batch(), device);

            // Architecture step on the validation batch.
            let mixed_loss = |net: &Net<B>, mixtures: &[Tensor<B, 2>], batch: &TaskBatch<B>| {
                loss_of(
                    net.forward_mixture(batch.inputs.clone(), mixtures[0].clone()),
                    batch,
                )
            };
            let (value, arch_grads) = match settings.order {
                DartsOrder::First => {
                    let loss = mixed_loss(&supernet, &arch_weights.mixtures(), &valid);
                    let value = scalar(&loss);
                    let mut grads = loss.backward();
                    (
                        value,
                        GradientsParams::from_module(&mut grads, &arch_weights),
                    )
                }
                DartsOrder::Second => second_order_gradient(
                    &supernet,
                    &arch_weights,
                    |net: &Net<B>, m: &[Tensor<B, 2>]| mixed_loss(net, m, &train),
                    |net: &Net<B>, m: &[Tensor<B, 2>]| mixed_loss(net, m, &valid),
                    schedule.lr(step),
                    &sgd_trace,
                ),
            };
            check_finite("architecture", value, epoch, step)?;
            arch_loss += value;
            arch_weights = arch_optimizer.step(settings.arch_lr, arch_weights, arch_grads);
            // A finite loss can still carry NaN gradients (ReLU maps NaN
            // activations to 0 on some backends), so the logits are checked too.
            check_weights(
                "architecture weight",
                first_non_finite(&arch_weights),
                epoch,
                step,
            )?;

            // Weight step on the training batch, the mixture held fixed.
            let fixed = arch_weights.mixtures()[0].clone().detach();
            let loss = loss_of(
                supernet.forward_mixture(train.inputs.clone(), fixed),
                &train,
            );
            let value = scalar(&loss);
            check_finite("training", value, epoch, step)?;
            train_loss += value;
            let mut grads = GradientsParams::from_grads(loss.backward(), &supernet);
            let norm =
                clip_global_norm::<B, Net<B>>(&supernet, &mut grads, settings.grad_clip_norm);
            check_weights("weight gradient norm", norm, epoch, step)?;
            if settings.order == DartsOrder::Second {
                sgd_trace.record::<B, Net<B>>(&supernet, &grads);
            }
            supernet = weight_optimizer.step(schedule.lr(step), supernet, grads);
            step += 1;
        }
        let mixture = arch_weights.probabilities();
        let arch = <Net<B> as SearchSupernet<B>>::derive(&mixture);
        let valid_metric = split_metric(
            data,
            &data.valid,
            &supernet.valid(),
            &arch,
            settings,
            device,
        )?;
        let report = TaskDartsEpoch {
            epoch,
            epochs: settings.epochs,
            train_loss: train_loss / steps_per_epoch as f64,
            arch_loss: arch_loss / steps_per_epoch as f64,
            arch: arch.op_digits(),
            valid_metric,
            mean_entropy: mean_entropy(&mixture),
            skip_edges: <Net<B> as SearchSupernet<B>>::skip_connections(&arch),
        };
        if let Some(dir) = checkpoint_dir {
            save_module(&supernet, dir, "supernet")?;
            save_module(&arch_weights, dir, "arch_weights")?;
        }
        progress(&report);
        epochs.push(report);
    }
    let mixture = arch_weights.probabilities();
    let arch = <Net<B> as SearchSupernet<B>>::derive(&mixture);
    let inference = supernet.valid();
    // The last epoch scored this very cell with these very weights.
    let valid_metric = epochs.last().map_or(f64::NAN, |e| e.valid_metric);
    let test_metric = if data.test.is_empty() {
        None
    } else {
        Some(split_metric(
            data, &data.test, &inference, &arch, settings, device,
        )?)
    };
    Ok(TaskDartsReport {
        task: data.spec.task,
        metric: data.spec.metric,
        metric_name: data.spec.metric.name().to_owned(),
        settings: settings.clone(),
        epochs,
        arch: arch.op_digits(),
        arch_string: <Net<B> as SearchSupernet<B>>::long_name(&arch),
        mixture,
        valid_metric,
        test_metric,
    })
}

/// [`OneShotError::NonFinite`] unless `value` is finite.
fn check_weights(
    what: &'static str,
    value: f64,
    epoch: usize,
    step: usize,
) -> Result<(), OneShotError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(OneShotError::NonFinite {
            what,
            value,
            epoch,
            step,
        })
    }
}

/// The first non-finite mixture weight, or 0 when all are finite.
fn first_non_finite<B: Backend>(arch_weights: &ArchWeights<B>) -> f64 {
    arch_weights
        .probabilities()
        .iter()
        .flatten()
        .flatten()
        .copied()
        .find(|p| !p.is_finite())
        .unwrap_or(0.0)
}

/// `outputs * std + mean` per output position, when the task normalises its targets.
struct OutputDecoder<B: Backend> {
    std_mean: Option<(Tensor<B, 2>, Tensor<B, 2>)>,
}

impl<B: Backend> OutputDecoder<B> {
    fn new(normalizer: Option<&PointwiseNormalizer>, device: &B::Device) -> Self {
        let row = |values: &[f32]| {
            Tensor::from_data(TensorData::new(values.to_vec(), [1, values.len()]), device)
        };
        Self {
            std_mean: normalizer.map(|n| (row(&n.std), row(&n.mean))),
        }
    }

    fn decode(&self, outputs: Tensor<B, 2>) -> Tensor<B, 2> {
        match &self.std_mean {
            None => outputs,
            Some((std, mean)) => {
                let batch = outputs.dims()[0];
                outputs * std.clone().repeat_dim(0, batch) + mean.clone().repeat_dim(0, batch)
            }
        }
    }
}

/// The task's metric of `arch` on `split` with `supernet`'s weights, outputs
/// decoded by the task's normalizer.
fn split_metric<B: Backend>(
    data: &TaskData,
    split: &TaskSplit,
    supernet: &Nb201Supernet<B>,
    arch: &Nb201Arch,
    settings: &TaskDartsSettings,
    device: &B::Device,
) -> Result<f64, OneShotError> {
    let mut outputs = Vec::new();
    for range in evaluation_batches(split.len(), settings.eval_batch_size) {
        let indices: Vec<usize> = range.collect();
        let batch = task_batch::<B>(split, &indices, device);
        let values = supernet
            .forward_arch(batch.inputs, arch)
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .map_err(|e| Nb360Error::Metric {
                metric: data.spec.metric.name(),
                message: format!("cannot read the network's outputs: {e:?}"),
            })?;
        outputs.extend(values);
    }
    if let Some(normalizer) = &data.target_normalizer {
        normalizer.decode(&mut outputs);
    }
    Ok(metrics::score(data.spec, &outputs, split)?)
}

/// Consecutive index ranges of at most `batch_size` (at least 2) samples,
/// none of a single sample unless the split has one: batch statistics need two.
fn evaluation_batches(len: usize, batch_size: usize) -> Vec<Range<usize>> {
    let size = batch_size.max(2);
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < len {
        let mut end = (start + size).min(len);
        if len - end == 1 {
            end = len;
        }
        ranges.push(start..end);
        start = end;
    }
    ranges
}

/// Refuses data the search cannot run on, naming the split and what was expected.
fn check_task_data(
    data: &TaskData,
    config: &Nb201TaskConfig,
    settings: &TaskDartsSettings,
) -> Result<(), OneShotError> {
    let setting = |field: &str, message: String| Nb360Error::Setting {
        field: field.to_owned(),
        message,
    };
    let target_len = match data.spec.target {
        TargetKind::Classes(_) => 1,
        _ => config.output_len,
    };
    for (name, split) in [
        ("train", &data.train),
        ("valid", &data.valid),
        ("test", &data.test),
    ] {
        split.check(name)?;
        if split.input_shape != data.train.input_shape {
            return Err(setting(
                name,
                format!(
                    "input shape {:?}, the training split has {:?}",
                    split.input_shape, data.train.input_shape
                ),
            )
            .into());
        }
        if split.target_len != target_len {
            return Err(setting(
                name,
                format!(
                    "{} target values per sample, task {} on inputs {:?} expects {target_len}",
                    split.target_len, data.spec.key, data.train.input_shape
                ),
            )
            .into());
        }
    }
    if let Some(normalizer) = &data.target_normalizer
        && (normalizer.mean.len() != config.output_len || normalizer.std.len() != config.output_len)
    {
        return Err(setting(
            "target_normalizer",
            format!(
                "{} means and {} deviations, the network outputs {} values",
                normalizer.mean.len(),
                normalizer.std.len(),
                config.output_len
            ),
        )
        .into());
    }
    let limit = data.train.len().min(data.valid.len());
    if settings.batch_size > limit {
        return Err(ConfigError::new(
            "batch_size",
            format!(
                "at most the size of the training ({}) and validation ({}) splits",
                data.train.len(),
                data.valid.len()
            ),
        )
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::f32::consts::PI;

    use oxinas_nb360::TaskSpec;
    use oxinas_train::backend::CpuTrainBackend;
    use rand::Rng;

    use super::*;

    /// `task`'s spec with smaller inputs and fewer classes, so that a search
    /// runs in seconds; the metric sees the same shapes as the network.
    fn tiny_spec(
        task: Nb360Task,
        input_shape: [usize; 3],
        target: TargetKind,
    ) -> &'static TaskSpec {
        Box::leak(Box::new(TaskSpec {
            input_shape,
            target,
            ..*task.spec()
        }))
    }

    /// A split of `n` samples: `sample(i, rng)` gives the input and the target values.
    fn split_of(
        n: usize,
        input_shape: [usize; 3],
        target_len: usize,
        seed: u64,
        sample: impl Fn(usize, &mut oxinas_core::seed::SeededRng) -> (Vec<f32>, Vec<f32>),
    ) -> TaskSplit {
        let mut rng = rng_from_seed(seed);
        let mut split = TaskSplit::empty(input_shape, target_len);
        for i in 0..n {
            let (input, target) = sample(i, &mut rng);
            split.inputs.extend(input);
            split.targets.extend(target);
        }
        split
    }

    fn task_data(
        spec: &'static TaskSpec,
        target_len: usize,
        sample: impl Fn(usize, &mut oxinas_core::seed::SeededRng) -> (Vec<f32>, Vec<f32>) + Copy,
    ) -> TaskData {
        let shape = spec.input_shape;
        TaskData {
            spec,
            train: split_of(48, shape, target_len, 1, sample),
            valid: split_of(24, shape, target_len, 2, sample),
            test: split_of(12, shape, target_len, 3, sample),
            target_normalizer: None,
        }
    }

    /// Three classes of 1-D waves, `[1, 1, 16]`: the class sets the frequency.
    fn waves_1d() -> TaskData {
        let spec = tiny_spec(Nb360Task::Satellite, [1, 1, 16], TargetKind::Classes(3));
        task_data(spec, 1, |i, rng| {
            let class = i % 3;
            let frequency = [1.0, 3.0, 6.0][class];
            let phase: f32 = rng.random_range(0.0..2.0 * PI);
            let input = (0..16)
                .map(|t| {
                    (2.0 * PI * frequency * t as f32 / 16.0 + phase).sin()
                        + rng.random_range(-0.2..0.2)
                })
                .collect();
            (input, vec![class as f32])
        })
    }

    /// Three classes of 2-D stripes, `[1, 8, 8]`: horizontal, vertical, diagonal.
    fn stripes_2d() -> TaskData {
        let spec = tiny_spec(Nb360Task::NinaPro, [1, 8, 8], TargetKind::Classes(3));
        task_data(spec, 1, |i, rng| {
            let class = i % 3;
            let phase: f32 = rng.random_range(0.0..2.0 * PI);
            let mut input = Vec::with_capacity(64);
            for h in 0..8 {
                for w in 0..8 {
                    let along = [h, w, h + w][class] as f32;
                    input.push((PI * along / 2.0 + phase).sin() + rng.random_range(-0.2..0.2));
                }
            }
            (input, vec![class as f32])
        })
    }

    /// A dense regression on `[1, 6, 6]`: the target is 1 plus half the 3x3
    /// mean of a random field (zero outside), one value per pixel, with the
    /// training targets' pointwise normalizer (as Darcy flow's).
    fn smoothing_dense() -> TaskData {
        let spec = tiny_spec(Nb360Task::DarcyFlow, [1, 6, 6], TargetKind::DenseRegression);
        let mut data = task_data(spec, 36, |_, rng| {
            let field: Vec<f32> = (0..36).map(|_| rng.random_range(-1.0..1.0)).collect();
            let mut target = Vec::with_capacity(36);
            for h in 0..6i32 {
                for w in 0..6i32 {
                    let mut sum = 0.0;
                    for (dh, dw) in (-1..=1).flat_map(|dh| (-1..=1).map(move |dw| (dh, dw))) {
                        let (y, x) = (h + dh, w + dw);
                        if (0..6).contains(&y) && (0..6).contains(&x) {
                            sum += field[(y * 6 + x) as usize];
                        }
                    }
                    target.push(1.0 + 0.5 * sum / 9.0);
                }
            }
            (field, target)
        });
        data.target_normalizer = Some(PointwiseNormalizer::fit(&data.train.targets, 36));
        data
    }

    fn settings(seed: u64) -> TaskDartsSettings {
        TaskDartsSettings {
            channels: 4,
            cells_per_stage: 1,
            epochs: 4,
            batch_size: 8,
            weight_lr: 0.05,
            arch_lr: 0.05,
            eval_batch_size: 24,
            seed,
            ..TaskDartsSettings::default()
        }
    }

    fn search(data: &TaskData, settings: &TaskDartsSettings) -> TaskDartsReport {
        let mut seen = Vec::new();
        let report =
            run_task_darts::<CpuTrainBackend>(data, settings, &Default::default(), None, |e| {
                seen.push(e.epoch)
            })
            .unwrap();
        assert_eq!(seen, (1..=settings.epochs).collect::<Vec<_>>());
        report
    }

    /// The error of a search that must not run.
    fn refused(data: &TaskData, settings: &TaskDartsSettings) -> OneShotError {
        run_task_darts::<CpuTrainBackend>(data, settings, &Default::default(), None, |_| {})
            .unwrap_err()
    }

    /// The loss falls by a real margin, the logits leave uniform, and the
    /// report carries a finite metric of a derived NB201 cell.
    fn assert_search_learns(report: &TaskDartsReport, data: &TaskData) {
        let first = report.epochs.first().unwrap().train_loss;
        let last = report.epochs.last().unwrap().train_loss;
        assert!(last < 0.8 * first, "train loss {first} -> {last}");
        let farthest = report
            .mixture
            .iter()
            .flatten()
            .flatten()
            .map(|p| (p - 1.0 / 5.0).abs())
            .fold(0.0, f64::max);
        assert!(farthest > 0.01, "mixture stayed uniform ({farthest})");
        assert!(report.valid_metric.is_finite());
        assert!(report.test_metric.is_some_and(f64::is_finite));
        assert_eq!(report.metric, data.spec.metric);
        assert_eq!(report.arch.len(), 6);
        let arch = Nb201Arch::from_op_digits(&report.arch).unwrap();
        assert_eq!(
            report.arch_string,
            <Nb201Supernet<CpuTrainBackend> as SearchSupernet<CpuTrainBackend>>::long_name(&arch)
        );
    }

    #[test]
    fn checkpoints_hold_the_searched_logits() {
        use burn::module::Module;
        use burn::record::{BinFileRecorder, FullPrecisionSettings};

        let data = waves_1d();
        let dir = tempfile::tempdir().unwrap();
        let short = TaskDartsSettings {
            epochs: 2,
            ..settings(0)
        };
        let report = run_task_darts::<CpuTrainBackend>(
            &data,
            &short,
            &Default::default(),
            Some(dir.path()),
            |_| {},
        )
        .unwrap();
        assert!(dir.path().join("supernet.bin").is_file());
        // Fresh logits from another seed, overwritten by the checkpoint.
        let device = Default::default();
        let loaded: ArchWeights<CpuTrainBackend> = ArchWeights::new(
            &<Nb201Supernet<CpuTrainBackend> as SearchSupernet<CpuTrainBackend>>::logit_shapes(),
            &mut rng_from_seed(99),
            &device,
        )
        .load_file(
            dir.path().join("arch_weights"),
            &BinFileRecorder::<FullPrecisionSettings>::new(),
            &device,
        )
        .unwrap();
        let (saved, reported) = (loaded.probabilities(), &report.mixture);
        let gap = saved
            .iter()
            .flatten()
            .flatten()
            .zip(reported.iter().flatten().flatten())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(gap < 1e-6, "checkpoint differs from the report by {gap}");
    }

    #[test]
    fn darts_on_a_1d_classification_task_learns_and_repeats_with_its_seed() {
        let data = waves_1d();
        let report = search(&data, &settings(0));
        assert_search_learns(&report, &data);
        assert!((0.0..=100.0).contains(&report.valid_metric));
        assert_eq!(report.metric_name, "0-1 error (%)");
        assert_eq!(search(&data, &settings(0)), report);
        let other = search(&data, &settings(1));
        assert_ne!(other.epochs[0].train_loss, report.epochs[0].train_loss);
    }

    #[test]
    fn second_order_darts_on_a_task_follows_its_own_gradient() {
        let data = waves_1d();
        let short = |order| TaskDartsSettings {
            order,
            epochs: 2,
            ..settings(0)
        };
        let first = search(&data, &short(DartsOrder::First));
        let second = search(&data, &short(DartsOrder::Second));
        assert!(second.epochs.iter().all(|e| e.arch_loss.is_finite()));
        let farthest = second
            .mixture
            .iter()
            .flatten()
            .flatten()
            .map(|p| (p - 1.0 / 5.0).abs())
            .fold(0.0, f64::max);
        assert!(farthest > 0.01, "mixture stayed uniform ({farthest})");
        // The same batches and weights, but another architecture gradient.
        assert_ne!(second.mixture, first.mixture);
    }

    #[test]
    fn darts_on_a_2d_classification_task_learns() {
        let data = stripes_2d();
        let report = search(&data, &settings(0));
        assert_search_learns(&report, &data);
        assert!((0.0..=100.0).contains(&report.valid_metric));
    }

    #[test]
    fn darts_on_a_dense_regression_task_learns_one_output_per_pixel() {
        let data = smoothing_dense();
        let config = Nb201TaskConfig::for_task(data.spec, data.train.input_shape, 4, 1);
        assert_eq!(config.output_len, 36);
        let device = Default::default();
        let net =
            Nb201Supernet::<CpuTrainBackend>::for_task(&config, &mut rng_from_seed(0), &device)
                .unwrap();
        let batch = task_batch::<CpuTrainBackend>(&data.valid, &[0, 1, 2], &device);
        let arch = Nb201Arch::from_op_digits("123123").unwrap();
        assert_eq!(net.forward_arch(batch.inputs, &arch).dims(), [3, 36]);

        let report = search(&data, &settings(0));
        assert_search_learns(&report, &data);
        assert_eq!(report.metric, MetricKind::RelativeL2);
        // The decoded outputs are scored: far better than predicting zero (1.0).
        assert!(report.valid_metric < 1.0, "{}", report.valid_metric);
    }

    #[test]
    fn a_non_finite_loss_stops_the_search_with_a_typed_error() {
        let mut data = waves_1d();
        data.valid.inputs.iter_mut().for_each(|x| *x = f32::NAN);
        let err = refused(&data, &settings(0));
        // The loss stays finite here (ReLU zeroes the NaN activations) but
        // the logits' gradient does not.
        assert!(
            matches!(
                err,
                OneShotError::NonFinite {
                    what: "architecture weight",
                    epoch: 1,
                    step: 0,
                    ..
                }
            ),
            "{err}"
        );
        // NaN targets make the loss itself NaN.
        let mut dense = smoothing_dense();
        dense.valid.targets.iter_mut().for_each(|x| *x = f32::NAN);
        let err = refused(&dense, &settings(0));
        assert!(
            matches!(
                err,
                OneShotError::Diverged {
                    what: "architecture",
                    epoch: 1,
                    step: 0,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn data_the_search_cannot_use_is_refused_by_name() {
        let data = waves_1d();
        let too_big = TaskDartsSettings {
            batch_size: 30,
            ..settings(0)
        };
        let err = refused(&data, &too_big);
        assert!(
            matches!(&err, OneShotError::Config(c) if c.field == "batch_size"),
            "{err}"
        );

        let mut wrong = smoothing_dense();
        wrong.target_normalizer = Some(PointwiseNormalizer::fit(&[1.0, 2.0], 1));
        let err = refused(&wrong, &settings(0));
        assert!(err.to_string().contains("target_normalizer"), "{err}");

        let mut shapes = waves_1d();
        shapes.valid.input_shape = [1, 2, 8];
        let err = refused(&shapes, &settings(0));
        assert!(err.to_string().contains("valid"), "{err}");
    }

    #[test]
    fn evaluation_batches_cover_every_sample_and_never_leave_one_alone() {
        assert_eq!(evaluation_batches(5, 2), vec![0..2, 2..5]);
        assert_eq!(evaluation_batches(6, 4), vec![0..4, 4..6]);
        assert_eq!(evaluation_batches(4, 1), vec![0..2, 2..4]);
        assert_eq!(evaluation_batches(1, 8), vec![0..1]);
        assert!(evaluation_batches(0, 8).is_empty());
    }
}
