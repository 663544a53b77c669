//! `cargo xtask bench [NAME] [--quick]`: builds the `benchmarks` binary in
//! release mode and runs it. The binary does the work (each case in its own
//! process, the table, `benchmarks/RESULTS.md`); xtask only makes sure it is
//! an optimised build, so the numbers mean what they say.

use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Args;

/// Arguments of `cargo xtask bench`.
#[derive(Args)]
pub struct BenchArgs {
    /// Run only cases whose name contains this (e.g. `load`, `nb201/table5`);
    /// `--list` shows the names.
    name: Option<String>,
    /// One run per case: proves the suite runs and its checks pass; does not
    /// write benchmarks/RESULTS.md.
    #[arg(long)]
    quick: bool,
    /// List the cases.
    #[arg(long)]
    list: bool,
    /// Print the table but do not update benchmarks/RESULTS.md.
    #[arg(long)]
    no_write: bool,
    /// GPU backends to build in (`cuda`, `wgpu`, or `cuda,wgpu`): adds the
    /// `train/...` cases on those devices.
    #[arg(long)]
    features: Option<String>,
}

pub fn run(args: BenchArgs) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command.args(["run", "--quiet", "--release", "--package", "benchmarks"]);
    if let Some(features) = &args.features {
        command.args(["--features", features]);
    }
    command.arg("--");
    if let Some(name) = &args.name {
        command.arg(name);
    }
    for (set, flag) in [
        (args.quick, "--quick"),
        (args.list, "--list"),
        (args.no_write, "--no-write"),
    ] {
        if set {
            command.arg(flag);
        }
    }
    let status = command
        .status()
        .context("starting `cargo run -p benchmarks`")?;
    if !status.success() {
        bail!("the benchmarks failed ({status})");
    }
    Ok(())
}
