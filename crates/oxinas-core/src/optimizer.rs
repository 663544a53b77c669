use crate::{Fidelity, Observation, OptimizerError, SearchSpace};

/// An architecture to evaluate, at a fidelity, as proposed by an optimizer.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Proposal<A> {
    /// The architecture.
    pub arch: A,
    /// How thoroughly to evaluate it.
    pub fidelity: Fidelity,
}

/// A search strategy behind an ask/tell interface.
///
/// `ask` proposes the next architecture; `tell` reports what its evaluation
/// showed. The same shape serves sequential, batched (several asks before the
/// tells) and asynchronous evaluation. An optimizer owns its random generator,
/// created from a seed at construction, so two optimizers built with the same
/// seed behave identically.
pub trait Optimizer<S: SearchSpace>: Send {
    /// A short name for reports, e.g. `"REA"`.
    fn name(&self) -> &str;

    /// Proposes the next architecture to evaluate.
    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError>;

    /// Reports the observation for a proposal returned by `ask`.
    fn tell(&mut self, space: &S, proposal: &Proposal<S::Arch>, observation: &Observation);

    /// Proposes `n` architectures at once, for parallel evaluation. The default
    /// asks `n` times without telling in between.
    fn ask_batch(&mut self, space: &S, n: usize) -> Result<Vec<Proposal<S::Arch>>, OptimizerError> {
        (0..n).map(|_| self.ask(space)).collect()
    }
}
