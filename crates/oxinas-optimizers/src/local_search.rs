use std::collections::HashMap;

use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace};
use rand::seq::SliceRandom;

/// Local search as in White et al., "Local Search is State of the Art for NAS
/// Benchmarks" (2020): start from a random architecture, evaluate its whole
/// neighbourhood (in random order), move to the best neighbour if it improves
/// on the current architecture, and restart from a new random architecture at
/// a local optimum.
///
/// Architectures evaluated before are not queried again: their known score is
/// reused, so the budget is spent only on new architectures.
#[derive(Clone, Debug)]
pub struct LocalSearch<A> {
    fidelity: Fidelity,
    rng: SeededRng,
    seen: HashMap<A, f64>,
    current: Option<(A, f64)>,
    queue: Vec<A>,
    pending: usize,
    best_neighbor: Option<(A, f64)>,
}

/// Random restarts tried before the space counts as exhausted.
const MAX_RESTART_DRAWS: usize = 10_000;

impl<A: Clone + Eq + std::hash::Hash> LocalSearch<A> {
    /// Local search evaluating at `fidelity`, drawing from `seed`.
    pub fn new(fidelity: Fidelity, seed: u64) -> Self {
        Self {
            fidelity,
            rng: rng_from_seed(seed),
            seen: HashMap::new(),
            current: None,
            queue: Vec::new(),
            pending: 0,
            best_neighbor: None,
        }
    }

    /// Makes `arch` (with its known score) the current architecture and queues
    /// its neighbourhood.
    fn move_to<S: SearchSpace<Arch = A>>(&mut self, space: &S, arch: A, score: f64) {
        let mut neighbors = space.neighbors(&arch);
        neighbors.shuffle(&mut self.rng);
        // Popping from the back, so reverse to evaluate in shuffled order.
        neighbors.reverse();
        self.queue = neighbors;
        self.current = Some((arch, score));
        self.best_neighbor = None;
    }

    fn consider_neighbor(&mut self, arch: &A, score: f64) {
        if self
            .best_neighbor
            .as_ref()
            .is_none_or(|(_, best)| score > *best)
        {
            self.best_neighbor = Some((arch.clone(), score));
        }
    }
}

impl<S: SearchSpace> Optimizer<S> for LocalSearch<S::Arch> {
    fn name(&self) -> &str {
        "LS"
    }

    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError> {
        let mut restarts = 0;
        loop {
            if self.current.is_none() {
                if self.pending > 0 {
                    return Err(OptimizerError::WaitingForResults {
                        optimizer: "LS".to_owned(),
                        pending: self.pending,
                    });
                }
                let arch = space.sample(&mut self.rng);
                match self.seen.get(&arch) {
                    Some(&score) => {
                        restarts += 1;
                        if restarts > MAX_RESTART_DRAWS {
                            return Err(OptimizerError::Exhausted {
                                optimizer: "LS".to_owned(),
                            });
                        }
                        self.move_to(space, arch, score);
                        continue;
                    }
                    None => {
                        self.pending += 1;
                        return Ok(Proposal {
                            arch,
                            fidelity: self.fidelity,
                        });
                    }
                }
            }
            if let Some(arch) = self.queue.pop() {
                match self.seen.get(&arch) {
                    Some(&score) => self.consider_neighbor(&arch, score),
                    None => {
                        self.pending += 1;
                        return Ok(Proposal {
                            arch,
                            fidelity: self.fidelity,
                        });
                    }
                }
                continue;
            }
            if self.pending > 0 {
                return Err(OptimizerError::WaitingForResults {
                    optimizer: "LS".to_owned(),
                    pending: self.pending,
                });
            }
            // Neighbourhood done: move if it improves, else restart.
            let (_, current_score) = self.current.as_ref().expect("checked above");
            match self.best_neighbor.take() {
                Some((arch, score)) if score > *current_score => self.move_to(space, arch, score),
                _ => self.current = None,
            }
        }
    }

    fn tell(&mut self, space: &S, proposal: &Proposal<S::Arch>, observation: &Observation) {
        let score = observation.score();
        self.pending = self.pending.saturating_sub(1);
        self.seen.insert(proposal.arch.clone(), score);
        if self.current.is_none() {
            // The random start of a new descent.
            self.move_to(space, proposal.arch.clone(), score);
        } else {
            self.consider_neighbor(&proposal.arch, score);
        }
    }
}
