//! `method = "darts"` with a `[task]` table: DARTS over NAS-Bench-201 cells
//! on a NAS-Bench-360 task.

use std::time::Instant;

use oxinas_core::ConfigError;
use oxinas_oneshot::{TaskDartsReport, TaskDartsSettings, run_task_darts};
use oxinas_train::backend::CpuTrainBackend;
use serde::Deserialize;

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
}

/// Whether a one-shot config names a NAS-Bench-360 task (a `[task]` table).
pub(crate) fn names_a_task(text: &str) -> bool {
    text.parse::<toml::Table>()
        .is_ok_and(|table| table.contains_key("task"))
}

/// Runs the config `text` (read from `options.config_path`) on the CPU
/// backend; writes `report.json`, `summary.md` and, after every epoch, the
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
    let (data, run) = file
        .task
        .load_and_start(&options, text, &file.name, file.seed)?;
    options.progress.start(file.darts.epochs as u64);
    let log = options.log;
    let started = Instant::now();
    let mut last = Instant::now();
    let checkpoint_dir = run.path().join("checkpoint");
    let report = run_task_darts::<CpuTrainBackend>(
        &data,
        &file.darts,
        &Default::default(),
        Some(&checkpoint_dir),
        |e| {
        options.progress.advance(1);
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
