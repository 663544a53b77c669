//! Synthetic regression problems every predictor must learn (tests only).

use rand::Rng;

use oxinas_core::seed::rng_from_seed;

use crate::rank_correlation::kendall_tau;
use crate::{Prediction, Predictor};

/// Binary one-hot-like features (like an encoding), and a target that is a
/// fixed linear function of them plus a small interaction and noise.
pub(crate) fn binary_problem(n: usize, dim: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut weights_rng = rng_from_seed(999);
    let w: Vec<f64> = (0..dim)
        .map(|_| weights_rng.random_range(-1.0..1.0))
        .collect();
    let mut rng = rng_from_seed(seed);
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let row: Vec<f64> = (0..dim)
            .map(|_| if rng.random_bool(0.4) { 1.0 } else { 0.0 })
            .collect();
        let v: f64 = row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>()
            + 0.5 * row[0] * row[1]
            + rng.random_range(-0.05..0.05);
        x.push(row);
        y.push(90.0 + v);
    }
    (x, y)
}

/// Fits `p` on 150 points, predicts 200 fresh ones; returns tau and the predictions.
pub(crate) fn learn_binary<P: Predictor<Vec<f64>>>(
    p: &mut P,
    dim: usize,
) -> (f64, Vec<Prediction>, Vec<f64>) {
    let (x, y) = binary_problem(150, dim, 1);
    let (xt, yt) = binary_problem(200, dim, 2);
    p.fit(&x, &y).unwrap();
    let pred = p.predict(&xt).unwrap();
    let means: Vec<f64> = pred.iter().map(|q| q.mean).collect();
    (kendall_tau(&means, &yt).unwrap(), pred, yt)
}

/// Fraction of truths within one predicted standard deviation.
pub(crate) fn coverage(pred: &[Prediction], truth: &[f64]) -> f64 {
    pred.iter()
        .zip(truth)
        .filter(|(p, t)| (p.mean - **t).abs() <= p.std)
        .count() as f64
        / truth.len() as f64
}
