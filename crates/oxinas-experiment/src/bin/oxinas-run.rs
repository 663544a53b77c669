//! A small command line over the runner, without the xtask's dependencies:
//!
//! * `oxinas-run experiment CONFIG --out DIR [--threads N] [--force-new]`
//!   runs (or resumes) an experiment;
//! * `oxinas-run trial --run-dir DIR --task N` runs one planned trial (what
//!   an array task of the Slurm executor runs).
//!
//! `cargo xtask experiment` is the command for users; this binary lets the
//! crate's own tests run an experiment as a child process (to kill it) and
//! run Slurm tasks.

#![allow(clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use oxinas_experiment::{
    ExperimentConfig, ExperimentError, NoProgress, RunOptions, run_experiment, run_planned_trial,
};

fn usage() -> ExitCode {
    eprintln!(
        "usage: oxinas-run experiment CONFIG --out DIR [--threads N] [--force-new]\n       oxinas-run trial --run-dir DIR --task N"
    );
    ExitCode::from(2)
}

/// The value after `flag`, if present.
fn value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn experiment(args: &[String]) -> Result<(), ExperimentError> {
    let config_path = PathBuf::from(&args[0]);
    let (config, text) = ExperimentConfig::load(&config_path)?;
    let out =
        value(args, "--out").map_or_else(|| Path::new("runs").join(&config.name), PathBuf::from);
    let repo = std::env::current_dir().unwrap_or_default();
    let mut options = RunOptions::new(&config_path, &out, &repo);
    options.threads = value(args, "--threads").and_then(|t| t.parse().ok());
    options.force_new = args.iter().any(|a| a == "--force-new");
    options.trial_command = vec![
        std::env::current_exe()
            .unwrap_or_else(|_| PathBuf::from("oxinas-run"))
            .display()
            .to_string(),
        "trial".to_owned(),
    ];
    run_experiment(&config, &text, &options, &NoProgress).map(|_| ())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("experiment") if args.len() >= 2 => experiment(&args[1..]),
        Some("trial") => {
            let (Some(dir), Some(task)) = (
                value(&args, "--run-dir"),
                value(&args, "--task").and_then(|t| t.parse().ok()),
            ) else {
                return usage();
            };
            run_planned_trial(Path::new(dir), task)
        }
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
