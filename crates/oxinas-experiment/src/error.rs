use std::path::PathBuf;

use oxinas_core::{ConfigError, DataError};
use oxinas_optimizers::SearchError;
use oxinas_record::RecordError;
use thiserror::Error;

/// Why an experiment could not run.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExperimentError {
    /// The config file could not be read.
    #[error("cannot read config {}: {source}", path.display())]
    ReadConfig {
        /// The config file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The config is not valid TOML or does not follow the schema. The message
    /// names the line and the key.
    #[error("invalid config {}: {message}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong, with line and column where known.
        message: String,
    },
    /// A setting has a value outside its valid range.
    #[error("invalid config {}: {source}", path.display())]
    Setting {
        /// The config file.
        path: PathBuf,
        /// The setting and what is expected.
        #[source]
        source: ConfigError,
    },
    /// A benchmark file could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The run directory could not be written.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A trial failed.
    #[error("trial {trial} of {optimizer}: {source}")]
    Search {
        /// The optimizer's label.
        optimizer: String,
        /// The trial index.
        trial: u64,
        /// What went wrong.
        #[source]
        source: Box<SearchError>,
    },
    /// Reading a reported metric from the benchmark failed.
    #[error("reporting `{metric}`: {message}")]
    Report {
        /// The metric.
        metric: String,
        /// What went wrong.
        message: String,
    },
    /// The worker threads could not be started.
    #[error("cannot start {threads} worker threads: {message}")]
    Threads {
        /// Requested threads.
        threads: usize,
        /// What went wrong.
        message: String,
    },
    /// The run directory holds a run of a different config.
    #[error(
        "{} holds a run of a different config (recorded config sha256 {recorded}, this config {current}); \
         refusing to mix their results: use another --out directory, or --force-new to discard the old run",
        dir.display()
    )]
    ConfigChanged {
        /// The run directory.
        dir: PathBuf,
        /// Hash of the config the directory was recorded with.
        recorded: String,
        /// Hash of the config given now.
        current: String,
    },
    /// A resumed trial went another way than its recorded queries: the code
    /// (or the data) changed since they were recorded.
    #[error(
        "trial {trial} of {optimizer}: query {query} differs from its record in results.jsonl \
         (its {what} was {recorded}, it is now {now}); the code changed since the run was recorded: \
         rerun with --force-new to discard the run and start over"
    )]
    Replay {
        /// The optimizer's label.
        optimizer: String,
        /// The trial index.
        trial: u64,
        /// The query's index in the trial, from 0.
        query: u64,
        /// What differs: `architecture`, `fidelity` or `random draws`.
        what: &'static str,
        /// The recorded value.
        recorded: String,
        /// The value the resumed search arrived at.
        now: String,
    },
    /// The run directory's records cannot be read back.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Records {
        /// The file.
        path: PathBuf,
        /// The 1-based line, where one is at fault.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A Markdown file's generated blocks are malformed.
    #[error("{}, line {line}: {message}", path.display())]
    Document {
        /// The Markdown file.
        path: PathBuf,
        /// The 1-based line at fault.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Submitting or following the Slurm job failed.
    #[error("slurm executor: {message}")]
    Slurm {
        /// What went wrong, with the command's output.
        message: String,
    },
    /// A one-shot search stopped.
    #[error("{method} search of {}: {source}", path.display())]
    OneShot {
        /// The config file.
        path: PathBuf,
        /// The method.
        method: &'static str,
        /// What went wrong (boxed: one-shot errors carry data-file errors, which
        /// would make every `Result` of the runner large).
        #[source]
        source: Box<oxinas_oneshot::OneShotError>,
    },
    /// A Once-for-All run stopped.
    #[error("ofa search of {}: {source}", path.display())]
    Ofa {
        /// The config file.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: oxinas_oneshot::OfaError,
    },
    /// A NAS-Bench-360 task could not be loaded.
    #[error("task `{task}` of {}: {source}", path.display())]
    Task {
        /// The config file.
        path: PathBuf,
        /// The task's key.
        task: String,
        /// What went wrong (names the data file; boxed, as data-file errors are large).
        #[source]
        source: Box<oxinas_nb360::Nb360Error>,
    },
    /// A plot could not be drawn.
    #[error("drawing {}: {message}", path.display())]
    Plot {
        /// The image file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}
