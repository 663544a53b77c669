use std::collections::VecDeque;

use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{
    ConfigError, Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace,
};
use rand::Rng;

/// Regularized (aging) evolution, Real et al. 2019.
///
/// The first `population` proposals are random samples. After that, each
/// proposal mutates the best of `tournament` members drawn uniformly, with
/// replacement as in the NAS-Bench-201 reference implementation, from the
/// current population; every evaluated child joins the population and the
/// oldest member dies.
#[derive(Clone, Debug)]
pub struct RegularizedEvolution<A> {
    population_size: usize,
    tournament_size: usize,
    fidelity: Fidelity,
    rng: SeededRng,
    asked: usize,
    population: VecDeque<(A, f64)>,
}

/// The population and tournament sizes every aging evolution accepts.
pub(crate) fn check_aging_sizes(population: usize, tournament: usize) -> Result<(), ConfigError> {
    if population < 1 {
        return Err(ConfigError::new("population", "must be at least 1"));
    }
    if !(1..=population).contains(&tournament) {
        return Err(ConfigError::new(
            "tournament",
            format!("must be between 1 and the population size {population}, got {tournament}"),
        ));
    }
    Ok(())
}

impl<A> RegularizedEvolution<A> {
    /// Aging evolution with a population of `population` and tournaments of
    /// `tournament`, evaluating at `fidelity`, drawing from `seed`.
    pub fn new(
        population: usize,
        tournament: usize,
        fidelity: Fidelity,
        seed: u64,
    ) -> Result<Self, ConfigError> {
        check_aging_sizes(population, tournament)?;
        Ok(Self {
            population_size: population,
            tournament_size: tournament,
            fidelity,
            rng: rng_from_seed(seed),
            asked: 0,
            population: VecDeque::with_capacity(population + 1),
        })
    }
}

impl<S: SearchSpace> Optimizer<S> for RegularizedEvolution<S::Arch> {
    fn name(&self) -> &str {
        "REA"
    }

    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError> {
        let arch = if self.asked < self.population_size {
            space.sample(&mut self.rng)
        } else {
            if self.population.is_empty() {
                return Err(OptimizerError::WaitingForResults {
                    optimizer: "REA".to_owned(),
                    pending: self.asked,
                });
            }
            let mut parent = None::<&(S::Arch, f64)>;
            for _ in 0..self.tournament_size {
                let candidate = &self.population[self.rng.random_range(0..self.population.len())];
                // Ties keep the first drawn, as `max` does in the reference code.
                if parent.is_none_or(|p| candidate.1 > p.1) {
                    parent = Some(candidate);
                }
            }
            let parent = &parent.expect("tournament size is at least 1").0;
            space.mutate(parent, &mut self.rng)
        };
        self.asked += 1;
        Ok(Proposal {
            arch,
            fidelity: self.fidelity,
        })
    }

    fn tell(&mut self, _: &S, proposal: &Proposal<S::Arch>, observation: &Observation) {
        self.population
            .push_back((proposal.arch.clone(), observation.score()));
        if self.population.len() > self.population_size {
            self.population.pop_front();
        }
    }
}
