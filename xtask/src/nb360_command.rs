//! `cargo xtask nb360 tasks|fixture`: the NAS-Bench-360 tasks, and small
//! synthetic data sets in their published layouts for trying configs.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use oxinas_nb360::{Nb360Task, TASKS, default_task_dir, write_task_fixture};

/// Arguments of `cargo xtask nb360`.
#[derive(Args)]
pub struct Nb360Args {
    #[command(subcommand)]
    action: Nb360Action,
}

#[derive(Subcommand)]
enum Nb360Action {
    /// Each task: input shape, target, loss, metric, where its data is looked for.
    Tasks,
    /// Write a small synthetic data set in a task's published layout.
    Fixture {
        /// The task (`cargo xtask nb360 tasks` names them).
        task: String,
        /// The directory to write (created if absent).
        out: PathBuf,
        /// Samples per split (at least).
        #[arg(long, default_value_t = 64)]
        samples: usize,
        /// Seed of the synthetic content.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

/// Runs `cargo xtask nb360`.
pub fn run(args: Nb360Args) -> Result<()> {
    match args.action {
        Nb360Action::Tasks => {
            println!("| task | input [C,H,W] | target | loss | metric | data directory |");
            println!("|---|---|---|---|---|---|");
            for spec in &TASKS {
                println!(
                    "| {} | {:?} | {:?} | {:?} | {} | {} |",
                    spec.key,
                    spec.input_shape,
                    spec.target,
                    spec.loss,
                    spec.metric.name(),
                    default_task_dir(spec.task).display()
                );
            }
            Ok(())
        }
        Nb360Action::Fixture {
            task,
            out,
            samples,
            seed,
        } => {
            let task: Nb360Task = task.parse()?;
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            write_task_fixture(task, &out, samples, seed)
                .with_context(|| format!("writing the {task} fixture"))?;
            println!(
                "wrote a synthetic {task} data set ({samples} samples per split, seed {seed}) in {}",
                out.display()
            );
            Ok(())
        }
    }
}
