use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace};

/// Random search: every proposal is an independent uniform sample of the space
/// (with replacement, as in the NAS-Bench-201 baseline).
#[derive(Clone, Debug)]
pub struct RandomSearch {
    fidelity: Fidelity,
    rng: SeededRng,
}

impl RandomSearch {
    /// Random search evaluating at `fidelity`, drawing from `seed`.
    pub fn new(fidelity: Fidelity, seed: u64) -> Self {
        Self {
            fidelity,
            rng: rng_from_seed(seed),
        }
    }
}

impl<S: SearchSpace> Optimizer<S> for RandomSearch {
    fn name(&self) -> &str {
        "RS"
    }

    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError> {
        Ok(Proposal {
            arch: space.sample(&mut self.rng),
            fidelity: self.fidelity,
        })
    }

    fn tell(&mut self, _: &S, _: &Proposal<S::Arch>, _: &Observation) {}
}
