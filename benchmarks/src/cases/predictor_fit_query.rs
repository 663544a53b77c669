//! Each model-based predictor's fit on 150 NAS-Bench-201 cells and its
//! predictions for 1,000 held-out cells (path encoding, the BANANAS default
//! family; target: 200-epoch cifar10-valid validation accuracy). The two
//! graph networks the searches retrain most, NPENAS's GIN and BONAS's GCN,
//! at their search settings, on their graph encodings.

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Enumerable, GroundTruth};
use oxinas_encodings::{EncodableSpace, GraphTensors};
use oxinas_predictors::rank_correlation::{kendall_tau, spearman};
use oxinas_predictors::{
    BayesianLinearRegression, BayesianLinearRegressionConfig, GaussianProcess,
    GaussianProcessConfig, Gcn, GcnConfig, Gin, GinConfig, GradientBoosting,
    GradientBoostingConfig, MlpEnsemble, MlpEnsembleConfig, NgBoost, NgBoostConfig, Predictor,
    RandomForest, RandomForestConfig,
};
use oxinas_spaces::{Nb201Arch, Nb201Space};
use rand::seq::SliceRandom;

use super::load_nb201;
use crate::{BenchError, Case, CaseReport, Check, Mode, Throughput, time_runs};

/// Training cells (BANANAS's NB201 budget of 150 queries).
const TRAIN: usize = 150;
/// Held-out cells predicted.
const TEST: usize = 1_000;
/// Spearman correlation a working predictor must reach on the held-out cells.
/// Predictors at 150 points reach 0.6-0.9 on NB201 (White et al., 2021, Fig. 2);
/// a broken fit (constant, shuffled, wrong targets) scores near 0.
const MIN_SPEARMAN: f64 = 0.5;

const KINDS: [&str; 6] = ["mlp-ensemble", "gp", "blr", "rf", "gbdt", "ngboost"];

/// The graph predictors: name, graph encoding.
const GRAPH_KINDS: [(&str, &str); 2] = [("gin-npenas-bo", "gcn_raw"), ("gcn-bonas", "gcn_bonas")];

/// Kendall tau a working graph predictor must reach on the held-out cells.
/// A network that did not learn (untrained, or fit to shuffled targets)
/// ranks them near 0; the cell's parameter count alone reaches about 0.5
/// on this target (docs/PREDICTORS.md), and these fits land at 0.5-0.65.
const MIN_KENDALL: f64 = 0.3;

/// Epochs of a quick-mode GIN fit: its check still passes, and the suite
/// test does not spend a minute in a debug-build fit.
const QUICK_GIN_EPOCHS: usize = 100;

/// Two cases per predictor: fit, and query (predict).
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for kind in KINDS {
        for part in ["fit", "query"] {
            let what = if part == "fit" {
                format!("{kind}: fit on {TRAIN} NB201 cells (path encoding)")
            } else {
                format!("{kind}: predict {TEST} held-out NB201 cells after a fit on {TRAIN}")
            };
            cases.push(
                Case::new(format!("predictor/{kind}-{part}"), what, move |mode| {
                    run(mode, kind, part)
                })
                .with_data(&[super::NB201_CSV]),
            );
        }
    }
    for (kind, encoding) in GRAPH_KINDS {
        for part in ["fit", "query"] {
            let what = if part == "fit" {
                format!("{kind}: fit on {TRAIN} NB201 cells ({encoding} graphs, search settings)")
            } else {
                format!("{kind}: predict {TEST} held-out NB201 cells after a fit on {TRAIN}")
            };
            cases.push(
                Case::new(format!("predictor/{kind}-{part}"), what, move |mode| {
                    run_graph(mode, kind, encoding, part)
                })
                .with_data(&[super::NB201_CSV]),
            );
        }
    }
    cases
}

fn build(kind: &str) -> Result<Box<dyn Predictor<Vec<f64>>>, BenchError> {
    let seed = 5;
    let err = |e| BenchError::setup(format!("building predictor `{kind}`"), e);
    Ok(match kind {
        "mlp-ensemble" => {
            Box::new(MlpEnsemble::new(MlpEnsembleConfig::default(), seed).map_err(err)?)
        }
        "gp" => Box::new(GaussianProcess::new(GaussianProcessConfig::default()).map_err(err)?),
        "blr" => Box::new(
            BayesianLinearRegression::new(BayesianLinearRegressionConfig::default())
                .map_err(err)?,
        ),
        "rf" => Box::new(RandomForest::new(RandomForestConfig::default(), seed).map_err(err)?),
        "gbdt" => {
            Box::new(GradientBoosting::new(GradientBoostingConfig::default(), seed).map_err(err)?)
        }
        _ => Box::new(NgBoost::new(NgBoostConfig::default(), seed).map_err(err)?),
    })
}

fn run(mode: Mode, kind: &'static str, part: &'static str) -> Result<CaseReport, BenchError> {
    let table = load_nb201()?;
    let space = Nb201Space::new();
    let mut archs: Vec<Nb201Arch> = space.enumerate().collect();
    archs.shuffle(&mut rng_from_seed(2021));
    let encoding = space
        .encodings()
        .vector("path")
        .map_err(|e| BenchError::setup("the path encoding", e))?;
    let target = |a: &Nb201Arch| -> Result<f64, BenchError> {
        table
            .metric(a, "cifar10-valid/valid@200")
            .map_err(|e| BenchError::setup("reading the target", e))?
            .ok_or_else(|| BenchError::setup("reading the target", "missing value"))
    };
    let x_train: Vec<Vec<f64>> = archs[..TRAIN].iter().map(|a| encoding.encode(a)).collect();
    let y_train = archs[..TRAIN]
        .iter()
        .map(target)
        .collect::<Result<Vec<_>, _>>()?;
    let x_test: Vec<Vec<f64>> = archs[TRAIN..TRAIN + TEST]
        .iter()
        .map(|a| encoding.encode(a))
        .collect();
    let y_test = archs[TRAIN..TRAIN + TEST]
        .iter()
        .map(target)
        .collect::<Result<Vec<_>, _>>()?;
    let failed = |e| BenchError::setup(format!("predictor `{kind}`"), e);

    let runs = mode.runs(5);
    let (samples, predictions, items, unit) = if part == "fit" {
        let (samples, fitted) = time_runs(runs, || {
            let mut predictor = build(kind)?;
            predictor.fit(&x_train, &y_train).map_err(failed)?;
            Ok(predictor)
        })?;
        let predictions = fitted[0].predict(&x_test).map_err(failed)?;
        (samples, predictions, TRAIN, "training cell")
    } else {
        let mut predictor = build(kind)?;
        predictor.fit(&x_train, &y_train).map_err(failed)?;
        let (samples, mut outputs) =
            time_runs(runs, || predictor.predict(&x_test).map_err(failed))?;
        (samples, outputs.swap_remove(0), TEST, "predicted cell")
    };
    let means: Vec<f64> = predictions.iter().map(|p| p.mean).collect();
    let rho = spearman(&means, &y_test).unwrap_or(f64::NAN);
    let check = Check::new(
        means.len() == TEST && rho >= MIN_SPEARMAN,
        format!("Spearman {rho:.3} on {TEST} held-out cells (must be >= {MIN_SPEARMAN})"),
    );
    Ok(CaseReport {
        name: format!("predictor/{kind}-{part}"),
        samples_s: samples,
        throughput: Some(Throughput {
            items: items as f64,
            unit: unit.into(),
        }),
        reference: None,
        check,
        peak_rss_kib: None,
        note: String::new(),
    })
}

fn build_graph(kind: &str, mode: Mode) -> Result<Box<dyn Predictor<GraphTensors>>, BenchError> {
    let seed = 5;
    let err = |e| BenchError::setup(format!("building predictor `{kind}`"), e);
    Ok(if kind == "gcn-bonas" {
        Box::new(Gcn::new(GcnConfig::bonas(), seed).map_err(err)?)
    } else {
        let mut config = GinConfig::npenas_bo();
        if mode == Mode::Quick {
            config.epochs = QUICK_GIN_EPOCHS;
        }
        Box::new(Gin::new(config, seed).map_err(err)?)
    })
}

fn run_graph(
    mode: Mode,
    kind: &'static str,
    encoding: &str,
    part: &'static str,
) -> Result<CaseReport, BenchError> {
    let table = load_nb201()?;
    let space = Nb201Space::new();
    let mut archs: Vec<Nb201Arch> = space.enumerate().collect();
    archs.shuffle(&mut rng_from_seed(2021));
    let encoder = space
        .encodings()
        .graph(encoding)
        .map_err(|e| BenchError::setup(format!("the {encoding} encoding"), e))?;
    let encode = |a: &Nb201Arch| {
        encoder
            .encode(a)
            .map_err(|e| BenchError::setup("encoding a cell", e))
    };
    let target = |a: &Nb201Arch| -> Result<f64, BenchError> {
        table
            .metric(a, "cifar10-valid/valid@200")
            .map_err(|e| BenchError::setup("reading the target", e))?
            .ok_or_else(|| BenchError::setup("reading the target", "missing value"))
    };
    let x_train = archs[..TRAIN]
        .iter()
        .map(encode)
        .collect::<Result<Vec<_>, _>>()?;
    let y_train = archs[..TRAIN]
        .iter()
        .map(target)
        .collect::<Result<Vec<_>, _>>()?;
    let x_test = archs[TRAIN..TRAIN + TEST]
        .iter()
        .map(encode)
        .collect::<Result<Vec<_>, _>>()?;
    let y_test = archs[TRAIN..TRAIN + TEST]
        .iter()
        .map(target)
        .collect::<Result<Vec<_>, _>>()?;
    let failed = |e| BenchError::setup(format!("predictor `{kind}`"), e);

    // A GIN fit takes seconds: fewer runs than the other predictors.
    let runs = mode.runs(3);
    let (samples, predictions, items, unit) = if part == "fit" {
        let (samples, fitted) = time_runs(runs, || {
            let mut predictor = build_graph(kind, mode)?;
            predictor.fit(&x_train, &y_train).map_err(failed)?;
            Ok(predictor)
        })?;
        let predictions = fitted[0].predict(&x_test).map_err(failed)?;
        (samples, predictions, TRAIN, "training cell")
    } else {
        let mut predictor = build_graph(kind, mode)?;
        predictor.fit(&x_train, &y_train).map_err(failed)?;
        let (samples, mut outputs) =
            time_runs(runs, || predictor.predict(&x_test).map_err(failed))?;
        (samples, outputs.swap_remove(0), TEST, "predicted cell")
    };
    let means: Vec<f64> = predictions.iter().map(|p| p.mean).collect();
    let tau = kendall_tau(&means, &y_test).unwrap_or(f64::NAN);
    let check = Check::new(
        means.len() == TEST && tau >= MIN_KENDALL,
        format!("Kendall tau {tau:.3} on {TEST} held-out cells (must be >= {MIN_KENDALL})"),
    );
    Ok(CaseReport {
        name: format!("predictor/{kind}-{part}"),
        samples_s: samples,
        throughput: Some(Throughput {
            items: items as f64,
            unit: unit.into(),
        }),
        reference: None,
        check,
        peak_rss_kib: None,
        note: String::new(),
    })
}
