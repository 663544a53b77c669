//! `benchmarks [NAME] [--quick]`: runs the performance benchmarks, each case
//! in a child process of its own, prints a markdown table and (in a full run)
//! updates `benchmarks/RESULTS.md`. Usually started by `cargo xtask bench`.

// A benchmark runner reports on stdout and stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::SystemTime;

use benchmarks::{
    Case, CaseReport, Check, Machine, Mode, all_cases, merge_results_file, peak_rss_kib,
    table_markdown,
};
use clap::Parser;

/// oxinas performance benchmarks.
#[derive(Parser)]
#[command(name = "benchmarks")]
struct Cli {
    /// Run only cases whose name contains this (e.g. `load`, `nb201/table5`).
    name: Option<String>,
    /// One run per case: proves the suite runs and its checks pass. Times are
    /// printed but RESULTS.md is not written.
    #[arg(long)]
    quick: bool,
    /// List the cases and exit.
    #[arg(long)]
    list: bool,
    /// Do not write the results file.
    #[arg(long)]
    no_write: bool,
    /// The results file to update.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/RESULTS.md"))]
    results: PathBuf,
    /// Internal: run exactly this case in this process and print its report as JSON.
    #[arg(long, hide = true)]
    child: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mode = if cli.quick { Mode::Quick } else { Mode::Full };
    let cases = all_cases();
    if let Some(name) = &cli.child {
        return run_child(&cases, name, mode);
    }
    if cli.list {
        for case in &cases {
            println!("{:<28} {}", case.name, case.what);
        }
        return ExitCode::SUCCESS;
    }
    let selected: Vec<&Case> = cases
        .iter()
        .filter(|c| {
            cli.name
                .as_ref()
                .is_none_or(|n| c.name.contains(n.as_str()))
        })
        .collect();
    if selected.is_empty() {
        eprintln!(
            "no case name contains `{}`; `--list` shows them",
            cli.name.unwrap_or_default()
        );
        return ExitCode::FAILURE;
    }
    let machine = Machine::detect();
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("cannot find this program to start a case in a child process: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut reports = Vec::new();
    for case in &selected {
        eprintln!("running {} ...", case.name);
        let report = run_in_child(&exe, &case.name, mode);
        if !report.check.passed {
            eprintln!("  {}: {}", case.name, report.check.detail);
        }
        reports.push(report);
    }
    let when = humantime::format_rfc3339_seconds(SystemTime::now())
        .to_string()
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_owned();
    println!("{}", machine.markdown());
    println!("{}", table_markdown(&reports, &when));
    if mode == Mode::Quick || cli.no_write {
        eprintln!(
            "(quick run or --no-write: {} not updated)",
            cli.results.display()
        );
    } else {
        let existing = std::fs::read_to_string(&cli.results).unwrap_or_default();
        let order: Vec<String> = cases.iter().map(|c| c.name.clone()).collect();
        let text = merge_results_file(&existing, &machine, &reports, &when, &order);
        if let Err(e) = std::fs::write(&cli.results, text) {
            eprintln!("writing {}: {e}", cli.results.display());
            return ExitCode::FAILURE;
        }
        eprintln!("updated {}", cli.results.display());
    }
    if reports.iter().all(|r| r.check.passed) {
        ExitCode::SUCCESS
    } else {
        eprintln!("some checks failed; a fast wrong answer is not a result");
        ExitCode::FAILURE
    }
}

/// Runs `name` here and prints its report (with this process's peak memory).
fn run_child(cases: &[Case], name: &str, mode: Mode) -> ExitCode {
    let Some(case) = cases.iter().find(|c| c.name == name) else {
        eprintln!("no case named `{name}`");
        return ExitCode::FAILURE;
    };
    match (case.run)(mode) {
        Ok(mut report) => {
            report.peak_rss_kib = peak_rss_kib();
            match serde_json::to_string(&report) {
                Ok(json) => {
                    println!("{json}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{name}: report does not serialise: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("{name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `name` in a fresh process so its peak memory is its own; a case that
/// fails to run becomes a failed row rather than ending the suite.
fn run_in_child(exe: &PathBuf, name: &str, mode: Mode) -> CaseReport {
    let mut command = Command::new(exe);
    command.arg("--child").arg(name);
    if mode == Mode::Quick {
        command.arg("--quick");
    }
    let failed = |detail: String| CaseReport {
        name: name.to_owned(),
        samples_s: Vec::new(),
        throughput: None,
        reference: None,
        check: Check::new(false, detail),
        peak_rss_kib: None,
        note: String::new(),
    };
    let output = match command.stderr(Stdio::piped()).output() {
        Ok(output) => output,
        Err(e) => return failed(format!("could not start the child process: {e}")),
    };
    if !output.status.success() {
        return failed(format!(
            "did not run ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    match serde_json::from_slice(&output.stdout) {
        Ok(report) => report,
        Err(e) => failed(format!("unreadable report from the child process: {e}")),
    }
}
