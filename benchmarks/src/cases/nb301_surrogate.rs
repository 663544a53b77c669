//! NAS-Bench-301 surrogate predictions per second (YAHPO's `new_model.onnx`
//! run by tract), one architecture at a time and in batches, on NASLib's 725
//! recorded NB301 architectures at the final epoch.

use oxinas_benchmarks::{NB301_YAHPO_DIR, Nb301Benchmark};
use oxinas_core::{SearchSpace, data_root};
use oxinas_predictors::rank_correlation::spearman;
use oxinas_spaces::{DartsArch, DartsSpace};

use crate::{BenchError, Case, CaseReport, Check, Mode, Throughput, time_runs};

/// NASLib's NB301 architectures with their trained validation accuracy.
pub(super) const NASLIB_NB301: &str = "nb301/original/naslib/zc_nasbench301.json";
/// The surrogate's model file, relative to the data directory.
pub(super) const NB301_MODEL: &str = "nb301/yahpo_nb301/new_model.onnx";
/// NB301's last epoch (its surrogate covers 1..=98).
const EPOCH: u32 = 98;
/// Architectures in NASLib's file (data manifest).
const NASLIB_ARCHS: usize = 725;
/// The data manifest measured Spearman 0.905 between this surrogate and
/// NASLib's recorded accuracies; a wrong encoding or a mis-run model falls
/// far below this floor.
const MIN_SPEARMAN: f64 = 0.85;
/// Predicted final validation accuracies must lie in this range (%): the
/// manifest saw 92.7-95.5 on random cells and NASLib records 91.24-94.49.
const PLAUSIBLE: std::ops::RangeInclusive<f64> = 88.0..=97.0;

/// Two cases: one prediction per call, and whole batches.
pub fn cases() -> Vec<Case> {
    [("single", "one architecture per call"), ("batch", "batches")]
        .into_iter()
        .map(|(part, how)| {
            Case::new(
                format!("nb301/predict-{part}"),
                format!(
                    "NB301 surrogate (tract): predict NASLib's {NASLIB_ARCHS} NB301 cells at epoch {EPOCH}, {how}"
                ),
                move |mode| run(mode, part),
            )
            .with_data(&[NB301_MODEL, NASLIB_NB301])
        })
        .collect()
}

/// NASLib's architectures and recorded validation accuracies.
fn naslib_archs() -> Result<(Vec<DartsArch>, Vec<f64>), BenchError> {
    let path = data_root().join(NASLIB_NB301);
    let setup = |e: String| BenchError::setup(format!("reading {}", path.display()), e);
    let text = std::fs::read_to_string(&path).map_err(|e| setup(e.to_string()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| setup(e.to_string()))?;
    let records = json["cifar10"]
        .as_object()
        .ok_or_else(|| setup("no `cifar10` object".into()))?;
    let space = DartsSpace::new();
    let mut archs = Vec::with_capacity(records.len());
    let mut accuracies = Vec::with_capacity(records.len());
    for (key, record) in records {
        archs.push(space.parse(key).map_err(|e| setup(e.to_string()))?);
        accuracies.push(
            record["val_accuracy"]
                .as_f64()
                .ok_or_else(|| setup(format!("no `val_accuracy` for {key}")))?,
        );
    }
    Ok((archs, accuracies))
}

/// Predicts every architecture, one call each or in batches.
fn predict(
    bench: &Nb301Benchmark,
    archs: &[DartsArch],
    part: &str,
) -> Result<Vec<f64>, BenchError> {
    let failed = |e| BenchError::setup("an NB301 prediction", e);
    let predictions = if part == "batch" {
        bench.predict_batch(archs, EPOCH).map_err(failed)?
    } else {
        archs
            .iter()
            .map(|a| bench.predict(a, EPOCH))
            .collect::<Result<Vec<_>, _>>()
            .map_err(failed)?
    };
    Ok(predictions.iter().map(|p| p.val_accuracy).collect())
}

fn run(mode: Mode, part: &'static str) -> Result<CaseReport, BenchError> {
    let bench = Nb301Benchmark::load(data_root().join(NB301_YAHPO_DIR))
        .map_err(|e| BenchError::setup("loading the NB301 surrogate", e))?;
    let (archs, recorded) = naslib_archs()?;
    let (samples, outputs) = time_runs(mode.runs(5), || predict(&bench, &archs, part))?;
    let predicted = &outputs[0];

    let rho = spearman(predicted, &recorded).unwrap_or(f64::NAN);
    let low = predicted.iter().copied().fold(f64::INFINITY, f64::min);
    let high = predicted.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let plausible = predicted
        .iter()
        .all(|p| p.is_finite() && PLAUSIBLE.contains(p));
    let mut check = Check::new(
        archs.len() == NASLIB_ARCHS && rho >= MIN_SPEARMAN && plausible,
        format!(
            "{} cells (expected {NASLIB_ARCHS}); Spearman {rho:.3} against NASLib's recorded \
             accuracies (manifest: 0.905, must be >= {MIN_SPEARMAN}); predictions \
             {low:.2}-{high:.2} % (must lie in {:.0}-{:.0} and be finite)",
            archs.len(),
            PLAUSIBLE.start(),
            PLAUSIBLE.end()
        ),
    );
    // The other path must give the same numbers (the batched model is a
    // re-typed copy of the batch-1 one), and repeats must be bit-identical.
    let other = predict(
        &bench,
        &archs,
        if part == "batch" { "single" } else { "batch" },
    )?;
    let gap = predicted
        .iter()
        .zip(&other)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    check = check.and(Check::new(
        gap <= 1e-3,
        format!("single and batched predictions differ by at most {gap:.1e} (must be <= 1e-3)"),
    ));
    let bits = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    if outputs.iter().any(|o| bits(o) != bits(predicted)) {
        check = check.and(Check::new(false, "repeated predictions differ"));
    }
    let median = crate::Summary::of(&samples).map_or(f64::NAN, |s| s.median);
    Ok(CaseReport {
        name: format!("nb301/predict-{part}"),
        samples_s: samples,
        throughput: Some(Throughput {
            items: archs.len() as f64,
            unit: "prediction".into(),
        }),
        reference: None,
        check,
        peak_rss_kib: None,
        note: format!(
            "{:.0} predictions/s (median); 1 thread; batched path: {}",
            archs.len() as f64 / median,
            if bench.surrogate().is_batched() {
                "one pass per 512 cells"
            } else {
                "not available for this model, loops over the batch-1 model"
            }
        ),
    })
}
