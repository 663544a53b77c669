use rand::RngCore;

use crate::{Evaluation, EvaluationError, Fidelity, Goal};

/// Something that measures how good an architecture is: a tabular or surrogate
/// benchmark, a trainer, a remote executor.
///
/// Evaluators are shared by concurrently running trials, hence `Sync` and
/// `&self`. Noise (a tabular benchmark choosing one of several training seeds,
/// say) must come from `rng` so that results are reproducible.
pub trait Evaluator<A>: Send + Sync {
    /// A short name for reports and errors.
    fn name(&self) -> String;

    /// Name of the validation metric the optimizers see (e.g. `"valid_acc"`).
    fn metric(&self) -> &str;

    /// Whether larger or smaller values of the metric are better.
    fn goal(&self) -> Goal;

    /// The fidelities this evaluator supports, ascending.
    fn fidelities(&self) -> Vec<Fidelity>;

    /// Evaluates `arch` at `fidelity`.
    fn evaluate(
        &self,
        arch: &A,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError>;
}
