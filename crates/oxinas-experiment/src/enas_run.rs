//! `method = "enas"`: ENAS on the NB201 supernet from a config file.

use std::path::PathBuf;

use serde::Deserialize;

use oxinas_oneshot::{EnasReport, EnasSettings, OneShotError, run_enas};
use oxinas_train::backend::AutodiffBackend;
use oxinas_train::{DataSettings, DataSplits, TrainJob};

use crate::Progress;
use crate::compute_settings::{ComputeSettings, open_device};
use crate::error::ExperimentError;
use crate::oneshot_run::{
    OneShotOptions, OneShotRun, OneShotSummary, check_settings, load_data, parse_oneshot_file,
};

/// An ENAS config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnasFile {
    #[allow(dead_code)]
    method: String,
    name: String,
    #[serde(default)]
    description: String,
    seed: u64,
    data: DataSettings,
    #[serde(default)]
    enas: EnasSettings,
    #[serde(default)]
    compute: ComputeSettings,
}

/// Runs the ENAS config `text` (read from `options.config_path`) on its
/// device; writes `report.json`, `summary.md` and checkpoints in the run
/// directory.
pub(crate) fn run_enas_config(
    options: OneShotOptions<'_>,
    text: &str,
) -> Result<OneShotSummary, ExperimentError> {
    let path = options.config_path;
    let file: EnasFile = parse_oneshot_file(path, text)?;
    check_settings(path, "enas", file.enas.validate())?;
    let device = open_device(path, &file.compute, options.device)?;
    let (data, splits) = load_data(&file.data, path)?;
    let run = OneShotRun::start(
        &options,
        text,
        &file.name,
        file.seed,
        &data.data_files(),
        &device,
    )?;
    options.progress.start(file.enas.epochs as u64);
    let report = device
        .run(
            path,
            EnasJob {
                splits: &splits,
                settings: &file.enas,
                seed: file.seed,
                checkpoint: run.path().join("checkpoint"),
                progress: options.progress,
                log: options.log,
            },
        )?
        .map_err(|source| ExperimentError::OneShot {
            path: path.to_owned(),
            method: "enas",
            source: Box::new(source),
        })?;
    options.progress.finish();
    run.write_json("report.json", &report)?;
    let markdown = enas_markdown(&file.name, &file.description, &file.enas, &report);
    run.finish(&file.name, "enas", markdown)
}

/// ENAS' search, on whichever backend the device selects.
struct EnasJob<'a> {
    splits: &'a DataSplits,
    settings: &'a EnasSettings,
    seed: u64,
    checkpoint: PathBuf,
    progress: &'a dyn Progress,
    log: &'a mut dyn FnMut(&str),
}

impl TrainJob for EnasJob<'_> {
    type Output = Result<EnasReport, OneShotError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let Self {
            splits,
            settings,
            seed,
            checkpoint,
            progress,
            log,
        } = self;
        run_enas::<B>(
            splits,
            settings,
            seed,
            &device,
            Some(&checkpoint),
            &mut |e| {
                progress.advance(1);
                log(&format!(
                    "epoch {}/{}: shared-weight loss {:.4}, mean reward {:.4}, controller's likeliest cell {}, {:.1} s",
                    e.epoch, e.epochs, e.train_loss, e.mean_reward, e.greedy_arch, e.seconds
                ));
            },
        )
    }
}

fn enas_markdown(
    name: &str,
    description: &str,
    settings: &EnasSettings,
    report: &EnasReport,
) -> String {
    let mut md = format!("# {name}\n\n");
    if !description.is_empty() {
        md += &format!("{description}\n\n");
    }
    md += &format!(
        "ENAS on the NB201 supernet, C={} N={}, {} epochs of {} controller steps.\n\n",
        settings.channels, settings.cells_per_stage, settings.epochs, settings.controller_steps
    );
    md += "| epoch | shared-weight loss | train acc | mean reward | likeliest cell | seconds |\n";
    md += "|---:|---:|---:|---:|---|---:|\n";
    for e in &report.epochs {
        md += &format!(
            "| {} | {:.4} | {:.4} | {:.4} | {} | {:.1} |\n",
            e.epoch, e.train_loss, e.train_accuracy, e.mean_reward, e.greedy_arch, e.seconds
        );
    }
    md += &format!(
        "\nChosen cell (best of {} controller samples on validation): `{}`, validation accuracy {:.4} and test accuracy {:.4} with the shared weights; {:.1} s in all.\n",
        settings.final_samples,
        report.arch,
        report.valid_accuracy,
        report.test_accuracy,
        report.wall_seconds
    );
    md
}
