//! Every statistic against SciPy / statsmodels on the fixed inputs of
//! `fixtures/scipy_reference.json` (how it was made: `fixtures/README.md`).

use oxinas_statistics::{
    FriedmanTest, WilcoxonTest, bootstrap_mean_interval, holm_adjust, nemenyi_q_005,
    studentized_range_quantile,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    friedman: Vec<Friedman>,
    wilcoxon: Vec<Wilcoxon>,
    holm: Vec<Holm>,
    nemenyi_q_005: Vec<NemenyiQ>,
    bootstrap: Bootstrap,
}

#[derive(Deserialize)]
struct Friedman {
    blocks: Vec<Vec<f64>>,
    statistic: f64,
    p_value: f64,
}

#[derive(Deserialize)]
struct Wilcoxon {
    x: Vec<f64>,
    y: Vec<f64>,
    statistic: f64,
    p_value: f64,
    p_value_continuity_correction: f64,
}

#[derive(Deserialize)]
struct Holm {
    p_values: Vec<f64>,
    adjusted: Vec<f64>,
}

#[derive(Deserialize)]
struct NemenyiQ {
    k: usize,
    q: f64,
}

#[derive(Deserialize)]
struct Bootstrap {
    values: Vec<f64>,
    low: f64,
    high: f64,
    n_resamples: usize,
}

fn reference() -> Reference {
    let text = include_str!("fixtures/scipy_reference.json");
    serde_json::from_str(text).expect("the fixture parses")
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn friedman_matches_scipy() {
    for (i, case) in reference().friedman.iter().enumerate() {
        let test = FriedmanTest::new(&case.blocks).unwrap();
        assert!(
            close(test.statistic, case.statistic, 1e-9),
            "case {i}: statistic {} vs SciPy {}",
            test.statistic,
            case.statistic
        );
        assert!(
            close(test.p_value, case.p_value, 1e-9),
            "case {i}: p {} vs SciPy {}",
            test.p_value,
            case.p_value
        );
    }
}

#[test]
fn wilcoxon_matches_scipy_defaults_and_continuity_correction() {
    for (i, case) in reference().wilcoxon.iter().enumerate() {
        let test = WilcoxonTest::new(&case.x, &case.y).unwrap();
        assert!(
            close(test.statistic, case.statistic, 1e-9),
            "case {i}: statistic {} vs SciPy {}",
            test.statistic,
            case.statistic
        );
        assert!(
            close(test.p_value, case.p_value, 1e-9),
            "case {i} ({:?}): p {} vs SciPy {}",
            test.method,
            test.p_value,
            case.p_value
        );
        let corrected = WilcoxonTest::with_continuity_correction(&case.x, &case.y).unwrap();
        assert!(
            close(corrected.p_value, case.p_value_continuity_correction, 1e-9),
            "case {i} ({:?}): corrected p {} vs SciPy {}",
            corrected.method,
            corrected.p_value,
            case.p_value_continuity_correction
        );
    }
}

#[test]
fn holm_matches_statsmodels() {
    for (i, case) in reference().holm.iter().enumerate() {
        let adjusted = holm_adjust(&case.p_values).unwrap();
        for (a, e) in adjusted.iter().zip(&case.adjusted) {
            assert!(
                close(*a, *e, 1e-12),
                "case {i}: {adjusted:?} vs {:?}",
                case.adjusted
            );
        }
    }
}

#[test]
fn studentized_range_quantiles_match_scipy() {
    for case in reference().nemenyi_q_005 {
        let q = studentized_range_quantile(0.95, case.k) / 2f64.sqrt();
        // SciPy's own quantile comes from numerical integration and root
        // finding; 1e-6 is well inside both methods' accuracy.
        assert!(
            close(q, case.q, 1e-6),
            "k = {}: {q} vs SciPy {}",
            case.k,
            case.q
        );
        // The critical value used: Demšar's 3-decimal table up to k = 10.
        let used = nemenyi_q_005(case.k).unwrap();
        assert!(
            close(used, case.q, 1e-3),
            "k = {}: {used} vs SciPy {}",
            case.k,
            case.q
        );
    }
}

#[test]
fn bootstrap_interval_agrees_with_scipy_in_distribution() {
    let case = reference().bootstrap;
    let ours = bootstrap_mean_interval(&case.values, 0.95, case.n_resamples, 0).unwrap();
    // Different generators: the ends differ by Monte Carlo error only. With
    // 9,999 resamples a 2.5% quantile of the mean's bootstrap distribution
    // has a standard error near 1% of the interval's width; allow 5%.
    let width = case.high - case.low;
    assert!(
        close(ours.low, case.low, 0.05 * width),
        "low {} vs SciPy {}",
        ours.low,
        case.low
    );
    assert!(
        close(ours.high, case.high, 0.05 * width),
        "high {} vs SciPy {}",
        ours.high,
        case.high
    );
}
