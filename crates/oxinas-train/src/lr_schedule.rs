//! Learning rate per optimisation step: linear warm-up, then cosine annealing.

use serde::{Deserialize, Serialize};

/// Linear warm-up from 0 over `warmup_steps`, then cosine annealing from
/// `base_lr` down to `min_lr` at `total_steps` (PyTorch's `CosineAnnealingLR`
/// evaluated per step rather than per epoch).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CosineSchedule {
    /// Peak learning rate, reached at the end of warm-up.
    pub base_lr: f64,
    /// Final learning rate.
    pub min_lr: f64,
    /// Steps of linear warm-up.
    pub warmup_steps: usize,
    /// Steps in the whole run.
    pub total_steps: usize,
}

impl CosineSchedule {
    /// The learning rate for step `step` (0-based).
    pub fn lr(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.base_lr * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let span = self.total_steps.saturating_sub(self.warmup_steps).max(1);
        let progress = ((step - self.warmup_steps) as f64 / span as f64).min(1.0);
        self.min_lr
            + 0.5 * (self.base_lr - self.min_lr) * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_linearly_then_anneals_to_the_minimum() {
        let s = CosineSchedule {
            base_lr: 0.1,
            min_lr: 0.0,
            warmup_steps: 4,
            total_steps: 14,
        };
        assert!((s.lr(0) - 0.025).abs() < 1e-12);
        assert!((s.lr(3) - 0.1).abs() < 1e-12);
        assert!((s.lr(4) - 0.1).abs() < 1e-12);
        // Half way through the cosine part the rate is half the peak.
        assert!((s.lr(9) - 0.05).abs() < 1e-12);
        assert!(s.lr(14).abs() < 1e-12);
        assert!(s.lr(100).abs() < 1e-12);
    }
}
