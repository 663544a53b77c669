use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use oxinas_benchmarks::{
    CsvTabular, Nb101Subset, Nb101Table, Nb101Tabular, Nb201Table, Nb201Tabular, NbMacroTabular,
    NlpTabular, TransNasSubset,
};
use oxinas_core::seed::{derive_seed, rng_from_seed, stream};
use oxinas_core::{
    ConfigError, Enumerable, EvaluationError, Evaluator, Fidelity, GroundTruth, data_root,
};
use oxinas_optimizers::{SearchOutcome, run_search};
use oxinas_record::{CodeVersion, Host, Manifest, MeanStd, RunDirectory, Seeds, TrajectoryLine};
use oxinas_spaces::{
    Nb101Space, Nb201Space, NbMacroSpace, NlpSpace, TransNasMacroSpace, TransNasMicroSpace,
};
use rayon::prelude::*;
use serde::Serialize;

use crate::{
    BenchmarkConfig, ExperimentConfig, ExperimentError, ExperimentReport, ModelSpace,
    OptimizerSummary, Progress, ReferenceCheck, TransNasVariant,
};

/// How to run an experiment (as opposed to what it is).
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The config file, for the manifest and error messages.
    pub config_path: PathBuf,
    /// The run directory to write.
    pub out_dir: PathBuf,
    /// Worker threads (default: all available cores).
    pub threads: Option<usize>,
    /// The checkout whose git state the manifest records.
    pub repo_dir: PathBuf,
}

/// Trials finished between two writes of the records; bounds the memory held
/// for ordering results of parallel trials.
const CHUNK: usize = 64;

/// Runs every trial of `config` and records the run in `options.out_dir`.
pub fn run_experiment(
    config: &ExperimentConfig,
    config_text: &str,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<ExperimentReport, ExperimentError> {
    validate(config, &options.config_path)?;
    match &config.benchmark {
        BenchmarkConfig::Nb201(settings) => {
            let relative = settings
                .data
                .clone()
                .unwrap_or_else(|| Nb201Table::csv_path(Path::new("")));
            let table = Arc::new(Nb201Table::from_csv(&data_root().join(relative))?);
            let evaluator =
                Nb201Tabular::new(table.clone(), settings.dataset, settings.noise.into());
            run_on(
                config,
                config_text,
                options,
                progress,
                &Nb201Space::new(),
                &evaluator,
                table.as_ref(),
            )
        }
        BenchmarkConfig::Nb101 { data } => {
            let relative = data
                .clone()
                .unwrap_or_else(|| Nb101Table::csv_path(Path::new("")));
            let table = Arc::new(Nb101Table::from_csv(&data_root().join(relative))?);
            let space = Nb101Subset::new(&table);
            let evaluator = Nb101Tabular::new(table.clone());
            run_on(
                config,
                config_text,
                options,
                progress,
                &space,
                &evaluator,
                table.as_ref(),
            )
        }
        BenchmarkConfig::Nlp { dataset } => {
            let table = NlpTabular::load(*dataset)?;
            let space = table.space();
            run_on(
                config,
                config_text,
                options,
                progress,
                &space,
                &table,
                &table,
            )
        }
        BenchmarkConfig::NbMacro {} => {
            let table = NbMacroTabular::load()?;
            run_on(
                config,
                config_text,
                options,
                progress,
                &NbMacroSpace::new(),
                &table,
                &table,
            )
        }
        BenchmarkConfig::TransNas {
            variant: TransNasVariant::Micro,
            task,
        } => {
            let table = TransNasSubset::load_micro(*task)?;
            let space = table.space();
            run_on(
                config,
                config_text,
                options,
                progress,
                &space,
                &table,
                &table,
            )
        }
        BenchmarkConfig::TransNas {
            variant: TransNasVariant::Macro,
            task,
        } => {
            let table = TransNasSubset::load_macro(*task)?;
            let space = table.space();
            run_on(
                config,
                config_text,
                options,
                progress,
                &space,
                &table,
                &table,
            )
        }
        BenchmarkConfig::Csv(settings) => {
            let mut settings = settings.clone();
            // A CSV named in a config is found next to the config.
            if settings.path.is_relative() {
                let dir = options.config_path.parent().unwrap_or(Path::new(""));
                settings.path = dir.join(&settings.path);
            }
            macro_rules! on_csv {
                ($space:expr) => {{
                    let table = CsvTabular::load($space, settings)?;
                    let space = table.space();
                    run_on(
                        config,
                        config_text,
                        options,
                        progress,
                        &space,
                        &table,
                        &table,
                    )
                }};
            }
            match settings.space.as_str() {
                "nb201" => on_csv!(Nb201Space::new()),
                "nb101" => on_csv!(Nb101Space::default()),
                "nas-bench-macro" => on_csv!(NbMacroSpace::new()),
                "transnas-bench-101-micro" => on_csv!(TransNasMicroSpace::new()),
                "transnas-bench-101-macro" => on_csv!(TransNasMacroSpace::default()),
                "nas-bench-nlp" => on_csv!(NlpSpace::default()),
                other => Err(setting_error(
                    &options.config_path,
                    "benchmark.space",
                    format!(
                        "`{other}` is not a space a CSV table can use; expected one of nb201, nb101, nas-bench-macro, transnas-bench-101-micro, transnas-bench-101-macro, nas-bench-nlp"
                    ),
                )),
            }
        }
    }
}

fn setting_error(path: &Path, field: &str, message: String) -> ExperimentError {
    ExperimentError::Setting {
        path: path.to_owned(),
        source: ConfigError::new(field, message),
    }
}

/// Checks what the schema alone cannot.
fn validate(config: &ExperimentConfig, path: &Path) -> Result<(), ExperimentError> {
    if config.trials == 0 {
        return Err(setting_error(path, "trials", "must be at least 1".into()));
    }
    if config.optimizers.is_empty() {
        return Err(setting_error(
            path,
            "optimizer",
            "at least one [[optimizer]] table is needed".into(),
        ));
    }
    if config.search.budget.is_unbounded() {
        return Err(setting_error(
            path,
            "search.budget",
            "set `queries`, `simulated_seconds` or both; otherwise a trial never ends".into(),
        ));
    }
    let mut labels = HashSet::new();
    for optimizer in &config.optimizers {
        if !labels.insert(optimizer.label()) {
            return Err(setting_error(
                path,
                "optimizer.label",
                format!(
                    "`{}` is used twice; give each optimizer its own label",
                    optimizer.label()
                ),
            ));
        }
    }
    for report in &config.reports {
        for name in report.reference.keys() {
            if !labels.contains(name.as_str()) {
                return Err(setting_error(
                    path,
                    "report.reference",
                    format!(
                        "`{name}` (in report `{}`) is not an optimizer label",
                        report.label
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// One trial's result, with its trajectory already serialised.
struct TrialOutput {
    queries: usize,
    metrics: Vec<Option<f64>>,
    trajectory: Vec<u8>,
    summary: Vec<u8>,
}

/// One line of `trials.jsonl`: what a trial returned.
#[derive(Serialize)]
struct TrialLine<'a> {
    optimizer: &'a str,
    trial: u64,
    trial_seed: u64,
    queries: usize,
    cumulative_cost: f64,
    arch: Option<String>,
    validation: Option<f64>,
    metrics: BTreeMap<&'a str, Option<f64>>,
}

fn run_on<S, E, G>(
    config: &ExperimentConfig,
    config_text: &str,
    options: &RunOptions,
    progress: &dyn Progress,
    space: &S,
    evaluator: &E,
    truth: &G,
) -> Result<ExperimentReport, ExperimentError>
where
    S: ModelSpace + Enumerable + 'static,
    S::Arch: 'static,
    E: Evaluator<S::Arch>,
    G: GroundTruth<S::Arch>,
{
    let path = &options.config_path;
    let fidelity = Fidelity::epochs(config.search.fidelity);
    let fidelities = evaluator.fidelities();
    if !fidelities.contains(&fidelity) {
        let available: Vec<String> = fidelities
            .iter()
            .map(|f| f.get_epochs().to_string())
            .collect();
        return Err(setting_error(
            path,
            "search.fidelity",
            format!(
                "{} has no data at {fidelity}; available epochs: {}",
                evaluator.name(),
                available.join(", ")
            ),
        ));
    }
    // Metric names may be patterns (`valid_perplexity@E`), so ask the benchmark.
    let probe = space.sample(&mut rng_from_seed(0));
    for report in &config.reports {
        if let Err(EvaluationError::UnknownMetric { available, .. }) =
            truth.metric(&probe, &report.metric)
        {
            return Err(setting_error(
                path,
                "report.metric",
                format!(
                    "`{}` is not a metric of {}; available: {available}",
                    report.metric,
                    evaluator.name()
                ),
            ));
        }
    }
    for optimizer in &config.optimizers {
        optimizer
            .build::<S>(space, &fidelities, fidelity, 0)
            .map_err(|source| ExperimentError::Setting {
                path: path.clone(),
                source,
            })?;
    }

    let optima = optima(config, space, evaluator, truth)?;

    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| ExperimentError::Threads {
            threads,
            message: e.to_string(),
        })?;

    let trial_seeds: Vec<u64> = (0..config.trials)
        .map(|t| derive_seed(config.seed, &[t]))
        .collect();
    let run = RunDirectory::create(&options.out_dir)?;
    let crates = [
        "oxinas-core",
        "oxinas-spaces",
        "oxinas-benchmarks",
        "oxinas-optimizers",
        "oxinas-record",
        "oxinas-experiment",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), env!("CARGO_PKG_VERSION").to_owned()))
    .collect();
    let mut manifest = Manifest::start(
        &config.name,
        &path.display().to_string(),
        config_text,
        Seeds {
            experiment: config.seed,
            trials: trial_seeds.clone(),
        },
        CodeVersion::detect(&options.repo_dir, crates),
        Host::detect(threads),
    );
    run.write_manifest(&manifest)?;
    let mut trajectories = run.trajectories()?;
    let mut trials_file =
        oxinas_record::TrajectoryWriter::create(&run.path().join("trials.jsonl"))?;

    let jobs: Vec<(usize, u64)> = (0..config.optimizers.len())
        .flat_map(|o| (0..config.trials).map(move |t| (o, t)))
        .collect();
    let n_metrics = config.reports.len();
    let mut queries: Vec<Vec<f64>> = vec![Vec::new(); config.optimizers.len()];
    let mut values: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); n_metrics]; config.optimizers.len()];

    progress.start(jobs.len() as u64);
    for chunk in jobs.chunks(CHUNK) {
        let outputs: Vec<Result<TrialOutput, ExperimentError>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|&(o, t)| {
                    run_trial(
                        config,
                        o,
                        t,
                        trial_seeds[t as usize],
                        fidelity,
                        space,
                        evaluator,
                        truth,
                        &optima,
                        &fidelities,
                    )
                })
                .collect()
        });
        for (output, &(o, _)) in outputs.into_iter().zip(chunk) {
            let output = output?;
            trajectories.write_raw(&output.trajectory)?;
            trials_file.write_raw(&output.summary)?;
            queries[o].push(output.queries as f64);
            for (m, value) in output.metrics.into_iter().enumerate() {
                if let Some(v) = value {
                    values[o][m].push(v);
                }
            }
        }
        progress.advance(chunk.len() as u64);
    }
    trajectories.flush()?;
    trials_file.flush()?;
    progress.finish();

    let optimizers: Vec<OptimizerSummary> = config
        .optimizers
        .iter()
        .enumerate()
        .map(|(o, optimizer)| OptimizerSummary {
            label: optimizer.label().to_owned(),
            trials: config.trials,
            queries: MeanStd::of(&queries[o]).expect("at least one trial ran"),
            metrics: values[o].iter().map(|v| MeanStd::of(v)).collect(),
        })
        .collect();
    let mut references = Vec::new();
    for (m, report) in config.reports.iter().enumerate() {
        for (label, &reference) in &report.reference {
            let row = optimizers
                .iter()
                .find(|r| &r.label == label)
                .expect("labels validated");
            if let Some(ours) = row.metrics[m] {
                references.push(ReferenceCheck {
                    optimizer: label.clone(),
                    metric: report.label.clone(),
                    ours: ours.mean,
                    reference,
                    tolerance: report.tolerance,
                });
            }
        }
    }
    let report = ExperimentReport {
        name: config.name.clone(),
        description: config.description.clone(),
        run_dir: run.path().to_owned(),
        metric_labels: config.reports.iter().map(|r| r.label.clone()).collect(),
        optimizers,
        references,
        threads,
    };
    run.write_text("summary.md", &report.summary_markdown())?;
    run.finish_manifest(&mut manifest)?;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn run_trial<S, E, G>(
    config: &ExperimentConfig,
    optimizer_index: usize,
    trial: u64,
    trial_seed: u64,
    fidelity: Fidelity,
    space: &S,
    evaluator: &E,
    truth: &G,
    optima: &[Option<f64>],
    fidelities: &[Fidelity],
) -> Result<TrialOutput, ExperimentError>
where
    S: ModelSpace + 'static,
    S::Arch: 'static,
    E: Evaluator<S::Arch>,
    G: GroundTruth<S::Arch>,
{
    let settings = &config.optimizers[optimizer_index];
    let label = settings.label();
    let mut optimizer = settings
        .build::<S>(
            space,
            fidelities,
            fidelity,
            derive_seed(trial_seed, &[stream::OPTIMIZER]),
        )
        .map_err(|source| ExperimentError::Setting {
            path: PathBuf::new(),
            source,
        })?;
    let mut eval_rng = rng_from_seed(derive_seed(trial_seed, &[stream::EVALUATOR]));
    let outcome: SearchOutcome<S::Arch> = run_search(
        space,
        evaluator,
        optimizer.as_mut(),
        config.search.budget,
        &mut eval_rng,
    )
    .map_err(|source| ExperimentError::Search {
        optimizer: label.to_owned(),
        trial,
        source: Box::new(source),
    })?;

    let mut trajectory = Vec::with_capacity(outcome.history.len() * 200);
    for q in &outcome.history {
        let arch = space.format(&q.proposal.arch);
        TrajectoryLine {
            optimizer: label,
            trial,
            trial_seed,
            query: q.index,
            arch: &arch,
            fidelity: q.proposal.fidelity.get_epochs(),
            validation: q.evaluation.observation.validation,
            cost: q.evaluation.observation.cost_seconds,
            cumulative_cost: q.cumulative_cost,
            incumbent: q.incumbent,
            incumbent_validation: outcome.history[q.incumbent as usize]
                .evaluation
                .observation
                .validation,
        }
        .append_to(&mut trajectory);
    }

    let incumbent = outcome.incumbent();
    let mut metrics = Vec::with_capacity(config.reports.len());
    for (m, report) in config.reports.iter().enumerate() {
        let value = match incumbent {
            Some(q) => truth
                .metric(&q.proposal.arch, &report.metric)
                .map_err(|e| ExperimentError::Report {
                    metric: report.metric.clone(),
                    message: e.to_string(),
                })?,
            None => None,
        };
        let goal = evaluator.goal();
        metrics.push(match optima[m] {
            Some(best) => value.map(|v| goal.score(best) - goal.score(v)),
            None => value,
        });
    }
    let line = TrialLine {
        optimizer: label,
        trial,
        trial_seed,
        queries: outcome.history.len(),
        cumulative_cost: outcome.history.last().map_or(0.0, |q| q.cumulative_cost),
        arch: incumbent.map(|q| space.format(&q.proposal.arch)),
        validation: incumbent.and_then(|q| q.evaluation.observation.validation),
        metrics: config
            .reports
            .iter()
            .map(|r| r.label.as_str())
            .zip(metrics.iter().copied())
            .collect(),
    };
    let mut summary = serde_json::to_vec(&line).expect("a trial line serialises");
    summary.push(b'\n');
    Ok(TrialOutput {
        queries: outcome.history.len(),
        metrics,
        trajectory,
        summary,
    })
}

/// The best value of each regret metric over every architecture of the space
/// (`None` for metrics reported as values).
fn optima<S, E, G>(
    config: &ExperimentConfig,
    space: &S,
    evaluator: &E,
    truth: &G,
) -> Result<Vec<Option<f64>>, ExperimentError>
where
    S: Enumerable,
    E: Evaluator<S::Arch>,
    G: GroundTruth<S::Arch>,
{
    let goal = evaluator.goal();
    config
        .reports
        .iter()
        .map(|report| {
            if !report.regret {
                return Ok(None);
            }
            let mut best: Option<f64> = None;
            for arch in space.enumerate() {
                let value =
                    truth
                        .metric(&arch, &report.metric)
                        .map_err(|e| ExperimentError::Report {
                            metric: report.metric.clone(),
                            message: e.to_string(),
                        })?;
                if let Some(v) = value.filter(|v| v.is_finite()) {
                    if best.is_none_or(|b| goal.score(v) > goal.score(b)) {
                        best = Some(v);
                    }
                }
            }
            Ok(best)
        })
        .collect()
}
