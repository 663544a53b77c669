//! `method = "darts"`: DARTS on the NB201 or the DARTS supernet from a config file.

use std::path::PathBuf;

use serde::Deserialize;

use oxinas_oneshot::{
    DartsOrder, DartsReport, DartsSettings, OneShotError, SupernetSpace, run_darts,
};
use oxinas_train::backend::AutodiffBackend;
use oxinas_train::{DataSettings, DataSplits, TrainJob};

use crate::Progress;
use crate::compute_settings::{ComputeSettings, open_device};
use crate::error::ExperimentError;
use crate::oneshot_run::{
    OneShotOptions, OneShotRun, OneShotSummary, check_settings, load_data, parse_oneshot_file,
};

/// A DARTS config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DartsFile {
    #[allow(dead_code)]
    method: String,
    name: String,
    #[serde(default)]
    description: String,
    seed: u64,
    data: DataSettings,
    #[serde(default)]
    darts: DartsSettings,
    #[serde(default)]
    compute: ComputeSettings,
}

/// Runs the DARTS config `text` (read from `options.config_path`) on its
/// device; writes `report.json`, `summary.md` and checkpoints in the run
/// directory.
pub(crate) fn run_darts_config(
    options: OneShotOptions<'_>,
    text: &str,
) -> Result<OneShotSummary, ExperimentError> {
    let path = options.config_path;
    let file: DartsFile = parse_oneshot_file(path, text)?;
    check_settings(path, "darts", file.darts.validate())?;
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
    options.progress.start(file.darts.epochs as u64);
    let report = device
        .run(
            path,
            DartsJob {
                splits: &splits,
                settings: &file.darts,
                seed: file.seed,
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
    let markdown = darts_markdown(&file.name, &file.description, &file.darts, &report);
    run.finish(&file.name, "darts", markdown)
}

/// DARTS' search, on whichever backend the device selects.
struct DartsJob<'a> {
    splits: &'a DataSplits,
    settings: &'a DartsSettings,
    seed: u64,
    checkpoint: PathBuf,
    progress: &'a dyn Progress,
    log: &'a mut dyn FnMut(&str),
}

impl TrainJob for DartsJob<'_> {
    type Output = Result<DartsReport, OneShotError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let Self {
            splits,
            settings,
            seed,
            checkpoint,
            progress,
            log,
        } = self;
        run_darts::<B>(
            splits,
            settings,
            seed,
            &device,
            Some(&checkpoint),
            &mut |e| {
                progress.advance(1);
                log(&format!(
                    "epoch {}/{}: train loss {:.4}, arch loss {:.4}, derived {} (valid acc {:.4} with shared weights), mixture entropy {:.3}, {:.1} s",
                    e.epoch,
                    e.epochs,
                    e.train_loss,
                    e.arch_loss,
                    e.arch,
                    e.arch_valid_accuracy,
                    e.mean_entropy,
                    e.seconds
                ));
            },
        )
    }
}

fn darts_markdown(
    name: &str,
    description: &str,
    settings: &DartsSettings,
    report: &DartsReport,
) -> String {
    let mut md = format!("# {name}\n\n");
    if !description.is_empty() {
        md += &format!("{description}\n\n");
    }
    let size = match settings.space {
        SupernetSpace::Nb201 => format!(
            "the NB201 supernet, C={} N={}",
            settings.channels, settings.cells_per_stage
        ),
        SupernetSpace::Darts => format!(
            "the DARTS supernet, C={}, {} layers",
            settings.channels, settings.layers
        ),
    };
    let order = match settings.order {
        DartsOrder::First => "first",
        DartsOrder::Second => "second",
    };
    md += &format!(
        "DARTS ({order} order) on {size}, {} epochs.\n\n",
        settings.epochs
    );
    md += "| epoch | train loss | arch loss | derived architecture | valid acc (shared weights) | mixture entropy | skip edges | seconds |\n";
    md += "|---:|---:|---:|---|---:|---:|---:|---:|\n";
    for e in &report.epochs {
        md += &format!(
            "| {} | {:.4} | {:.4} | {} | {:.4} | {:.3} | {} | {:.1} |\n",
            e.epoch,
            e.train_loss,
            e.arch_loss,
            e.arch,
            e.arch_valid_accuracy,
            e.mean_entropy,
            e.skip_edges,
            e.seconds
        );
    }
    md += &format!(
        "\nChosen architecture: `{}` ({}), validation accuracy {:.4} and test accuracy {:.4} with the shared weights; {:.1} s in all.\n",
        report.arch_string,
        report.arch,
        report.valid_accuracy,
        report.test_accuracy,
        report.wall_seconds
    );
    md
}
