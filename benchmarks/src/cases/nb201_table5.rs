//! NAS-Bench-201 Table 5 reproduced end to end, as `cargo xtask experiment
//! configs/nb201-table5.toml` runs it (records written, all threads).

use std::path::PathBuf;

use oxinas_experiment::{NoProgress, RunOptions, run_experiment};

use super::{TABLE5_PATH, table5_config, workspace_root};
use crate::{BenchError, Case, CaseReport, Check, Mode, Throughput, time_runs};

/// The case.
pub fn case() -> Case {
    Case::new(
        "nb201/table5",
        "NB201 Table 5 end to end: load, RS + REA + LS x 500 trials on all threads, records written",
        run,
    )
    .with_data(&[super::NB201_CSV])
}

fn run(mode: Mode) -> Result<CaseReport, BenchError> {
    let (config, text) = table5_config()?;
    let dir = tempfile::tempdir().map_err(|e| BenchError::Io {
        path: std::env::temp_dir(),
        source: e,
    })?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut run_index = 0;
    let (samples, reports) = time_runs(mode.runs(5), || {
        run_index += 1;
        let mut options = RunOptions::new(
            &PathBuf::from(TABLE5_PATH),
            &dir.path().join(format!("run{run_index}")),
            &workspace_root(),
        );
        options.threads = Some(threads);
        run_experiment(&config, text, &options, &NoProgress)
            .map_err(|e| BenchError::setup(format!("running {TABLE5_PATH}"), e))
    })?;

    let first = &reports[0];
    let expected = config
        .reports
        .iter()
        .map(|r| r.reference.len())
        .sum::<usize>();
    let within = first
        .references
        .iter()
        .filter(|r| r.within_tolerance() == Some(true))
        .count();
    let values: Vec<String> = first
        .references
        .iter()
        .map(|r| {
            format!(
                "{} {} {:.2} (paper {:.2} ± {})",
                r.optimizer,
                r.metric,
                r.ours,
                r.reference,
                r.tolerance.unwrap_or(0.0)
            )
        })
        .collect();
    let mut check = Check::new(
        within == expected && expected > 0,
        format!(
            "{within} of {expected} paper means within tolerance: {}",
            values.join(", ")
        ),
    );
    let means = |r: &oxinas_experiment::ExperimentReport| -> Vec<u64> {
        r.references.iter().map(|c| c.ours.to_bits()).collect()
    };
    if reports.iter().any(|r| means(r) != means(first)) {
        check = check.and(Check::new(false, "repeated runs gave different means"));
    }
    Ok(CaseReport {
        name: "nb201/table5".into(),
        samples_s: samples,
        throughput: Some(Throughput {
            items: (config.trials as usize * config.optimizers.len()) as f64,
            unit: "trial".into(),
        }),
        reference: None,
        check,
        peak_rss_kib: None,
        note: format!(
            "{threads} threads; includes loading the CSV and writing trajectories (NASLib, the peer, does not run here)"
        ),
    })
}
