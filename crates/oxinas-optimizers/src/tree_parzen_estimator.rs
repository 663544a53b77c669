//! TPE, the tree-structured Parzen estimator (Bergstra, Bardenet, Bengio &
//! Kégl, NeurIPS 2011), over a space's categorical choices, with the
//! settings and estimator of optuna's `TPESampler` (v4, its defaults).
//!
//! After `n_startup_trials` random architectures, every ask splits the
//! observations so far into the best `min(ceil(gamma n), max_good)` (good)
//! and the rest (bad), fits a categorical Parzen estimator to each
//! ([`CategoricalKernelDensity`]) and proposes the candidate, among
//! `n_ei_candidates` drawn from the good estimator `l`, that maximises
//! `l(x) / g(x)` (equivalently the expected improvement, Bergstra et al.
//! §4.1). As in optuna, each estimator is a mixture of one kernel per
//! observation and a uniform prior of weight `prior_weight`; an observation's
//! kernel gives its option weight `1 + prior_weight / k` and every option
//! `prior_weight / k` (k kernels, the prior included), normalised; the
//! observations weigh 1 each, except that beyond 25 the older ones ramp down
//! linearly from `1 / n` ([`observation_weights`]). The default
//! (`multivariate = false`) is the paper's and optuna v4's independent TPE:
//! each position is proposed on its own, from its marginal estimators;
//! `multivariate = true` draws whole architectures and scores them with the
//! product kernels (optuna's multivariate TPE, after Falkner et al. 2018).
//!
//! Proposals asked and not yet told (a batch, or the other workers of a
//! cluster) join the bad group while they are pending (optuna's constant
//! liar, `constant_liar = true`, its default from optuna 5), so a batch
//! spreads out instead of proposing the same architecture several times; a
//! sequential search has nothing pending and is the same either way. Failed
//! evaluations are left out of both groups, as optuna leaves out failed
//! trials. A combination of choices the space rejects is replaced by a
//! sample of the space.

use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_core::{
    ConfigError, Fidelity, Observation, Optimizer, OptimizerError, Proposal, SearchSpace,
};
use oxinas_encodings::CategoricalChoices;

use crate::categorical_kernel_density::{CategoricalKernelDensity, check_in, parzen_bandwidth};

/// TPE's settings; the defaults are optuna v4's `TPESampler`'s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TpeConfig {
    /// Random architectures before the first model (default 10).
    pub n_startup_trials: usize,
    /// Candidates drawn from the good estimator per proposal (default 24).
    pub n_ei_candidates: usize,
    /// Fraction of the observations in the good group, rounded up (default
    /// 0.1).
    pub gamma: f64,
    /// The most observations in the good group (default 25).
    pub max_good: usize,
    /// Weight of the uniform prior in each estimator, and in each kernel
    /// (default 1).
    pub prior_weight: f64,
    /// Propose whole architectures from the joint estimators instead of
    /// each position from its marginals (default `false`).
    pub multivariate: bool,
    /// Count pending proposals in the bad group (default `true`).
    pub constant_liar: bool,
}

impl Default for TpeConfig {
    fn default() -> Self {
        Self {
            n_startup_trials: 10,
            n_ei_candidates: 24,
            gamma: 0.1,
            max_good: 25,
            prior_weight: 1.0,
            multivariate: false,
            constant_liar: true,
        }
    }
}

impl TpeConfig {
    /// Checks the settings, naming the first bad one.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.n_ei_candidates == 0 {
            return Err(ConfigError::new("n_ei_candidates", "at least 1"));
        }
        check_in("gamma", self.gamma, 0.0..=1.0)?;
        if self.gamma == 0.0 {
            return Err(ConfigError::new(
                "gamma",
                "more than 0, so that the good group is not empty",
            ));
        }
        if self.max_good == 0 {
            return Err(ConfigError::new("max_good", "at least 1"));
        }
        check_in("prior_weight", self.prior_weight, 0.0..)?;
        Ok(())
    }

    /// The size of the good group among `n` observations:
    /// `min(ceil(gamma n), max_good, n)`.
    pub fn good_count(&self, n: usize) -> usize {
        ((self.gamma * n as f64).ceil() as usize)
            .min(self.max_good)
            .min(n)
    }
}

/// optuna's default weights of `n` observations in tell order: 1 each up to
/// 25; beyond, the oldest `n - 25` ramp linearly from `1 / n` to 1 and the
/// newest 25 weigh 1.
pub fn observation_weights(n: usize) -> Vec<f64> {
    const FLAT: usize = 25;
    if n < FLAT {
        return vec![1.0; n];
    }
    let ramp = n - FLAT;
    let start = 1.0 / n as f64;
    let mut weights: Vec<f64> = (0..ramp)
        .map(|i| {
            if ramp == 1 {
                start
            } else if i + 1 == ramp {
                1.0
            } else {
                start + (1.0 - start) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    weights.extend(std::iter::repeat_n(1.0, FLAT));
    weights
}

/// The tree-structured Parzen estimator over a space's categorical choices,
/// at one fidelity (see the module documentation).
#[derive(Debug)]
pub struct TreeParzenEstimator<A> {
    choices: CategoricalChoices<A>,
    options: Vec<usize>,
    fidelity: Fidelity,
    config: TpeConfig,
    rng: SeededRng,
    /// Proposals so far, numbering them in ask order.
    asked: u64,
    /// Asked and not yet told: number and choices.
    pending: Vec<(u64, Vec<usize>)>,
    /// Successful observations in tell order: number, choices and score.
    history: Vec<(u64, Vec<usize>, f64)>,
}

impl<A: Clone> TreeParzenEstimator<A> {
    /// TPE over the space's `choices`, querying at `fidelity`.
    pub fn new(
        choices: CategoricalChoices<A>,
        fidelity: Fidelity,
        config: TpeConfig,
        seed: u64,
    ) -> Result<Self, ConfigError> {
        config.check()?;
        let options = (0..choices.positions())
            .map(|p| choices.options(p))
            .collect();
        Ok(Self {
            choices,
            options,
            fidelity,
            config,
            rng: rng_from_seed(seed),
            asked: 0,
            pending: Vec::new(),
            history: Vec::new(),
        })
    }

    /// The good and bad groups of the observations so far: the best
    /// [`TpeConfig::good_count`] by score (earlier first among equals) and
    /// the rest, with the pending proposals under the constant liar, each in
    /// ask order.
    pub fn split(&self) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let n = self.history.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| self.history[b].2.total_cmp(&self.history[a].2));
        let numbered = |i: usize| (self.history[i].0, self.history[i].1.clone());
        let mut good: Vec<(u64, Vec<usize>)> = order[..self.config.good_count(n)]
            .iter()
            .map(|&i| numbered(i))
            .collect();
        let mut bad: Vec<(u64, Vec<usize>)> =
            order[good.len()..].iter().map(|&i| numbered(i)).collect();
        if self.config.constant_liar {
            bad.extend(self.pending.iter().cloned());
        }
        good.sort_by_key(|(number, _)| *number);
        bad.sort_by_key(|(number, _)| *number);
        let strip = |group: Vec<(u64, Vec<usize>)>| group.into_iter().map(|(_, c)| c).collect();
        (strip(good), strip(bad))
    }

    /// optuna's Parzen estimator of `points` (in tell order).
    pub fn estimator(&self, points: Vec<Vec<usize>>) -> CategoricalKernelDensity {
        let kernels = points.len() + 1;
        let bandwidths = self
            .options
            .iter()
            .map(|&n| parzen_bandwidth(n, kernels, self.config.prior_weight))
            .collect();
        let weights = observation_weights(points.len());
        // With no observation optuna's estimator is the prior alone, whatever
        // its weight.
        let prior = if points.is_empty() {
            1.0
        } else {
            self.config.prior_weight
        };
        // The points are choices of the space and the weights and bandwidths
        // finite and non-negative, so the estimator always builds.
        CategoricalKernelDensity::new(self.options.clone(), points, weights, prior, bandwidths)
            .unwrap_or_else(|_| CategoricalKernelDensity::uniform(self.options.clone()))
    }

    /// The choices TPE proposes from its estimators.
    fn propose(&mut self) -> Vec<usize> {
        let (good, bad) = self.split();
        let l = self.estimator(good);
        let g = self.estimator(bad);
        let score = |value: f64| {
            if value.is_nan() {
                f64::NEG_INFINITY
            } else {
                value
            }
        };
        if self.config.multivariate {
            let mut best: Option<(Vec<usize>, f64)> = None;
            for _ in 0..self.config.n_ei_candidates {
                let x = l.sample(&mut self.rng);
                let a = score(l.log_density(&x) - g.log_density(&x));
                if best.as_ref().is_none_or(|(_, b)| a > *b) {
                    best = Some((x, a));
                }
            }
            best.map(|(x, _)| x).unwrap_or_default()
        } else {
            (0..self.options.len())
                .map(|p| {
                    let mut best: Option<(usize, f64)> = None;
                    for _ in 0..self.config.n_ei_candidates {
                        let k = l.sample_position(p, &mut self.rng);
                        let a = score(l.marginal(p, k).ln() - g.marginal(p, k).ln());
                        if best.is_none_or(|(_, b)| a > b) {
                            best = Some((k, a));
                        }
                    }
                    best.map_or(0, |(k, _)| k)
                })
                .collect()
        }
    }
}

impl<S: SearchSpace> Optimizer<S> for TreeParzenEstimator<S::Arch> {
    fn name(&self) -> &str {
        "TPE"
    }

    fn ask(&mut self, space: &S) -> Result<Proposal<S::Arch>, OptimizerError> {
        let proposed = if self.history.len() < self.config.n_startup_trials {
            None
        } else {
            let choices = self.propose();
            self.choices.from_choices(&choices)
        };
        let arch = proposed.unwrap_or_else(|| space.sample(&mut self.rng));
        self.pending.push((self.asked, self.choices.choices(&arch)));
        self.asked += 1;
        Ok(Proposal {
            arch,
            fidelity: self.fidelity,
        })
    }

    fn tell(&mut self, _: &S, proposal: &Proposal<S::Arch>, observation: &Observation) {
        let choices = self.choices.choices(&proposal.arch);
        // The earliest pending ask of this architecture; a told
        // architecture that was never asked gets a number of its own.
        let number = match self.pending.iter().position(|(_, c)| *c == choices) {
            Some(i) => self.pending.remove(i).0,
            None => {
                self.asked += 1;
                self.asked - 1
            }
        };
        let score = observation.score();
        if score.is_finite() {
            self.history.push((number, choices, score));
        }
    }
}
