//! Runs a Petridish config (`method = "petridish"`): loads the data, grows
//! the models on its device, and writes `report.json`, `gallery.csv`
//! and the Pareto plot (`plots/pareto.png`, `.svg`) into the run directory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_oneshot::petridish::{
    CostMeasure, PetridishProgress, PetridishReport, PetridishSettings, run_petridish,
};
use oxinas_record::RecordError;
use oxinas_train::backend::AutodiffBackend;
use oxinas_train::{DataSettings, DataSplits, TrainJob};

use crate::compute_settings::{ComputeSettings, OpenedDevice, open_device};
use crate::figures::{CostErrorPlot, draw_cost_error_plot};
use crate::oneshot_run::{OneShotOptions, OneShotRun, OneShotSummary, load_data};
use crate::{ExperimentError, Progress};

/// A Petridish config file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PetridishConfig {
    /// Always `"petridish"`.
    pub method: String,
    /// The run's name; the default run directory is `runs/<name>`.
    pub name: String,
    /// What the run is for.
    #[serde(default)]
    pub description: String,
    /// Seed of the search (weights, candidates, shuffling).
    pub seed: u64,
    /// The data set and its split.
    pub data: DataSettings,
    /// The search's settings.
    pub petridish: PetridishSettings,
    /// Where it trains (`[compute]`; default the CPU).
    #[serde(default)]
    pub compute: ComputeSettings,
}

impl PetridishConfig {
    /// Reads and checks the config at `path`; errors name the file, and the
    /// line and key where TOML or the schema is at fault.
    pub fn load(path: &Path) -> Result<Self, ExperimentError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExperimentError::ReadConfig {
            path: path.to_owned(),
            source,
        })?;
        let config: Self = toml::from_str(&text).map_err(|e| ExperimentError::Config {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let setting = |source: ConfigError| ExperimentError::Setting {
            path: path.to_owned(),
            source,
        };
        if config.method != "petridish" {
            return Err(setting(ConfigError::new(
                "method",
                format!("\"petridish\", found \"{}\"", config.method),
            )));
        }
        config.data.validate().map_err(|mut e| {
            e.field = format!("data.{}", e.field);
            setting(e)
        })?;
        config.petridish.validate().map_err(|mut e| {
            e.field = format!("petridish.{}", e.field);
            setting(e)
        })?;
        Ok(config)
    }
}

/// What `report.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PetridishRunReport {
    /// The config's name.
    pub name: String,
    /// The config's description.
    pub description: String,
    /// The config file.
    pub config_path: PathBuf,
    /// The search seed.
    pub seed: u64,
    /// Worker threads used.
    pub threads: usize,
    /// Wall-clock seconds of the search (and comparison).
    pub wall_seconds: f64,
    /// The search's result.
    pub report: PetridishReport,
}

fn write_file(path: &Path, contents: &[u8]) -> Result<(), ExperimentError> {
    std::fs::write(path, contents).map_err(|source| {
        ExperimentError::Record(RecordError {
            path: path.to_owned(),
            source,
        })
    })
}

/// Runs the Petridish config at `config_path` on its `[compute]` device, writing into
/// `run_dir` (default `runs/<name>`) with `threads` workers (default: the
/// config's). Returns a text summary of the gallery.
pub fn run_petridish_config(
    config_path: &Path,
    run_dir: Option<&Path>,
    threads: Option<usize>,
    progress: &dyn Progress,
) -> Result<String, ExperimentError> {
    let mut config = PetridishConfig::load(config_path)?;
    if let Some(threads) = threads {
        config.petridish.threads = threads.max(1);
    }
    let dir = run_dir.map_or_else(|| Path::new("runs").join(&config.name), Path::to_owned);
    std::fs::create_dir_all(&dir).map_err(|source| {
        ExperimentError::Record(RecordError {
            path: dir.clone(),
            source,
        })
    })?;
    let device = open_device(config_path, &config.compute, None)?;
    let (_, splits) = load_data(&config.data, config_path)?;
    search_and_record(&config, config_path, &splits, &dir, &device, progress)
}

/// Runs the search of `config` on `splits` and writes `report.json`,
/// `gallery.csv` and `plots/pareto.{png,svg}` into `dir`; returns the summary.
fn search_and_record(
    config: &PetridishConfig,
    config_path: &Path,
    splits: &DataSplits,
    dir: &Path,
    device: &OpenedDevice,
    progress: &dyn Progress,
) -> Result<String, ExperimentError> {
    let settings = &config.petridish;
    let planned = 1 + settings.rounds * settings.parents_per_round * settings.layer_sizes.len();
    progress.start(planned as u64);
    let start = std::time::Instant::now();
    let report = device
        .run(
            config_path,
            PetridishJob {
                splits,
                settings,
                seed: config.seed,
                progress,
            },
        )?
        .map_err(|source| ExperimentError::Setting {
            path: config_path.to_owned(),
            source,
        })?;
    progress.finish();
    let run = PetridishRunReport {
        name: config.name.clone(),
        description: config.description.clone(),
        config_path: config_path.to_owned(),
        seed: config.seed,
        threads: settings.threads,
        wall_seconds: start.elapsed().as_secs_f64(),
        report,
    };
    let json = serde_json::to_string_pretty(&run).unwrap_or_default();
    write_file(&dir.join("report.json"), json.as_bytes())?;
    write_file(
        &dir.join("gallery.csv"),
        gallery_csv(&run.report).as_bytes(),
    )?;
    draw_gallery(&dir.join("plots"), &config.name, &run.report)?;
    Ok(summary(&run, dir))
}

/// Petridish's search, on whichever backend the device selects.
struct PetridishJob<'a> {
    splits: &'a DataSplits,
    settings: &'a PetridishSettings,
    seed: u64,
    progress: &'a dyn Progress,
}

impl TrainJob for PetridishJob<'_> {
    type Output = Result<PetridishReport, ConfigError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let progress = self.progress;
        run_petridish::<B>(
            self.splits,
            self.settings,
            self.seed,
            &device,
            &mut |event| {
                if matches!(event, PetridishProgress::ModelTrained { .. }) {
                    progress.advance(1);
                }
            },
        )
    }
}

/// The gallery as CSV, one model per line by increasing cost.
pub fn gallery_csv(report: &PetridishReport) -> String {
    let mut out = String::from(
        "id,parent,round,params,macs,cost,validation_error,test_error,lineage_epochs,architecture\n",
    );
    for m in report.gallery_models() {
        let parent = m.parent.map(|p| p.to_string()).unwrap_or_default();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{:.6},{:.6},{},\"{}\"",
            m.id,
            parent,
            m.round,
            m.params,
            m.macs,
            m.cost,
            m.validation_error,
            m.test_error,
            m.lineage_epochs,
            m.description
        );
    }
    out
}

fn cost_label(measure: CostMeasure) -> &'static str {
    match measure {
        CostMeasure::Params => "parameters",
        CostMeasure::Macs => "multiply-accumulates per image",
    }
}

fn draw_gallery(plots: &Path, name: &str, report: &PetridishReport) -> Result<(), ExperimentError> {
    let models: Vec<(f64, f64)> = report
        .models
        .iter()
        .filter(|m| m.validation_error.is_finite())
        .map(|m| (m.cost, m.validation_error))
        .collect();
    let hull: Vec<(f64, f64)> = report
        .gallery_models()
        .map(|m| (m.cost, m.validation_error))
        .collect();
    let title = format!("{name}: Petridish models and gallery");
    draw_cost_error_plot(
        plots,
        "pareto",
        (800, 550),
        &CostErrorPlot {
            title: &title,
            cost_label: cost_label(report.cost_measure),
            error_label: "validation error",
            models: &models,
            hull: &hull,
            hull_label: "gallery (lower convex hull)",
        },
    )
}

fn summary(run: &PetridishRunReport, dir: &Path) -> String {
    let report = &run.report;
    let mut out = format!(
        "{}: {} models, {} in the gallery, {} search epochs, {:.1} s\n",
        run.name,
        report.models.len(),
        report.gallery.len(),
        report.search_epochs,
        run.wall_seconds
    );
    let _ = writeln!(
        out,
        "{:>4} {:>6} {:>10} {:>10} {:>9} {:>9}  architecture (* = gallery)",
        "id", "parent", "params", "macs", "val err", "test err"
    );
    for m in &report.models {
        let parent = m.parent.map(|p| p.to_string()).unwrap_or_default();
        let mark = if report.gallery.contains(&m.id) {
            "*"
        } else {
            " "
        };
        let _ = writeln!(
            out,
            "{:>4} {:>6} {:>10} {:>10} {:>9.4} {:>9.4} {mark}{}",
            m.id, parent, m.params, m.macs, m.validation_error, m.test_error, m.description
        );
    }
    if !report.comparison.is_empty() {
        let _ = writeln!(
            out,
            "incremental vs from scratch ({} epochs):",
            report.comparison[0].scratch_epochs
        );
        for c in &report.comparison {
            let _ = writeln!(
                out,
                "{:>4} val {:.4} vs {:.4}, test {:.4} vs {:.4}, {} epochs instead of {} (saved {})",
                c.id,
                c.incremental_validation_error,
                c.scratch_validation_error,
                c.incremental_test_error,
                c.scratch_test_error,
                c.incremental_epochs,
                c.scratch_epochs,
                c.epochs_saved
            );
        }
    }
    let _ = writeln!(out, "written to {}", dir.display());
    out
}

/// [`run_petridish_config`] behind `cargo xtask experiment`'s one-shot
/// dispatch: the run directory also gets the manifest and `summary.md`.
pub(crate) fn run_petridish_oneshot(
    options: OneShotOptions<'_>,
    text: &str,
) -> Result<OneShotSummary, ExperimentError> {
    let config_path = options.config_path;
    let config = PetridishConfig::load(config_path)?;
    let device = open_device(config_path, &config.compute, options.device)?;
    let (data, splits) = load_data(&config.data, config_path)?;
    let run = OneShotRun::start(
        &options,
        text,
        &config.name,
        config.seed,
        &data.data_files(),
        &device,
    )?;
    let text = search_and_record(
        &config,
        config_path,
        &splits,
        run.path(),
        &device,
        options.progress,
    )?;
    let markdown = format!(
        "# {}\n\n{}\n\n```\n{text}```\n",
        config.name, config.description
    );
    run.finish(&config.name, "petridish", markdown)
}
