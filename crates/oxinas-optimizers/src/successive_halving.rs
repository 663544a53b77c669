use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{
    ConfigError, Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace,
};

/// One bracket: `size` new architectures start at rung `first_rung`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bracket {
    pub(crate) first_rung: usize,
    pub(crate) size: usize,
}

/// How a bracket's number of architectures is rounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BracketSizing {
    /// Li et al. (2018): `ceil((s_max + 1) / (s + 1) * eta^s)`.
    Hyperband,
    /// hpbandster, BOHB's reference code: `floor((s_max + 1) / (s + 1)) * eta^s`.
    Hpbandster,
}

/// Successive halving (Jamieson & Talwalkar 2016) and Hyperband (Li et al.
/// 2018) over a benchmark's fidelities.
///
/// The rungs are the fidelities the benchmark offers (NB201: 12 and 200
/// epochs; NB101: 4, 12, 36, 108). A bracket evaluates its random
/// architectures at its first rung, promotes the best `1/eta` of them
/// (at least one) to the next rung, and so on up to the last rung; then the
/// next bracket starts. Successive halving repeats one bracket that starts at
/// the lowest rung; Hyperband cycles through the brackets `s = s_max, ..., 0`
/// that start at rung `s_max - s` with `ceil((s_max + 1) / (s + 1) * eta^s)`
/// architectures, trading breadth for fidelity. Brackets repeat until the
/// budget ends, and each query costs what the benchmark charges for its
/// fidelity.
///
/// A rung is promoted only once all its results are in, so within a rung the
/// proposals can be evaluated in parallel (ask several before telling).
#[derive(Clone, Debug)]
pub struct SuccessiveHalving<A> {
    name: &'static str,
    rungs: Vec<Fidelity>,
    schedule: BracketSchedule<A>,
    rng: SeededRng,
}

/// Checks that `rungs` ascend strictly and that `eta` reduces.
pub(crate) fn check_rungs(rungs: &[Fidelity], eta: usize) -> Result<(), ConfigError> {
    if rungs.is_empty() {
        return Err(ConfigError::new("fidelities", "at least one fidelity"));
    }
    if rungs.windows(2).any(|w| w[0] >= w[1]) {
        return Err(ConfigError::new(
            "fidelities",
            format!("strictly ascending epochs, got {rungs:?}"),
        ));
    }
    if eta < 2 {
        return Err(ConfigError::new("eta", format!("at least 2, got {eta}")));
    }
    Ok(())
}

/// Hyperband's brackets over `rungs` rungs: `s = s_max, ..., 0` start at
/// rung `s_max - s` with about `(s_max + 1) / (s + 1) * eta^s`
/// architectures, rounded as `sizing` says.
pub(crate) fn hyperband_brackets(rungs: usize, eta: usize, sizing: BracketSizing) -> Vec<Bracket> {
    let s_max = rungs - 1;
    (0..=s_max)
        .rev()
        .map(|s| {
            let size = match sizing {
                BracketSizing::Hyperband => {
                    let n = ((s_max + 1) as f64 / (s + 1) as f64) * (eta as f64).powi(s as i32);
                    n.ceil() as usize
                }
                BracketSizing::Hpbandster => {
                    ((s_max + 1) / (s + 1)).saturating_mul(eta.saturating_pow(s as u32))
                }
            };
            Bracket {
                first_rung: s_max - s,
                size,
            }
        })
        .collect()
}

/// What a [`BracketSchedule`] hands out next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Job<A> {
    /// Evaluate this architecture, promoted from the rung below.
    Promoted(A),
    /// Evaluate a new architecture, wherever the optimizer takes it from.
    New,
}

/// Synchronous successive halving through a cycle of brackets, the
/// schedule Hyperband and BOHB share: which rung to evaluate next and
/// which architectures go up, whatever proposes the new ones. New
/// architectures are asked for one at a time, when their job is handed out,
/// so a model can learn from every result before proposing the next.
#[derive(Clone, Debug)]
pub(crate) struct BracketSchedule<A> {
    rungs: usize,
    eta: usize,
    brackets: Vec<Bracket>,
    bracket: Option<usize>,
    rung: usize,
    /// New architectures the current bracket has still to start.
    new: usize,
    /// Promoted architectures not handed out yet, the next one last.
    queue: Vec<A>,
    results: Vec<(A, f64)>,
    pending: usize,
}

impl<A> BracketSchedule<A> {
    /// Cycles through `brackets` over `rungs` rungs, keeping the best
    /// `1/eta` (at least one) at each promotion.
    pub(crate) fn new(rungs: usize, eta: usize, brackets: Vec<Bracket>) -> Self {
        Self {
            rungs,
            eta,
            brackets,
            bracket: None,
            rung: 0,
            new: 0,
            queue: Vec::new(),
            results: Vec::new(),
            pending: 0,
        }
    }

    /// The number of new architectures each bracket starts with, in order.
    pub(crate) fn bracket_sizes(&self) -> Vec<usize> {
        self.brackets.iter().map(|b| b.size).collect()
    }

    /// The brackets, in the order they run.
    pub(crate) fn brackets(&self) -> &[Bracket] {
        &self.brackets
    }

    /// The rung of the jobs handed out and not yet told.
    pub(crate) fn rung(&self) -> usize {
        self.rung
    }

    /// The next job and its rung, or `Err(pending)` while the rung waits for
    /// the results of `pending` jobs before it can promote.
    pub(crate) fn next(&mut self) -> Result<(Job<A>, usize), usize> {
        loop {
            if let Some(arch) = self.queue.pop() {
                self.pending += 1;
                return Ok((Job::Promoted(arch), self.rung));
            }
            if self.new > 0 {
                self.new -= 1;
                self.pending += 1;
                return Ok((Job::New, self.rung));
            }
            if self.pending > 0 {
                return Err(self.pending);
            }
            let bracket_done = self.rung + 1 >= self.rungs || self.results.is_empty();
            if self.bracket.is_some() && !bracket_done {
                // Promote the best 1/eta (stable: earlier evaluations win ties).
                let mut results = std::mem::take(&mut self.results);
                results.sort_by(|a, b| b.1.total_cmp(&a.1));
                let keep = (results.len() / self.eta).max(1);
                results.truncate(keep);
                self.queue = results.into_iter().rev().map(|(arch, _)| arch).collect();
                self.rung += 1;
                continue;
            }
            let next = self.bracket.map_or(0, |b| (b + 1) % self.brackets.len());
            let bracket = self.brackets[next];
            self.bracket = Some(next);
            self.rung = bracket.first_rung;
            self.results.clear();
            self.new = bracket.size;
        }
    }

    /// Records the score of a job of the current rung.
    pub(crate) fn tell(&mut self, arch: A, score: f64) {
        self.pending = self.pending.saturating_sub(1);
        self.results.push((arch, score));
    }
}

impl<A: Clone> SuccessiveHalving<A> {
    /// Successive halving over `rungs` (ascending fidelities), starting
    /// `initial` architectures per bracket at the lowest rung and keeping the
    /// best `1/eta` at each promotion. `initial = None` starts
    /// `eta^(rungs - 1)`, so that one architecture reaches the last rung.
    pub fn new(
        rungs: Vec<Fidelity>,
        eta: usize,
        initial: Option<usize>,
        seed: u64,
    ) -> Result<Self, ConfigError> {
        check_rungs(&rungs, eta)?;
        let size = match initial {
            Some(0) => return Err(ConfigError::new("initial", "at least 1")),
            Some(n) => n,
            None => eta.saturating_pow((rungs.len() - 1) as u32),
        };
        Ok(Self::with_brackets(
            "SH",
            rungs,
            eta,
            vec![Bracket {
                first_rung: 0,
                size,
            }],
            seed,
        ))
    }

    /// Hyperband over `rungs` (ascending fidelities) with reduction factor `eta`.
    pub fn hyperband(rungs: Vec<Fidelity>, eta: usize, seed: u64) -> Result<Self, ConfigError> {
        check_rungs(&rungs, eta)?;
        let brackets = hyperband_brackets(rungs.len(), eta, BracketSizing::Hyperband);
        Ok(Self::with_brackets("HB", rungs, eta, brackets, seed))
    }

    fn with_brackets(
        name: &'static str,
        rungs: Vec<Fidelity>,
        eta: usize,
        brackets: Vec<Bracket>,
        seed: u64,
    ) -> Self {
        Self {
            name,
            schedule: BracketSchedule::new(rungs.len(), eta, brackets),
            rungs,
            rng: rng_from_seed(seed),
        }
    }

    /// The number of architectures each bracket starts with, in order.
    pub fn bracket_sizes(&self) -> Vec<usize> {
        self.schedule.bracket_sizes()
    }

    /// The rung each bracket starts at, in order.
    pub fn first_rungs(&self) -> Vec<usize> {
        self.schedule
            .brackets()
            .iter()
            .map(|b| b.first_rung)
            .collect()
    }
}

impl<S: SearchSpace> Optimizer<S> for SuccessiveHalving<S::Arch> {
    fn name(&self) -> &str {
        self.name
    }

    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError> {
        match self.schedule.next() {
            Ok((job, rung)) => {
                let arch = match job {
                    Job::Promoted(arch) => arch,
                    Job::New => space.sample(&mut self.rng),
                };
                Ok(Proposal {
                    arch,
                    fidelity: self.rungs[rung],
                })
            }
            Err(pending) => Err(OptimizerError::WaitingForResults {
                optimizer: self.name.to_owned(),
                pending,
            }),
        }
    }

    fn tell(&mut self, _: &S, proposal: &Proposal<S::Arch>, observation: &Observation) {
        self.schedule
            .tell(proposal.arch.clone(), observation.score());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyperband_brackets_follow_the_paper() {
        // Four rungs, eta 3 (NB101's 4/12/36/108 epochs): s_max = 3,
        // n = ceil(4 / (s + 1) * 3^s) = 27, 12, 6, 4.
        let rungs = [4, 12, 36, 108].map(Fidelity::epochs).to_vec();
        let hb = SuccessiveHalving::<u8>::hyperband(rungs.clone(), 3, 0).unwrap();
        assert_eq!(hb.bracket_sizes(), vec![27, 12, 6, 4]);
        assert_eq!(hb.first_rungs(), vec![0, 1, 2, 3]);
        let sh = SuccessiveHalving::<u8>::new(rungs, 3, None, 0).unwrap();
        assert_eq!(sh.bracket_sizes(), vec![27]);
    }

    #[test]
    fn hpbandster_floors_before_scaling() {
        // hpbandster: n0 = floor((s_max + 1) / (s + 1)) * eta^s; four rungs,
        // eta 3: floor(4/4) 27, floor(4/3) 9, floor(4/2) 3, floor(4/1) 1.
        let sizes: Vec<usize> = hyperband_brackets(4, 3, BracketSizing::Hpbandster)
            .iter()
            .map(|b| b.size)
            .collect();
        assert_eq!(sizes, vec![27, 9, 6, 4]);
    }

    #[test]
    fn bad_settings_are_refused() {
        let rungs = vec![Fidelity::epochs(200), Fidelity::epochs(12)];
        let err = SuccessiveHalving::<u8>::hyperband(rungs, 3, 0).unwrap_err();
        assert_eq!(err.field, "fidelities");
        let err = SuccessiveHalving::<u8>::hyperband(vec![Fidelity::epochs(12)], 1, 0).unwrap_err();
        assert_eq!(err.field, "eta");
    }
}
