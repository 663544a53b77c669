use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use oxinas_experiment::{
    ExperimentConfig, OneShotOptions, Progress, RunOptions, TrainDevice, oneshot_method,
    run_experiment, run_oneshot_config,
};

/// Arguments of `cargo xtask experiment`.
#[derive(Args)]
pub struct ExperimentArgs {
    /// The experiment config (TOML).
    config: PathBuf,
    /// Run directory (default: runs/NAME, NAME from the config).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Fail when a reported mean is outside the tolerance of its reference.
    #[arg(long)]
    check: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Discard an earlier run of a different config in the run directory
    /// (by default a run directory resumes, and only with the same config).
    #[arg(long)]
    force_new: bool,
    /// Train on this device, over the config's `[compute] device`: cpu,
    /// cuda, cuda:N (a `cargo xtask-cuda` build), wgpu, wgpu:N, wgpu:cpu (a
    /// `cargo xtask-wgpu` build).
    #[arg(long, value_name = "DEVICE")]
    device: Option<TrainDevice>,
}

/// Arguments of `cargo xtask trial` (run by the Slurm executor's array tasks).
#[derive(Args)]
pub struct TrialArgs {
    /// The run directory, as the submitting process wrote it.
    #[arg(long)]
    run_dir: PathBuf,
    /// The job of the trial plan to run.
    #[arg(long)]
    task: usize,
}

/// Runs one planned trial and appends its result to the run's results log.
pub fn trial(args: TrialArgs) -> Result<()> {
    oxinas_experiment::run_planned_trial(&args.run_dir, args.task)
        .with_context(|| format!("task {} of {}", args.task, args.run_dir.display()))
}

/// A progress bar on stderr.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn advance(&self, done: u64) {
        self.0.inc(done);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

pub fn run(args: ExperimentArgs) -> Result<()> {
    let started = Instant::now();
    // One-shot configs (DARTS, ENAS, ...) name their method at the top.
    if let Ok(text) = std::fs::read_to_string(&args.config)
        && oneshot_method(&text).is_some()
    {
        return run_oneshot(args, started);
    }
    let (config, text) = ExperimentConfig::load(&args.config)?;
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("runs").join(&config.name));
    let repo_dir = std::env::current_dir().context("reading the working directory")?;
    let mut options = RunOptions::new(&args.config, &out, &repo_dir);
    options.threads = args.threads;
    options.force_new = args.force_new;
    options.device = args.device;
    // Slurm array tasks run this same binary: `xtask trial --run-dir D --task N`.
    options.trial_command = vec![
        std::env::current_exe()
            .context("locating the xtask binary")?
            .display()
            .to_string(),
        "trial".to_owned(),
    ];
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} trials ({elapsed})")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_message(config.name.clone());
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    };
    let report = run_experiment(&config, &text, &options, &Bar(bar))
        .with_context(|| format!("experiment {}", args.config.display()))?;

    println!("{}\n", report.name);
    println!("{}", report.table_markdown());
    let best = report.best_markdown();
    if !best.is_empty() {
        println!("The best architecture each optimizer returned (by validation):\n\n{best}");
    }
    let references = report.references_markdown();
    if !references.is_empty() {
        println!("Compared with the published values:\n\n{references}");
    }
    println!(
        "Recorded in {} ({:.2} s, {} threads)",
        report.run_dir.display(),
        started.elapsed().as_secs_f64(),
        report.threads
    );
    if report.queries_replayed > 0 {
        println!(
            "Resumed: {} recorded queries answered from results.jsonl, {} evaluated",
            report.queries_replayed, report.queries_evaluated
        );
    }
    let exceeded: Vec<_> = report
        .references
        .iter()
        .filter(|r| r.within_tolerance() == Some(false))
        .collect();
    if !exceeded.is_empty() {
        let list: Vec<String> = exceeded
            .iter()
            .map(|r| format!("{} {}", r.optimizer, r.metric))
            .collect();
        if args.check {
            bail!("outside the reference tolerance: {}", list.join(", "));
        }
        eprintln!(
            "warning: outside the reference tolerance: {}",
            list.join(", ")
        );
    }
    Ok(())
}

/// Runs a one-shot config: a bar over its epochs, a line per epoch, the summary.
fn run_oneshot(args: ExperimentArgs, started: Instant) -> Result<()> {
    let repo_dir = std::env::current_dir().context("reading the working directory")?;
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} epochs ({elapsed})")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_message(args.config.display().to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    };
    let line_bar = bar.clone();
    let mut log = move |line: &str| line_bar.println(line);
    let summary = run_oneshot_config(OneShotOptions {
        config_path: &args.config,
        out: args.out.as_deref(),
        repo_dir: &repo_dir,
        progress: &Bar(bar),
        log: &mut log,
        device: args.device,
    })
    .with_context(|| format!("experiment {}", args.config.display()))?;
    println!("{}", summary.markdown);
    println!(
        "Recorded in {} ({:.2} s)",
        summary.run_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
