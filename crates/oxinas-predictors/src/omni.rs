//! OMNI (White et al., 2021): one NGBoost model on everything known about an
//! architecture: its encoding, its partial learning curve (the last observed
//! validation value and SoTL-E) and its zero-cost proxy scores.

use crate::predictor_study::StudyArch;
use crate::{NgBoost, NgBoostConfig, Prediction, Predictor, PredictorError};

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
    /// signed logarithms because they span many orders of magnitude.
    pub fn features(&self, arch: &StudyArch) -> Vec<f64> {
        let mut v = arch.encoding.clone();
        v.extend(arch.zero_cost.iter().map(|s| s.signum() * s.abs().ln_1p()));
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
