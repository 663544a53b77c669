use std::collections::{HashMap, HashSet};

use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace};
use rand::seq::SliceRandom;

/// Local search as in White et al., "Local Search is State of the Art for NAS
/// Benchmarks" (2020), NASLib's form: evaluate 10 random architectures and
/// start from the best, evaluate its whole neighbourhood (in random order),
/// move to the best neighbour if it improves on the current architecture,
/// and restart from a new random architecture at a local optimum.
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
    /// Random architectures still to draw before the first descent.
    initial_left: usize,
    /// The initial random architectures asked and not yet told.
    initial_asked: HashSet<A>,
    /// The initial random architectures evaluated, in order.
    initial: Vec<(A, f64)>,
}

/// Random restarts tried before the space counts as exhausted.
const MAX_RESTART_DRAWS: usize = 10_000;

/// Random architectures whose best starts the first descent (`num_init` of
/// both references).
const INITIAL_RANDOM: usize = 10;

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
            initial_left: INITIAL_RANDOM,
            initial_asked: HashSet::new(),
            initial: Vec::new(),
        }
    }

    /// A random architecture neither evaluated nor in flight, if one turns
    /// up within [`MAX_RESTART_DRAWS`] draws.
    fn sample_unseen<S: SearchSpace<Arch = A>>(&mut self, space: &S) -> Option<A> {
        (0..MAX_RESTART_DRAWS)
            .map(|_| space.sample(&mut self.rng))
            .find(|arch| !self.seen.contains_key(arch) && !self.initial_asked.contains(arch))
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
            if self.current.is_none() && self.initial_left > 0 {
                match self.sample_unseen(space) {
                    Some(arch) => {
                        self.initial_left -= 1;
                        self.initial_asked.insert(arch.clone());
                        self.pending += 1;
                        return Ok(Proposal {
                            arch,
                            fidelity: self.fidelity,
                        });
                    }
                    // A space with fewer than 10 architectures.
                    None => self.initial_left = 0,
                }
            }
            if self.current.is_none() && !self.initial.is_empty() {
                if self.pending > 0 {
                    return Err(OptimizerError::WaitingForResults {
                        optimizer: "LS".to_owned(),
                        pending: self.pending,
                    });
                }
                // The best initial architecture; the earliest wins ties.
                let best = self.initial.iter().enumerate().fold(0, |b, (i, (_, s))| {
                    if *s > self.initial[b].1 { i } else { b }
                });
                let (arch, score) = self.initial.swap_remove(best);
                self.initial.clear();
                self.move_to(space, arch, score);
                continue;
            }
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
        if self.initial_asked.remove(&proposal.arch) {
            self.initial.push((proposal.arch.clone(), score));
        } else if self.current.is_none() {
            // The random start of a new descent.
            self.move_to(space, proposal.arch.clone(), score);
        } else {
            self.consider_neighbor(&proposal.arch, score);
        }
    }
}
