//! `cargo xtask ranks`: average ranks of optimizers across recorded runs.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use oxinas_experiment::{RankOrder, RankTable};

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
    /// Also write the table to this markdown file.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Prints (and optionally writes) the average-rank table.
pub fn run(args: RanksArgs) -> Result<()> {
    let order = if args.higher_is_better {
        RankOrder::HigherIsBetter
    } else {
        RankOrder::LowerIsBetter
    };
    let table = RankTable::from_run_dirs(&args.metric, &args.runs, order)?;
    let text = format!(
        "Rank of each optimizer's mean `{}` in each run (mean in brackets), averaged over runs.\n\n{}",
        args.metric,
        table.markdown()
    );
    print!("{text}");
    if let Some(path) = &args.out {
        std::fs::write(path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
