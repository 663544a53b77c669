//! One BANANAS trial on NAS-Bench-201 cifar10-valid at the paper's settings
//! (150 queries of the 200-epoch validation accuracy; an ensemble of 5 MLPs,
//! 10 layers of 20 units, 200 epochs per fit, on the truncated path
//! encoding), and the share of its time spent in the predictor.

use std::sync::Arc;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise, Nb201Table, Nb201Tabular};
use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Budget, Enumerable, Fidelity, GroundTruth};
use oxinas_encodings::EncodableSpace;
use oxinas_optimizers::{ModelGuidedConfig, ModelGuidedSearch, run_search};
use oxinas_predictors::{EncodedPredictor, MlpEnsemble, MlpEnsembleConfig};
use oxinas_spaces::{Nb201Arch, Nb201Space};

use super::load_nb201;
use crate::{BenchError, Case, CaseReport, Check, Mode, Throughput, time_runs};

/// Queries per trial (the NAS-Bench-Suite NB201 budget).
const QUERIES: usize = 150;
/// The search metric, as the table names it.
const METRIC: &str = "cifar10-valid/valid@200";
/// The trial's seed: every run repeats the same trial, so runs are the same
/// work and must return the same architecture.
const SEED: u64 = 0;
/// The returned cell must be among this many best of the 15,625 by
/// validation accuracy. 150 distinct uniform draws reach the top 10 with
/// probability about 9 %; a search whose predictor is broken (constant,
/// shuffled, wrong targets) does no better than that.
const TOP: usize = 10;

/// The case.
pub fn case() -> Case {
    Case::new(
        "bananas/nb201-trial",
        "BANANAS, one 150-query trial on NB201 cifar10-valid (ensemble of 5 MLPs 10x20, 200 epochs, trunc_path); predictor share of the time",
        run,
    )
    .with_data(&[super::NB201_CSV])
}

/// The ensemble: the paper's in a full run; in quick mode (which only proves
/// the case runs and its check holds) 2 networks for 50 epochs.
fn ensemble(mode: Mode) -> MlpEnsembleConfig {
    match mode {
        Mode::Full => MlpEnsembleConfig::default(),
        Mode::Quick => MlpEnsembleConfig {
            ensemble_size: 2,
            epochs: 50,
            ..MlpEnsembleConfig::default()
        },
    }
}

/// What one trial returned: the cell, the predictor's time and fits, and the
/// queries charged.
struct Trial {
    arch: Nb201Arch,
    model_s: f64,
    fits: usize,
    queries: usize,
}

fn trial(mode: Mode, space: &Nb201Space, evaluator: &Nb201Tabular) -> Result<Trial, BenchError> {
    let encoding = space
        .vector_encoding("trunc_path")
        .map_err(|e| BenchError::setup("the trunc_path encoding", e))?;
    let ensemble = MlpEnsemble::new(ensemble(mode), SEED)
        .map_err(|e| BenchError::setup("building the MLP ensemble", e))?;
    let mut bananas = ModelGuidedSearch::new(
        "BANANAS",
        ModelGuidedConfig::bananas(),
        Box::new(EncodedPredictor::new(encoding, ensemble)),
        Fidelity::epochs(200),
        SEED,
    )
    .map_err(|e| BenchError::setup("building BANANAS", e))?;
    let outcome = run_search(
        space,
        evaluator,
        &mut bananas,
        Budget::queries(QUERIES as u64),
        &mut rng_from_seed(SEED),
    )
    .map_err(|e| BenchError::setup("the BANANAS trial", e))?;
    let arch = outcome
        .incumbent()
        .ok_or_else(|| BenchError::setup("the BANANAS trial", "no query was made"))?
        .proposal
        .arch;
    let (model, fits) = bananas.model_time();
    Ok(Trial {
        arch,
        model_s: model.as_secs_f64(),
        fits,
        queries: outcome.history.len(),
    })
}

/// The probability that `draws` distinct uniform cells out of `cells`
/// include at least one of the `hits` best.
fn random_search_hit_probability(cells: usize, hits: usize, draws: usize) -> f64 {
    let miss: f64 = (0..draws)
        .map(|i| (cells - hits - i) as f64 / (cells - i) as f64)
        .product();
    1.0 - miss
}

fn run(mode: Mode) -> Result<CaseReport, BenchError> {
    let table: Arc<Nb201Table> = load_nb201()?;
    let space = Nb201Space::new();
    let evaluator = Nb201Tabular::new(table.clone(), Nb201Dataset::Cifar10Valid, Nb201Noise::Mean);
    let (samples, trials) = time_runs(mode.runs(3), || trial(mode, &space, &evaluator))?;

    // The returned cell's rank by validation accuracy, from the table alone.
    let value = |a: &Nb201Arch| -> Result<f64, BenchError> {
        table
            .metric(a, METRIC)
            .map_err(|e| BenchError::setup(format!("reading {METRIC}"), e))?
            .ok_or_else(|| BenchError::setup(format!("reading {METRIC}"), "missing value"))
    };
    let all = space
        .enumerate()
        .map(|a| value(&a))
        .collect::<Result<Vec<_>, _>>()?;
    let best = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let first = &trials[0];
    let found = value(&first.arch)?;
    let at_least = all.iter().filter(|&&v| v >= found).count();
    let chance = random_search_hit_probability(all.len(), at_least, QUERIES);
    // BANANAS fits after the 10 initial queries and after each batch of 10.
    let expected_fits = (QUERIES - 10) / 10;
    let mut check = Check::new(
        at_least <= TOP && first.queries == QUERIES && first.fits == expected_fits,
        format!(
            "returned cell {:.2} % valid (best of all 15,625: {best:.2} %, regret {:.2}), \
             {at_least} cells at least as good (must be <= {TOP}: 150 random draws reach \
             that with probability {:.1} %); {} queries, {} fits (expected {QUERIES}, {expected_fits})",
            found,
            best - found,
            100.0 * chance,
            first.queries,
            first.fits,
        ),
    );
    if trials.iter().any(|t| t.arch != first.arch) {
        check = check.and(Check::new(false, "repeated trials with one seed differ"));
    }
    let shares: Vec<f64> = trials
        .iter()
        .zip(&samples)
        .map(|(t, s)| 100.0 * t.model_s / s)
        .collect();
    let config = ensemble(mode);
    Ok(CaseReport {
        name: "bananas/nb201-trial".into(),
        samples_s: samples,
        throughput: Some(Throughput {
            items: QUERIES as f64,
            unit: "query".into(),
        }),
        reference: None,
        check,
        peak_rss_kib: None,
        note: format!(
            "predictor (fit + acquisition predictions) {} of the wall time over {} fits; \
             ensemble of {} x {} epochs; 1 thread; NASLib (the peer) does not run here",
            shares
                .iter()
                .map(|s| format!("{s:.1} %"))
                .collect::<Vec<_>>()
                .join(", "),
            first.fits,
            config.ensemble_size,
            config.epochs,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::random_search_hit_probability;

    #[test]
    fn hit_probability_matches_closed_forms() {
        // One draw hits one of k cells with probability k / n.
        assert!((random_search_hit_probability(100, 5, 1) - 0.05).abs() < 1e-12);
        // Drawing every cell always hits.
        assert!((random_search_hit_probability(20, 1, 20) - 1.0).abs() < 1e-12);
        // Two draws from 4 cells miss the single best with (3/4)(2/3) = 1/2.
        assert!((random_search_hit_probability(4, 1, 2) - 0.5).abs() < 1e-12);
    }
}
