//! The evolutionary search of Once-for-All: maximise predicted accuracy over
//! sub-networks whose FLOPs stay within a budget.
//!
//! A population of feasible sub-networks is scored by the predictor; each
//! generation keeps the best `parent_ratio` as parents and fills the rest
//! with mutants of random parents (`mutation_ratio` of the population, each
//! choice resampled with probability `mutate_probability`) and crossovers of
//! two random parents (each choice from either). A child over budget is
//! redrawn; every member is feasible, so the result is.

use rand::Rng;
use serde::{Deserialize, Serialize};

use oxinas_core::ConfigError;
use oxinas_core::seed::{SeededRng, rng_from_seed};
use oxinas_spaces::{OFA_LAYERS, OFA_UNITS, OfaArch};

use crate::ofa_settings::OfaSearchSettings;
use crate::ofa_supernet::smallest_arch;

const KERNELS: [u8; 3] = [3, 5, 7];
const EXPANSIONS: [u8; 3] = [3, 4, 6];
const DEPTHS: [u8; 3] = [2, 3, 4];

/// Draws of a feasible child before falling back to a feasible parent.
const MAX_TRIES: usize = 500;

/// Scores sub-networks (predicted accuracy, higher is better).
pub type PredictFn<'a, E> = dyn FnMut(&[OfaArch]) -> Result<Vec<f64>, E> + 'a;

/// Why the search could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OfaSearchError<E: std::error::Error + 'static> {
    /// No sub-network fits the budget.
    #[error(transparent)]
    Budget(ConfigError),
    /// The predictor failed.
    #[error("accuracy predictor: {0}")]
    Predictor(#[source] E),
}

/// The search's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfaSearchResult {
    /// The best feasible sub-network found.
    pub arch: OfaArch,
    /// Its multiply-accumulates, in millions.
    pub mflops: f64,
    /// Its predicted validation accuracy.
    pub predicted_accuracy: f64,
    /// The best predicted accuracy after each generation.
    pub best_per_generation: Vec<f64>,
}

fn random_arch(rng: &mut SeededRng) -> OfaArch {
    let mut pick = |list: &[u8]| list[rng.random_range(0..list.len())];
    OfaArch {
        ks: (0..OFA_LAYERS).map(|_| pick(&KERNELS)).collect(),
        e: (0..OFA_LAYERS).map(|_| pick(&EXPANSIONS)).collect(),
        d: (0..OFA_UNITS).map(|_| pick(&DEPTHS)).collect(),
        r: None,
    }
}

fn mutate(arch: &OfaArch, probability: f64, rng: &mut SeededRng) -> OfaArch {
    let mut child = arch.clone();
    for l in 0..OFA_LAYERS {
        if rng.random_bool(probability) {
            child.ks[l] = KERNELS[rng.random_range(0..3)];
        }
        if rng.random_bool(probability) {
            child.e[l] = EXPANSIONS[rng.random_range(0..3)];
        }
    }
    for u in 0..OFA_UNITS {
        if rng.random_bool(probability) {
            child.d[u] = DEPTHS[rng.random_range(0..3)];
        }
    }
    child
}

fn crossover(a: &OfaArch, b: &OfaArch, rng: &mut SeededRng) -> OfaArch {
    let mut child = a.clone();
    for l in 0..OFA_LAYERS {
        if rng.random_bool(0.5) {
            child.ks[l] = b.ks[l];
        }
        if rng.random_bool(0.5) {
            child.e[l] = b.e[l];
        }
    }
    for u in 0..OFA_UNITS {
        if rng.random_bool(0.5) {
            child.d[u] = b.d[u];
        }
    }
    child
}

/// The first of up to [`MAX_TRIES`] draws within `budget`, else `fallback`.
fn feasible(
    mut draw: impl FnMut() -> OfaArch,
    mflops: &dyn Fn(&OfaArch) -> f64,
    budget: f64,
    fallback: &OfaArch,
) -> OfaArch {
    (0..MAX_TRIES)
        .map(|_| draw())
        .find(|a| mflops(a) <= budget)
        .unwrap_or_else(|| fallback.clone())
}

/// Searches for the sub-network of highest `predict`ed accuracy among those
/// with `mflops <= settings.max_mflops`, drawing from `seed`; `progress`
/// receives each generation's best predicted accuracy.
///
/// Fails when even the smallest sub-network is over budget, or when
/// `predict` fails or returns the wrong number of scores.
pub fn ofa_evolutionary_search<E: std::error::Error + 'static>(
    settings: &OfaSearchSettings,
    mflops: &dyn Fn(&OfaArch) -> f64,
    predict: &mut PredictFn<'_, E>,
    seed: u64,
    progress: &mut dyn FnMut(usize, f64),
) -> Result<OfaSearchResult, OfaSearchError<E>> {
    let budget = settings.max_mflops;
    let smallest = smallest_arch();
    let floor = mflops(&smallest);
    if floor > budget {
        return Err(OfaSearchError::Budget(ConfigError::new(
            "ofa.search.max_mflops",
            format!("at least {floor:.6} (the smallest sub-network's MFLOPs), found {budget}"),
        )));
    }
    let mut rng = rng_from_seed(seed);
    let size = settings.population;
    let parents = ((settings.parent_ratio * size as f64).round() as usize).clamp(1, size);
    let mutants = ((settings.mutation_ratio * size as f64).round() as usize).min(size - parents);
    let population: Vec<OfaArch> = (0..size)
        .map(|_| feasible(|| random_arch(&mut rng), mflops, budget, &smallest))
        .collect();
    let mut scored = score(population, predict).map_err(OfaSearchError::Predictor)?;
    let mut best_per_generation = Vec::with_capacity(settings.generations);
    for generation in 0..settings.generations {
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored.truncate(parents);
        best_per_generation.push(scored[0].1);
        progress(generation + 1, scored[0].1);
        let parent_archs: Vec<OfaArch> = scored.iter().map(|(a, _)| a.clone()).collect();
        let mut children = Vec::with_capacity(size - parents);
        for _ in 0..mutants {
            let parent = &parent_archs[rng.random_range(0..parents)];
            let p = settings.mutate_probability;
            children.push(feasible(
                || mutate(parent, p, &mut rng),
                mflops,
                budget,
                parent,
            ));
        }
        while children.len() < size - parents {
            let a = &parent_archs[rng.random_range(0..parents)];
            let b = &parent_archs[rng.random_range(0..parents)];
            children.push(feasible(|| crossover(a, b, &mut rng), mflops, budget, a));
        }
        scored.extend(score(children, predict).map_err(OfaSearchError::Predictor)?);
    }
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (arch, predicted_accuracy) = scored.swap_remove(0);
    Ok(OfaSearchResult {
        mflops: mflops(&arch),
        arch,
        predicted_accuracy,
        best_per_generation,
    })
}

/// Pairs each sub-network with its predicted accuracy (a missing score is -inf).
fn score<E>(archs: Vec<OfaArch>, predict: &mut PredictFn<'_, E>) -> Result<Vec<(OfaArch, f64)>, E> {
    let scores = predict(&archs)?;
    Ok(archs
        .into_iter()
        .enumerate()
        .map(|(i, a)| (a, scores.get(i).copied().unwrap_or(f64::NEG_INFINITY)))
        .collect())
}

#[cfg(test)]
mod tests {
    use oxinas_train::ImageShape;

    use super::*;
    use crate::ofa_flops::ofa_mflops;
    use crate::ofa_settings::OfaSettings;
    use crate::ofa_supernet::largest_arch;

    #[derive(Debug, thiserror::Error)]
    #[error("never")]
    enum Never {}

    fn search(budget: f64, seed: u64) -> Result<OfaSearchResult, ConfigError> {
        let settings = OfaSettings::tiny();
        let network = settings.network.clone();
        let image = ImageShape {
            channels: 1,
            height: 8,
            width: 8,
        };
        let mflops = move |a: &OfaArch| ofa_mflops(&network, image, 10, a);
        // A stand-in predictor that prefers bigger networks: the budget binds.
        let mut predict = |archs: &[OfaArch]| -> Result<Vec<f64>, Never> {
            Ok(archs.iter().map(&mflops).collect())
        };
        let search = OfaSearchSettings {
            max_mflops: budget,
            ..settings.search
        };
        ofa_evolutionary_search(&search, &mflops, &mut predict, seed, &mut |_, _| {}).map_err(|e| {
            match e {
                OfaSearchError::Budget(c) => c,
                OfaSearchError::Predictor(n) => match n {},
            }
        })
    }

    #[test]
    fn result_respects_the_budget_and_approaches_it() {
        let settings = OfaSettings::tiny();
        let image = ImageShape {
            channels: 1,
            height: 8,
            width: 8,
        };
        let low = ofa_mflops(&settings.network, image, 10, &smallest_arch());
        let high = ofa_mflops(&settings.network, image, 10, &largest_arch());
        let budget = low + 0.4 * (high - low);
        let result = search(budget, 0).unwrap();
        assert!(result.mflops <= budget, "{} > {budget}", result.mflops);
        // Maximising FLOPs under the budget gets close to it.
        assert!(
            result.mflops > low + 0.3 * (high - low),
            "{}",
            result.mflops
        );
        assert!(result.best_per_generation.windows(2).all(|w| w[1] >= w[0]));
        // Seeded: the same seed gives the same answer.
        assert_eq!(search(budget, 0).unwrap(), result);
    }

    #[test]
    fn a_budget_below_the_smallest_network_names_the_field() {
        let err = search(1e-6, 0).unwrap_err();
        assert_eq!(err.field, "ofa.search.max_mflops");
    }
}
