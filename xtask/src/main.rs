//! `cargo xtask`: the command line over the oxinas crates.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod experiment_command;
mod predictors_command;

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
    /// Run a predictor study (rank correlation against training size) from a TOML config.
    Predictors(predictors_command::PredictorsArgs),
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Experiment(args) => experiment_command::run(args),
        Command::Predictors(args) => predictors_command::run(args),
    }
}
