use std::collections::VecDeque;

use crate::regularized_evolution::check_aging_sizes;
use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{
    ConfigError, Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace,
};
use rand::Rng;

use crate::pareto::{CostObjective, objectives, pareto_front, pareto_ranks};

/// Multi-objective regularized evolution: aging evolution whose tournaments
/// pick the parent by Pareto rank over (validation error, cost) instead of by
/// validation alone.
///
/// The first `population` proposals are random samples; afterwards each
/// proposal mutates the tournament winner: of `tournament` members drawn
/// uniformly with replacement from the current population, the one with the
/// lowest non-dominated-sorting rank within the population (first drawn on
/// ties). Evaluated children join the population, the oldest member dies. The
/// optimizer keeps every evaluated architecture, and [`Self::front`] returns
/// the Pareto front of all of them. Failed runs and runs without the cost rank
/// last.
#[derive(Clone, Debug)]
pub struct MultiObjectiveEvolution<A> {
    population_size: usize,
    tournament_size: usize,
    cost: CostObjective,
    fidelity: Fidelity,
    rng: SeededRng,
    asked: usize,
    population: VecDeque<(A, [f64; 2])>,
    archive: Vec<(A, [f64; 2])>,
}

/// Objectives of a run that has none: dominated by every real point.
const WORST: [f64; 2] = [f64::INFINITY, f64::INFINITY];

impl<A: Clone> MultiObjectiveEvolution<A> {
    /// Aging evolution over (error, `cost`) with a population of `population`
    /// and tournaments of `tournament`, evaluating at `fidelity`.
    pub fn new(
        population: usize,
        tournament: usize,
        cost: CostObjective,
        fidelity: Fidelity,
        seed: u64,
    ) -> Result<Self, ConfigError> {
        check_aging_sizes(population, tournament)?;
        Ok(Self {
            population_size: population,
            tournament_size: tournament,
            cost,
            fidelity,
            rng: rng_from_seed(seed),
            asked: 0,
            population: VecDeque::with_capacity(population + 1),
            archive: Vec::new(),
        })
    }

    /// The Pareto front of every architecture evaluated so far, as
    /// (architecture, [error, cost]) sorted by error. Runs without both
    /// objectives are left out.
    pub fn front(&self) -> Vec<(A, [f64; 2])> {
        let points: Vec<[f64; 2]> = self.archive.iter().map(|(_, p)| *p).collect();
        pareto_front(&points)
            .into_iter()
            .filter(|&i| points[i] != WORST)
            .map(|i| self.archive[i].clone())
            .collect()
    }
}

impl<S: SearchSpace> Optimizer<S> for MultiObjectiveEvolution<S::Arch> {
    fn name(&self) -> &str {
        "MO-REA"
    }

    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError> {
        let arch = if self.asked < self.population_size {
            space.sample(&mut self.rng)
        } else {
            if self.population.is_empty() {
                return Err(OptimizerError::WaitingForResults {
                    optimizer: "MO-REA".to_owned(),
                    pending: self.asked,
                });
            }
            let points: Vec<[f64; 2]> = self.population.iter().map(|(_, p)| *p).collect();
            let ranks = pareto_ranks(&points);
            let mut winner = None::<usize>;
            for _ in 0..self.tournament_size {
                let drawn = self.rng.random_range(0..self.population.len());
                if winner.is_none_or(|w| ranks[drawn] < ranks[w]) {
                    winner = Some(drawn);
                }
            }
            let parent = &self.population[winner.expect("tournament size is at least 1")].0;
            space.mutate(parent, &mut self.rng)
        };
        self.asked += 1;
        Ok(Proposal {
            arch,
            fidelity: self.fidelity,
        })
    }

    fn tell(&mut self, _: &S, proposal: &Proposal<S::Arch>, observation: &Observation) {
        let point = objectives(observation, self.cost).unwrap_or(WORST);
        self.archive.push((proposal.arch.clone(), point));
        self.population.push_back((proposal.arch.clone(), point));
        if self.population.len() > self.population_size {
            self.population.pop_front();
        }
    }
}
