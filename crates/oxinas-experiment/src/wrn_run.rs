//! `method = "wrn"`: the benchmark's Wide ResNet backbone trained on a
//! NAS-Bench-360 task (the fixed-architecture baseline of the paper's tables).

use oxinas_core::ConfigError;
use oxinas_nb360::TaskData;
use oxinas_train::backend::AutodiffBackend;
use oxinas_train::{
    TaskTrainError, TaskTrainSettings, TrainJob, WideResNetBaseline, WideResNetConfig,
    train_wide_resnet,
};
use serde::{Deserialize, Serialize};

use crate::Progress;
use crate::compute_settings::{ComputeSettings, open_device};
use crate::error::ExperimentError;
use crate::oneshot_run::{OneShotOptions, OneShotSummary, parse_oneshot_file};
use crate::task_selection::TaskSelection;

/// The `[wrn]` table: the network and its training recipe.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
struct WrnSettings {
    /// Depth `6n + 4`.
    depth: usize,
    /// Width multiplier `k`.
    widen_factor: usize,
    /// Passes over the training split.
    epochs: usize,
    /// Samples per step.
    batch_size: usize,
    /// Peak learning rate (Nesterov SGD, momentum 0.9, weight decay 5e-4, cosine to 0).
    lr: f64,
}

impl Default for WrnSettings {
    /// The benchmark's default backbone, WRN-16-4, with its recipe.
    fn default() -> Self {
        let recipe = TaskTrainSettings::nb360(200, 0);
        Self {
            depth: WideResNetConfig::WRN_16_4.depth,
            widen_factor: WideResNetConfig::WRN_16_4.widen_factor,
            epochs: recipe.epochs,
            batch_size: recipe.batch_size,
            lr: recipe.lr,
        }
    }
}

/// A WRN config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrnFile {
    #[allow(dead_code)]
    method: String,
    name: String,
    #[serde(default)]
    description: String,
    seed: u64,
    task: TaskSelection,
    #[serde(default)]
    wrn: WrnSettings,
    #[serde(default)]
    compute: ComputeSettings,
}

/// What `report.json` holds.
#[derive(Serialize)]
struct WrnReport<'a> {
    task: &'a str,
    metric: &'a str,
    settings: &'a WrnSettings,
    params: usize,
    training: &'a oxinas_train::TaskTrainReport,
    valid_metric: f64,
    test_metric: f64,
}

fn setting(path: &std::path::Path, error: ConfigError) -> ExperimentError {
    ExperimentError::Setting {
        path: path.to_owned(),
        source: ConfigError::new(format!("wrn.{}", error.field), error.message),
    }
}

/// The WRN baseline's training, on whichever backend the device selects.
struct WrnJob<'a> {
    network: &'a WideResNetConfig,
    data: &'a TaskData,
    recipe: &'a TaskTrainSettings,
    seed: u64,
    progress: &'a dyn Progress,
    log: &'a mut dyn FnMut(&str),
}

impl TrainJob for WrnJob<'_> {
    type Output = Result<WideResNetBaseline, TaskTrainError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let Self {
            network,
            data,
            recipe,
            seed,
            progress,
            log,
        } = self;
        let metric = data.spec.metric.name();
        train_wide_resnet::<B>(network, data, recipe, seed, &device, &mut |e| {
            progress.advance(1);
            log(&format!(
                "epoch {}/{}: train loss {:.4}, valid loss {:.4}, valid {metric} {:.4}, {:.0} samples/s",
                e.epoch, e.epochs, e.train_loss, e.valid_loss, e.valid_metric, e.samples_per_second
            ));
        })
    }
}

/// Runs the config `text` (read from `options.config_path`) on its device; writes `report.json` and `summary.md` in the run directory.
pub(crate) fn run_wrn_config(
    options: OneShotOptions<'_>,
    text: &str,
) -> Result<OneShotSummary, ExperimentError> {
    let path = options.config_path;
    let file: WrnFile = parse_oneshot_file(path, text)?;
    let network = WideResNetConfig {
        depth: file.wrn.depth,
        widen_factor: file.wrn.widen_factor,
    };
    network.validate().map_err(|e| setting(path, e))?;
    let mut recipe = TaskTrainSettings::nb360(file.wrn.epochs, file.seed);
    recipe.batch_size = file.wrn.batch_size;
    recipe.eval_batch_size = file.wrn.batch_size.max(64);
    recipe.lr = file.wrn.lr;
    recipe.validate().map_err(|e| setting(path, e))?;
    let device = open_device(path, &file.compute, options.device)?;
    let (data, run) = file
        .task
        .load_and_start(&options, text, &file.name, file.seed, &device)?;
    options.progress.start(file.wrn.epochs as u64);
    let metric = data.spec.metric.name();
    let baseline = device
        .run(
            path,
            WrnJob {
                network: &network,
                data: &data,
                recipe: &recipe,
                seed: file.seed,
                progress: options.progress,
                log: options.log,
            },
        )?
        .map_err(|e| match e {
            TaskTrainError::Config(source) => setting(path, source),
            other => ExperimentError::Config {
                path: path.to_owned(),
                message: format!(
                    "training WRN-{}-{}: {other}",
                    network.depth, network.widen_factor
                ),
            },
        })?;
    options.progress.finish();
    let report = WrnReport {
        task: data.spec.key,
        metric,
        settings: &file.wrn,
        params: baseline.params,
        training: &baseline.report,
        valid_metric: baseline.report.valid_metric,
        test_metric: baseline.test_metric,
    };
    run.write_json("report.json", &report)?;
    let mut md = format!("# {}\n\n", file.name);
    if !file.description.is_empty() {
        md += &format!("{}\n\n", file.description);
    }
    md += &format!(
        "WRN-{}-{} ({} parameters) on NAS-Bench-360 task `{}`, {} epochs.\n\n",
        network.depth, network.widen_factor, baseline.params, data.spec.key, file.wrn.epochs
    );
    md += &format!("| epoch | train loss | valid loss | valid {metric} |\n|---:|---:|---:|---:|\n");
    for e in &baseline.report.epochs {
        md += &format!(
            "| {} | {:.4} | {:.4} | {:.4} |\n",
            e.epoch, e.train_loss, e.valid_loss, e.valid_metric
        );
    }
    md += &format!(
        "\nValidation {metric} {:.4}, test {metric} {:.4}; {:.1} s of training.\n",
        baseline.report.valid_metric, baseline.test_metric, baseline.report.wall_seconds
    );
    run.finish(&file.name, "wrn", md)
}
