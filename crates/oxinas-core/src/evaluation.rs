use serde::{Deserialize, Serialize};

/// Whether larger or smaller values of a metric are better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Goal {
    /// Larger is better (accuracy).
    Maximize,
    /// Smaller is better (loss, perplexity, error).
    Minimize,
}

impl Goal {
    /// Maps a metric value to a score where larger is always better.
    pub fn score(self, value: f64) -> f64 {
        match self {
            Goal::Maximize => value,
            Goal::Minimize => -value,
        }
    }
}

/// Whether an evaluation produced a usable metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "reason")]
pub enum Outcome {
    /// The run finished and its metrics are valid.
    Ok,
    /// The run failed (diverged, crashed); its metrics must not be averaged.
    Failed(String),
}

/// What an optimizer may learn from an evaluation: validation metrics and cost.
///
/// Test metrics are deliberately absent; they live in [`Evaluation::test`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Whether the run succeeded.
    pub outcome: Outcome,
    /// The validation metric (`None` for a failed run).
    pub validation: Option<f64>,
    /// Direction of the validation metric.
    pub goal: Goal,
    /// Cost of this query in (simulated) seconds.
    pub cost_seconds: f64,
    /// Number of parameters, when known.
    pub params: Option<f64>,
    /// Latency in seconds, when known.
    pub latency_seconds: Option<f64>,
    /// Validation metric per epoch up to the evaluated fidelity, when known.
    pub learning_curve: Option<Vec<f64>>,
}

impl Observation {
    /// A successful observation with only the validation value and cost set.
    pub fn ok(validation: f64, goal: Goal, cost_seconds: f64) -> Self {
        Self {
            outcome: Outcome::Ok,
            validation: Some(validation),
            goal,
            cost_seconds,
            params: None,
            latency_seconds: None,
            learning_curve: None,
        }
    }

    /// The validation value as a score where larger is better; failed runs score
    /// negative infinity so that every optimizer ranks them last.
    pub fn score(&self) -> f64 {
        match (&self.outcome, self.validation) {
            (Outcome::Ok, Some(v)) => self.goal.score(v),
            _ => f64::NEG_INFINITY,
        }
    }
}

/// The full result of evaluating an architecture.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// What the optimizer is told.
    pub observation: Observation,
    /// The same metric on the held-out test split, when the benchmark has it.
    /// Only reports read this; optimizers never receive it.
    pub test: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimised_metrics_score_negated_and_failures_last() {
        let loss = Observation::ok(4.4, Goal::Minimize, 1.0);
        assert_eq!(loss.score(), -4.4);
        let mut failed = Observation::ok(1.0, Goal::Maximize, 1.0);
        failed.outcome = Outcome::Failed("loss is nan".into());
        assert!(failed.score() < loss.score());
    }
}
