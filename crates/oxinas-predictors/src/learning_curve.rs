//! Learning-curve predictors: extrapolate a partially observed training run
//! instead of learning from other architectures.
//!
//! - [`LearningCurveExtrapolation`] (LCE, after Domhan et al., 2015): fits a
//!   set of parametric curve families to the observed validation curve by
//!   least squares and averages their values at the final epoch; the spread
//!   of the families is the uncertainty.
//! - [`SumOfTrainingLosses`] (SoTL-E, Ru et al., 2021): the sum of the
//!   training losses over the last `E` observed epochs.
//! - [`EarlyStopValue`]: the last observed validation value.
//!
//! All three read a [`LearningCurveInput`]. Their score has the orientation of
//! the curve it comes from; when `fit` is given at least three (input,
//! target) pairs it also learns an affine map from score to target by least
//! squares, which fixes sign and units (e.g. training loss against final
//! accuracy). Without training data the score itself is the prediction.

use crate::error::hyper;
use crate::{Prediction, PredictorError};

/// What a learning-curve predictor sees of one architecture.
pub trait LearningCurveInput {
    /// Validation metric at epochs 1..=k (the observed prefix).
    fn validation_curve(&self) -> &[f64];
    /// Training loss at epochs 1..=k.
    fn training_losses(&self) -> &[f64];
}

/// The affine map from a score to the target, learned from training pairs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct AffineCalibration {
    intercept: f64,
    slope: f64,
}

impl AffineCalibration {
    pub(crate) const IDENTITY: Self = Self {
        intercept: 0.0,
        slope: 1.0,
    };

    /// Least squares of `targets` on `scores`; identity with fewer than 3
    /// points or constant scores.
    pub(crate) fn fit(scores: &[f64], targets: &[f64]) -> Self {
        if scores.len() < 3 {
            return Self::IDENTITY;
        }
        let n = scores.len() as f64;
        let ms = scores.iter().sum::<f64>() / n;
        let mt = targets.iter().sum::<f64>() / n;
        let sst: f64 = scores.iter().map(|s| (s - ms) * (s - ms)).sum();
        if sst <= 1e-300 {
            return Self::IDENTITY;
        }
        let slope = scores
            .iter()
            .zip(targets)
            .map(|(s, t)| (s - ms) * (t - mt))
            .sum::<f64>()
            / sst;
        Self {
            intercept: mt - slope * ms,
            slope,
        }
    }

    pub(crate) fn apply(&self, p: Prediction) -> Prediction {
        Prediction {
            mean: self.intercept + self.slope * p.mean,
            std: self.slope.abs() * p.std,
        }
    }
}

/// A parametric curve family `f(x; theta)` with starting points for the fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CurveFamily {
    /// `c - a x^(-alpha)`.
    Pow3,
    /// `a / (1 + (x / e^b)^c)`.
    LogPower,
    /// `exp(a + b / x + c ln x)`.
    VaporPressure,
    /// `alpha - (alpha - beta) exp(-kappa x^delta)`.
    Janoschek,
    /// `alpha - (alpha - beta) exp(-(kappa x)^delta)`.
    Weibull,
    /// `c - exp(-a x + b)`.
    Exp3,
    /// `c - a / ln(x + 1)`.
    Ilog2,
    /// `c - (a x + b)^(-alpha)`.
    Pow4,
}

impl CurveFamily {
    /// Every family, in the order of Domhan et al.'s table where they overlap.
    pub const ALL: [CurveFamily; 8] = [
        CurveFamily::Pow3,
        CurveFamily::LogPower,
        CurveFamily::VaporPressure,
        CurveFamily::Janoschek,
        CurveFamily::Weibull,
        CurveFamily::Exp3,
        CurveFamily::Ilog2,
        CurveFamily::Pow4,
    ];

    fn eval(self, x: f64, p: &[f64]) -> f64 {
        match self {
            CurveFamily::Pow3 => p[0] - p[1] * x.powf(-p[2]),
            CurveFamily::LogPower => p[0] / (1.0 + (x / p[1].exp()).powf(p[2])),
            CurveFamily::VaporPressure => (p[0] + p[1] / x + p[2] * x.ln()).exp(),
            CurveFamily::Janoschek => p[0] - (p[0] - p[1]) * (-p[2] * x.powf(p[3])).exp(),
            CurveFamily::Weibull => p[0] - (p[0] - p[1]) * (-(p[2] * x).abs().powf(p[3])).exp(),
            CurveFamily::Exp3 => p[0] - (-p[1] * x + p[2]).exp(),
            CurveFamily::Ilog2 => p[0] - p[1] / (x + 1.0).ln(),
            CurveFamily::Pow4 => p[0] - (p[1] * x + p[2]).abs().powf(-p[3]),
        }
    }

    /// Starting points for a curve normalised to rise from ~0.25 to ~0.75.
    fn starts(self) -> Vec<Vec<f64>> {
        match self {
            CurveFamily::Pow3 => vec![
                vec![0.8, 0.6, 0.5],
                vec![1.0, 0.8, 1.0],
                vec![0.76, 0.5, 0.2],
            ],
            CurveFamily::LogPower => vec![vec![0.8, 0.0, -1.0], vec![1.0, 1.0, -0.5]],
            CurveFamily::VaporPressure => vec![vec![-0.5, -1.0, 0.1], vec![-1.0, -0.5, 0.3]],
            CurveFamily::Janoschek => vec![vec![0.8, 0.1, 0.5, 1.0], vec![1.0, 0.0, 0.2, 0.7]],
            CurveFamily::Weibull => vec![vec![0.8, 0.1, 0.5, 1.0], vec![1.0, 0.0, 0.2, 0.7]],
            CurveFamily::Exp3 => vec![vec![0.8, 0.5, -0.5], vec![1.0, 0.2, -0.3]],
            CurveFamily::Ilog2 => vec![vec![1.0, 0.5], vec![0.8, 0.3]],
            CurveFamily::Pow4 => vec![vec![0.8, 1.0, 0.5, 0.7], vec![1.0, 0.5, 1.0, 0.5]],
        }
    }
}

/// Levenberg–Marquardt least squares of `family` on points `(xs, ys)` from
/// `start`; returns parameters and the sum of squared residuals.
fn fit_family(
    family: CurveFamily,
    xs: &[f64],
    ys: &[f64],
    start: &[f64],
) -> Option<(Vec<f64>, f64)> {
    let m = start.len();
    let sse = |p: &[f64]| -> f64 {
        xs.iter()
            .zip(ys)
            .map(|(x, y)| {
                let r = family.eval(*x, p) - y;
                r * r
            })
            .sum()
    };
    let mut p = start.to_vec();
    let mut cost = sse(&p);
    if !cost.is_finite() {
        return None;
    }
    let mut lambda = 1e-2;
    for _ in 0..200 {
        // Jacobian by central differences.
        let mut jac = vec![0.0; xs.len() * m];
        let resid: Vec<f64> = xs
            .iter()
            .zip(ys)
            .map(|(x, y)| family.eval(*x, &p) - y)
            .collect();
        for k in 0..m {
            let h = 1e-6 * p[k].abs().max(1e-3);
            let mut hi = p.clone();
            let mut lo = p.clone();
            hi[k] += h;
            lo[k] -= h;
            for (i, x) in xs.iter().enumerate() {
                jac[i * m + k] = (family.eval(*x, &hi) - family.eval(*x, &lo)) / (2.0 * h);
            }
        }
        let mut jtj = vec![0.0; m * m];
        let mut jtr = vec![0.0; m];
        for i in 0..xs.len() {
            for a in 0..m {
                jtr[a] += jac[i * m + a] * resid[i];
                for b in 0..m {
                    jtj[a * m + b] += jac[i * m + a] * jac[i * m + b];
                }
            }
        }
        if jtj.iter().chain(&jtr).any(|v| !v.is_finite()) {
            return None;
        }
        let mut improved = false;
        for _ in 0..10 {
            let mut a = jtj.clone();
            for d in 0..m {
                a[d * m + d] += lambda * (1.0 + jtj[d * m + d]);
            }
            let Some(l) = crate::cholesky::cholesky_with_jitter(&a, m) else {
                lambda *= 10.0;
                continue;
            };
            let step = crate::cholesky::solve_cholesky(&l, m, &jtr);
            let trial: Vec<f64> = p.iter().zip(&step).map(|(a, s)| a - s).collect();
            let c = sse(&trial);
            if c.is_finite() && c < cost {
                let converged = cost - c < 1e-12 * (1.0 + cost);
                p = trial;
                cost = c;
                lambda = (lambda / 3.0).max(1e-9);
                improved = !converged;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    Some((p, cost))
}

/// Hyperparameters of [`LearningCurveExtrapolation`].
#[derive(Clone, Debug, PartialEq)]
pub struct LearningCurveExtrapolationConfig {
    /// The epoch whose value is predicted (e.g. 50 for NAS-Bench-NLP).
    pub target_epoch: usize,
    /// Families in the ensemble.
    pub families: Vec<CurveFamily>,
}

impl Default for LearningCurveExtrapolationConfig {
    fn default() -> Self {
        Self {
            target_epoch: 50,
            families: CurveFamily::ALL.to_vec(),
        }
    }
}

/// LCE: an ensemble of parametric curves fitted to the observed prefix.
#[derive(Clone, Debug)]
pub struct LearningCurveExtrapolation {
    config: LearningCurveExtrapolationConfig,
    calibration: AffineCalibration,
}

const LCE: &str = "lce";

impl LearningCurveExtrapolation {
    /// Validates `config` (a target epoch and at least one family).
    pub fn new(config: LearningCurveExtrapolationConfig) -> Result<Self, PredictorError> {
        if config.target_epoch == 0 {
            return Err(hyper(LCE, "target_epoch", "at least 1"));
        }
        if config.families.is_empty() {
            return Err(hyper(LCE, "families", "at least one curve family"));
        }
        Ok(Self {
            config,
            calibration: AffineCalibration::IDENTITY,
        })
    }

    /// The extrapolated value at the target epoch of one observed curve
    /// (epochs 1..=k), with the families' spread.
    pub fn extrapolate(&self, curve: &[f64]) -> Option<Prediction> {
        let k = curve.len();
        let last = *curve.last()?;
        if k < 3 || curve.iter().any(|v| !v.is_finite()) {
            return Some(Prediction::point(last));
        }
        // Orient upward and normalise to [0.25, 0.75] so one set of starting
        // points and one plausibility window fit every metric.
        let increasing = curve[k - 1] >= curve[0];
        let oriented: Vec<f64> = curve
            .iter()
            .map(|v| if increasing { *v } else { -v })
            .collect();
        let lo = oriented.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = oriented.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let span = (hi - lo).max(1e-12);
        let ys: Vec<f64> = oriented
            .iter()
            .map(|v| 0.25 + 0.5 * (v - lo) / span)
            .collect();
        let xs: Vec<f64> = (1..=k).map(|e| e as f64).collect();
        let target = self.config.target_epoch as f64;
        let tail_z = ys[k - 1];
        let mut values = Vec::new();
        for &family in &self.config.families {
            let best = family
                .starts()
                .iter()
                .filter_map(|s| fit_family(family, &xs, &ys, s))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((p, _)) = best {
                let z = family.eval(target, &p);
                // Plausible: finite, not falling back below the observed end
                // by more than a tenth of the range, and not rising more than
                // the observed range again.
                if z.is_finite() && z >= tail_z - 0.05 && z <= 0.75 + 0.5 {
                    values.push(z);
                }
            }
        }
        if values.is_empty() {
            return Some(Prediction::point(last));
        }
        let spread = crate::mlp_ensemble::mean_std(&values);
        let back = |z: f64| {
            let v = lo + (z - 0.25) / 0.5 * span;
            if increasing { v } else { -v }
        };
        Some(Prediction {
            mean: back(spread.mean),
            std: spread.std / 0.5 * span,
        })
    }
}

/// Hyperparameters of [`SumOfTrainingLosses`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SumOfTrainingLossesConfig {
    /// Epochs summed, counted back from the last observed one (Ru et al.: E).
    pub last_epochs: usize,
}

/// SoTL-E: the sum of the training losses over the last `E` observed epochs.
#[derive(Clone, Debug)]
pub struct SumOfTrainingLosses {
    config: SumOfTrainingLossesConfig,
    calibration: AffineCalibration,
}

const SOTLE: &str = "sotle";

impl SumOfTrainingLosses {
    /// Validates `config` (E >= 1).
    pub fn new(config: SumOfTrainingLossesConfig) -> Result<Self, PredictorError> {
        if config.last_epochs == 0 {
            return Err(hyper(SOTLE, "last_epochs", "at least 1"));
        }
        Ok(Self {
            config,
            calibration: AffineCalibration::IDENTITY,
        })
    }

    /// The score of one training-loss curve.
    pub fn score(&self, losses: &[f64]) -> Option<f64> {
        if losses.is_empty() {
            return None;
        }
        let start = losses.len().saturating_sub(self.config.last_epochs);
        Some(losses[start..].iter().sum())
    }
}

/// The last observed validation value (early stopping as a predictor).
#[derive(Clone, Debug, Default)]
pub struct EarlyStopValue {
    calibration: AffineCalibration,
}

const EARLY: &str = "early_stop";

impl Default for AffineCalibration {
    fn default() -> Self {
        Self::IDENTITY
    }
}

/// Implements [`crate::Predictor`] for a learning-curve predictor from its
/// per-architecture raw prediction.
macro_rules! curve_predictor {
    ($ty:ty, $name:expr, $uncertain:expr, |$self_:ident, $input:ident| $raw:expr) => {
        impl<I: LearningCurveInput + Send + Sync> crate::Predictor<I> for $ty {
            fn name(&self) -> &'static str {
                $name
            }

            fn fit(&mut self, inputs: &[I], targets: &[f64]) -> Result<(), PredictorError> {
                if inputs.len() != targets.len() {
                    return Err(PredictorError::Shape {
                        predictor: $name,
                        message: format!("{} inputs but {} targets", inputs.len(), targets.len()),
                    });
                }
                self.calibration = AffineCalibration::IDENTITY;
                let raw = self.raw_all(inputs)?;
                let scores: Vec<f64> = raw.iter().map(|p| p.mean).collect();
                self.calibration = AffineCalibration::fit(&scores, targets);
                Ok(())
            }

            fn predict(&self, inputs: &[I]) -> Result<Vec<Prediction>, PredictorError> {
                Ok(self
                    .raw_all(inputs)?
                    .into_iter()
                    .map(|p| self.calibration.apply(p))
                    .collect())
            }

            fn has_uncertainty(&self) -> bool {
                $uncertain
            }

            fn needs_training(&self) -> bool {
                false
            }
        }

        impl $ty {
            fn raw_all<I: LearningCurveInput>(&$self_, inputs: &[I]) -> Result<Vec<Prediction>, PredictorError> {
                inputs
                    .iter()
                    .enumerate()
                    .map(|(row, $input)| {
                        $raw.ok_or(PredictorError::MissingInput {
                            predictor: $name,
                            what: "learning curve",
                            row,
                        })
                    })
                    .collect()
            }
        }
    };
}

curve_predictor!(LearningCurveExtrapolation, LCE, true, |self, input| self
    .extrapolate(input.validation_curve()));
curve_predictor!(SumOfTrainingLosses, SOTLE, false, |self, input| self
    .score(input.training_losses())
    .map(Prediction::point));
curve_predictor!(EarlyStopValue, EARLY, false, |self, input| input
    .validation_curve()
    .last()
    .map(|v| Prediction::point(*v)));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Predictor;
    use crate::rank_correlation::kendall_tau;

    struct Curve {
        val: Vec<f64>,
        train: Vec<f64>,
    }

    impl LearningCurveInput for Curve {
        fn validation_curve(&self) -> &[f64] {
            &self.val
        }
        fn training_losses(&self) -> &[f64] {
            &self.train
        }
    }

    /// Loss curves `final + a * e^-0.5` whose early values rank the archs
    /// differently from their final values: slow starters end best.
    fn crossing_curves() -> (Vec<Curve>, Vec<f64>) {
        let mut curves = Vec::new();
        let mut finals = Vec::new();
        for i in 0..30 {
            let fin = 4.0 + 0.02 * i as f64;
            let a = 3.0 - 0.08 * i as f64; // the best final has the slowest start
            let f = |e: f64| fin + a * e.powf(-0.5);
            curves.push(Curve {
                val: (1..=10).map(|e| f(e as f64)).collect(),
                train: (1..=10).map(|e| f(e as f64) - 0.1).collect(),
            });
            finals.push(f(50.0));
        }
        (curves, finals)
    }

    #[test]
    fn lce_recovers_the_final_ranking_that_the_last_value_gets_wrong() {
        let (curves, finals) = crossing_curves();
        let lce =
            LearningCurveExtrapolation::new(LearningCurveExtrapolationConfig::default()).unwrap();
        let early = EarlyStopValue::default();
        let lce_pred: Vec<f64> = Predictor::<Curve>::predict(&lce, &curves)
            .unwrap()
            .iter()
            .map(|p| p.mean)
            .collect();
        let early_pred: Vec<f64> = Predictor::<Curve>::predict(&early, &curves)
            .unwrap()
            .iter()
            .map(|p| p.mean)
            .collect();
        let tau_lce = kendall_tau(&lce_pred, &finals).unwrap();
        let tau_early = kendall_tau(&early_pred, &finals).unwrap();
        assert!(tau_lce > 0.8, "lce tau {tau_lce}");
        assert!(tau_early < 0.0, "early tau {tau_early}");
        // The pow3 family is the generating curve: the extrapolation is close.
        assert!(
            (lce_pred[0] - finals[0]).abs() < 0.3,
            "{} vs {}",
            lce_pred[0],
            finals[0]
        );
    }

    #[test]
    fn sotle_sums_the_last_epochs_and_calibrates_sign() {
        let s = SumOfTrainingLosses::new(SumOfTrainingLossesConfig { last_epochs: 2 }).unwrap();
        assert_eq!(s.score(&[5.0, 4.0, 3.0]), Some(7.0));
        assert_eq!(s.score(&[5.0]), Some(5.0));
        let curves: Vec<Curve> = (0..10)
            .map(|i| Curve {
                val: vec![1.0],
                train: vec![5.0 - 0.1 * i as f64, 4.0 - 0.1 * i as f64],
            })
            .collect();
        // Accuracy rises as the loss falls: after fit, predictions rise too.
        let accuracy: Vec<f64> = (0..10).map(|i| 80.0 + i as f64).collect();
        let mut s = s;
        Predictor::<Curve>::fit(&mut s, &curves, &accuracy).unwrap();
        let pred: Vec<f64> = Predictor::<Curve>::predict(&s, &curves)
            .unwrap()
            .iter()
            .map(|p| p.mean)
            .collect();
        assert!(kendall_tau(&pred, &accuracy).unwrap() > 0.99);
        assert!(SumOfTrainingLosses::new(SumOfTrainingLossesConfig { last_epochs: 0 }).is_err());
        let empty = [Curve {
            val: vec![],
            train: vec![],
        }];
        assert!(matches!(
            Predictor::<Curve>::predict(&s, &empty),
            Err(PredictorError::MissingInput { .. })
        ));
    }
}
