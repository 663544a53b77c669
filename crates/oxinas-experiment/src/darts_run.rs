//! `method = "darts"`: DARTS on the NB201 or the DARTS supernet from a config file.

use serde::Deserialize;

use oxinas_oneshot::{DartsOrder, DartsReport, DartsSettings, SupernetSpace, run_darts};
use oxinas_train::DataSettings;
use oxinas_train::backend::CpuTrainBackend;

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
}

/// Runs the DARTS config `text` (read from `options.config_path`) on the CPU
/// backend; writes `report.json`, `summary.md` and checkpoints in the run directory.
pub(crate) fn run_darts_config(
    options: OneShotOptions<'_>,
    text: &str,
) -> Result<OneShotSummary, ExperimentError> {
    let path = options.config_path;
    let file: DartsFile = parse_oneshot_file(path, text)?;
    check_settings(path, "darts", file.darts.validate())?;
    let (data, splits) = load_data(&file.data, path)?;
    let run = OneShotRun::start(&options, text, &file.name, file.seed, &data.data_files())?;
    options.progress.start(file.darts.epochs as u64);
    let log = options.log;
    let report = run_darts::<CpuTrainBackend>(
        &splits,
        &file.darts,
        file.seed,
        &Default::default(),
        Some(&run.path().join("checkpoint")),
        &mut |e| {
            options.progress.advance(1);
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
