//! A kernel density over architectures seen as categorical choices, the
//! model of TPE ([`crate::TreeParzenEstimator`]) and BOHB ([`crate::Bohb`]).
//!
//! Each architecture is one option per position ([`oxinas_encodings::CategoricalChoices`]).
//! The density is a weighted mixture of product kernels, one centred on each
//! observed architecture, optionally with a uniform component (TPE's prior):
//!
//! `p(x) = sum_i w_i prod_p K_p(x_p, c_ip) + w_0 prod_p 1 / n_p`
//!
//! with `n_p` the options of position `p` and `K_p` the Aitchison–Aitken
//! kernel of bandwidth `λ_p`: `1 - λ_p` when the option is the centre's,
//! `λ_p / (n_p - 1)` for each other option. `λ_p` is used up to
//! `(n_p - 1) / n_p`, where the kernel is uniform; beyond it the kernel would
//! favour every option over the centre's.
//!
//! The two methods differ only in how they set the weights and bandwidths:
//! BOHB (Falkner et al., ICML 2018) weighs its observations equally and takes
//! each position's bandwidth from the normal reference rule of thumb
//! ([`normal_reference_bandwidths`], as hpbandster's statsmodels KDE does);
//! TPE (Bergstra et al., NeurIPS 2011, in optuna's form) weighs recent
//! observations more and sets each kernel from the prior weight and the
//! number of kernels ([`parzen_bandwidth`]).

use oxinas_core::ConfigError;
use rand::Rng;

/// The kernel of one categorical choice.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CategoricalKernel {
    /// Aitchison and Aitken's kernel (Falkner et al.'s): the off-centre
    /// weight spread over the choice's other options, the bandwidth at most
    /// `(n - 1) / n`, where the kernel is uniform.
    #[default]
    AitchisonAitken,
    /// The kernel of statsmodels' `KDEMultivariate`, which hpbandster's BOHB
    /// fits: the off-centre weight `λ / (m - 1)` counts `m`, the distinct
    /// options among the centres, instead of the choice's options, and the
    /// bandwidth is not capped. Off-centre options can then weigh more than
    /// the centre's, infinitely much when the centres agree (`m = 1`), and
    /// the centre's weight `1 - λ` turns negative for `λ > 1`, so densities
    /// can be negative, infinite or NaN, as there.
    Statsmodels,
}

/// A weighted mixture of Aitchison–Aitken product kernels over categorical
/// choices, with an optional uniform component.
#[derive(Clone, Debug, PartialEq)]
pub struct CategoricalKernelDensity {
    options: Vec<usize>,
    centers: Vec<Vec<usize>>,
    /// Mixture weights of the centres, normalised together with `prior`.
    weights: Vec<f64>,
    /// Mixture weight of the uniform component.
    prior: f64,
    bandwidths: Vec<f64>,
    kernel: CategoricalKernel,
    /// Per position, the number of options the off-centre weight is spread
    /// over, less one.
    others: Vec<f64>,
}

/// Checks that a setting is a finite number in `range`.
pub(crate) fn check_in(
    field: &str,
    value: f64,
    range: impl std::ops::RangeBounds<f64> + std::fmt::Debug,
) -> Result<(), ConfigError> {
    if value.is_finite() && range.contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::new(
            field,
            format!("a number in {range:?}, got {value}"),
        ))
    }
}

impl CategoricalKernelDensity {
    /// The mixture of kernels centred on `centers` (one option per position,
    /// `options[p]` options at position `p`) with mixture `weights`, a
    /// uniform component of weight `prior_weight` (0 for none) and one
    /// bandwidth per position. The weights are normalised to sum to one;
    /// with no centres and no prior the density is uniform.
    pub fn new(
        options: Vec<usize>,
        centers: Vec<Vec<usize>>,
        weights: Vec<f64>,
        prior_weight: f64,
        bandwidths: Vec<f64>,
    ) -> Result<Self, ConfigError> {
        if options.contains(&0) {
            return Err(ConfigError::new(
                "options",
                "at least one option per position",
            ));
        }
        if let Some(c) = centers
            .iter()
            .find(|c| c.len() != options.len() || c.iter().zip(&options).any(|(&k, &n)| k >= n))
        {
            return Err(ConfigError::new(
                "centers",
                format!("one option per position within {options:?}, got {c:?}"),
            ));
        }
        if weights.len() != centers.len() {
            return Err(ConfigError::new(
                "weights",
                format!("one per centre ({}), got {}", centers.len(), weights.len()),
            ));
        }
        for &w in &weights {
            check_in("weights", w, 0.0..)?;
        }
        check_in("prior_weight", prior_weight, 0.0..)?;
        if bandwidths.len() != options.len() {
            return Err(ConfigError::new(
                "bandwidths",
                format!(
                    "one per position ({}), got {}",
                    options.len(),
                    bandwidths.len()
                ),
            ));
        }
        for &b in &bandwidths {
            check_in("bandwidths", b, 0.0..)?;
        }
        let total = weights.iter().sum::<f64>() + prior_weight;
        let (weights, prior) = if total > 0.0 {
            (
                weights.iter().map(|w| w / total).collect(),
                prior_weight / total,
            )
        } else {
            (vec![0.0; centers.len()], 1.0)
        };
        let others = options.iter().map(|&n| (n - 1) as f64).collect();
        Ok(Self {
            options,
            centers,
            weights,
            prior,
            bandwidths,
            kernel: CategoricalKernel::AitchisonAitken,
            others,
        })
    }

    /// The same density with `kernel` at every position.
    pub fn with_kernel(mut self, kernel: CategoricalKernel) -> Self {
        self.kernel = kernel;
        self.others = (0..self.options.len())
            .map(|p| match kernel {
                CategoricalKernel::AitchisonAitken => (self.options[p] - 1) as f64,
                CategoricalKernel::Statsmodels => {
                    let mut seen: Vec<usize> = self.centers.iter().map(|c| c[p]).collect();
                    seen.sort_unstable();
                    seen.dedup();
                    seen.len().saturating_sub(1) as f64
                }
            })
            .collect();
        self
    }

    /// The kernel at every position.
    pub fn kernel_kind(&self) -> CategoricalKernel {
        self.kernel
    }

    /// The uniform density over `options` (options per position).
    pub fn uniform(options: Vec<usize>) -> Self {
        let bandwidths = vec![0.0; options.len()];
        let others = options
            .iter()
            .map(|&n| n.saturating_sub(1) as f64)
            .collect();
        Self {
            options,
            centers: Vec::new(),
            weights: Vec::new(),
            prior: 1.0,
            bandwidths,
            kernel: CategoricalKernel::AitchisonAitken,
            others,
        }
    }

    /// Options per position.
    pub fn options(&self) -> &[usize] {
        &self.options
    }

    /// The bandwidth of each position, as given.
    pub fn bandwidths(&self) -> &[f64] {
        &self.bandwidths
    }

    /// The number of centres.
    pub fn len(&self) -> usize {
        self.centers.len()
    }

    /// Whether the density has no centres (only the uniform component).
    pub fn is_empty(&self) -> bool {
        self.centers.is_empty()
    }

    /// The kernel bandwidth of position `p`: as given, at most `(n - 1) / n`.
    fn lambda(&self, p: usize) -> f64 {
        let n = self.options[p] as f64;
        self.bandwidths[p].min((n - 1.0) / n)
    }

    /// The kernel at position `p`: how much weight the kernel centred on
    /// `center` gives `option`.
    pub fn kernel(&self, p: usize, option: usize, center: usize) -> f64 {
        if option >= self.options[p] {
            return 0.0;
        }
        let lambda = match self.kernel {
            CategoricalKernel::AitchisonAitken => self.lambda(p),
            CategoricalKernel::Statsmodels => self.bandwidths[p],
        };
        if option == center {
            1.0 - lambda
        } else {
            // statsmodels divides by zero when the centres agree: infinity.
            lambda / self.others[p]
        }
    }

    fn outside(&self, x: &[usize]) -> bool {
        x.len() != self.options.len() || x.iter().zip(&self.options).any(|(&k, &n)| k >= n)
    }

    /// The density at `x` (one option per position; 0 outside the space).
    pub fn density(&self, x: &[usize]) -> f64 {
        match self.kernel {
            CategoricalKernel::AitchisonAitken => self.log_density(x).exp(),
            CategoricalKernel::Statsmodels if self.outside(x) => 0.0,
            // Summed directly, so that negative, infinite and NaN kernel
            // values combine as they do in statsmodels.
            CategoricalKernel::Statsmodels => {
                self.centers
                    .iter()
                    .zip(&self.weights)
                    .map(|(center, &w)| {
                        w * x
                            .iter()
                            .zip(center)
                            .enumerate()
                            .map(|(p, (&k, &c))| self.kernel(p, k, c))
                            .product::<f64>()
                    })
                    .sum::<f64>()
                    + self.prior / self.options.iter().map(|&n| n as f64).product::<f64>()
            }
        }
    }

    /// The logarithm of the density at `x`, summed in log space so that many
    /// positions do not underflow (under the statsmodels kernel the
    /// logarithm of [`Self::density`], NaN where that is negative).
    pub fn log_density(&self, x: &[usize]) -> f64 {
        if self.outside(x) {
            return f64::NEG_INFINITY;
        }
        if self.kernel == CategoricalKernel::Statsmodels {
            return self.density(x).ln();
        }
        let mut terms: Vec<f64> = self
            .centers
            .iter()
            .zip(&self.weights)
            .map(|(center, &w)| {
                w.ln()
                    + x.iter()
                        .zip(center)
                        .enumerate()
                        .map(|(p, (&k, &c))| self.kernel(p, k, c).ln())
                        .sum::<f64>()
            })
            .collect();
        terms.push(self.prior.ln() - self.options.iter().map(|&n| (n as f64).ln()).sum::<f64>());
        log_sum_exp(&terms)
    }

    /// The marginal density of position `p` at `option`.
    pub fn marginal(&self, p: usize, option: usize) -> f64 {
        if p >= self.options.len() || option >= self.options[p] {
            return 0.0;
        }
        self.centers
            .iter()
            .zip(&self.weights)
            .map(|(center, &w)| w * self.kernel(p, option, center[p]))
            .sum::<f64>()
            + self.prior / self.options[p] as f64
    }

    /// A mixture component drawn by weight: a centre's index, or `None` for
    /// the uniform component.
    fn component<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<usize> {
        let u: f64 = rng.random();
        let mut cumulative = 0.0;
        for (i, &w) in self.weights.iter().enumerate() {
            cumulative += w;
            if u < cumulative {
                return Some(i);
            }
        }
        // Rounding can leave the last sliver to the prior even without one;
        // then the last centre with weight takes it.
        if self.prior > 0.0 {
            None
        } else {
            self.weights.iter().rposition(|&w| w > 0.0)
        }
    }

    /// An option of position `p` drawn from the kernel centred on `center`
    /// (uniformly for the uniform component), the Aitchison–Aitken kernel
    /// whichever kernel the density evaluates.
    fn draw_option<R: Rng + ?Sized>(&self, p: usize, center: Option<usize>, rng: &mut R) -> usize {
        let n = self.options[p];
        let Some(c) = center else {
            return rng.random_range(0..n);
        };
        if n == 1 || rng.random::<f64>() >= self.lambda(p) {
            return c;
        }
        // One of the other n - 1 options, uniformly.
        let other = rng.random_range(0..n - 1);
        if other >= c { other + 1 } else { other }
    }

    /// A draw from the density: a component by weight, then each position
    /// from its kernel.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<usize> {
        let component = self.component(rng);
        (0..self.options.len())
            .map(|p| self.draw_option(p, component.map(|i| self.centers[i][p]), rng))
            .collect()
    }

    /// A draw of position `p` alone from its marginal.
    pub fn sample_position<R: Rng + ?Sized>(&self, p: usize, rng: &mut R) -> usize {
        let component = self.component(rng);
        self.draw_option(p, component.map(|i| self.centers[i][p]), rng)
    }

    /// A draw from the widened density BOHB proposes from: a component by
    /// weight, then at each position the centre's option with probability
    /// `1 - min(factor λ_p, 1)`, otherwise an option drawn uniformly (which
    /// may be the centre's again), as hpbandster draws a categorical choice.
    pub fn sample_widened<R: Rng + ?Sized>(&self, factor: f64, rng: &mut R) -> Vec<usize> {
        let component = self.component(rng);
        (0..self.options.len())
            .map(|p| match component {
                Some(i) if rng.random::<f64>() < 1.0 - (factor * self.bandwidths[p]).min(1.0) => {
                    self.centers[i][p]
                }
                _ => rng.random_range(0..self.options[p]),
            })
            .collect()
    }
}

/// `ln(sum(exp(terms)))` without overflow; negative infinity for no terms or
/// only zero ones.
fn log_sum_exp(terms: &[f64]) -> f64 {
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + terms.iter().map(|t| (t - max).exp()).sum::<f64>().ln()
}

/// The normal reference rule of thumb for each position's bandwidth, as
/// statsmodels' `KDEMultivariate(bw = "normal_reference")` computes it for
/// hpbandster: `1.06 σ_p n^(-1 / (4 + d))`, with `σ_p` the population
/// standard deviation of the option indices at position `p` over the `n`
/// points and `d` the number of positions, then raised to at least
/// `min_bandwidth`. `points` must not be empty.
pub fn normal_reference_bandwidths(points: &[Vec<usize>], min_bandwidth: f64) -> Vec<f64> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let d = first.len();
    let n = points.len() as f64;
    let scale = 1.06 * n.powf(-1.0 / (4.0 + d as f64));
    (0..d)
        .map(|p| {
            let mean = points.iter().map(|x| x[p] as f64).sum::<f64>() / n;
            let variance = points
                .iter()
                .map(|x| (x[p] as f64 - mean).powi(2))
                .sum::<f64>()
                / n;
            (scale * variance.sqrt()).max(min_bandwidth)
        })
        .collect()
}

/// The Aitchison–Aitken bandwidth of optuna's categorical Parzen estimator
/// for a position with `options` options in a mixture of `kernels` kernels
/// (the observations and the prior): each observation's kernel gives its
/// option weight `1 + a` and every option `a = prior_weight / kernels`, then
/// normalises, so `λ = (options - 1) a / (1 + options a)`.
pub fn parzen_bandwidth(options: usize, kernels: usize, prior_weight: f64) -> f64 {
    if kernels == 0 || options < 2 {
        return 0.0;
    }
    let a = prior_weight / kernels as f64;
    (options - 1) as f64 * a / (1.0 + options as f64 * a)
}
