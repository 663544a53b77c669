//! Performance predictors for neural architecture search.
//!
//! A [`Predictor`] learns from (input, value) pairs and predicts a mean and a
//! standard deviation (the uncertainty BANANAS- and BONAS-style acquisitions
//! need). Hyperparameters are validated when a predictor is built, and every
//! random choice flows from the seed given there.
//!
//! Model-based predictors work on feature vectors (`Vec<f64>`, usually a
//! vector encoding from `oxinas-encodings`; [`EncodedPredictor`] puts one in
//! front of a model so it predicts architectures directly):
//! [`MlpEnsemble`] (BANANAS), [`GaussianProcess`], [`BayesianLinearRegression`],
//! [`RandomForest`], [`GradientBoosting`], [`NgBoost`]; [`Gcn`] (BONAS) and
//! [`Gin`] (NPENAS) work on graph tensors. Learning-curve predictors
//! ([`learning_curve`]) extrapolate partial training curves, and [`Omni`]
//! combines an encoding, learning-curve and zero-cost features. [`predictor_study`] runs the protocol of White et al.
//! (2021): rank correlation on a fixed test set against the training-set size.

mod adam;
mod bayesian_linear_regression;
mod cholesky;
mod column_moments;
mod dense_network;
mod encoded_predictor;
mod error;
mod gaussian_process;
mod gcn;
mod gin;
mod gradient_boosting;
mod graph_encoded_predictor;
pub mod learning_curve;
mod mlp_ensemble;
mod ngboost;
mod omni;
mod predictor;
pub mod predictor_study;
mod random_forest;
pub mod rank_correlation;
mod regression_tree;
mod row_major_gemm;
mod sigmoid_moments;
mod standardizer;
#[cfg(test)]
mod synthetic;

pub use bayesian_linear_regression::{BayesianLinearRegression, BayesianLinearRegressionConfig};
pub use encoded_predictor::EncodedPredictor;
pub use error::PredictorError;
pub use gaussian_process::{GaussianProcess, GaussianProcessConfig, Kernel};
pub use gcn::{Gcn, GcnAggregation, GcnConfig, GcnLoss, GcnReadout};
pub use gin::{Gin, GinActivation, GinConfig, GinHead};
pub use gradient_boosting::{GradientBoosting, GradientBoostingConfig};
pub use graph_encoded_predictor::GraphEncodedPredictor;
pub use mlp_ensemble::{MlpEnsemble, MlpEnsembleConfig, MlpLoss};
pub use ngboost::{NgBoost, NgBoostConfig};
pub use omni::Omni;
pub use predictor::{Prediction, Predictor};
pub use random_forest::{RandomForest, RandomForestConfig};
pub use rank_correlation::Correlations;
pub use standardizer::{ColumnStandardizer, Standardizer};

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
