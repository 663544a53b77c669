//! Per-query cost of the search loop with RS, REA and LS on NAS-Bench-201:
//! ask, tabular lookup, budget and tell, for a fixed number of queries.

use std::collections::HashSet;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise, Nb201Tabular};
use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Budget, Fidelity, Optimizer};
use oxinas_optimizers::{LocalSearch, RandomSearch, RegularizedEvolution, run_search};
use oxinas_spaces::{Nb201Arch, Nb201Space};

use super::load_nb201;
use crate::{BenchError, Case, CaseReport, Check, Mode, Throughput, time_runs};

/// Queries per run. Below the space's 15,625 cells so local search, which
/// never queries a cell twice, cannot run out.
const QUERIES: u64 = 10_000;

/// The best 12-epoch cifar10-valid validation accuracy of any NB201 cell
/// (84.89, the data manifest's verified maximum), plus rounding slack.
const MAX_VALID12: f64 = 84.895;

/// The three cases.
pub fn cases() -> Vec<Case> {
    [("rs", "RS"), ("rea", "REA"), ("ls", "LS")]
        .into_iter()
        .map(|(key, label)| {
            Case::new(
                format!("search/{key}-per-query"),
                format!("{label} on NB201 for {QUERIES} queries at 12 epochs, one thread; per-query cost of optimizer + loop + table lookup"),
                move |mode| run(mode, key),
            )
            .with_data(&[super::NB201_CSV])
        })
        .collect()
}

fn optimizer(key: &str) -> Result<Box<dyn Optimizer<Nb201Space>>, BenchError> {
    let fidelity = Fidelity::epochs(12);
    Ok(match key {
        "rs" => Box::new(RandomSearch::new(fidelity, 11)),
        "rea" => Box::new(
            RegularizedEvolution::<Nb201Arch>::new(10, 3, fidelity, 11)
                .map_err(|e| BenchError::setup("REA settings", e))?,
        ),
        _ => Box::new(LocalSearch::<Nb201Arch>::new(fidelity, 11)),
    })
}

/// What a run returned, reduced to what the check needs.
#[derive(Clone, Debug, PartialEq)]
struct RunSummary {
    queries: usize,
    distinct: usize,
    incumbent: f64,
    best: f64,
    checksum: u64,
}

fn run(mode: Mode, key: &'static str) -> Result<CaseReport, BenchError> {
    let table = load_nb201()?;
    let evaluator = Nb201Tabular::new(table, Nb201Dataset::Cifar10Valid, Nb201Noise::Mean);
    let space = Nb201Space::new();
    let (samples, summaries) = time_runs(mode.runs(10), || {
        let mut optimizer = optimizer(key)?;
        let outcome = run_search(
            &space,
            &evaluator,
            optimizer.as_mut(),
            Budget::queries(QUERIES),
            &mut rng_from_seed(0),
        )
        .map_err(|e| BenchError::setup(format!("{key} search"), e))?;
        let scores: Vec<f64> = outcome
            .history
            .iter()
            .map(|q| q.evaluation.observation.validation.unwrap_or(f64::NAN))
            .collect();
        Ok(RunSummary {
            queries: outcome.history.len(),
            distinct: outcome
                .history
                .iter()
                .map(|q| q.proposal.arch)
                .collect::<HashSet<_>>()
                .len(),
            incumbent: outcome
                .incumbent()
                .and_then(|q| q.evaluation.observation.validation)
                .unwrap_or(f64::NAN),
            best: scores.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            checksum: scores
                .iter()
                .fold(0u64, |h, s| h.rotate_left(5) ^ s.to_bits()),
        })
    })?;
    let first = &summaries[0];
    let mut check = Check::new(
        first.queries as u64 == QUERIES,
        format!("{} queries (asked {QUERIES})", first.queries),
    )
    .and(Check::new(
        first.incumbent == first.best && first.best <= MAX_VALID12,
        format!(
            "incumbent {:.2} = best seen {:.2} <= the space's maximum 84.89",
            first.incumbent, first.best
        ),
    ));
    if key == "ls" {
        check = check.and(Check::new(
            first.distinct == first.queries,
            format!("{} distinct cells (LS never repeats one)", first.distinct),
        ));
    }
    if summaries.iter().any(|s| s != first) {
        check = check.and(Check::new(false, "repeated runs with one seed differ"));
    }
    Ok(CaseReport {
        name: format!("search/{key}-per-query"),
        samples_s: samples,
        throughput: Some(Throughput {
            items: QUERIES as f64,
            unit: "query".into(),
        }),
        reference: None,
        check,
        peak_rss_kib: None,
        note: String::new(),
    })
}
