//! Experiments: a TOML file names a benchmark, a search protocol, optimizers
//! and the metrics to report; [`run_experiment`] runs every trial
//! (optimizers x seeds) on a thread pool and records the run.
//!
//! Results do not depend on the thread count or the executor: each trial
//! draws only from seeds derived from (experiment seed, trial index); each
//! evaluated query and each finished trial is appended to the run's journal
//! as it finishes, and the result files are merged from that journal in
//! trial order. Re-running on the same directory resumes: finished trials
//! are kept, and an unfinished trial replays its recorded queries and goes on
//! at its first unrecorded one. Trials run on a local thread pool or as
//! the array tasks of one Slurm job ([`ExecutorConfig`]).
//!
//! ```toml
//! name = "nb201-table5"
//! seed = 0
//! trials = 500
//!
//! [benchmark]
//! name = "nb201"
//! dataset = "cifar10-valid"
//!
//! [search]
//! fidelity = 12
//! budget = { simulated_seconds = 12000 }
//!
//! [[optimizer]]
//! kind = "regularized_evolution"
//! population = 10
//! tournament = 3
//!
//! [[report]]
//! label = "C10 valid"
//! metric = "cifar10-valid/valid@200"
//! ```

mod anytime;
mod benchmark_comparison;
mod benchmark_config;
mod cd_diagram;
mod checklist;
mod compute_settings;
mod config;
mod critical_difference;
mod darts_run;
mod data_files;
mod enas_run;
mod error;
mod executor_config;
mod figures;
mod generated_block;
mod model_space;
mod ofa_run;
mod oneshot_run;
mod optimizer_config;
mod paired_values;
mod petridish_run;
mod progress;
mod rank_report;
mod rank_table;
mod report;
mod resume;
mod run_journal;
mod run_statistics;
mod runner;
mod significance_words;
mod slurm_executor;
mod table_study;
mod task_darts_run;
mod task_selection;
mod trial_record;
mod wrn_run;

pub use benchmark_comparison::{
    BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, BenchmarkComparison, PairwiseTest,
};
pub use benchmark_config::{
    BenchmarkConfig, Nb201BenchmarkConfig, Nb201NoiseConfig, TransNasVariant,
};
pub use compute_settings::ComputeSettings;
pub use config::{ExperimentConfig, ReportMetric, SearchConfig};
pub use critical_difference::{ALPHA, CriticalDifference};
pub use data_files::config_data_files;
pub use error::ExperimentError;
pub use executor_config::{ExecutorConfig, SlurmConfig};
pub use generated_block::{GeneratedBlock, find_generated_blocks, replace_generated_blocks};
pub use model_space::ModelSpace;
pub use ofa_run::{OfaRunConfig, OfaRunError, load_ofa_config, parse_ofa_config};
pub use oneshot_run::{OneShotOptions, OneShotSummary, oneshot_method, run_oneshot_config};
pub use optimizer_config::{ModelGuidedSettings, OptimizerConfig};
pub use oxinas_train::TrainDevice;
pub use paired_values::PairedValues;
pub use petridish_run::{PetridishConfig, PetridishRunReport, gallery_csv, run_petridish_config};
pub use progress::{NoProgress, Progress};
pub use rank_report::{CD_DIAGRAM_STEM, RankReport};
pub use rank_table::{RankOrder, RankTable, RunMeans, read_run_means};
pub use report::{ExperimentReport, OptimizerSummary, ReferenceCheck, ReturnedArch};
pub use runner::{RunOptions, run_experiment, run_planned_trial};
pub use table_study::table_study_archs;
pub use task_selection::TaskSelection;

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
