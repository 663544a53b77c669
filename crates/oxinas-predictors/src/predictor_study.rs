//! The predictor study of White et al. (2021), "How Powerful are Performance
//! Predictors in Neural Architecture Search?": for each trial, a seeded test
//! set and nested training sets of growing size are drawn from a benchmark's
//! architectures; every predictor is fitted on each training set and scored
//! by rank correlation on the test set, with its fit and query times.
//!
//! The study is benchmark-agnostic: callers hand it one [`StudyArch`] per
//! architecture (encoding, graph, parameter count, partial learning curves,
//! zero-cost features, target) and a list of [`PredictorKind`]s.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Instant;

use rand::seq::SliceRandom;
use serde::Serialize;

use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_encodings::GraphTensors;

use crate::gcn::{Gcn, GcnConfig};
use crate::learning_curve::{
    EarlyStopValue, LearningCurveExtrapolation, LearningCurveExtrapolationConfig,
    LearningCurveInput, SumOfTrainingLosses, SumOfTrainingLossesConfig,
};
use crate::omni::Omni;
use crate::rank_correlation::Correlations;
use crate::{
    BayesianLinearRegression, BayesianLinearRegressionConfig, GaussianProcess,
    GaussianProcessConfig, GradientBoosting, GradientBoostingConfig, Kernel, MlpEnsemble,
    MlpEnsembleConfig, NgBoost, NgBoostConfig, Prediction, Predictor, PredictorError, RandomForest,
    RandomForestConfig,
};

/// What the study knows about one architecture.
#[derive(Clone, Debug, Default)]
pub struct StudyArch {
    /// The vector encoding model-based predictors read.
    pub encoding: Vec<f64>,
    /// The graph encoding GCN predictors read, if the study has one.
    pub graph: Option<GraphTensors>,
    /// Number of parameters (the baseline predictor's score).
    pub params: Option<f64>,
    /// Validation metric at the observed epochs 1..=k (learning-curve predictors).
    pub validation_curve: Vec<f64>,
    /// Training loss at the observed epochs 1..=k (SoTL-E).
    pub training_losses: Vec<f64>,
    /// Zero-cost proxy scores (OMNI).
    pub zero_cost: Vec<f64>,
    /// The value predicted (e.g. final validation accuracy).
    pub target: f64,
}

impl LearningCurveInput for StudyArch {
    fn validation_curve(&self) -> &[f64] {
        &self.validation_curve
    }
    fn training_losses(&self) -> &[f64] {
        &self.training_losses
    }
}

/// A predictor of the study, by its config name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PredictorKind {
    /// The parameter count itself (baseline row).
    Params,
    /// BANANAS MLP ensemble on the encoding.
    MlpEnsemble,
    /// GP, Matérn 5/2 kernel.
    Gp,
    /// GP, RBF kernel.
    GpRbf,
    /// Bayesian linear regression on the encoding.
    Blr,
    /// Random forest.
    Rf,
    /// Gradient-boosted trees.
    Gbdt,
    /// NGBoost.
    Ngboost,
    /// GCN on the graph encoding.
    Gcn,
    /// BONAS's predictor: the global node's GCN embedding under a Bayesian
    /// sigmoid regression (read on a `gcn_bonas` graph encoding).
    GcnBlr,
    /// Learning-curve extrapolation.
    Lce,
    /// Sum of training losses over the last epochs.
    Sotle,
    /// Last observed validation value.
    EarlyStop,
    /// NGBoost on encoding + learning-curve + zero-cost features.
    Omni,
}

impl PredictorKind {
    /// Every kind, in table order.
    pub const ALL: [PredictorKind; 14] = [
        PredictorKind::Params,
        PredictorKind::MlpEnsemble,
        PredictorKind::Gp,
        PredictorKind::GpRbf,
        PredictorKind::Blr,
        PredictorKind::Rf,
        PredictorKind::Gbdt,
        PredictorKind::Ngboost,
        PredictorKind::Gcn,
        PredictorKind::GcnBlr,
        PredictorKind::Lce,
        PredictorKind::Sotle,
        PredictorKind::EarlyStop,
        PredictorKind::Omni,
    ];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            PredictorKind::Params => "params",
            PredictorKind::MlpEnsemble => "mlp_ensemble",
            PredictorKind::Gp => "gp",
            PredictorKind::GpRbf => "gp_rbf",
            PredictorKind::Blr => "blr",
            PredictorKind::Rf => "rf",
            PredictorKind::Gbdt => "gbdt",
            PredictorKind::Ngboost => "ngboost",
            PredictorKind::Gcn => "gcn",
            PredictorKind::GcnBlr => "gcn_blr",
            PredictorKind::Lce => "lce",
            PredictorKind::Sotle => "sotle",
            PredictorKind::EarlyStop => "early_stop",
            PredictorKind::Omni => "omni",
        }
    }
}

impl FromStr for PredictorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        PredictorKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown predictor `{s}`; valid: {}",
                    PredictorKind::ALL.map(PredictorKind::name).join(", ")
                )
            })
    }
}

/// Settings of the learning-curve predictors in a study.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurveSettings {
    /// Epoch whose value LCE extrapolates to.
    pub target_epoch: usize,
    /// SoTL-E's E.
    pub sotl_epochs: usize,
}

impl Default for CurveSettings {
    fn default() -> Self {
        Self {
            target_epoch: 200,
            sotl_epochs: 1,
        }
    }
}

/// A predictor built for one study cell.
pub type StudyPredictor = Box<dyn Predictor<StudyArch>>;

/// Builds `kind` with `seed`.
pub fn build_predictor(
    kind: PredictorKind,
    seed: u64,
    curves: CurveSettings,
) -> Result<StudyPredictor, PredictorError> {
    Ok(match kind {
        PredictorKind::Params => Box::new(ParameterCount),
        PredictorKind::MlpEnsemble => Box::new(OnEncoding(MlpEnsemble::new(
            MlpEnsembleConfig::default(),
            seed,
        )?)),
        PredictorKind::Gp => Box::new(OnEncoding(GaussianProcess::new(
            GaussianProcessConfig::default(),
        )?)),
        PredictorKind::GpRbf => {
            Box::new(OnEncoding(GaussianProcess::new(GaussianProcessConfig {
                kernel: Kernel::Rbf,
                ..GaussianProcessConfig::default()
            })?))
        }
        PredictorKind::Blr => Box::new(OnEncoding(BayesianLinearRegression::new(
            BayesianLinearRegressionConfig::default(),
        )?)),
        PredictorKind::Rf => Box::new(OnEncoding(RandomForest::new(
            RandomForestConfig::default(),
            seed,
        )?)),
        PredictorKind::Gbdt => Box::new(OnEncoding(GradientBoosting::new(
            GradientBoostingConfig::default(),
            seed,
        )?)),
        PredictorKind::Ngboost => {
            Box::new(OnEncoding(NgBoost::new(NgBoostConfig::default(), seed)?))
        }
        PredictorKind::Lce => Box::new(LearningCurveExtrapolation::new(
            LearningCurveExtrapolationConfig {
                target_epoch: curves.target_epoch,
                ..LearningCurveExtrapolationConfig::default()
            },
        )?),
        PredictorKind::Sotle => Box::new(SumOfTrainingLosses::new(SumOfTrainingLossesConfig {
            last_epochs: curves.sotl_epochs,
        })?),
        PredictorKind::EarlyStop => Box::new(EarlyStopValue::default()),
        PredictorKind::Gcn => Box::new(OnGraph(Gcn::new(GcnConfig::default(), seed)?)),
        // The same predictor as the search loop's `gcn_blr`.
        PredictorKind::GcnBlr => Box::new(OnGraph(Gcn::new(GcnConfig::bonas(), seed)?)),
        PredictorKind::Omni => Box::new(Omni::new(
            NgBoostConfig::default(),
            curves.sotl_epochs,
            seed,
        )?),
    })
}

/// A feature-vector predictor applied to [`StudyArch::encoding`].
pub struct OnEncoding<P>(pub P);

impl<P: Predictor<Vec<f64>>> Predictor<StudyArch> for OnEncoding<P> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn fit(&mut self, inputs: &[StudyArch], targets: &[f64]) -> Result<(), PredictorError> {
        let x: Vec<Vec<f64>> = inputs.iter().map(|a| a.encoding.clone()).collect();
        self.0.fit(&x, targets)
    }
    fn predict(&self, inputs: &[StudyArch]) -> Result<Vec<Prediction>, PredictorError> {
        let x: Vec<Vec<f64>> = inputs.iter().map(|a| a.encoding.clone()).collect();
        self.0.predict(&x)
    }
    fn has_uncertainty(&self) -> bool {
        self.0.has_uncertainty()
    }
}

/// A graph predictor applied to [`StudyArch::graph`].
pub struct OnGraph<P>(pub P);

impl<P: Predictor<GraphTensors>> OnGraph<P> {
    fn graphs(&self, inputs: &[StudyArch]) -> Result<Vec<GraphTensors>, PredictorError> {
        inputs
            .iter()
            .enumerate()
            .map(|(row, a)| {
                a.graph.clone().ok_or(PredictorError::MissingInput {
                    predictor: self.0.name(),
                    what: "graph encoding (set `graph_encoding`)",
                    row,
                })
            })
            .collect()
    }
}

impl<P: Predictor<GraphTensors>> Predictor<StudyArch> for OnGraph<P> {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn fit(&mut self, inputs: &[StudyArch], targets: &[f64]) -> Result<(), PredictorError> {
        let g = self.graphs(inputs)?;
        self.0.fit(&g, targets)
    }
    fn predict(&self, inputs: &[StudyArch]) -> Result<Vec<Prediction>, PredictorError> {
        let g = self.graphs(inputs)?;
        self.0.predict(&g)
    }
    fn has_uncertainty(&self) -> bool {
        self.0.has_uncertainty()
    }
}

/// The parameter count as a predictor: the baseline every learned predictor
/// should beat (on NB201 it alone reaches Kendall tau ~0.5).
#[derive(Clone, Copy, Debug, Default)]
pub struct ParameterCount;

impl Predictor<StudyArch> for ParameterCount {
    fn name(&self) -> &'static str {
        "params"
    }
    fn fit(&mut self, _inputs: &[StudyArch], _targets: &[f64]) -> Result<(), PredictorError> {
        Ok(())
    }
    fn predict(&self, inputs: &[StudyArch]) -> Result<Vec<Prediction>, PredictorError> {
        inputs
            .iter()
            .enumerate()
            .map(|(row, a)| {
                a.params
                    .map(Prediction::point)
                    .ok_or(PredictorError::MissingInput {
                        predictor: "params",
                        what: "parameter count",
                        row,
                    })
            })
            .collect()
    }
    fn needs_training(&self) -> bool {
        false
    }
}

/// A monotone map applied to targets before fitting (predictions are mapped
/// back), so that squared-error models are not dominated by a heavy tail.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum TargetTransform {
    /// Targets as they are.
    #[default]
    Identity,
    /// `ln(bound - y)`: for accuracies (bound 100), the log of the error,
    /// which compresses the tail of failed architectures.
    LogGap {
        /// An upper bound of every target.
        bound: f64,
    },
}

impl TargetTransform {
    fn forward(self, y: f64) -> f64 {
        match self {
            TargetTransform::Identity => y,
            TargetTransform::LogGap { bound } => (bound - y).max(1e-9).ln(),
        }
    }

    /// Maps a prediction back (delta method for the standard deviation).
    fn inverse(self, p: Prediction) -> Prediction {
        match self {
            TargetTransform::Identity => p,
            TargetTransform::LogGap { bound } => Prediction {
                mean: bound - p.mean.exp(),
                std: p.mean.exp() * p.std,
            },
        }
    }
}

/// The protocol's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyConfig {
    /// Test-set size (White et al.: 200).
    pub test_size: usize,
    /// Training-set sizes, nested within a trial.
    pub train_sizes: Vec<usize>,
    /// Number of trials (independent test/training draws).
    pub trials: usize,
    /// Master seed.
    pub seed: u64,
    /// Predictors, in table order.
    pub predictors: Vec<PredictorKind>,
    /// Learning-curve settings.
    pub curves: CurveSettings,
    /// Transform of the targets the predictors are fitted on.
    pub target_transform: TargetTransform,
}

/// One predictor on one training set of one trial.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrialResult {
    /// Trial index.
    pub trial: usize,
    /// Training-set size.
    pub train_size: usize,
    /// Predictor name.
    pub predictor: &'static str,
    /// Correlations of predicted means with the test targets.
    #[serde(flatten)]
    pub correlations: Correlations,
    /// Fraction of test targets within one predicted standard deviation
    /// (predictors with uncertainty only).
    pub coverage_1sigma: Option<f64>,
    /// Wall-clock seconds of `fit`.
    pub fit_seconds: f64,
    /// Wall-clock seconds of `predict` on the test set.
    pub query_seconds: f64,
}

/// Mean and standard deviation over trials.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MeanStd {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one value).
    pub std: f64,
}

impl MeanStd {
    /// Of `values` (non-empty).
    pub fn of(values: &[f64]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = if values.len() > 1 {
            values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Self {
            mean,
            std: var.sqrt(),
        }
    }
}

/// One row of the summary: a predictor at a training size, over trials.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SummaryRow {
    /// Predictor name.
    pub predictor: &'static str,
    /// Training-set size.
    pub train_size: usize,
    /// Kendall tau.
    pub kendall_tau: MeanStd,
    /// Spearman.
    pub spearman: MeanStd,
    /// Pearson.
    pub pearson: MeanStd,
    /// 1-sigma coverage, where the predictor has uncertainty.
    pub coverage_1sigma: Option<MeanStd>,
    /// Fit seconds.
    pub fit_seconds: MeanStd,
    /// Query seconds.
    pub query_seconds: MeanStd,
}

/// The study's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StudyResult {
    /// Every (trial, size, predictor) result, in a fixed order.
    pub trials: Vec<TrialResult>,
    /// Aggregates, by predictor (config order) then size.
    pub summary: Vec<SummaryRow>,
}

/// Why the study could not run.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// Not enough architectures for the test set plus the largest training set.
    #[error(
        "the study needs {needed} architectures (test {test} + train {train}), the data has {have}"
    )]
    TooFewArchs {
        /// Needed.
        needed: usize,
        /// Test size.
        test: usize,
        /// Largest training size.
        train: usize,
        /// Available.
        have: usize,
    },
    /// A setting out of range.
    #[error("study setting `{field}`: {message}")]
    Setting {
        /// The setting.
        field: &'static str,
        /// What is expected.
        message: String,
    },
    /// A predictor failed.
    #[error("trial {trial}, {train_size} training archs: {source}")]
    Predictor {
        /// Trial.
        trial: usize,
        /// Training size.
        train_size: usize,
        /// The failure.
        source: PredictorError,
    },
}

/// Runs the study on `archs`. Trials run one after another so that each
/// fit is timed alone (predictors parallelise inside, e.g. over ensemble
/// members); results do not depend on the number of threads, timings do.
pub fn run_study(archs: &[StudyArch], config: &StudyConfig) -> Result<StudyResult, StudyError> {
    let largest = config.train_sizes.iter().copied().max().unwrap_or(0);
    if config.trials == 0
        || config.test_size < 2
        || config.train_sizes.is_empty()
        || config.predictors.is_empty()
    {
        return Err(StudyError::Setting {
            field: "trials/test_size/train_sizes/predictors",
            message:
                "at least one trial, a test set of 2 or more, one training size and one predictor"
                    .into(),
        });
    }
    if config.test_size + largest > archs.len() {
        return Err(StudyError::TooFewArchs {
            needed: config.test_size + largest,
            test: config.test_size,
            train: largest,
            have: archs.len(),
        });
    }
    // Build every predictor once to surface bad settings before the run.
    for &kind in &config.predictors {
        build_predictor(kind, 0, config.curves).map_err(|source| StudyError::Predictor {
            trial: 0,
            train_size: 0,
            source,
        })?;
    }
    let per_trial: Vec<Result<Vec<TrialResult>, StudyError>> = (0..config.trials)
        .map(|trial| run_trial(archs, config, trial))
        .collect();
    let mut trials = Vec::new();
    for r in per_trial {
        trials.extend(r?);
    }
    let summary = summarise(&trials, config);
    Ok(StudyResult { trials, summary })
}

fn run_trial(
    archs: &[StudyArch],
    config: &StudyConfig,
    trial: usize,
) -> Result<Vec<TrialResult>, StudyError> {
    let mut order: Vec<usize> = (0..archs.len()).collect();
    order.shuffle(&mut rng_from_seed(derive_seed(
        config.seed,
        &[trial as u64],
    )));
    let test: Vec<StudyArch> = order[..config.test_size]
        .iter()
        .map(|&i| archs[i].clone())
        .collect();
    let truth: Vec<f64> = test.iter().map(|a| a.target).collect();
    let pool = &order[config.test_size..];
    let mut out = Vec::new();
    for &size in &config.train_sizes {
        let train: Vec<StudyArch> = pool[..size].iter().map(|&i| archs[i].clone()).collect();
        let raw_targets: Vec<f64> = train.iter().map(|a| a.target).collect();
        let transformed: Vec<f64> = raw_targets
            .iter()
            .map(|&y| config.target_transform.forward(y))
            .collect();
        for (p, &kind) in config.predictors.iter().enumerate() {
            let err = |source| StudyError::Predictor {
                trial,
                train_size: size,
                source,
            };
            let seed = derive_seed(config.seed, &[trial as u64, size as u64, p as u64]);
            let mut predictor = build_predictor(kind, seed, config.curves).map_err(err)?;
            // The transform is for learned models; zero-training predictors
            // (baseline, learning curves) score on the original scale.
            let transform = if predictor.needs_training() {
                config.target_transform
            } else {
                TargetTransform::Identity
            };
            let targets = if predictor.needs_training() {
                &transformed
            } else {
                &raw_targets
            };
            let started = Instant::now();
            predictor.fit(&train, targets).map_err(err)?;
            let fit_seconds = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let predictions: Vec<Prediction> = predictor
                .predict(&test)
                .map_err(err)?
                .into_iter()
                .map(|p| transform.inverse(p))
                .collect();
            let query_seconds = started.elapsed().as_secs_f64();
            let means: Vec<f64> = predictions.iter().map(|q| q.mean).collect();
            let coverage_1sigma = predictor.has_uncertainty().then(|| {
                predictions
                    .iter()
                    .zip(&truth)
                    .filter(|(q, t)| (q.mean - **t).abs() <= q.std)
                    .count() as f64
                    / truth.len() as f64
            });
            out.push(TrialResult {
                trial,
                train_size: size,
                predictor: kind.name(),
                correlations: Correlations::of(&means, &truth),
                coverage_1sigma,
                fit_seconds,
                query_seconds,
            });
        }
    }
    Ok(out)
}

fn summarise(trials: &[TrialResult], config: &StudyConfig) -> Vec<SummaryRow> {
    let mut groups: BTreeMap<(usize, usize), Vec<&TrialResult>> = BTreeMap::new();
    for t in trials {
        let p = config
            .predictors
            .iter()
            .position(|k| k.name() == t.predictor)
            .unwrap_or(0);
        groups.entry((p, t.train_size)).or_default().push(t);
    }
    groups
        .into_values()
        .map(|rows| {
            let pick = |f: &dyn Fn(&TrialResult) -> f64| {
                MeanStd::of(&rows.iter().map(|r| f(r)).collect::<Vec<_>>())
            };
            let coverage: Vec<f64> = rows.iter().filter_map(|r| r.coverage_1sigma).collect();
            SummaryRow {
                predictor: rows[0].predictor,
                train_size: rows[0].train_size,
                kendall_tau: pick(&|r| r.correlations.kendall_tau),
                spearman: pick(&|r| r.correlations.spearman),
                pearson: pick(&|r| r.correlations.pearson),
                coverage_1sigma: (!coverage.is_empty()).then(|| MeanStd::of(&coverage)),
                fit_seconds: pick(&|r| r.fit_seconds),
                query_seconds: pick(&|r| r.query_seconds),
            }
        })
        .collect()
}

impl StudyResult {
    /// The summary row of `predictor` at `train_size`.
    pub fn row(&self, predictor: &str, train_size: usize) -> Option<&SummaryRow> {
        self.summary
            .iter()
            .find(|r| r.predictor == predictor && r.train_size == train_size)
    }

    /// Markdown tables: Kendall tau, Spearman, Pearson, 1-sigma coverage and
    /// fit/query times per predictor (rows) and training size (columns), and
    /// the predictors whose tau falls below the parameter-count baseline.
    pub fn markdown(&self, config: &StudyConfig) -> String {
        let mut s = String::new();
        let header = |s: &mut String, title: &str| {
            let _ = writeln!(s, "\n### {title}\n");
            let _ = write!(s, "| predictor |");
            for n in &config.train_sizes {
                let _ = write!(s, " {n} |");
            }
            let _ = writeln!(s);
            let _ = write!(s, "|---|");
            for _ in &config.train_sizes {
                let _ = write!(s, "---|");
            }
            let _ = writeln!(s);
        };
        type Cell = fn(&SummaryRow) -> Option<String>;
        let tables: [(&str, Cell); 6] = [
            ("Kendall tau (mean ± std over trials)", |r| {
                Some(format!(
                    "{:.3} ± {:.3}",
                    r.kendall_tau.mean, r.kendall_tau.std
                ))
            }),
            ("Spearman", |r| {
                Some(format!("{:.3} ± {:.3}", r.spearman.mean, r.spearman.std))
            }),
            ("Pearson", |r| {
                Some(format!("{:.3} ± {:.3}", r.pearson.mean, r.pearson.std))
            }),
            ("Fraction of test archs inside the 1-sigma band", |r| {
                r.coverage_1sigma
                    .map(|c| format!("{:.2} ± {:.2}", c.mean, c.std))
            }),
            ("Fit time (ms, mean)", |r| {
                Some(format!("{:.1}", r.fit_seconds.mean * 1e3))
            }),
            ("Query time for the test set (ms, mean)", |r| {
                Some(format!("{:.2}", r.query_seconds.mean * 1e3))
            }),
        ];
        // Predictors without an uncertainty estimate (their std is 0 by
        // construction) have no calibration row; they are named below it.
        let without_uncertainty: Vec<&str> = config
            .predictors
            .iter()
            .map(|k| k.name())
            .filter(|name| {
                config.train_sizes.iter().all(|&n| {
                    self.row(name, n)
                        .is_none_or(|r| r.coverage_1sigma.is_none())
                })
            })
            .collect();
        for (title, cell) in tables {
            let calibration = title.starts_with("Fraction of test archs");
            header(&mut s, title);
            for kind in &config.predictors {
                if calibration && without_uncertainty.contains(&kind.name()) {
                    continue;
                }
                let _ = write!(s, "| {} |", kind.name());
                for &n in &config.train_sizes {
                    let text = self
                        .row(kind.name(), n)
                        .and_then(cell)
                        .unwrap_or_else(|| "-".into());
                    let _ = write!(s, " {text} |");
                }
                let _ = writeln!(s);
            }
            if calibration && !without_uncertainty.is_empty() {
                let _ = writeln!(
                    s,
                    "\nNo uncertainty estimate (not calibrated): {}.",
                    without_uncertainty.join(", ")
                );
            }
        }
        if config.predictors.contains(&PredictorKind::Params) {
            let mut below = Vec::new();
            for kind in &config.predictors {
                for &n in &config.train_sizes {
                    if let (Some(r), Some(b)) = (self.row(kind.name(), n), self.row("params", n))
                        && *kind != PredictorKind::Params
                        && r.kendall_tau.mean < b.kendall_tau.mean
                    {
                        below.push(format!("{} at {n}", kind.name()));
                    }
                }
            }
            let _ = writeln!(
                s,
                "\n### Below the parameter-count baseline (Kendall tau)\n"
            );
            if below.is_empty() {
                let _ = writeln!(s, "None.");
            } else {
                let _ = writeln!(s, "{}", below.join(", "));
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::binary_problem;

    fn archs() -> Vec<StudyArch> {
        let (x, y) = binary_problem(300, 12, 7);
        x.into_iter()
            .zip(y)
            .map(|(encoding, target)| StudyArch {
                params: Some(encoding.iter().sum()),
                validation_curve: vec![target - 10.0, target - 5.0],
                training_losses: vec![1.0, 100.0 - target],
                encoding,
                target,
                ..StudyArch::default()
            })
            .collect()
    }

    fn config(trials: usize) -> StudyConfig {
        StudyConfig {
            test_size: 100,
            train_sizes: vec![10, 100],
            trials,
            seed: 3,
            predictors: vec![
                PredictorKind::Params,
                PredictorKind::Blr,
                PredictorKind::EarlyStop,
            ],
            curves: CurveSettings::default(),
            target_transform: TargetTransform::Identity,
        }
    }

    #[test]
    fn study_is_seeded_and_learning_helps() {
        let data = archs();
        let a = run_study(&data, &config(3)).unwrap();
        let b = run_study(&data, &config(3)).unwrap();
        let strip = |r: &StudyResult| {
            r.trials
                .iter()
                .map(|t| (t.trial, t.train_size, t.predictor, t.correlations))
                .collect::<Vec<_>>()
        };
        assert_eq!(strip(&a), strip(&b));
        assert_eq!(a.trials.len(), 3 * 2 * 3);
        let blr10 = a.row("blr", 10).unwrap().kendall_tau.mean;
        let blr100 = a.row("blr", 100).unwrap().kendall_tau.mean;
        assert!(blr100 > blr10 && blr100 > 0.8, "{blr10} -> {blr100}");
        // The early-stop value is the target shifted: perfect ranking.
        assert!((a.row("early_stop", 10).unwrap().kendall_tau.mean - 1.0).abs() < 1e-12);
        let md = a.markdown(&config(3));
        assert!(md.contains("| blr |") && md.contains("Kendall tau"));
        // The parameter-count baseline is a row of the correlation tables;
        // the calibration table keeps only predictors with an uncertainty.
        let tau_table = md.split("### Spearman").next().unwrap();
        assert!(tau_table.contains("| params |"));
        let calibration = md
            .split("### Fraction of test archs inside the 1-sigma band")
            .nth(1)
            .unwrap()
            .split("###")
            .next()
            .unwrap();
        assert!(calibration.contains("| blr |") && !calibration.contains("| params |"));
        assert!(
            calibration.contains("No uncertainty estimate (not calibrated): params, early_stop.")
        );
    }

    #[test]
    fn too_few_archs_and_unknown_names_are_errors() {
        let data = archs();
        let mut c = config(1);
        c.train_sizes = vec![250];
        assert!(matches!(
            run_study(&data, &c),
            Err(StudyError::TooFewArchs { needed: 350, .. })
        ));
        assert!(
            "gpp"
                .parse::<PredictorKind>()
                .unwrap_err()
                .contains("mlp_ensemble")
        );
    }
}
