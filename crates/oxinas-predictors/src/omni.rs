//! OMNI (White et al., 2021): one NGBoost model on everything known about an
//! architecture: its encoding, its partial learning curve (the last observed
//! validation value and SoTL-E) and its zero-cost proxy scores.

use crate::predictor_study::StudyArch;
use crate::{NgBoost, NgBoostConfig, Prediction, Predictor, PredictorError};

/// The value NASLib gives a zero-cost score that came out NaN or infinite.
const NON_FINITE_ZERO_COST: f64 = -1e8;

/// OMNI on [`StudyArch`] inputs.
#[derive(Clone, Debug)]
pub struct Omni {
    model: NgBoost,
    sotl_epochs: usize,
}

impl Omni {
    /// NGBoost with `config`; SoTL-E sums the last `sotl_epochs` training losses.
    pub fn new(
        config: NgBoostConfig,
        sotl_epochs: usize,
        seed: u64,
    ) -> Result<Self, PredictorError> {
        Ok(Self {
            model: NgBoost::new(config, seed)?,
            sotl_epochs: sotl_epochs.max(1),
        })
    }

    /// The feature vector of one architecture; zero-cost scores enter as
    /// signed logarithms because they span many orders of magnitude, a
    /// non-finite score as -1e8 first (NASLib's `ZeroCost`), so a proxy that
    /// failed on a cell ranks it last.
    pub fn features(&self, arch: &StudyArch) -> Vec<f64> {
        let mut v = arch.encoding.clone();
        v.extend(arch.zero_cost.iter().map(|&s| {
            let s = if s.is_finite() {
                s
            } else {
                NON_FINITE_ZERO_COST
            };
            s.signum() * s.abs().ln_1p()
        }));
        if let Some(last) = arch.validation_curve.last() {
            v.push(*last);
        }
        if !arch.training_losses.is_empty() {
            let start = arch.training_losses.len().saturating_sub(self.sotl_epochs);
            v.push(arch.training_losses[start..].iter().sum());
        }
        v
    }
}

impl Predictor<StudyArch> for Omni {
    fn name(&self) -> &'static str {
        "omni"
    }

    fn fit(&mut self, inputs: &[StudyArch], targets: &[f64]) -> Result<(), PredictorError> {
        if let Some(row) = inputs
            .iter()
            .position(|a| a.zero_cost.is_empty() && a.validation_curve.is_empty())
        {
            return Err(PredictorError::MissingInput {
                predictor: "omni",
                what: "zero-cost scores or learning curve",
                row,
            });
        }
        let x: Vec<Vec<f64>> = inputs.iter().map(|a| self.features(a)).collect();
        self.model.fit(&x, targets)
    }

    fn predict(&self, inputs: &[StudyArch]) -> Result<Vec<Prediction>, PredictorError> {
        let x: Vec<Vec<f64>> = inputs.iter().map(|a| self.features(a)).collect();
        self.model.predict(&x)
    }

    fn has_uncertainty(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank_correlation::kendall_tau;
    use crate::synthetic::binary_problem;

    #[test]
    fn non_finite_zero_cost_scores_count_as_minus_1e8() {
        let omni = Omni::new(NgBoostConfig::default(), 1, 0).unwrap();
        let arch = StudyArch {
            encoding: vec![1.0],
            graph: None,
            params: None,
            validation_curve: vec![],
            training_losses: vec![],
            zero_cost: vec![f64::NAN, f64::INFINITY, 2.0],
            target: 0.0,
        };
        // -ln(1 + 1e8) = -18.420680753952..., ln(1 + 2) = 1.098612288668...
        let f = omni.features(&arch);
        assert_eq!(f.len(), 4);
        assert!((f[1] + 18.420_680_754).abs() < 1e-8, "{f:?}");
        assert!((f[2] + 18.420_680_754).abs() < 1e-8, "{f:?}");
        assert!((f[3] - 1.098_612_289).abs() < 1e-8, "{f:?}");
    }

    #[test]
    fn uses_the_zero_cost_feature_that_carries_the_signal() {
        // The encoding is noise here; one zero-cost score is the target in disguise.
        let make = |seed| {
            let (x, y) = binary_problem(200, 8, seed);
            let (noise, _) = binary_problem(200, 8, seed + 100);
            x.into_iter()
                .zip(noise)
                .zip(y)
                .map(|((_, enc), t)| StudyArch {
                    encoding: enc,
                    zero_cost: vec![(t - 80.0).powi(3), 1.0],
                    validation_curve: vec![50.0],
                    target: t,
                    ..StudyArch::default()
                })
                .collect::<Vec<_>>()
        };
        let (train, test) = (make(1), make(2));
        let targets: Vec<f64> = train.iter().map(|a| a.target).collect();
        let truth: Vec<f64> = test.iter().map(|a| a.target).collect();
        let mut omni = Omni::new(NgBoostConfig::default(), 1, 3).unwrap();
        omni.fit(&train, &targets).unwrap();
        let means: Vec<f64> = omni
            .predict(&test)
            .unwrap()
            .iter()
            .map(|p| p.mean)
            .collect();
        let tau = kendall_tau(&means, &truth).unwrap();
        assert!(tau > 0.85, "tau {tau}");
        let bare = vec![StudyArch::default(); 3];
        assert!(matches!(
            omni.fit(&bare, &[1.0, 2.0, 3.0]),
            Err(PredictorError::MissingInput { .. })
        ));
    }
}
