use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use oxinas_experiment::{
    ExperimentConfig, NoProgress, RunOptions, find_generated_blocks, replace_generated_blocks,
    run_experiment,
};

/// Arguments of `cargo xtask readme`.
#[derive(Args)]
pub struct ReadmeArgs {
    /// Report the blocks that differ and fail, instead of rewriting them.
    #[arg(long)]
    check: bool,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

/// README.md and every docs/*.md, in name order.
fn documents() -> Result<Vec<PathBuf>> {
    let mut files = vec![PathBuf::from("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir("docs")
        .context("reading docs/")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    Ok(files)
}

/// Runs (or resumes, in `runs/NAME`) the config at `path` and returns its
/// comparison table.
fn table(path: &Path, threads: Option<usize>, repo: &Path) -> Result<String> {
    let (config, text) = ExperimentConfig::load(path)?;
    let out = PathBuf::from("runs").join(&config.name);
    let mut options = RunOptions::new(path, &out, repo);
    options.threads = threads;
    eprintln!("running {} into {}", path.display(), out.display());
    let report = run_experiment(&config, &text, &options, &NoProgress)
        .with_context(|| format!("running {}", path.display()))?;
    Ok(report.comparison_markdown())
}

/// Regenerates the marked result tables of README.md and docs/*.md from
/// their configs (`oxinas_experiment::find_generated_blocks`).
pub fn run(args: ReadmeArgs) -> Result<()> {
    let repo = std::env::current_dir().context("reading the working directory")?;
    let mut tables: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut stale = Vec::new();
    for file in documents()? {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading {}", file.display()))?;
        let blocks = find_generated_blocks(&text, &file)?;
        if blocks.is_empty() {
            continue;
        }
        let updated = replace_generated_blocks(&text, &blocks, |block| {
            if let Some(table) = tables.get(&block.config) {
                return Ok::<_, anyhow::Error>(table.clone());
            }
            let table = table(&block.config, args.threads, &repo).with_context(|| {
                format!("the block on line {} of {}", block.line, file.display())
            })?;
            tables.insert(block.config.clone(), table.clone());
            Ok(table)
        })?;
        if updated == text {
            println!("{}: {} block(s) up to date", file.display(), blocks.len());
        } else if args.check {
            stale.push(file.display().to_string());
        } else {
            std::fs::write(&file, updated)
                .with_context(|| format!("writing {}", file.display()))?;
            println!("{}: rewrote {} block(s)", file.display(), blocks.len());
        }
    }
    if !stale.is_empty() {
        bail!(
            "generated tables differ from their configs in {}; run `cargo xtask readme`",
            stale.join(", ")
        );
    }
    Ok(())
}
