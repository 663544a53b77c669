use oxinas_core::{ConfigError, Fidelity, Optimizer};
use oxinas_encodings::CategoricalChoices;
use oxinas_optimizers::pareto::CostObjective;
use oxinas_optimizers::{
    Acquisition, AsynchronousSuccessiveHalving, CandidateGenerator, Dehb, DehbConfig, LocalSearch,
    ModelGuidedConfig, ModelGuidedSearch, MultiObjectiveEvolution, RandomSearch,
    RegularizedEvolution, SuccessiveHalving,
};
use oxinas_optimizers::{Reinforce, ReinforceConfig};
use oxinas_predictors::{
    BayesianLinearRegression, BayesianLinearRegressionConfig, EncodedPredictor, Gcn, GcnConfig,
    Gin, GinConfig, GraphEncodedPredictor, MlpEnsemble, MlpEnsembleConfig, Predictor,
};
use serde::Deserialize;

use crate::ModelSpace;

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
    /// Successive halving over the benchmark's fidelities up to the search's.
    SuccessiveHalving {
        /// Row label in reports (default `SH`).
        #[serde(default)]
        label: Option<String>,
        /// Reduction factor (default 3).
        #[serde(default)]
        eta: Option<usize>,
        /// Architectures per bracket (default `eta^(rungs - 1)`).
        #[serde(default)]
        initial: Option<usize>,
        /// The rungs in epochs, ascending (default: every fidelity of the
        /// benchmark up to `search.fidelity`).
        #[serde(default)]
        fidelities: Option<Vec<u32>>,
    },
    /// Hyperband over the benchmark's fidelities up to the search's.
    Hyperband {
        /// Row label in reports (default `HB`).
        #[serde(default)]
        label: Option<String>,
        /// Reduction factor (default 3).
        #[serde(default)]
        eta: Option<usize>,
        /// The rungs in epochs, ascending (default as for successive halving).
        #[serde(default)]
        fidelities: Option<Vec<u32>>,
    },
    /// Asynchronous successive halving (ASHA): promotes as soon as a rung's
    /// finished results allow, never waiting for a full rung.
    Asha {
        /// Row label in reports (default `ASHA`).
        #[serde(default)]
        label: Option<String>,
        /// Reduction factor (default 3).
        #[serde(default)]
        eta: Option<usize>,
        /// The rungs in epochs, ascending (default as for successive halving).
        #[serde(default)]
        fidelities: Option<Vec<u32>>,
    },
    /// Asynchronous Hyperband: ASHA brackets starting at each of
    /// Hyperband's first rungs, asked in turn.
    AsyncHyperband {
        /// Row label in reports (default `async HB`).
        #[serde(default)]
        label: Option<String>,
        /// Reduction factor (default 3).
        #[serde(default)]
        eta: Option<usize>,
        /// The rungs in epochs, ascending (default as for successive halving).
        #[serde(default)]
        fidelities: Option<Vec<u32>>,
    },
    /// DEHB: differential evolution in Hyperband's brackets, over the
    /// space's categorical choices (its `categorical` encoding).
    Dehb {
        /// Row label in reports (default `DEHB`).
        #[serde(default)]
        label: Option<String>,
        /// Reduction factor (default 3).
        #[serde(default)]
        eta: Option<usize>,
        /// The rungs in epochs, ascending (default as for successive halving).
        #[serde(default)]
        fidelities: Option<Vec<u32>>,
        /// DE's mutation factor F (default 0.5).
        #[serde(default)]
        mutation_factor: Option<f64>,
        /// Binomial crossover probability (default 0.5).
        #[serde(default)]
        crossover_probability: Option<f64>,
        /// The space's all-one-hot, invertible encoding whose blocks are the
        /// choices (default `categorical`).
        #[serde(default)]
        encoding: Option<String>,
    },
    /// REINFORCE: a softmax per categorical choice of the space (its
    /// `categorical` encoding), trained by the policy gradient with a
    /// moving-average baseline and Adam, as in NAS-Bench-201.
    Reinforce {
        /// Row label in reports (default `REINFORCE`).
        #[serde(default)]
        label: Option<String>,
        /// Adam's learning rate on the logits (default 0.5).
        #[serde(default)]
        learning_rate: Option<f64>,
        /// Momentum of the reward baseline's moving average (default 0.9).
        #[serde(default)]
        baseline_momentum: Option<f64>,
        /// The space's all-one-hot, invertible encoding whose blocks are the
        /// choices (default `categorical`).
        #[serde(default)]
        encoding: Option<String>,
    },
    /// Aging evolution over (validation error, cost), Pareto-ranked tournaments.
    MultiObjectiveEvolution {
        /// Row label in reports (default `MO-REA`).
        #[serde(default)]
        label: Option<String>,
        /// Population size.
        population: usize,
        /// Tournament size.
        tournament: usize,
        /// `params`, `latency` or `training_seconds`.
        cost: String,
    },
    /// BANANAS: an ensemble of meta neural networks on a path encoding,
    /// candidates mutated from the best, independent Thompson sampling.
    Bananas(ModelGuidedSettings),
    /// NPENAS: predictor-guided evolution with a GIN predictor (NPENAS-BO
    /// with `acquisition = "its"`, the default: a Gaussian output; NPENAS-NP
    /// with `acquisition = "mean"`: a sigmoid output trained by squared
    /// error).
    Npenas(ModelGuidedSettings),
    /// BONAS: the global node's embedding from a 4-layer GCN with batch
    /// norm under a Bayesian sigmoid regression, a random candidate pool,
    /// the upper confidence bound `E + 0.5 sd`.
    Bonas(ModelGuidedSettings),
}

/// Settings shared by the model-based optimizers; every field has its
/// method's published default when left out.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelGuidedSettings {
    /// Row label in reports (default `BANANAS`, `NPENAS`, `BONAS`).
    #[serde(default)]
    pub label: Option<String>,
    /// Random architectures before the first fit (t0; default 10).
    #[serde(default)]
    pub initial: Option<usize>,
    /// Architectures evaluated per fit (k; default 10, BONAS 5).
    #[serde(default)]
    pub batch: Option<usize>,
    /// Candidates per fit (c; BANANAS and NPENAS 100, BONAS 1000).
    #[serde(default)]
    pub candidates: Option<usize>,
    /// Best architectures mutated into candidates (x; default 1).
    #[serde(default)]
    pub parents: Option<usize>,
    /// Largest number of mutations per candidate (default 1).
    #[serde(default)]
    pub max_edits: Option<usize>,
    /// `mutation` (mutate the best) or `random` (a random pool).
    #[serde(default)]
    pub acquisition_optimizer: Option<String>,
    /// `its`, `ucb`, `ei`, `pi` or `mean`.
    #[serde(default)]
    pub acquisition: Option<String>,
    /// Weight of the uncertainty for `ucb` (default 1).
    #[serde(default)]
    pub ucb_beta: Option<f64>,
    /// The space's vector encoding by name, for `mlp_ensemble` and `blr`
    /// (default: the first of `trunc_path`, `path`, `categorical` the space
    /// has).
    #[serde(default)]
    pub encoding: Option<String>,
    /// The space's graph encoding by name, for `gcn`, `gcn_blr` and `gin`
    /// (default `gcn_raw` for `gin`, else `gcn_bonas`).
    #[serde(default)]
    pub graph_encoding: Option<String>,
    /// `mlp_ensemble` (BANANAS), `gin` (NPENAS), `gcn_blr` (BONAS's GCN and
    /// Bayesian sigmoid regression), `gcn` or `blr`.
    #[serde(default)]
    pub predictor: Option<String>,
    /// `gcn_blr`: retrain the GCN on every n-th fit and only the BLR head
    /// in between (default 1: every fit, as BONAS's code does).
    #[serde(default)]
    pub retrain_every: Option<usize>,
    /// Networks in the MLP ensemble (default 5).
    #[serde(default)]
    pub ensemble_size: Option<usize>,
    /// Hidden layers per network (default 10).
    #[serde(default)]
    pub hidden_layers: Option<usize>,
    /// Units per hidden layer (default 20).
    #[serde(default)]
    pub width: Option<usize>,
    /// Training epochs per fit (default 150 for `mlp_ensemble`, 100 for the
    /// GCNs, 1,000 for `gin` under NPENAS-BO and 300 under NPENAS-NP).
    #[serde(default)]
    pub epochs: Option<usize>,
}

/// Which model-based method a [`ModelGuidedSettings`] configures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Bananas,
    Npenas,
    Bonas,
}

impl ModelGuidedSettings {
    fn build<S>(
        &self,
        method: Method,
        space: &S,
        fidelity: Fidelity,
        seed: u64,
    ) -> Result<ModelGuidedSearch<S::Arch>, ConfigError>
    where
        S: ModelSpace,
        S::Arch: 'static,
    {
        let preset = match method {
            Method::Bananas => ModelGuidedConfig::bananas(),
            Method::Npenas => ModelGuidedConfig::npenas(true),
            Method::Bonas => ModelGuidedConfig::bonas(),
        };
        let (preset_parents, preset_candidates, preset_edits) = match preset.generator {
            CandidateGenerator::MutateBest {
                parents,
                candidates,
                max_edits,
            } => (parents, candidates, max_edits),
            CandidateGenerator::RandomPool { candidates } => (2, candidates, 1),
        };
        let default_optimizer = match preset.generator {
            CandidateGenerator::MutateBest { .. } => "mutation",
            CandidateGenerator::RandomPool { .. } => "random",
        };
        let candidates = self.candidates.unwrap_or(preset_candidates);
        let generator = match self
            .acquisition_optimizer
            .as_deref()
            .unwrap_or(default_optimizer)
        {
            "mutation" => CandidateGenerator::MutateBest {
                parents: self.parents.unwrap_or(preset_parents),
                candidates,
                max_edits: self.max_edits.unwrap_or(preset_edits),
            },
            "random" => CandidateGenerator::RandomPool { candidates },
            other => {
                return Err(ConfigError::new(
                    "acquisition_optimizer",
                    format!("`mutation` or `random`, got `{other}`"),
                ));
            }
        };
        let acquisition = match self.acquisition.as_deref() {
            None => preset.acquisition,
            Some("its") => Acquisition::ThompsonSampling,
            Some("ucb") => Acquisition::UpperConfidenceBound {
                beta: self.ucb_beta.unwrap_or(1.0),
            },
            Some("ei") => Acquisition::ExpectedImprovement,
            Some("pi") => Acquisition::ProbabilityOfImprovement,
            Some("mean") => Acquisition::Mean,
            Some(other) => {
                return Err(ConfigError::new(
                    "acquisition",
                    format!("one of its, ucb, ei, pi, mean; got `{other}`"),
                ));
            }
        };
        let config = ModelGuidedConfig {
            initial: self.initial.unwrap_or(preset.initial),
            batch: self.batch.unwrap_or(preset.batch),
            generator,
            acquisition,
        };
        // Without a named encoding, the best the space offers for a
        // feature-vector predictor: the truncated path encoding, the full
        // path encoding, or one-hot ops.
        let encoding = || {
            match self.encoding.as_deref() {
            Some(name) => space.vector_encoding(name),
            None => ["trunc_path", "path", "categorical"]
                .iter()
                .find_map(|name| space.vector_encoding(name).ok())
                .ok_or_else(|| {
                    ConfigError::new(
                        "encoding",
                        format!(
                            "space {} has none of trunc_path, path, categorical; name an `encoding` or use a graph predictor (`gcn`, `gcn_blr`)",
                            space.name()
                        ),
                    )
                }),
        }
        };
        let graph_encoding =
            |default: &str| space.graph_encoding(self.graph_encoding.as_deref().unwrap_or(default));
        let default_predictor = match method {
            Method::Bonas => "gcn_blr",
            Method::Npenas => "gin",
            Method::Bananas => "mlp_ensemble",
        };
        let predictor_error =
            |e: oxinas_predictors::PredictorError| ConfigError::new("predictor", e.to_string());
        let surrogate: Box<dyn Predictor<S::Arch>> =
            match self.predictor.as_deref().unwrap_or(default_predictor) {
                "mlp_ensemble" => {
                    let defaults = MlpEnsembleConfig::default();
                    let mlp = MlpEnsembleConfig {
                        ensemble_size: self.ensemble_size.unwrap_or(defaults.ensemble_size),
                        hidden_layers: self.hidden_layers.unwrap_or(defaults.hidden_layers),
                        width: self.width.unwrap_or(defaults.width),
                        epochs: self.epochs.unwrap_or(defaults.epochs),
                        ..defaults
                    };
                    Box::new(EncodedPredictor::new(
                        encoding()?,
                        MlpEnsemble::new(mlp, seed).map_err(predictor_error)?,
                    ))
                }
                "blr" => Box::new(EncodedPredictor::new(
                    encoding()?,
                    BayesianLinearRegression::new(BayesianLinearRegressionConfig::default())
                        .map_err(predictor_error)?,
                )),
                kind @ ("gcn" | "gcn_blr") => {
                    let defaults = if kind == "gcn_blr" {
                        GcnConfig::bonas()
                    } else {
                        GcnConfig::default()
                    };
                    let gcn = GcnConfig {
                        epochs: self.epochs.unwrap_or(defaults.epochs),
                        blr_head: kind == "gcn_blr",
                        retrain_every: self.retrain_every.unwrap_or(defaults.retrain_every),
                        ..defaults
                    };
                    Box::new(GraphEncodedPredictor::new(
                        graph_encoding("gcn_bonas")?,
                        Gcn::new(gcn, seed).map_err(predictor_error)?,
                    ))
                }
                "gin" => {
                    let defaults = if acquisition == Acquisition::Mean {
                        GinConfig::npenas_np()
                    } else {
                        GinConfig::npenas_bo()
                    };
                    let gin = GinConfig {
                        epochs: self.epochs.unwrap_or(defaults.epochs),
                        ..defaults
                    };
                    Box::new(GraphEncodedPredictor::new(
                        graph_encoding("gcn_raw")?,
                        Gin::new(gin, seed).map_err(predictor_error)?,
                    ))
                }
                other => {
                    return Err(ConfigError::new(
                        "predictor",
                        format!("one of mlp_ensemble, gin, gcn_blr, gcn, blr; got `{other}`"),
                    ));
                }
            };
        let name = match method {
            Method::Bananas => "BANANAS",
            Method::Npenas => "NPENAS",
            Method::Bonas => "BONAS",
        };
        ModelGuidedSearch::new(name, config, surrogate, fidelity, seed)
    }
}

/// The rungs of a multi-fidelity optimizer: the configured epochs, or every
/// fidelity of the benchmark up to the search's.
fn rungs(
    configured: &Option<Vec<u32>>,
    available: &[Fidelity],
    fidelity: Fidelity,
) -> Result<Vec<Fidelity>, ConfigError> {
    match configured {
        Some(epochs) => {
            let rungs: Vec<Fidelity> = epochs.iter().copied().map(Fidelity::epochs).collect();
            if let Some(missing) = rungs.iter().find(|f| !available.contains(f)) {
                let listed: Vec<String> = available
                    .iter()
                    .map(|f| f.get_epochs().to_string())
                    .collect();
                return Err(ConfigError::new(
                    "fidelities",
                    format!(
                        "the benchmark has no data at {missing}; available epochs: {}",
                        listed.join(", ")
                    ),
                ));
            }
            Ok(rungs)
        }
        None => {
            let mut rungs: Vec<Fidelity> = available
                .iter()
                .copied()
                .filter(|f| *f <= fidelity)
                .collect();
            rungs.sort();
            Ok(rungs)
        }
    }
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
            OptimizerConfig::SuccessiveHalving { label, .. } => label.as_deref().unwrap_or("SH"),
            OptimizerConfig::Hyperband { label, .. } => label.as_deref().unwrap_or("HB"),
            OptimizerConfig::Asha { label, .. } => label.as_deref().unwrap_or("ASHA"),
            OptimizerConfig::AsyncHyperband { label, .. } => label.as_deref().unwrap_or("async HB"),
            OptimizerConfig::Dehb { label, .. } => label.as_deref().unwrap_or("DEHB"),
            OptimizerConfig::Reinforce { label, .. } => label.as_deref().unwrap_or("REINFORCE"),
            OptimizerConfig::MultiObjectiveEvolution { label, .. } => {
                label.as_deref().unwrap_or("MO-REA")
            }
            OptimizerConfig::Bananas(s) => s.label.as_deref().unwrap_or("BANANAS"),
            OptimizerConfig::Npenas(s) => s.label.as_deref().unwrap_or("NPENAS"),
            OptimizerConfig::Bonas(s) => s.label.as_deref().unwrap_or("BONAS"),
        }
    }

    /// Builds the optimizer for one trial on `space`, whose benchmark offers
    /// `fidelities`; `fidelity` is the search's. Model-based optimizers need
    /// the space's vector encodings ([`ModelSpace`]); on a space without them
    /// they fail here with an error that says so.
    pub fn build<S>(
        &self,
        space: &S,
        fidelities: &[Fidelity],
        fidelity: Fidelity,
        seed: u64,
    ) -> Result<Box<dyn Optimizer<S>>, ConfigError>
    where
        S: ModelSpace + 'static,
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
            OptimizerConfig::SuccessiveHalving {
                eta,
                initial,
                fidelities: configured,
                ..
            } => Box::new(SuccessiveHalving::new(
                rungs(configured, fidelities, fidelity)?,
                eta.unwrap_or(3),
                *initial,
                seed,
            )?),
            OptimizerConfig::Hyperband {
                eta,
                fidelities: configured,
                ..
            } => Box::new(SuccessiveHalving::hyperband(
                rungs(configured, fidelities, fidelity)?,
                eta.unwrap_or(3),
                seed,
            )?),
            OptimizerConfig::Asha {
                eta,
                fidelities: configured,
                ..
            } => Box::new(AsynchronousSuccessiveHalving::new(
                rungs(configured, fidelities, fidelity)?,
                eta.unwrap_or(3),
                seed,
            )?),
            OptimizerConfig::AsyncHyperband {
                eta,
                fidelities: configured,
                ..
            } => Box::new(AsynchronousSuccessiveHalving::hyperband(
                rungs(configured, fidelities, fidelity)?,
                eta.unwrap_or(3),
                seed,
            )?),
            OptimizerConfig::Dehb {
                eta,
                fidelities: configured,
                mutation_factor,
                crossover_probability,
                encoding,
                ..
            } => {
                let defaults = DehbConfig::default();
                let settings = DehbConfig {
                    eta: eta.unwrap_or(defaults.eta),
                    mutation_factor: mutation_factor.unwrap_or(defaults.mutation_factor),
                    crossover_probability: crossover_probability
                        .unwrap_or(defaults.crossover_probability),
                };
                let encoding =
                    space.vector_encoding(encoding.as_deref().unwrap_or("categorical"))?;
                let choices = CategoricalChoices::new(encoding).map_err(|e| {
                    ConfigError::new(
                        "encoding",
                        format!(
                            "DEHB on space {} needs its categorical choices: {e}",
                            space.name()
                        ),
                    )
                })?;
                Box::new(Dehb::new(
                    choices,
                    rungs(configured, fidelities, fidelity)?,
                    settings,
                    seed,
                )?)
            }
            OptimizerConfig::Reinforce {
                learning_rate,
                baseline_momentum,
                encoding,
                ..
            } => {
                let defaults = ReinforceConfig::default();
                let settings = ReinforceConfig {
                    learning_rate: learning_rate.unwrap_or(defaults.learning_rate),
                    baseline_momentum: baseline_momentum.unwrap_or(defaults.baseline_momentum),
                };
                let encoding =
                    space.vector_encoding(encoding.as_deref().unwrap_or("categorical"))?;
                let choices = CategoricalChoices::new(encoding).map_err(|e| {
                    ConfigError::new(
                        "encoding",
                        format!(
                            "REINFORCE on space {} needs its categorical choices: {e}",
                            space.name()
                        ),
                    )
                })?;
                Box::new(Reinforce::new(choices, fidelity, settings, seed)?)
            }
            OptimizerConfig::MultiObjectiveEvolution {
                population,
                tournament,
                cost,
                ..
            } => {
                let cost = CostObjective::from_name(cost).ok_or_else(|| {
                    ConfigError::new(
                        "cost",
                        format!("`params`, `latency` or `training_seconds`, got `{cost}`"),
                    )
                })?;
                Box::new(MultiObjectiveEvolution::new(
                    *population,
                    *tournament,
                    cost,
                    fidelity,
                    seed,
                )?)
            }
            OptimizerConfig::Bananas(s) => {
                Box::new(s.build(Method::Bananas, space, fidelity, seed)?)
            }
            OptimizerConfig::Npenas(s) => {
                Box::new(s.build(Method::Npenas, space, fidelity, seed)?)
            }
            OptimizerConfig::Bonas(s) => Box::new(s.build(Method::Bonas, space, fidelity, seed)?),
        })
    }
}
