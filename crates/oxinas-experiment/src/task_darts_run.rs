//! `method = "darts"` with a `[task]` table: DARTS over NAS-Bench-201 cells
//! on a NAS-Bench-360 task.

use std::path::PathBuf;
use std::time::Instant;

use oxinas_core::ConfigError;
use oxinas_nb360::TaskData;
use oxinas_oneshot::{OneShotError, TaskDartsReport, TaskDartsSettings, run_task_darts};
use oxinas_train::TrainJob;
use oxinas_train::backend::AutodiffBackend;
use serde::Deserialize;

use crate::Progress;
use crate::compute_settings::{ComputeSettings, open_device};
use crate::error::ExperimentError;
use crate::oneshot_run::{OneShotOptions, OneShotSummary, check_settings, parse_oneshot_file};
use crate::task_selection::TaskSelection;

/// A DARTS-on-a-task config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskDartsFile {
    #[allow(dead_code)]
    method: String,
    name: String,
    #[serde(default)]
    description: String,
    seed: u64,
    task: TaskSelection,
    #[serde(default)]
    darts: TaskDartsSettings,
    #[serde(default)]
    compute: ComputeSettings,
}

/// Whether a one-shot config names a NAS-Bench-360 task (a `[task]` table).
pub(crate) fn names_a_task(text: &str) -> bool {
    text.parse::<toml::Table>()
        .is_ok_and(|table| table.contains_key("task"))
}

/// Runs the config `text` (read from `options.config_path`) on its device; writes `report.json`, `summary.md` and, after every epoch, the
/// supernet and logits under `checkpoint/` in the run directory.
pub(crate) fn run_task_darts_config(
    options: OneShotOptions<'_>,
    text: &str,
) -> Result<OneShotSummary, ExperimentError> {
    let path = options.config_path;
    let mut file: TaskDartsFile = parse_oneshot_file(path, text)?;
    // One seed per run, at the top of the file, as every other config.
    if file.darts.seed != TaskDartsSettings::default().seed && file.darts.seed != file.seed {
        return Err(ExperimentError::Setting {
            path: path.to_owned(),
            source: ConfigError::new(
                "darts.seed",
                "the run's seed is the top-level `seed`; remove `darts.seed`",
            ),
        });
    }
    file.darts.seed = file.seed;
    check_settings(path, "darts", file.darts.validate())?;
    let device = open_device(path, &file.compute, options.device)?;
    let (data, run) = file
        .task
        .load_and_start(&options, text, &file.name, file.seed, &device)?;
    options.progress.start(file.darts.epochs as u64);
    let started = Instant::now();
    let report = device
        .run(
            path,
            TaskDartsJob {
                data: &data,
                settings: &file.darts,
                checkpoint: run.path().join("checkpoint"),
                progress: options.progress,
                log: options.log,
            },
        )?
        .map_err(|source| ExperimentError::OneShot {
            path: path.to_owned(),
            method: "darts",
            source: Box::new(source),
        })?;
    options.progress.finish();
    run.write_json("report.json", &report)?;
    let markdown = task_darts_markdown(
        &file.name,
        &file.description,
        &file.task,
        &report,
        started.elapsed().as_secs_f64(),
    );
    run.finish(&file.name, "darts", markdown)
}

/// DARTS on a task, on whichever backend the device selects.
struct TaskDartsJob<'a> {
    data: &'a TaskData,
    settings: &'a TaskDartsSettings,
    checkpoint: PathBuf,
    progress: &'a dyn Progress,
    log: &'a mut dyn FnMut(&str),
}

impl TrainJob for TaskDartsJob<'_> {
    type Output = Result<TaskDartsReport, OneShotError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let Self {
            data,
            settings,
            checkpoint,
            progress,
            log,
        } = self;
        let mut last = Instant::now();
        run_task_darts::<B>(data, settings, &device, Some(&checkpoint), |e| {
            progress.advance(1);
            log(&format!(
                "epoch {}/{}: train loss {:.4}, arch loss {:.4}, derived {} ({} {:.4} on validation with shared weights), mixture entropy {:.3}, {:.1} s",
                e.epoch,
                e.epochs,
                e.train_loss,
                e.arch_loss,
                e.arch,
                data.spec.metric.name(),
                e.valid_metric,
                e.mean_entropy,
                last.elapsed().as_secs_f64()
            ));
            last = Instant::now();
        })
    }
}

fn task_darts_markdown(
    name: &str,
    description: &str,
    task: &TaskSelection,
    report: &TaskDartsReport,
    seconds: f64,
) -> String {
    let mut md = format!("# {name}\n\n");
    if !description.is_empty() {
        md += &format!("{description}\n\n");
    }
    let s = &report.settings;
    md += &format!(
        "DARTS (first order) over NAS-Bench-201 cells on NAS-Bench-360 task `{}`, supernet C={} N={}, {} epochs{}.\n\n",
        report.task,
        s.channels,
        s.cells_per_stage,
        s.epochs,
        task.limit
            .map(|n| format!(", at most {n} samples per split"))
            .unwrap_or_default()
    );
    let metric = &report.metric_name;
    md += &format!(
        "| epoch | train loss | arch loss | derived cell | valid {metric} (shared weights) | mixture entropy | skip edges |\n"
    );
    md += "|---:|---:|---:|---|---:|---:|---:|\n";
    for e in &report.epochs {
        md += &format!(
            "| {} | {:.4} | {:.4} | {} | {:.4} | {:.3} | {} |\n",
            e.epoch,
            e.train_loss,
            e.arch_loss,
            e.arch,
            e.valid_metric,
            e.mean_entropy,
            e.skip_edges
        );
    }
    md += &format!(
        "\nChosen cell: `{}` ({}), validation {metric} {:.4}{} with the shared weights; {seconds:.1} s in all.\n",
        report.arch_string,
        report.arch,
        report.valid_metric,
        report
            .test_metric
            .map(|t| format!(", test {metric} {t:.4}"))
            .unwrap_or_default(),
    );
    md
}
