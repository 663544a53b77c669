use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{
    ConfigError, Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace,
};

use crate::successive_halving::{Bracket, BracketSizing, check_rungs, hyperband_brackets};

/// The finished results of one rung, in arrival order, and which of them
/// have been promoted to the next rung.
#[derive(Clone, Debug)]
struct Rung<A> {
    results: Vec<(A, f64)>,
    promoted: Vec<bool>,
}

impl<A> Default for Rung<A> {
    fn default() -> Self {
        Self {
            results: Vec::new(),
            promoted: Vec::new(),
        }
    }
}

impl<A: Clone> Rung<A> {
    /// Marks and returns the best result among the top `len / eta` that is
    /// not yet promoted (earlier results win ties), if any.
    fn promote(&mut self, eta: usize) -> Option<A> {
        let top = self.results.len() / eta;
        let mut order: Vec<usize> = (0..self.results.len()).collect();
        order.sort_by(|&a, &b| self.results[b].1.total_cmp(&self.results[a].1));
        let chosen = order.into_iter().take(top).find(|&i| !self.promoted[i])?;
        self.promoted[chosen] = true;
        Some(self.results[chosen].0.clone())
    }
}

/// One asynchronous bracket: new architectures enter at `first_rung`.
#[derive(Clone, Debug)]
struct AsyncBracket<A> {
    first_rung: usize,
    rungs: Vec<Rung<A>>,
}

/// Asynchronous successive halving (ASHA, Li et al., MLSys 2020) and
/// asynchronous Hyperband over a benchmark's fidelities.
///
/// The rungs are the benchmark's fidelities, as for [`crate::SuccessiveHalving`].
/// A rung never waits to be complete: whenever a worker asks, the highest
/// rung holding a result among its top `1/eta` (of the results finished so
/// far) that has not been promoted yet promotes it to the next rung;
/// otherwise a new random architecture starts at the bracket's first rung.
/// So a rung with `n` finished results has promoted exactly its best
/// `floor(n / eta)` once it has been asked enough, and an ask is never
/// answered with [`OptimizerError::WaitingForResults`]: every worker of a
/// cluster stays busy. Asynchronous Hyperband loops through the brackets of
/// Hyperband (the same first rungs as [`crate::SuccessiveHalving::hyperband`]),
/// one ask each, every bracket an ASHA of its own.
#[derive(Clone, Debug)]
pub struct AsynchronousSuccessiveHalving<A> {
    name: &'static str,
    rungs: Vec<Fidelity>,
    eta: usize,
    brackets: Vec<AsyncBracket<A>>,
    next_bracket: usize,
    rng: SeededRng,
    /// Asked and not yet told: architecture, rung, bracket.
    running: Vec<(A, usize, usize)>,
}

impl<A: Clone + PartialEq> AsynchronousSuccessiveHalving<A> {
    /// ASHA over `rungs` (ascending fidelities) with reduction factor `eta`:
    /// one bracket, whose new architectures start at the lowest rung.
    pub fn new(rungs: Vec<Fidelity>, eta: usize, seed: u64) -> Result<Self, ConfigError> {
        check_rungs(&rungs, eta)?;
        let first = Bracket {
            first_rung: 0,
            size: 0,
        };
        Ok(Self::with_brackets("ASHA", rungs, eta, &[first], seed))
    }

    /// Asynchronous Hyperband over `rungs` with reduction factor `eta`: ASHA
    /// brackets starting at each of Hyperband's first rungs, asked in turn.
    pub fn hyperband(rungs: Vec<Fidelity>, eta: usize, seed: u64) -> Result<Self, ConfigError> {
        check_rungs(&rungs, eta)?;
        let brackets = hyperband_brackets(rungs.len(), eta, BracketSizing::Hyperband);
        Ok(Self::with_brackets("async HB", rungs, eta, &brackets, seed))
    }

    fn with_brackets(
        name: &'static str,
        rungs: Vec<Fidelity>,
        eta: usize,
        brackets: &[Bracket],
        seed: u64,
    ) -> Self {
        let brackets = brackets
            .iter()
            .map(|b| AsyncBracket {
                first_rung: b.first_rung,
                rungs: (0..rungs.len()).map(|_| Rung::default()).collect(),
            })
            .collect();
        Self {
            name,
            rungs,
            eta,
            brackets,
            next_bracket: 0,
            rng: rng_from_seed(seed),
            running: Vec::new(),
        }
    }

    /// The rung each bracket's new architectures start at, in the order the
    /// brackets are asked.
    pub fn first_rungs(&self) -> Vec<usize> {
        self.brackets.iter().map(|b| b.first_rung).collect()
    }
}

impl<S: SearchSpace> Optimizer<S> for AsynchronousSuccessiveHalving<S::Arch> {
    fn name(&self) -> &str {
        self.name
    }

    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError> {
        let b = self.next_bracket;
        self.next_bracket = (b + 1) % self.brackets.len();
        let eta = self.eta;
        let bracket = &mut self.brackets[b];
        let top = self.rungs.len() - 1;
        let promotion = (bracket.first_rung..top)
            .rev()
            .find_map(|k| bracket.rungs[k].promote(eta).map(|arch| (arch, k + 1)));
        let (arch, rung) =
            promotion.unwrap_or_else(|| (space.sample(&mut self.rng), bracket.first_rung));
        self.running.push((arch.clone(), rung, b));
        Ok(Proposal {
            arch,
            fidelity: self.rungs[rung],
        })
    }

    fn tell(&mut self, _: &S, proposal: &Proposal<S::Arch>, observation: &Observation) {
        // The earliest asked matching job: the same architecture may run at
        // two rungs (or in two brackets) at once.
        let Some(position) = self.running.iter().position(|(arch, rung, _)| {
            self.rungs[*rung] == proposal.fidelity && *arch == proposal.arch
        }) else {
            return;
        };
        let (arch, rung, b) = self.running.remove(position);
        let rung = &mut self.brackets[b].rungs[rung];
        rung.results.push((arch, observation.score()));
        rung.promoted.push(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rung_promotes_its_top_third_only() {
        let mut rung = Rung::default();
        for (arch, score) in [(0u8, 5.0), (1, 9.0)] {
            rung.results.push((arch, score));
            rung.promoted.push(false);
        }
        // Two results, eta 3: nothing may go up yet.
        assert_eq!(rung.promote(3), None);
        rung.results.push((2, 7.0));
        rung.promoted.push(false);
        assert_eq!(rung.promote(3), Some(1));
        assert_eq!(rung.promote(3), None);
    }

    #[test]
    fn hyperband_brackets_start_where_synchronous_ones_do() {
        let rungs = [4, 12, 36, 108].map(Fidelity::epochs).to_vec();
        let hb = AsynchronousSuccessiveHalving::<u8>::hyperband(rungs.clone(), 3, 0).unwrap();
        assert_eq!(hb.first_rungs(), vec![0, 1, 2, 3]);
        let asha = AsynchronousSuccessiveHalving::<u8>::new(rungs, 3, 0).unwrap();
        assert_eq!(asha.first_rungs(), vec![0]);
        let err =
            AsynchronousSuccessiveHalving::<u8>::new(vec![Fidelity::epochs(1)], 1, 0).unwrap_err();
        assert_eq!(err.field, "eta");
    }
}
