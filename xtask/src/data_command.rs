//! `cargo xtask data list|check|import NAME`: what benchmark data oxinas
//! knows, whether `$OXINAS_DATA` holds it intact, and bringing official
//! files into place.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use oxinas_benchmarks::{FileStatus, ImportOutcome, check, import, presence};

/// Arguments of `cargo xtask data`.
#[derive(Args)]
pub struct DataArgs {
    /// The data directory (default: `$OXINAS_DATA`, else `./data`).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    action: DataAction,
}

#[derive(Subcommand)]
enum DataAction {
    /// Each benchmark, the files it needs, their source, and whether they are here.
    List,
    /// Verify presence and sha256 of every file and load each present benchmark.
    Check,
    /// Bring a benchmark's official files into the layout the loaders read.
    Import {
        /// The benchmark (`cargo xtask data list` names them).
        name: String,
        /// The official file or directory to import.
        #[arg(long)]
        from: Option<PathBuf>,
    },
}

/// Runs `cargo xtask data`.
pub fn run(args: DataArgs) -> Result<()> {
    let root = args.root.unwrap_or_else(oxinas_core::data_root);
    match args.action {
        DataAction::List => list(&root),
        DataAction::Check => run_check(&root),
        DataAction::Import { name, from } => run_import(&root, &name, from),
    }
}

fn mark(present: bool) -> &'static str {
    if present { "present" } else { "missing" }
}

fn list(root: &std::path::Path) -> Result<()> {
    println!("data directory: {}", root.display());
    for (entry, files, dir) in presence(root) {
        println!("\n{} - {}", entry.name, entry.title);
        println!("  source: {}", entry.source);
        for (spec, (_, present)) in entry.files.iter().zip(&files) {
            let kind = if spec.optional {
                "optional"
            } else {
                "required"
            };
            println!("  [{}] {} ({kind})", mark(*present), spec.path);
        }
        if let Some((path, present)) = dir {
            println!(
                "  [{}] {}/ (directory)",
                mark(present),
                path.strip_prefix(root).unwrap_or(&path).display()
            );
        }
    }
    Ok(())
}

fn run_check(root: &std::path::Path) -> Result<()> {
    let start = Instant::now();
    println!("data directory: {}", root.display());
    let mut failures = Vec::new();
    let (mut verified, mut missing) = (0, 0);
    for result in check(root) {
        println!("\n{}", result.entry.name);
        for (path, status) in &result.files {
            let shown = path.strip_prefix(root).unwrap_or(path).display();
            match status {
                FileStatus::Verified => {
                    verified += 1;
                    println!("  ok        {shown}");
                }
                FileStatus::Unverified => println!("  present   {shown} (no known checksum)"),
                FileStatus::Missing => {
                    missing += 1;
                    println!("  missing   {shown}");
                }
                FileStatus::Mismatch { expected, actual } => {
                    println!("  MISMATCH  {shown}: sha256 {actual}, expected {expected}");
                    failures.push(format!("{}: sha256 mismatch", path.display()));
                }
                FileStatus::Unreadable(message) => {
                    println!("  UNREADABLE {message}");
                    failures.push(message.clone());
                }
            }
        }
        if let Some((path, present)) = &result.directory {
            println!(
                "  {:<9} {}/",
                mark(*present),
                path.strip_prefix(root).unwrap_or(path).display()
            );
        }
        match &result.load {
            Some(Ok(summary)) => println!("  loads:    {summary}"),
            Some(Err(message)) => {
                println!("  LOAD FAILED: {message}");
                failures.push(message.clone());
            }
            None => println!("  not loaded (not present, or a file failed its checksum)"),
        }
    }
    println!(
        "\n{verified} files verified, {missing} missing, {} problems, {:.1} s",
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        bail!("data check failed:\n  {}", failures.join("\n  "));
    }
    Ok(())
}

fn run_import(root: &std::path::Path, name: &str, from: Option<PathBuf>) -> Result<()> {
    match import(name, from.as_deref(), root)? {
        ImportOutcome::Imported {
            destination,
            files,
            summary,
        } => println!(
            "imported {files} files into {} ({summary})",
            destination.display()
        ),
        ImportOutcome::NoConversionNeeded { paths } => {
            println!(
                "{name}: no conversion needed; the loaders read the published files as they are."
            );
            println!("Put them under {}:", root.display());
            for path in paths {
                println!("  {path}");
            }
        }
    }
    Ok(())
}
