//! `cargo xtask`: the command line over the oxinas crates.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench_command;
mod data_command;
mod experiment_command;
mod nb360_command;
mod predictors_command;
mod ranks_command;
mod readme_command;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// oxinas automation.
#[derive(Parser)]
#[command(name = "cargo xtask", about = "oxinas automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment described by a TOML config and record it.
    Experiment(experiment_command::ExperimentArgs),
    /// Run one trial of a run directory's plan (what a Slurm array task runs).
    #[command(hide = true)]
    Trial(experiment_command::TrialArgs),
    /// Run the performance benchmarks and update benchmarks/RESULTS.md.
    Bench(bench_command::BenchArgs),
    /// List, check and import benchmark data.
    Data(data_command::DataArgs),
    /// NAS-Bench-360 tasks, and synthetic data in their published layouts.
    Nb360(nb360_command::Nb360Args),
    /// Run a predictor study (rank correlation against training size) from a TOML config.
    Predictors(predictors_command::PredictorsArgs),
    /// Average ranks of optimizers across recorded runs (NAS-Bench-Suite style), with a Friedman
    /// test, a critical-difference diagram and paired-seed Wilcoxon tests.
    Ranks(ranks_command::RanksArgs),
    /// Regenerate the result tables marked in README.md and docs/*.md from their configs.
    Readme(readme_command::ReadmeArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Experiment(args) => experiment_command::run(args),
        Command::Trial(args) => experiment_command::trial(args),
        Command::Bench(args) => bench_command::run(args),
        Command::Data(args) => data_command::run(args),
        Command::Nb360(args) => nb360_command::run(args),
        Command::Predictors(args) => predictors_command::run(args),
        Command::Ranks(args) => ranks_command::run(args),
        Command::Readme(args) => readme_command::run(args),
    }
}
