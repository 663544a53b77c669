use oxinas_core::{ConfigError, Fidelity, Optimizer, SearchSpace};
use oxinas_optimizers::{LocalSearch, RandomSearch, RegularizedEvolution};
use serde::Deserialize;

/// An optimizer as written in an `[[optimizer]]` table, chosen by `kind`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum OptimizerConfig {
    /// Random search.
    RandomSearch {
        /// Row label in reports (default `RS`).
        #[serde(default)]
        label: Option<String>,
    },
    /// Regularized (aging) evolution.
    RegularizedEvolution {
        /// Row label in reports (default `REA`).
        #[serde(default)]
        label: Option<String>,
        /// Population size.
        population: usize,
        /// Tournament size.
        tournament: usize,
    },
    /// Local search with best-improvement moves and random restarts.
    LocalSearch {
        /// Row label in reports (default `LS`).
        #[serde(default)]
        label: Option<String>,
    },
}

impl OptimizerConfig {
    /// The row label: the configured one or the optimizer's short name.
    pub fn label(&self) -> &str {
        match self {
            OptimizerConfig::RandomSearch { label } => label.as_deref().unwrap_or("RS"),
            OptimizerConfig::RegularizedEvolution { label, .. } => {
                label.as_deref().unwrap_or("REA")
            }
            OptimizerConfig::LocalSearch { label } => label.as_deref().unwrap_or("LS"),
        }
    }

    /// Builds the optimizer for one trial.
    pub fn build<S>(
        &self,
        fidelity: Fidelity,
        seed: u64,
    ) -> Result<Box<dyn Optimizer<S>>, ConfigError>
    where
        S: SearchSpace + 'static,
        S::Arch: 'static,
    {
        Ok(match self {
            OptimizerConfig::RandomSearch { .. } => Box::new(RandomSearch::new(fidelity, seed)),
            OptimizerConfig::RegularizedEvolution {
                population,
                tournament,
                ..
            } => Box::new(RegularizedEvolution::new(
                *population,
                *tournament,
                fidelity,
                seed,
            )?),
            OptimizerConfig::LocalSearch { .. } => Box::new(LocalSearch::new(fidelity, seed)),
        })
    }
}
