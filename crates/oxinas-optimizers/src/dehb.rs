//! DEHB (Awad, Mallik & Hutter, IJCAI 2021): differential evolution inside
//! Hyperband brackets, and its two DE operators, rand/1 mutation and binomial
//! crossover, on vectors in the unit hypercube.

use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{
    ConfigError, Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace,
};
use oxinas_encodings::CategoricalChoices;
use rand::Rng;
use rand::seq::index::sample;

use crate::successive_halving::check_rungs;

/// DEHB's settings; the defaults are the paper's (and its reference code's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DehbConfig {
    /// Hyperband's reduction factor (default 3).
    pub eta: usize,
    /// DE's mutation factor F (default 0.5).
    pub mutation_factor: f64,
    /// Binomial crossover probability (default 0.5).
    pub crossover_probability: f64,
}

impl Default for DehbConfig {
    fn default() -> Self {
        Self {
            eta: 3,
            mutation_factor: 0.5,
            crossover_probability: 0.5,
        }
    }
}

/// rand/1 needs three distinct individuals besides the target.
const RAND1_INDIVIDUALS: usize = 3;

/// The rand/1 mutant `r1 + f * (r2 - r3)`.
pub fn rand1_mutation(r1: &[f64], r2: &[f64], r3: &[f64], f: f64) -> Vec<f64> {
    r1.iter()
        .zip(r2.iter().zip(r3))
        .map(|(a, (b, c))| a + f * (b - c))
        .collect()
}

/// Binomial crossover: each entry comes from `mutant` when a uniform draw is
/// below `probability`, otherwise from `target`. When no draw is, one entry
/// drawn uniformly afterwards comes from `mutant`, so the offspring always
/// differs from the target where the mutant does. One draw per entry, in
/// order, then possibly the index.
pub fn binomial_crossover<R: Rng + ?Sized>(
    target: &[f64],
    mutant: &[f64],
    probability: f64,
    rng: &mut R,
) -> Vec<f64> {
    let mut from_mutant: Vec<bool> = target
        .iter()
        .map(|_| rng.random::<f64>() < probability)
        .collect();
    if !from_mutant.iter().any(|&m| m) && !target.is_empty() {
        from_mutant[rng.random_range(0..target.len())] = true;
    }
    target
        .iter()
        .zip(mutant)
        .zip(from_mutant)
        .map(|((&t, &m), take)| if take { m } else { t })
        .collect()
}

/// Replaces every entry outside `[0, 1]` by a uniform draw, in order (the
/// reference code's default `random` boundary fix).
pub fn fix_boundary<R: Rng + ?Sized>(vector: &mut [f64], rng: &mut R) {
    for v in vector.iter_mut().filter(|v| !(0.0..=1.0).contains(*v)) {
        *v = rng.random::<f64>();
    }
}

/// One subpopulation: DEHB keeps one per fidelity.
#[derive(Clone, Debug)]
struct Subpopulation {
    vectors: Vec<Vec<f64>>,
    /// Score of each individual; `None` until it has been evaluated.
    fitness: Vec<Option<f64>>,
    /// The next parent (target), cycling through the subpopulation.
    next_parent: usize,
    /// Individuals of the lower fidelity waiting to be promoted here.
    promotions: Vec<Vec<f64>>,
}

impl Subpopulation {
    /// Indices of the individuals, best first, unevaluated ones last
    /// (earlier individuals first among equals).
    fn ranking(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.vectors.len()).collect();
        order.sort_by(|&a, &b| match (self.fitness[a], self.fitness[b]) {
            (Some(x), Some(y)) => y.total_cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        order
    }
}

/// One Hyperband bracket as DEHB runs it: synchronous successive halving,
/// whose jobs may run while other brackets are asked.
#[derive(Clone, Debug)]
struct DehbBracket {
    /// The global rung index of each of the bracket's rungs.
    rungs: Vec<usize>,
    /// Architectures per rung.
    sizes: Vec<usize>,
    /// Jobs per rung not yet handed out.
    unasked: Vec<usize>,
    /// Jobs per rung whose results are in.
    finished: Vec<usize>,
    /// The rung jobs are handed out from.
    current: usize,
}

impl DehbBracket {
    fn is_waiting(&self, i: usize) -> bool {
        self.finished[i] + self.unasked[i] < self.sizes[i]
    }

    fn is_pending(&self) -> bool {
        self.unasked.iter().any(|&n| n > 0)
    }

    fn is_done(&self) -> bool {
        !self.is_pending() && !(0..self.rungs.len()).any(|i| self.is_waiting(i))
    }

    /// Whether a lower rung handed out all its jobs and still waits for
    /// results: the current rung cannot be promoted into yet.
    fn previous_rung_waits(&self) -> bool {
        (0..self.current).any(|i| self.is_waiting(i) && self.unasked[i] == 0)
    }

    /// The bracket rung of the next job.
    fn next_rung(&self) -> Option<usize> {
        if self.unasked[self.current] > 0 {
            return Some(self.current);
        }
        let next = (self.current + 1) % self.rungs.len();
        (self.unasked[next] > 0).then_some(next)
    }

    fn hand_out(&mut self, i: usize) {
        self.unasked[i] -= 1;
        if self.unasked[self.current] == 0 {
            self.current = (self.current + 1) % self.rungs.len();
        }
    }
}

/// A job handed out and not yet told.
#[derive(Clone, Debug)]
struct Job<A> {
    arch: A,
    vector: Vec<f64>,
    rung: usize,
    parent: usize,
    bracket: usize,
}

/// DEHB: differential evolution in Hyperband's brackets.
///
/// Each architecture is a point of the unit hypercube, one coordinate per
/// categorical choice of the space ([`CategoricalChoices`]); as DEHB does for
/// a categorical hyperparameter with `n` options, option `k` is stored as
/// `k / n` and a coordinate `v` reads as option `min(floor(v n), n - 1)`.
/// DEHB keeps a subpopulation per rung (the benchmark's fidelities), sized
/// for the largest number of architectures any bracket runs at that rung,
/// initialised with samples of the space. Brackets follow DEHB's Hyperband:
/// bracket `i` has `s = s_max - (i mod (s_max + 1))`, starts at rung
/// `s_max - s` with `floor((s_max + 1) / (s + 1)) eta^s` architectures and
/// keeps `1/eta` at each rung. Every job picks its rung's next parent in
/// turn; the candidate is a rand/1 mutant of the best architectures of the
/// bracket's previous rung (its own rung at the bracket's first one; topped
/// up with mutants of all subpopulations when fewer than three), binomially
/// crossed with the parent, out-of-range coordinates redrawn. During the first
/// `s_max + 1` brackets the higher rungs are filled by promoting the best of
/// the lower rung instead, as in vanilla Hyperband. A result replaces its
/// parent when it scores at least as well. A bracket hands out its rungs in
/// order and waits for a rung's results before the next; while every open
/// bracket waits, a new one starts, so DEHB never leaves a worker idle (the
/// reference code's asynchronous mode). A combination of choices the space
/// rejects is replaced by a sample of the space.
#[derive(Debug)]
pub struct Dehb<A> {
    choices: CategoricalChoices<A>,
    rungs: Vec<Fidelity>,
    config: DehbConfig,
    rng: SeededRng,
    population_sizes: Vec<usize>,
    subpopulations: Vec<Subpopulation>,
    brackets: Vec<(usize, DehbBracket)>,
    started: usize,
    jobs: Vec<Job<A>>,
}

impl<A: Clone + PartialEq> Dehb<A> {
    /// DEHB over the space's `choices`, with `rungs` (ascending fidelities)
    /// as its budgets.
    pub fn new(
        choices: CategoricalChoices<A>,
        rungs: Vec<Fidelity>,
        config: DehbConfig,
        seed: u64,
    ) -> Result<Self, ConfigError> {
        check_rungs(&rungs, config.eta)?;
        for (field, value) in [
            ("mutation_factor", config.mutation_factor),
            ("crossover_probability", config.crossover_probability),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ConfigError::new(
                    field,
                    format!("a number from 0 to 1, got {value}"),
                ));
            }
        }
        let iterations = rungs.len();
        let mut population_sizes = vec![0; rungs.len()];
        for i in 0..iterations {
            let bracket = bracket(i, iterations, config.eta);
            for (&rung, &size) in bracket.rungs.iter().zip(&bracket.sizes) {
                population_sizes[rung] = population_sizes[rung].max(size);
            }
        }
        Ok(Self {
            choices,
            rungs,
            config,
            rng: rng_from_seed(seed),
            population_sizes,
            subpopulations: Vec::new(),
            brackets: Vec::new(),
            started: 0,
            jobs: Vec::new(),
        })
    }

    /// The subpopulation size of each rung.
    pub fn population_sizes(&self) -> &[usize] {
        &self.population_sizes
    }

    /// The architectures per rung of DEHB's bracket `i` (counting from 0),
    /// and the rung it starts at.
    pub fn bracket_sizes(&self, i: usize) -> (usize, Vec<usize>) {
        let b = bracket(i, self.rungs.len(), self.config.eta);
        (b.rungs[0], b.sizes)
    }

    /// An architecture's point: option `k` of `n` at `k / n`.
    fn vector_of(&self, arch: &A) -> Vec<f64> {
        self.choices
            .choices(arch)
            .iter()
            .enumerate()
            .map(|(p, &k)| k as f64 / self.choices.options(p) as f64)
            .collect()
    }

    /// The architecture a point reads as, if the space accepts it.
    fn arch_of(&self, vector: &[f64]) -> Option<A> {
        let choices: Vec<usize> = vector
            .iter()
            .enumerate()
            .map(|(p, &v)| {
                let n = self.choices.options(p);
                ((v * n as f64).floor().max(0.0) as usize).min(n - 1)
            })
            .collect();
        self.choices.from_choices(&choices)
    }

    fn random_vector<S: SearchSpace<Arch = A>>(&mut self, space: &S) -> Vec<f64> {
        let arch = space.sample(&mut self.rng);
        self.vector_of(&arch)
    }

    /// A rand/1 mutant of three distinct members of `pool` other than the
    /// target, topped up with samples of the space when fewer are left.
    fn mutant<S: SearchSpace<Arch = A>>(
        &mut self,
        space: &S,
        target: &[f64],
        mut pool: Vec<Vec<f64>>,
    ) -> Vec<f64> {
        if pool.len() > 1
            && let Some(i) = pool.iter().position(|v| v.as_slice() == target)
        {
            pool.remove(i);
        }
        while pool.len() < RAND1_INDIVIDUALS {
            let filler = self.random_vector(space);
            pool.push(filler);
        }
        let picked = sample(&mut self.rng, pool.len(), RAND1_INDIVIDUALS);
        let [a, b, c] = [0, 1, 2].map(|k| picked.index(k));
        rand1_mutation(&pool[a], &pool[b], &pool[c], self.config.mutation_factor)
    }

    /// The next promotion into `rung` from `lower`: the best evaluated
    /// individuals of `lower` not already in `rung`'s subpopulation, `count`
    /// at a time; the best of `lower` again when none is left.
    fn promotion(&mut self, lower: usize, rung: usize, count: usize) -> Vec<f64> {
        let ranking = self.subpopulations[lower].ranking();
        if self.subpopulations[rung].promotions.is_empty() {
            let candidates: Vec<Vec<f64>> = ranking
                .iter()
                .filter(|&&i| self.subpopulations[lower].fitness[i].is_some())
                .map(|&i| self.subpopulations[lower].vectors[i].clone())
                .filter(|v| !self.subpopulations[rung].vectors.contains(v))
                .take(count)
                .collect();
            self.subpopulations[rung].promotions = candidates;
        }
        let high = &mut self.subpopulations[rung];
        if high.promotions.is_empty() {
            self.subpopulations[lower].vectors[ranking[0]].clone()
        } else {
            high.promotions.remove(0)
        }
    }

    /// The bracket to hand out the next job: the first open one whose
    /// previous rungs are complete, else a new one.
    fn next_bracket(&mut self) -> usize {
        self.brackets.retain(|(_, b)| !b.is_done());
        if let Some(k) = self
            .brackets
            .iter()
            .position(|(_, b)| !b.previous_rung_waits() && b.is_pending())
        {
            return k;
        }
        let id = self.started;
        self.started += 1;
        self.brackets
            .push((id, bracket(id, self.rungs.len(), self.config.eta)));
        self.brackets.len() - 1
    }
}

/// DEHB's bracket `i` over `iterations` rungs.
fn bracket(i: usize, iterations: usize, eta: usize) -> DehbBracket {
    let s = iterations - 1 - i % iterations;
    let base = iterations / (s + 1);
    let sizes: Vec<usize> = (0..=s)
        .map(|k| (base * eta.pow((s - k) as u32)).max(1))
        .collect();
    DehbBracket {
        rungs: (iterations - 1 - s..iterations).collect(),
        unasked: sizes.clone(),
        finished: vec![0; sizes.len()],
        sizes,
        current: 0,
    }
}

impl<S: SearchSpace> Optimizer<S> for Dehb<S::Arch> {
    fn name(&self) -> &str {
        "DEHB"
    }

    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError> {
        if self.subpopulations.is_empty() {
            for size in self.population_sizes.clone() {
                let vectors: Vec<Vec<f64>> = (0..size).map(|_| self.random_vector(space)).collect();
                self.subpopulations.push(Subpopulation {
                    fitness: vec![None; size],
                    vectors,
                    next_parent: 0,
                    promotions: Vec::new(),
                });
            }
        }
        let k = self.next_bracket();
        let (id, bracket) = &self.brackets[k];
        let (id, bracket) = (*id, bracket.clone());
        let i = bracket
            .next_rung()
            .expect("a bracket chosen for a job has jobs left");
        let rung = bracket.rungs[i];
        let subpopulation = &mut self.subpopulations[rung];
        let parent = subpopulation.next_parent;
        subpopulation.next_parent = (parent + 1) % subpopulation.vectors.len();
        let target = subpopulation.vectors[parent].clone();
        let lower = bracket.rungs[i.saturating_sub(1)];
        let count = bracket.sizes[i];
        let mut vector = if self.started <= self.rungs.len() && i > 0 {
            self.promotion(lower, rung, count)
        } else {
            let ranking = self.subpopulations[lower].ranking();
            let mut pool: Vec<Vec<f64>> = ranking
                .iter()
                .take(count)
                .map(|&j| self.subpopulations[lower].vectors[j].clone())
                .collect();
            if pool.len() < RAND1_INDIVIDUALS {
                let everyone: Vec<Vec<f64>> = self
                    .subpopulations
                    .iter()
                    .flat_map(|p| p.vectors.iter().cloned())
                    .collect();
                for _ in 0..RAND1_INDIVIDUALS - pool.len() + 1 {
                    let filler = self.mutant(space, &target, everyone.clone());
                    pool.push(filler);
                }
            }
            let mutant = self.mutant(space, &target, pool);
            let mut offspring = binomial_crossover(
                &target,
                &mutant,
                self.config.crossover_probability,
                &mut self.rng,
            );
            fix_boundary(&mut offspring, &mut self.rng);
            offspring
        };
        let arch = match self.arch_of(&vector) {
            Some(arch) => arch,
            None => {
                let arch = space.sample(&mut self.rng);
                vector = self.vector_of(&arch);
                arch
            }
        };
        self.brackets[k].1.hand_out(i);
        self.jobs.push(Job {
            arch: arch.clone(),
            vector,
            rung,
            parent,
            bracket: id,
        });
        Ok(Proposal {
            arch,
            fidelity: self.rungs[rung],
        })
    }

    fn tell(&mut self, _: &S, proposal: &Proposal<S::Arch>, observation: &Observation) {
        let Some(position) = self
            .jobs
            .iter()
            .position(|j| self.rungs[j.rung] == proposal.fidelity && j.arch == proposal.arch)
        else {
            return;
        };
        let job = self.jobs.remove(position);
        if let Some((_, bracket)) = self.brackets.iter_mut().find(|(id, _)| *id == job.bracket)
            && let Some(i) = bracket.rungs.iter().position(|&r| r == job.rung)
        {
            bracket.finished[i] += 1;
        }
        let score = observation.score();
        let subpopulation = &mut self.subpopulations[job.rung];
        if subpopulation.fitness[job.parent].is_none_or(|f| score >= f) {
            subpopulation.vectors[job.parent] = job.vector;
            subpopulation.fitness[job.parent] = Some(score);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_follow_dehb_hyperband() {
        // Four rungs, eta 3: s_max = 3; bracket s starts floor(4 / (s + 1)) 3^s.
        let b = |i| {
            let b = bracket(i, 4, 3);
            (b.rungs, b.sizes)
        };
        assert_eq!(b(0), (vec![0, 1, 2, 3], vec![27, 9, 3, 1]));
        assert_eq!(b(1), (vec![1, 2, 3], vec![9, 3, 1]));
        assert_eq!(b(2), (vec![2, 3], vec![6, 2]));
        assert_eq!(b(3), (vec![3], vec![4]));
        assert_eq!(b(4), b(0));
        // NB201's 12 and 200 epochs: 3 then 1, and 2 at 200 epochs.
        assert_eq!(bracket(0, 2, 3).sizes, vec![3, 1]);
        assert_eq!(bracket(1, 2, 3).sizes, vec![2]);
    }
}
