//! `cargo xtask ranks`: average ranks of optimizers across recorded runs, a
//! Friedman test over the runs with its critical-difference diagram, and
//! per run the paired-seed tests of every pair of optimizers.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use oxinas_experiment::{RankOrder, RankReport};

/// Arguments of `cargo xtask ranks`.
#[derive(Args)]
pub struct RanksArgs {
    /// Run directories (as `cargo xtask experiment` writes them), one per benchmark.
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// The report label to rank by, as in the configs' `[[report]] label`.
    #[arg(long, default_value = "valid regret")]
    metric: String,
    /// Rank larger values first (accuracy); by default smaller ones (regret, error).
    #[arg(long)]
    higher_is_better: bool,
    /// Also write the report to this markdown file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Folder for the critical-difference diagram (`cd_diagram.svg`, `.png`);
    /// default: the folder of `--out`, else `runs/ranks`.
    #[arg(long)]
    plots: Option<PathBuf>,
}

/// Prints (and optionally writes) the report, and draws the diagram.
pub fn run(args: RanksArgs) -> Result<()> {
    let order = if args.higher_is_better {
        RankOrder::HigherIsBetter
    } else {
        RankOrder::LowerIsBetter
    };
    let report = RankReport::from_run_dirs(&args.metric, &args.runs, order)?;
    let out_dir = args
        .out
        .as_deref()
        .map(|p| p.parent().unwrap_or(Path::new("")).to_owned());
    let plots = args
        .plots
        .clone()
        .or_else(|| out_dir.clone())
        .unwrap_or_else(|| PathBuf::from("runs/ranks"));
    let figure = report
        .write_figures(&plots)
        .with_context(|| format!("cannot draw into {}", plots.display()))?;
    // Link the figure relative to the markdown file when it sits beside it.
    let link = figure.map(|stem| match &out_dir {
        Some(dir) => stem
            .strip_prefix(dir)
            .map(Path::to_path_buf)
            .unwrap_or(stem),
        None => stem,
    });
    let text = report.markdown(link.as_ref().and_then(|p| p.to_str()));
    print!("{text}");
    if let Some(path) = &args.out {
        std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
