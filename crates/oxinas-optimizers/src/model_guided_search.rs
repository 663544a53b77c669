use std::collections::HashSet;
use std::hash::Hash;
use std::time::{Duration, Instant};

use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{
    ConfigError, Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace,
};
use oxinas_predictors::Predictor;
use rand::Rng;

use crate::Acquisition;

/// How a model-guided search proposes candidates for the acquisition to rank
/// (the acquisition optimiser).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateGenerator {
    /// Mutate the `parents` best architectures evaluated so far,
    /// `candidates / parents` children each, each child 1 to `max_edits`
    /// successive mutations away from its parent (BANANAS, NPENAS). Children
    /// already evaluated or already among the candidates are dropped; while
    /// fewer than `candidates` remain, the next-best architectures are
    /// mutated too, up to `5 * parents` of them (BANANAS's
    /// `patience_factor`).
    MutateBest {
        /// How many of the best architectures are mutated.
        parents: usize,
        /// Candidates generated per iteration (before removing duplicates).
        candidates: usize,
        /// Largest number of successive mutations per child.
        max_edits: usize,
    },
    /// Draw a pool of `candidates` random architectures (BONAS).
    RandomPool {
        /// Pool size per iteration.
        candidates: usize,
    },
}

/// Settings of [`ModelGuidedSearch`].
#[derive(Clone, Debug, PartialEq)]
pub struct ModelGuidedConfig {
    /// Random architectures evaluated before the first model fit (t0).
    pub initial: usize,
    /// Architectures proposed per model fit, the top `batch` by acquisition (k).
    pub batch: usize,
    /// How candidates are generated.
    pub generator: CandidateGenerator,
    /// How candidates are ranked.
    pub acquisition: Acquisition,
}

impl ModelGuidedConfig {
    /// BANANAS (White et al. 2021, Algorithm 1) with the defaults of its
    /// reference code (naszilla/bananas, `nas_algorithms.bananas` and
    /// `data.get_candidates`): 10 random architectures, then per iteration
    /// 100 candidates, each one mutation (the space's, at mutation rate 1)
    /// of the best architecture (the next best too while duplicates leave
    /// fewer than 100), ranked by independent Thompson sampling, the top 10
    /// evaluated.
    pub fn bananas() -> Self {
        Self {
            initial: 10,
            batch: 10,
            generator: CandidateGenerator::MutateBest {
                parents: 1,
                candidates: 100,
                max_edits: 1,
            },
            acquisition: Acquisition::ThompsonSampling,
        }
    }

    /// NPENAS (Wei et al. 2022) with its authors' defaults (auroua/NPENASv1,
    /// `nas_lib/algos/predictor.py`, `configs.py`): 10 random
    /// architectures, then per iteration 100 candidates, each one mutation
    /// of the best architecture (the next best too while duplicates leave
    /// fewer than 100), ranked by a sample from the GIN predictor's Gaussian
    /// (NPENAS-BO, `with_uncertainty`) or by the predicted mean
    /// (NPENAS-NP), the top 10 evaluated.
    pub fn npenas(with_uncertainty: bool) -> Self {
        Self {
            initial: 10,
            batch: 10,
            generator: CandidateGenerator::MutateBest {
                parents: 1,
                candidates: 100,
                max_edits: 1,
            },
            acquisition: if with_uncertainty {
                Acquisition::ThompsonSampling
            } else {
                Acquisition::Mean
            },
        }
    }

    /// BONAS (Shi et al. 2020) with its authors' defaults
    /// (`BO_tools/runner.py`): 10 random architectures, then per iteration
    /// a pool of 1,000 random candidates ranked by the upper confidence
    /// bound `E + 0.5 sd` of the Bayesian sigmoid regression
    /// (`optimizer_gcn.get_ucb`; the surrogate predicts those moments), the
    /// top 5 evaluated.
    pub fn bonas() -> Self {
        Self {
            initial: 10,
            batch: 5,
            generator: CandidateGenerator::RandomPool { candidates: 1000 },
            acquisition: Acquisition::UpperConfidenceBound { beta: 0.5 },
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.initial < 1 {
            return Err(ConfigError::new("initial", "at least 1"));
        }
        if self.batch < 1 {
            return Err(ConfigError::new("batch", "at least 1"));
        }
        match self.generator {
            CandidateGenerator::MutateBest {
                parents,
                candidates,
                max_edits,
            } => {
                if parents < 1 {
                    return Err(ConfigError::new("parents", "at least 1"));
                }
                if candidates < parents {
                    return Err(ConfigError::new(
                        "candidates",
                        format!("at least the number of parents ({parents}), got {candidates}"),
                    ));
                }
                if max_edits < 1 {
                    return Err(ConfigError::new("max_edits", "at least 1"));
                }
            }
            CandidateGenerator::RandomPool { candidates } => {
                if candidates < 1 {
                    return Err(ConfigError::new("candidates", "at least 1"));
                }
            }
        }
        if let Acquisition::UpperConfidenceBound { beta } = self.acquisition
            && !(beta >= 0.0 && beta.is_finite())
        {
            return Err(ConfigError::new(
                "beta",
                format!("a finite number >= 0, got {beta}"),
            ));
        }
        Ok(())
    }
}

/// Draws of a new random architecture before a space counts as exhausted.
const MAX_SAMPLE_DRAWS: usize = 10_000;

/// How many times `parents` best architectures candidate generation may
/// mutate before giving up on reaching `candidates` (BANANAS's
/// `patience_factor`).
const PATIENCE_FACTOR: usize = 5;

/// Model-guided search: BANANAS, NPENAS and BONAS share this loop.
///
/// The first `initial` proposals are distinct random architectures. Then,
/// each time the queue of proposals is empty and every result is in, the
/// surrogate is fitted on all (architecture, validation score) pairs so far,
/// candidates are generated ([`CandidateGenerator`]), those already proposed
/// are dropped, and the `batch` best by the [`Acquisition`] are queued. The
/// queue is handed out one `ask` at a time, so a batch can be evaluated in
/// parallel. The surrogate is any [`Predictor`] over architectures (an
/// encoding in front of a model, see `oxinas_predictors::EncodedPredictor`),
/// so encoding and model are chosen by configuration.
///
/// When the surrogate cannot be fitted (too few successful runs) or every
/// candidate was proposed before, the batch falls back to random samples.
/// Failed runs are not used as training targets.
pub struct ModelGuidedSearch<A> {
    name: String,
    config: ModelGuidedConfig,
    surrogate: Box<dyn Predictor<A>>,
    fidelity: Fidelity,
    rng: SeededRng,
    evaluated: Vec<(A, f64)>,
    proposed: HashSet<A>,
    queue: Vec<A>,
    pending: usize,
    asked: usize,
    fit_time: Duration,
    fits: usize,
}

impl<A> std::fmt::Debug for ModelGuidedSearch<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelGuidedSearch")
            .field("name", &self.name)
            .field("config", &self.config)
            .field("surrogate", &self.surrogate.name())
            .field("evaluated", &self.evaluated.len())
            .finish()
    }
}

impl<A: Clone + Eq + Hash + Send + Sync> ModelGuidedSearch<A> {
    /// A search called `name` (for reports) with `config`, fitting `surrogate`,
    /// evaluating at `fidelity`, drawing from `seed`.
    pub fn new(
        name: impl Into<String>,
        config: ModelGuidedConfig,
        surrogate: Box<dyn Predictor<A>>,
        fidelity: Fidelity,
        seed: u64,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            name: name.into(),
            config,
            surrogate,
            fidelity,
            rng: rng_from_seed(seed),
            evaluated: Vec::new(),
            proposed: HashSet::new(),
            queue: Vec::new(),
            pending: 0,
            asked: 0,
            fit_time: Duration::ZERO,
            fits: 0,
        })
    }

    /// Wall time spent fitting and querying the surrogate so far, and the
    /// number of fits (for performance notes; never used in decisions).
    pub fn model_time(&self) -> (Duration, usize) {
        (self.fit_time, self.fits)
    }

    fn sample_new<S: SearchSpace<Arch = A>>(&mut self, space: &S) -> Option<A> {
        (0..MAX_SAMPLE_DRAWS)
            .map(|_| space.sample(&mut self.rng))
            .find(|arch| !self.proposed.contains(arch))
    }

    fn candidates<S: SearchSpace<Arch = A>>(&mut self, space: &S) -> Vec<A> {
        let mut out = Vec::new();
        let mut fresh = HashSet::new();
        let mut keep = |arch: A, out: &mut Vec<A>, proposed: &HashSet<A>| {
            if !proposed.contains(&arch) && fresh.insert(arch.clone()) {
                out.push(arch);
            }
        };
        match self.config.generator {
            CandidateGenerator::MutateBest {
                parents,
                candidates,
                max_edits,
            } => {
                let mut order: Vec<usize> = (0..self.evaluated.len()).collect();
                // Best first; earlier evaluations win ties.
                order.sort_by(|&i, &j| self.evaluated[j].1.total_cmp(&self.evaluated[i].1));
                let per_parent = candidates / parents;
                let pool: Vec<A> = order
                    .iter()
                    .take(parents * PATIENCE_FACTOR)
                    .map(|&i| self.evaluated[i].0.clone())
                    .collect();
                for parent in &pool {
                    if out.len() >= candidates {
                        break;
                    }
                    for _ in 0..per_parent {
                        let edits = self.rng.random_range(1..=max_edits);
                        let mut child = space.mutate(parent, &mut self.rng);
                        for _ in 1..edits {
                            child = space.mutate(&child, &mut self.rng);
                        }
                        keep(child, &mut out, &self.proposed);
                    }
                }
            }
            CandidateGenerator::RandomPool { candidates } => {
                for _ in 0..candidates {
                    let arch = space.sample(&mut self.rng);
                    keep(arch, &mut out, &self.proposed);
                }
            }
        }
        out
    }

    /// Fits the surrogate and queues the next batch; `false` when the model
    /// could not be used (the caller then samples at random).
    fn plan_batch<S: SearchSpace<Arch = A>>(&mut self, space: &S) -> bool {
        let (archs, targets): (Vec<A>, Vec<f64>) = self
            .evaluated
            .iter()
            .filter(|(_, score)| score.is_finite())
            .cloned()
            .unzip();
        let best = targets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let candidates = self.candidates(space);
        if candidates.is_empty() || archs.len() < 2 {
            return false;
        }
        let started = Instant::now();
        let predictions = self
            .surrogate
            .fit(&archs, &targets)
            .and_then(|()| self.surrogate.predict(&candidates));
        self.fit_time += started.elapsed();
        self.fits += 1;
        let Ok(predictions) = predictions else {
            return false;
        };
        let moments: Vec<(f64, f64)> = predictions.iter().map(|p| (p.mean, p.std)).collect();
        let values = self
            .config
            .acquisition
            .values(&moments, best, &mut self.rng);
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        // Highest value first; NaN last; earlier candidates win ties.
        order.sort_by(|&i, &j| {
            let (a, b) = (values[i], values[j]);
            b.partial_cmp(&a)
                .unwrap_or_else(|| a.is_nan().cmp(&b.is_nan()))
        });
        let mut batch: Vec<A> = order
            .into_iter()
            .take(self.config.batch)
            .map(|i| candidates[i].clone())
            .collect();
        batch.reverse();
        self.queue = batch;
        true
    }
}

impl<S> Optimizer<S> for ModelGuidedSearch<S::Arch>
where
    S: SearchSpace,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError> {
        let arch = if self.asked < self.config.initial {
            self.sample_new(space)
        } else if let Some(arch) = self.queue.pop() {
            Some(arch)
        } else if self.pending > 0 {
            return Err(OptimizerError::WaitingForResults {
                optimizer: self.name.clone(),
                pending: self.pending,
            });
        } else if self.plan_batch(space) {
            self.queue.pop()
        } else {
            self.sample_new(space)
        };
        let Some(arch) = arch else {
            return Err(OptimizerError::Exhausted {
                optimizer: self.name.clone(),
            });
        };
        self.proposed.insert(arch.clone());
        self.asked += 1;
        self.pending += 1;
        Ok(Proposal {
            arch,
            fidelity: self.fidelity,
        })
    }

    fn tell(&mut self, _: &S, proposal: &Proposal<S::Arch>, observation: &Observation) {
        self.pending = self.pending.saturating_sub(1);
        self.evaluated
            .push((proposal.arch.clone(), observation.score()));
    }
}
