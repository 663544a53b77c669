use crate::EvaluationError;

/// A benchmark's recorded metrics, read by reports after a search has ended.
///
/// This is how an experiment reports the test accuracy of the architecture an
/// optimizer returned: the runner holds a `GroundTruth`, the optimizer never
/// does. Metric names are the benchmark's own, e.g. `"cifar10/test@200"`.
pub trait GroundTruth<A>: Send + Sync {
    /// The names of the metrics [`GroundTruth::metric`] answers, with a short
    /// description of each.
    fn metrics(&self) -> Vec<(String, String)>;

    /// The recorded value of `metric` for `arch`; `Ok(None)` when the benchmark
    /// has no value for this architecture (a failed run, a missing seed).
    fn metric(&self, arch: &A, metric: &str) -> Result<Option<f64>, EvaluationError>;
}
