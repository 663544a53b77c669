use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use oxinas_benchmarks::{
    Nb101Subset, Nb101Table, Nb101Tabular, Nb201Table, Nb201Tabular, Nb301Benchmark,
    NbMacroTabular, NlpTabular, TableBenchmark, TransNasSubset,
};
use oxinas_core::seed::{derive_seed, rng_from_seed, stream};
use oxinas_core::{
    ConfigError, EvaluationError, Evaluator, Fidelity, GroundTruth, Proposal, data_root,
};
use oxinas_optimizers::{
    SearchError, SearchOutcome, StopReason, run_search_journaled, run_search_on_cluster_journaled,
};
use oxinas_record::{
    CodeVersion, ComputeDevice, DataFile, Host, Manifest, MeanStd, RunDirectory, Seeds,
};
use oxinas_spaces::{
    DartsSpace, DeclaredSpace, Nb101Space, Nb201Space, NbMacroSpace, NlpSpace, TransNasMacroSpace,
    TransNasMicroSpace,
};
use oxinas_train::backend::AutodiffBackend;
use oxinas_train::{
    LayerwiseTrainEvaluator, Nb360Evaluator, Nb360EvaluatorError, Nb360EvaluatorSettings,
    TrainDevice, TrainEvaluator, TrainEvaluatorError, TrainEvaluatorSettings, TrainJob,
};
use rayon::prelude::*;

use crate::checklist::checklist_markdown;
use crate::compute_settings::{open_device, refuse_device};
use crate::data_files::{
    data_files, resolved_nb360_settings, resolved_table_settings, resolved_train_settings,
};
use crate::figures::draw_figures;
use crate::resume::previous_run;
use crate::run_journal::{
    FinishedTrial, JournalWriter, NumberedQuery, RESULTS_LOG, TrialJournal, read_journal,
};
use crate::run_statistics::run_statistics_markdown;
use crate::slurm_executor::SlurmExecutor;
use crate::trial_record::TrialRecord;
use crate::{
    BenchmarkConfig, ExecutorConfig, ExperimentConfig, ExperimentError, ExperimentReport,
    ModelSpace, NoProgress, OptimizerSummary, Progress, ReferenceCheck, ReturnedArch,
    TransNasVariant,
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
    /// Discard an earlier run of another config in `out_dir` instead of
    /// refusing to run.
    pub force_new: bool,
    /// Overrides the config's `[executor]`.
    pub executor: Option<ExecutorConfig>,
    /// Run only this job of the trial plan and append its result (what one
    /// array task of the Slurm executor does); the report is then empty.
    pub task: Option<usize>,
    /// The program and leading arguments that run one planned trial; the
    /// Slurm executor appends `--run-dir DIR --task N`.
    pub trial_command: Vec<String>,
    /// The device to train on, over the config's `[compute] device`.
    pub device: Option<TrainDevice>,
}

impl RunOptions {
    /// Options for a run of `config_path` into `out_dir`, recording the git
    /// state of `repo_dir`: all cores, the config's executor, resuming.
    pub fn new(config_path: &Path, out_dir: &Path, repo_dir: &Path) -> Self {
        Self {
            config_path: config_path.to_owned(),
            out_dir: out_dir.to_owned(),
            threads: None,
            repo_dir: repo_dir.to_owned(),
            force_new: false,
            executor: None,
            task: None,
            trial_command: Vec::new(),
            device: None,
        }
    }
}

/// Runs job `task` of the trial plan of the run in `run_dir` (one array task
/// of the Slurm executor): the config is the one its manifest recorded.
pub fn run_planned_trial(run_dir: &Path, task: usize) -> Result<(), ExperimentError> {
    let path = run_dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| ExperimentError::Records {
        path: path.clone(),
        line: None,
        message: format!("cannot read: {e}"),
    })?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| ExperimentError::Records {
        path: path.clone(),
        line: Some(e.line()),
        message: format!("not a run manifest: {e}"),
    })?;
    let config_path = PathBuf::from(&manifest.config_path);
    let config = ExperimentConfig::from_toml(&manifest.config, &config_path)?;
    let mut options = RunOptions::new(&config_path, run_dir, run_dir);
    options.task = Some(task);
    // The submitting process's device, which may have come from its command line.
    options.device = manifest
        .compute
        .as_ref()
        .and_then(|compute| compute.requested.parse().ok());
    run_experiment(&config, &manifest.config, &options, &NoProgress).map(|_| ())
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
    let job = SearchRequest {
        config,
        config_text,
        options,
        progress,
        compute: None,
    };
    // Every arm hands its space, evaluator and ground truth to the same runner.
    macro_rules! run {
        ($space:expr, $evaluator:expr, $truth:expr) => {
            run_on(&job, $space, $evaluator, $truth)
        };
    }
    let trains = matches!(
        config.benchmark,
        BenchmarkConfig::Train(_) | BenchmarkConfig::Nb360(_)
    );
    if !trains {
        refuse_device(
            &options.config_path,
            &config.compute,
            options.device,
            config.benchmark.name(),
        )?;
    }
    match &config.benchmark {
        BenchmarkConfig::Nb201(settings) => {
            let relative = settings
                .data
                .clone()
                .unwrap_or_else(|| Nb201Table::csv_path(Path::new("")));
            let table = Arc::new(Nb201Table::from_csv(&data_root().join(relative))?);
            let evaluator =
                Nb201Tabular::new(table.clone(), settings.dataset, settings.noise.into());
            run!(&Nb201Space::new(), &evaluator, table.as_ref())
        }
        BenchmarkConfig::Nb101 { data } => {
            let relative = data
                .clone()
                .unwrap_or_else(|| Nb101Table::csv_path(Path::new("")));
            let table = Arc::new(Nb101Table::from_csv(&data_root().join(relative))?);
            let space = Nb101Subset::new(&table);
            let evaluator = Nb101Tabular::new(table.clone());
            run!(&space, &evaluator, table.as_ref())
        }
        BenchmarkConfig::Nlp { dataset } => {
            let table = NlpTabular::load(*dataset)?;
            let space = table.space();
            run!(&space, &table, &table)
        }
        BenchmarkConfig::Nb301 {} => {
            let surrogate = Nb301Benchmark::from_data_root()?;
            run!(&DartsSpace::new(), &surrogate, &surrogate)
        }
        BenchmarkConfig::NbMacro {} => {
            let table = NbMacroTabular::load()?;
            run!(&NbMacroSpace::new(), &table, &table)
        }
        BenchmarkConfig::TransNas {
            variant: TransNasVariant::Micro,
            task,
        } => {
            let table = TransNasSubset::load_micro(*task)?;
            let space = table.space();
            run!(&space, &table, &table)
        }
        BenchmarkConfig::TransNas {
            variant: TransNasVariant::Macro,
            task,
        } => {
            let table = TransNasSubset::load_macro(*task)?;
            let space = table.space();
            run!(&space, &table, &table)
        }
        BenchmarkConfig::Train(settings) => {
            let device = open_device(&options.config_path, &config.compute, options.device)?;
            let settings = resolved_train_settings(settings, &options.config_path);
            let job = SearchRequest {
                compute: Some(device.record()),
                ..job
            };
            device.run(
                &options.config_path,
                TrainArm {
                    job: &job,
                    settings,
                },
            )?
        }
        BenchmarkConfig::Nb360(settings) => {
            let device = open_device(&options.config_path, &config.compute, options.device)?;
            let settings = resolved_nb360_settings(settings, &options.config_path);
            let job = SearchRequest {
                compute: Some(device.record()),
                ..job
            };
            device.run(
                &options.config_path,
                Nb360Arm {
                    job: &job,
                    settings,
                },
            )?
        }
        BenchmarkConfig::Table(settings) => {
            let settings = resolved_table_settings(settings, &options.config_path);
            match (settings.space.clone(), settings.space_file.clone()) {
                (None, Some(file)) => {
                    let space = DeclaredSpace::read(&file).map_err(|e| {
                        setting_error(&options.config_path, "benchmark.space_file", e.to_string())
                    })?;
                    let table = TableBenchmark::load_declared(space, settings)?;
                    // A table of every architecture searches the space itself
                    // (uniform over architectures, not over the table's classes).
                    if table.covers_space() {
                        run!(table.full_space(), &table, &table)
                    } else {
                        let space = table.space();
                        run!(&space, &table, &table)
                    }
                }
                (Some(name), None) => {
                    macro_rules! on_table {
                        ($space:expr) => {{
                            let table = TableBenchmark::load($space, settings)?;
                            let space = table.space();
                            run!(&space, &table, &table)
                        }};
                    }
                    match name.as_str() {
                        "nb201" => on_table!(Nb201Space::new()),
                        "nb101" => on_table!(Nb101Space::default()),
                        "nas-bench-macro" => on_table!(NbMacroSpace::new()),
                        "transnas-bench-101-micro" => on_table!(TransNasMicroSpace::new()),
                        "transnas-bench-101-macro" => on_table!(TransNasMacroSpace::default()),
                        "nas-bench-nlp" => on_table!(NlpSpace::default()),
                        other => Err(setting_error(
                            &options.config_path,
                            "benchmark.space",
                            format!(
                                "`{other}` is not a built-in space a table can use; expected one of nb201, nb101, nas-bench-macro, transnas-bench-101-micro, transnas-bench-101-macro, nas-bench-nlp, or `space_file` naming a space declared in TOML"
                            ),
                        )),
                    }
                }
                _ => Err(setting_error(
                    &options.config_path,
                    "benchmark.space",
                    "either `space` (a built-in space) or `space_file` (a declared space's TOML file), not both".to_owned(),
                )),
            }
        }
    }
}

/// What every benchmark arm hands to [`run_on`] besides its space, evaluator
/// and ground truth.
struct SearchRequest<'a> {
    config: &'a ExperimentConfig,
    config_text: &'a str,
    options: &'a RunOptions,
    progress: &'a dyn Progress,
    /// The device networks train on, for the manifest; `None` when nothing trains.
    compute: Option<ComputeDevice>,
}

/// The `train` benchmark's search, on whichever backend the device selects.
struct TrainArm<'a> {
    job: &'a SearchRequest<'a>,
    settings: TrainEvaluatorSettings,
}

impl TrainJob for TrainArm<'_> {
    type Output = Result<ExperimentReport, ExperimentError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let Self { job, settings } = self;
        let path = &job.options.config_path;
        let train_error = |e: TrainEvaluatorError| match e {
            TrainEvaluatorError::Config(source) => ExperimentError::Setting {
                path: path.clone(),
                source: ConfigError::new(format!("benchmark.{}", source.field), source.message),
            },
            TrainEvaluatorError::Data(source) => source.into(),
            other => setting_error(path, "benchmark", other.to_string()),
        };
        match settings.space_file.clone() {
            Some(file) => {
                let space = DeclaredSpace::read(&file)
                    .map_err(|e| setting_error(path, "benchmark.space_file", e.to_string()))?;
                let evaluator =
                    LayerwiseTrainEvaluator::<B>::with_device(settings, space.clone(), device)
                        .map_err(train_error)?;
                run_on(job, &space, &evaluator, &evaluator)
            }
            None => {
                let evaluator =
                    TrainEvaluator::<B>::with_device(settings, device).map_err(train_error)?;
                run_on(job, &Nb201Space::new(), &evaluator, &evaluator)
            }
        }
    }
}

/// The `nb360` benchmark's search, on whichever backend the device selects.
struct Nb360Arm<'a> {
    job: &'a SearchRequest<'a>,
    settings: Nb360EvaluatorSettings,
}

impl TrainJob for Nb360Arm<'_> {
    type Output = Result<ExperimentReport, ExperimentError>;

    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output {
        let Self { job, settings } = self;
        let path = &job.options.config_path;
        let task = settings.task.clone();
        let evaluator =
            Nb360Evaluator::<B>::with_device(settings, device).map_err(|e| match e {
                Nb360EvaluatorError::Config(source) => ExperimentError::Setting {
                    path: path.clone(),
                    source: ConfigError::new(format!("benchmark.{}", source.field), source.message),
                },
                Nb360EvaluatorError::Data(source) => ExperimentError::Task {
                    path: path.clone(),
                    task,
                    source: Box::new(source),
                },
                other => setting_error(path, "benchmark.task", other.to_string()),
            })?;
        run_on(job, &Nb201Space::new(), &evaluator, &evaluator)
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
    if config.search.workers == Some(0) {
        return Err(setting_error(
            path,
            "search.workers",
            "at least 1 simulated worker".into(),
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
        for name in report.reference_std.keys() {
            if !report.reference.contains_key(name) {
                return Err(setting_error(
                    path,
                    "report.reference_std",
                    format!(
                        "`{name}` (in report `{}`) has a published std but no published mean in `reference`",
                        report.label
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// How many queries a process answered from the journal and evaluated.
#[derive(Clone, Copy, Debug, Default)]
struct QueryCounts {
    replayed: u64,
    evaluated: u64,
}

/// A job of the trial plan: runs one trial, appending its queries through
/// the writer as they finish; returns the finished trial (not yet appended).
type RunJob<'a> = dyn Fn(usize, &JournalWriter) -> Result<(FinishedTrial, QueryCounts), ExperimentError>
    + Sync
    + 'a;

fn run_on<S, E, G>(
    job: &SearchRequest<'_>,
    space: &S,
    evaluator: &E,
    truth: &G,
) -> Result<ExperimentReport, ExperimentError>
where
    S: ModelSpace + 'static,
    S::Arch: 'static,
    E: Evaluator<S::Arch>,
    G: GroundTruth<S::Arch>,
{
    let (config, config_text, options, progress) =
        (job.config, job.config_text, job.options, job.progress);
    let path = &options.config_path;
    let fidelities = evaluator.fidelities();
    let fidelity = match (config.search.fidelity, fidelities.as_slice()) {
        (Some(epochs), _) => Fidelity::epochs(epochs),
        (None, [only]) => *only,
        (None, _) => {
            let available: Vec<String> = fidelities
                .iter()
                .map(|f| f.get_epochs().to_string())
                .collect();
            return Err(setting_error(
                path,
                "search.fidelity",
                format!(
                    "a fidelity: {} has several; available epochs: {}",
                    evaluator.name(),
                    available.join(", ")
                ),
            ));
        }
    };
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
    // Metric names may be patterns (`valid_perplexity@E`), so ask the benchmark
    // about those it does not list (a trained benchmark's answer costs a run).
    let probe = space.sample(&mut rng_from_seed(0));
    let listed: HashSet<String> = truth.metrics().into_iter().map(|(name, _)| name).collect();
    for report in config
        .reports
        .iter()
        .filter(|r| !listed.contains(&r.metric))
    {
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

    let optima = optima(config, path, space, evaluator, truth)?;

    let trial_seeds: Vec<u64> = (0..config.trials)
        .map(|t| derive_seed(config.seed, &[t]))
        .collect();
    // The trial plan: job `i` is trial `i % trials` of optimizer `i / trials`.
    let jobs: Vec<(usize, u64)> = (0..config.optimizers.len())
        .flat_map(|o| (0..config.trials).map(move |t| (o, t)))
        .collect();
    let run = RunDirectory::create(&options.out_dir)?;
    let journal_path = run.path().join(RESULTS_LOG);
    // Runs job `index`; an unfinished trial replays its `recorded` queries.
    let run_with = |recorded: &HashMap<(usize, u64), BTreeMap<u64, NumberedQuery>>,
                    index: usize,
                    writer: &JournalWriter|
     -> Result<(FinishedTrial, QueryCounts), ExperimentError> {
        let (o, t) = jobs[index];
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
            TrialJournal::new(writer, space, o, t, recorded.get(&(o, t)), &journal_path)?,
        )
    };

    if let Some(task) = options.task {
        // One array task of a cluster job: run one trial of the plan and
        // append it to the results log the submitting process merges.
        if task >= jobs.len() {
            return Err(ExperimentError::Records {
                path: run.path().join("manifest.json"),
                line: None,
                message: format!("task {task} is outside the plan of {} trials", jobs.len()),
            });
        }
        let journal = read_journal(run.path(), config, false)?;
        let mut counts = QueryCounts::default();
        if !journal.finished.contains_key(&jobs[task]) {
            let writer = JournalWriter::open(run.path())?;
            let (finished, trial_counts) = run_with(&journal.queries, task, &writer)?;
            writer.append_trial(&finished)?;
            counts = trial_counts;
        }
        return Ok(ExperimentReport {
            name: config.name.clone(),
            description: config.description.clone(),
            run_dir: run.path().to_owned(),
            metric_labels: Vec::new(),
            optimizers: Vec::new(),
            references: Vec::new(),
            threads: 1,
            queries_evaluated: counts.evaluated,
            queries_replayed: counts.replayed,
        });
    }

    let threads = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let executor = options
        .executor
        .clone()
        .unwrap_or_else(|| config.executor.clone());
    let previous = previous_run(run.path(), config_text, options.force_new)?;
    let crates = [
        "oxinas-core",
        "oxinas-spaces",
        "oxinas-benchmarks",
        "oxinas-optimizers",
        "oxinas-record",
        "oxinas-experiment",
        "oxinas-train",
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
    manifest.executor = executor.name().to_owned();
    manifest.data_files = data_files(config, &options.config_path)
        .iter()
        .filter_map(|p| DataFile::read(p).ok())
        .collect();
    manifest.code.features = oxinas_train::compiled_gpu_backends();
    if let Some(compute) = &job.compute {
        manifest.code.backend = compute.backend.clone();
        manifest.compute = Some(compute.clone());
    }
    if let Some(previous) = previous {
        manifest.started = previous.started;
        manifest.resumed = previous.resumed;
        manifest.resumed.push(oxinas_record::now_rfc3339());
    }
    run.write_manifest(&manifest)?;

    let journal = read_journal(run.path(), config, false)?;
    let missing: Vec<usize> = (0..jobs.len())
        .filter(|i| !journal.finished.contains_key(&jobs[*i]))
        .collect();
    if !journal.finished.is_empty() || !journal.queries.is_empty() {
        tracing::info!(
            finished_trials = journal.finished.len(),
            unfinished_trials_with_queries = journal.queries.len(),
            recorded_queries_to_replay = journal.queries.values().map(BTreeMap::len).sum::<usize>(),
            "resuming run in {}",
            run.path().display()
        );
    }
    progress.start(jobs.len() as u64);
    progress.advance(journal.finished.len() as u64);
    let mut counts = QueryCounts::default();
    match &executor {
        ExecutorConfig::Local => {
            let recorded = journal.queries;
            let run_job = |index: usize, writer: &JournalWriter| run_with(&recorded, index, writer);
            counts = run_locally(run.path(), threads, &missing, &run_job, progress)?;
        }
        ExecutorConfig::Slurm(settings) => {
            // The array tasks read the recorded queries themselves.
            drop(journal);
            let still_missing = |tasks: &[usize]| {
                let done = read_journal(run.path(), config, false)?.finished;
                Ok(tasks
                    .iter()
                    .copied()
                    .filter(|i| !done.contains_key(&jobs[*i]))
                    .collect())
            };
            SlurmExecutor::new(run.path(), settings, &options.trial_command)
                .run(&missing, &still_missing)?;
            progress.advance(missing.len() as u64);
        }
    }
    progress.finish();

    // Merge: the result files, in trial order, from the journal.
    let journal = read_journal(run.path(), config, true)?;
    if let Some(&(o, t)) = jobs.iter().find(|job| !journal.finished.contains_key(job)) {
        return Err(ExperimentError::Records {
            path: journal_path,
            line: None,
            message: format!(
                "trial {t} of {} has no result after the executor finished",
                config.optimizers[o].label()
            ),
        });
    }
    let done = merge_trials(config, &trial_seeds, journal, &journal_path)?;
    let mut trajectories = run.trajectories()?;
    let mut trials_file =
        oxinas_record::TrajectoryWriter::create(&run.path().join("trials.jsonl"))?;
    let mut tests_file =
        oxinas_record::TrajectoryWriter::create(&run.path().join("incumbent_test.jsonl"))?;
    let n_metrics = config.reports.len();
    let mut queries: Vec<Vec<f64>> = vec![Vec::new(); config.optimizers.len()];
    let mut values: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); n_metrics]; config.optimizers.len()];
    let mut best: Vec<Option<ReturnedArch>> = vec![None; config.optimizers.len()];
    let goal = evaluator.goal();
    for record in done.values() {
        if let Some(returned) = record.returned_arch() {
            let slot = &mut best[record.optimizer];
            if slot
                .as_ref()
                .is_none_or(|b| goal.score(returned.validation) > goal.score(b.validation))
            {
                *slot = Some(returned);
            }
        }
        trajectories.write_raw(record.trajectory.as_bytes())?;
        trials_file.write_raw(record.summary.as_bytes())?;
        tests_file.write_raw(&record.incumbent_test_line())?;
        queries[record.optimizer].push(record.queries as f64);
        for (m, value) in record.metrics.iter().enumerate() {
            if let Some(v) = value {
                values[record.optimizer][m].push(*v);
            }
        }
    }
    trajectories.flush()?;
    trials_file.flush()?;
    tests_file.flush()?;

    let optimizers: Vec<OptimizerSummary> = config
        .optimizers
        .iter()
        .enumerate()
        .map(|(o, optimizer)| OptimizerSummary {
            label: optimizer.label().to_owned(),
            trials: config.trials,
            queries: MeanStd::of(&queries[o]).expect("at least one trial ran"),
            metrics: values[o].iter().map(|v| MeanStd::of(v)).collect(),
            best: best[o].take(),
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
                    standard_error: ours.std / (ours.count as f64).sqrt(),
                    reference,
                    reference_std: report.reference_std.get(label).copied(),
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
        queries_evaluated: counts.evaluated,
        queries_replayed: counts.replayed,
    };
    let figures = draw_figures(run.path(), config, &done, evaluator.goal())?;
    let statistics =
        run_statistics_markdown(run.path(), config, &done, &trial_seeds, evaluator.goal())?;
    run.write_text(
        "summary.md",
        &(report.summary_markdown() + &statistics + &figures.markdown()),
    )?;
    run.write_text("checklist.md", &checklist_markdown(config, &manifest))?;
    run.finish_manifest(&mut manifest)?;
    Ok(report)
}

/// The record of every finished trial in `journal`, its queries merged in.
fn merge_trials(
    config: &ExperimentConfig,
    trial_seeds: &[u64],
    mut journal: crate::run_journal::JournalContents,
    journal_path: &Path,
) -> Result<BTreeMap<(usize, u64), TrialRecord>, ExperimentError> {
    let mut done = BTreeMap::new();
    for (key, finished) in &journal.finished {
        let mut queries = journal.queries.remove(key).unwrap_or_default();
        // Charged queries in the order told, with their arrival times on a
        // simulated cluster.
        let order: Vec<(u64, Option<f64>)> = match &finished.arrivals {
            Some(arrivals) => arrivals.iter().map(|&(q, t)| (q, Some(t))).collect(),
            None => (0..finished.queries as u64).map(|q| (q, None)).collect(),
        };
        let mut told = Vec::with_capacity(finished.queries);
        for (q, arrived) in order {
            let Some((_, line)) = queries.remove(&q) else {
                return Err(ExperimentError::Records {
                    path: journal_path.to_owned(),
                    line: None,
                    message: format!(
                        "trial {} of {} is recorded with {} queries, but query {q} is missing; use --force-new to start over",
                        finished.trial, finished.label, finished.queries
                    ),
                });
            };
            told.push((
                Proposal {
                    arch: line.arch,
                    fidelity: line.fidelity,
                },
                line.evaluation.into(),
                q,
                arrived,
            ));
        }
        let outcome = if finished.arrivals.is_some() {
            SearchOutcome::from_told_on_cluster(
                told.into_iter()
                    .map(|(p, e, q, t)| (p, e, q, t.unwrap_or_default())),
                StopReason::Budget,
            )
        } else {
            SearchOutcome::from_told(
                told.into_iter().map(|(p, e, ..)| (p, e)),
                StopReason::Budget,
            )
        };
        let seed = trial_seeds[finished.trial as usize];
        done.insert(*key, TrialRecord::merge(config, finished, seed, &outcome));
    }
    Ok(done)
}

/// Runs the `missing` jobs on a pool of `threads` workers; each query is
/// appended to the journal as it finishes, each trial once it has finished.
fn run_locally(
    dir: &Path,
    threads: usize,
    missing: &[usize],
    run_job: &RunJob<'_>,
    progress: &dyn Progress,
) -> Result<QueryCounts, ExperimentError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| ExperimentError::Threads {
            threads,
            message: e.to_string(),
        })?;
    let writer = JournalWriter::open(dir)?;
    let replayed = AtomicU64::new(0);
    let evaluated = AtomicU64::new(0);
    for chunk in missing.chunks(CHUNK) {
        pool.install(|| {
            chunk.par_iter().try_for_each(|&index| {
                let (finished, counts) = run_job(index, &writer)?;
                writer.append_trial(&finished)?;
                replayed.fetch_add(counts.replayed, Ordering::Relaxed);
                evaluated.fetch_add(counts.evaluated, Ordering::Relaxed);
                progress.advance(1);
                Ok::<(), ExperimentError>(())
            })
        })?;
    }
    Ok(QueryCounts {
        replayed: replayed.into_inner(),
        evaluated: evaluated.into_inner(),
    })
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
    journal: TrialJournal<'_, S>,
) -> Result<(FinishedTrial, QueryCounts), ExperimentError>
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
    let budget = config.search.budget;
    let outcome: SearchOutcome<S::Arch> = match config.search.workers {
        None => run_search_journaled(
            space,
            evaluator,
            optimizer.as_mut(),
            budget,
            &mut eval_rng,
            &journal,
        ),
        Some(workers) => run_search_on_cluster_journaled(
            space,
            evaluator,
            optimizer.as_mut(),
            budget,
            workers,
            &mut eval_rng,
            &journal,
        ),
    }
    .map_err(|source| match source {
        SearchError::Replay {
            query,
            what,
            recorded,
            now,
        } => ExperimentError::Replay {
            optimizer: label.to_owned(),
            trial,
            query,
            what,
            recorded,
            now,
        },
        source => ExperimentError::Search {
            optimizer: label.to_owned(),
            trial,
            source: Box::new(source),
        },
    })?;
    let counts = QueryCounts {
        replayed: journal.replayed(),
        evaluated: journal.evaluated(),
    };
    if journal.recorded_count() > 0 {
        tracing::info!(
            optimizer = label,
            trial,
            replayed = counts.replayed,
            evaluated = counts.evaluated,
            "resumed trial: recorded queries answered from the journal"
        );
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
    Ok((
        FinishedTrial {
            optimizer: optimizer_index,
            label: label.to_owned(),
            trial,
            queries: outcome.history.len(),
            metrics,
            arrivals: config.search.workers.map(|_| {
                outcome
                    .history
                    .iter()
                    .map(|q| (q.asked, q.wall_time))
                    .collect()
            }),
        },
        counts,
    ))
}

/// The best value of each regret metric over every architecture of the space
/// (`None` for metrics reported as values). Regret needs a space that can be
/// enumerated; asking for it on another is a setting error.
fn optima<S, E, G>(
    config: &ExperimentConfig,
    path: &Path,
    space: &S,
    evaluator: &E,
    truth: &G,
) -> Result<Vec<Option<f64>>, ExperimentError>
where
    S: ModelSpace,
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
            let Some(archs) = space.every_arch() else {
                return Err(setting_error(
                    path,
                    "report.regret",
                    format!(
                        "regret (report `{}`) needs the best architecture of the space, but {} cannot be enumerated; report the value instead",
                        report.label,
                        space.name()
                    ),
                ));
            };
            let mut best: Option<f64> = None;
            for arch in archs {
                let value =
                    truth
                        .metric(&arch, &report.metric)
                        .map_err(|e| ExperimentError::Report {
                            metric: report.metric.clone(),
                            message: e.to_string(),
                        })?;
                if let Some(v) = value.filter(|v| v.is_finite())
                    && best.is_none_or(|b| goal.score(v) > goal.score(b)) {
                        best = Some(v);
                    }
            }
            Ok(best)
        })
        .collect()
}
