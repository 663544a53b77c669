//! A whole Once-for-All run: progressive shrinking of the supernet, the
//! accuracy predictor fitted on measured sub-networks, the evolutionary
//! search under a FLOPs budget, and the chosen sub-network cut out with its
//! weights.
//!
//! Validation accuracy is all the predictor and the search see; test
//! accuracy is measured for the report only.

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::{AutodiffModule, Module};
use burn::record::{BinFileRecorder, FullPrecisionSettings};
use burn::tensor::ElementConversion;
use burn::tensor::backend::{AutodiffBackend, Backend};
use serde::{Deserialize, Serialize};

use oxinas_core::seed::{SeededRng, derive_seed, rng_from_seed};
use oxinas_core::{ConfigError, SearchSpace};
use oxinas_predictors::PredictorError;
use oxinas_predictors::rank_correlation::kendall_tau;
use oxinas_spaces::{OfaArch, OfaSpace};
use oxinas_train::{DataSplits, ForwardContext, NormMode};

use crate::ofa_accuracy_predictor::OfaAccuracyPredictor;
use crate::ofa_evaluation::OfaEvaluator;
use crate::ofa_flops::ofa_mflops;
use crate::ofa_progressive_shrinking::{OfaEpochReport, OfaPhase, train_phase};
use crate::ofa_search::{OfaSearchError, OfaSearchResult, ofa_evolutionary_search};
use crate::ofa_settings::OfaSettings;
use crate::ofa_subnet::{OfaExtractError, OfaSubnet};
use crate::ofa_supernet::{OfaForward, OfaSupernet, largest_arch, smallest_arch, uniform_arch};

/// Why a Once-for-All run failed.
#[derive(Debug, thiserror::Error)]
pub enum OfaError {
    /// A setting is out of range or does not fit the data.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The accuracy predictor could not be fitted or queried.
    #[error("accuracy predictor: {0}")]
    Predictor(#[from] PredictorError),
    /// The chosen sub-network could not be cut out.
    #[error(transparent)]
    Extract(#[from] OfaExtractError),
    /// Training produced a non-finite loss.
    #[error("training diverged: {0}")]
    Diverged(String),
    /// A checkpoint could not be written.
    #[error("cannot write checkpoint {}: {message}", path.display())]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// A phase of progressive shrinking, once finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfaPhaseReport {
    /// The phase.
    pub phase: OfaPhase,
    /// Its epochs.
    pub epochs: Vec<OfaEpochReport>,
    /// Validation accuracy of the smallest sub-network after the phase.
    pub smallest_validation_accuracy: f64,
    /// Validation accuracy of the largest sub-network after the phase.
    pub largest_validation_accuracy: f64,
    /// Wall-clock seconds of the phase (training and the two evaluations).
    pub wall_seconds: f64,
}

/// One sub-network, measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfaSubnetReport {
    /// What it is ("smallest", "middle", "largest", "searched").
    pub label: String,
    /// The sub-network.
    pub arch: OfaArch,
    /// Multiply-accumulates in millions.
    pub mflops: f64,
    /// Validation accuracy (fraction).
    pub validation_accuracy: f64,
    /// Test accuracy (fraction); reports only.
    pub test_accuracy: f64,
}

/// How well the accuracy predictor ranks sub-networks it was not fitted on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfaPredictorReport {
    /// Sub-networks it was fitted on.
    pub fitted_on: usize,
    /// Sub-networks held out.
    pub held_out: usize,
    /// Kendall's tau between predicted and measured validation accuracy on the held-out ones.
    pub held_out_kendall_tau: f64,
    /// Root mean squared error on the held-out ones.
    pub held_out_rmse: f64,
    /// Mean measured validation accuracy of all sampled sub-networks.
    pub mean_sampled_accuracy: f64,
}

/// Wall-clock seconds of each stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfaWallTimes {
    /// Progressive shrinking (all phases).
    pub training: f64,
    /// Measuring sampled sub-networks and fitting the predictor.
    pub predictor: f64,
    /// The evolutionary search.
    pub search: f64,
    /// The whole run.
    pub total: f64,
}

/// What a Once-for-All run reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OfaReport {
    /// Each phase of progressive shrinking.
    pub phases: Vec<OfaPhaseReport>,
    /// The smallest, a middle (kernel 5, expansion 4, depth 3) and the largest sub-network.
    pub sizes: Vec<OfaSubnetReport>,
    /// The accuracy predictor.
    pub predictor: OfaPredictorReport,
    /// The search.
    pub search: OfaSearchResult,
    /// The searched sub-network, measured.
    pub chosen: OfaSubnetReport,
    /// Largest difference between the extracted network's logits and the
    /// supernet's for the chosen sub-network, on validation images.
    pub extraction_max_abs_diff: f64,
    /// Wall-clock seconds.
    pub wall_seconds: OfaWallTimes,
}

/// Progress of a run, for a progress bar.
#[derive(Clone, Debug, PartialEq)]
pub enum OfaProgress {
    /// An epoch of progressive shrinking finished.
    Epoch(OfaEpochReport),
    /// A phase finished.
    Phase(OfaPhaseReport),
    /// `done` of `total` sampled sub-networks measured for the predictor.
    PredictorSample {
        /// Measured so far.
        done: usize,
        /// To measure.
        total: usize,
    },
    /// A generation of the search finished.
    Generation {
        /// 1-based generation.
        generation: usize,
        /// Generations in all.
        generations: usize,
        /// Best predicted accuracy so far.
        best_predicted: f64,
    },
}

/// Everything a run produces: its report, the trained supernet and the
/// extracted sub-network (both on the inner backend, ready for inference).
#[derive(Debug)]
pub struct OfaOutcome<B: Backend> {
    /// The report.
    pub report: OfaReport,
    /// The supernet after progressive shrinking.
    pub supernet: OfaSupernet<B>,
    /// The searched sub-network, cut out with its weights.
    pub subnet: OfaSubnet<B>,
}

/// Seed streams of a run.
mod stream {
    pub const INIT: u64 = 1;
    pub const TRAIN: u64 = 2;
    pub const CALIBRATION: u64 = 3;
    pub const SAMPLES: u64 = 4;
    pub const PREDICTOR: u64 = 5;
    pub const SEARCH: u64 = 6;
}

fn save_module<B: Backend, M: Module<B>>(
    module: M,
    dir: &Path,
    name: &str,
) -> Result<(), OfaError> {
    let path = dir.join(name);
    module
        .save_file(
            path.clone(),
            &BinFileRecorder::<FullPrecisionSettings>::new(),
        )
        .map_err(|e| OfaError::Checkpoint {
            path,
            message: e.to_string(),
        })
}

fn save_json<T: Serialize>(value: &T, dir: &Path, name: &str) -> Result<(), OfaError> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(value).map_err(|e| OfaError::Checkpoint {
        path: path.clone(),
        message: e.to_string(),
    })?;
    std::fs::write(&path, text).map_err(|e| OfaError::Checkpoint {
        path,
        message: e.to_string(),
    })
}

/// Runs Once-for-All on `splits` with `settings`, everything drawn from `seed`.
///
/// With `checkpoint_dir`, the supernet is saved after every phase
/// (`supernet_<phase>.bin`), the measured (sub-network, accuracy) pairs as
/// `predictor_samples.json`, the search as `search.json` and the extracted
/// sub-network as `subnet.bin` (Burn's binary recorder, full precision).
pub fn run_ofa<B: AutodiffBackend>(
    splits: &DataSplits,
    settings: &OfaSettings,
    seed: u64,
    device: &B::Device,
    checkpoint_dir: Option<&Path>,
    progress: &mut dyn FnMut(&OfaProgress),
) -> Result<OfaOutcome<B::InnerBackend>, OfaError> {
    settings.validate()?;
    if splits.train.len() < 2 || splits.validation.is_empty() {
        return Err(
            ConfigError::new("data", "at least 2 training images and 1 validation image").into(),
        );
    }
    if let Some(dir) = checkpoint_dir {
        std::fs::create_dir_all(dir).map_err(|e| OfaError::Checkpoint {
            path: dir.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    let start = Instant::now();
    let image = splits.train.shape();
    let classes = splits.train.num_classes();
    let mflops = |arch: &OfaArch| ofa_mflops(&settings.network, image, classes, arch);
    let evaluator = OfaEvaluator::new(
        splits,
        settings.calibration_images,
        settings.eval_batch_size,
        derive_seed(seed, &[stream::CALIBRATION]),
    );
    let mut init_rng: SeededRng = rng_from_seed(derive_seed(seed, &[stream::INIT]));
    let mut model = OfaSupernet::<B>::new(
        &settings.network,
        image.channels,
        classes,
        &mut init_rng,
        device,
    )?;

    // Progressive shrinking.
    let train_seed = derive_seed(seed, &[stream::TRAIN]);
    let mut teacher: Option<OfaSupernet<B::InnerBackend>> = None;
    let mut phases = Vec::new();
    for phase in OfaPhase::ALL {
        let phase_start = Instant::now();
        if phase.sorts_channels() {
            model = model.sort_channels_nested(phase.nested_expansions());
        }
        let (trained, epochs, failure) = train_phase(
            model,
            teacher.as_ref(),
            phase,
            splits,
            settings,
            train_seed,
            device,
            &mut |e| progress(&OfaProgress::Epoch(e.clone())),
        );
        model = trained;
        if let Some(why) = failure {
            return Err(OfaError::Diverged(why));
        }
        let inner = model.valid();
        if phase == OfaPhase::Full {
            teacher = Some(inner.clone());
        }
        let report = OfaPhaseReport {
            phase,
            epochs,
            smallest_validation_accuracy: evaluator.accuracy(
                &inner,
                &smallest_arch(),
                &splits.validation,
                device,
            ),
            largest_validation_accuracy: evaluator.accuracy(
                &inner,
                &largest_arch(),
                &splits.validation,
                device,
            ),
            wall_seconds: phase_start.elapsed().as_secs_f64(),
        };
        progress(&OfaProgress::Phase(report.clone()));
        phases.push(report);
        if let Some(dir) = checkpoint_dir {
            save_module(model.clone(), dir, &format!("supernet_{}", phase.name()))?;
        }
    }
    let training_seconds = start.elapsed().as_secs_f64();
    let supernet = model.valid();
    let measure = |label: &str, arch: &OfaArch| -> OfaSubnetReport {
        let stats = evaluator.calibrate(&supernet, arch, device);
        OfaSubnetReport {
            label: label.to_owned(),
            arch: arch.clone(),
            mflops: mflops(arch),
            validation_accuracy: evaluator.accuracy_with(
                &supernet,
                arch,
                &stats,
                &splits.validation,
                device,
            ),
            test_accuracy: evaluator.accuracy_with(&supernet, arch, &stats, &splits.test, device),
        }
    };
    let sizes = vec![
        measure("smallest", &smallest_arch()),
        measure("middle", &uniform_arch(5, 4, 3)),
        measure("largest", &largest_arch()),
    ];

    // The accuracy predictor, on sub-networks sampled uniformly.
    let predictor_start = Instant::now();
    let space = OfaSpace::new();
    let mut sample_rng = rng_from_seed(derive_seed(seed, &[stream::SAMPLES]));
    let total = settings.predictor.samples;
    let mut archs = Vec::with_capacity(total);
    let mut accuracies = Vec::with_capacity(total);
    for done in 1..=total {
        let arch = space.sample(&mut sample_rng);
        accuracies.push(evaluator.accuracy(&supernet, &arch, &splits.validation, device));
        archs.push(arch);
        progress(&OfaProgress::PredictorSample { done, total });
    }
    if let Some(dir) = checkpoint_dir {
        let pairs: Vec<(&OfaArch, f64)> = archs.iter().zip(accuracies.iter().copied()).collect();
        save_json(&pairs, dir, "predictor_samples.json")?;
    }
    let held_out = (total / 5).max(1).min(total - 1);
    let fitted_on = total - held_out;
    let predictor = OfaAccuracyPredictor::fit(
        &settings.predictor,
        &archs[..fitted_on],
        &accuracies[..fitted_on],
        derive_seed(seed, &[stream::PREDICTOR]),
    )?;
    let predicted = predictor.predict(&archs[fitted_on..])?;
    let measured = &accuracies[fitted_on..];
    let rmse = (predicted
        .iter()
        .zip(measured)
        .map(|(p, m)| (p - m).powi(2))
        .sum::<f64>()
        / held_out as f64)
        .sqrt();
    let predictor_report = OfaPredictorReport {
        fitted_on,
        held_out,
        // Constant lists have no rank order: 0.
        held_out_kendall_tau: kendall_tau(&predicted, measured).unwrap_or(0.0),
        held_out_rmse: rmse,
        mean_sampled_accuracy: accuracies.iter().sum::<f64>() / total as f64,
    };
    let predictor_seconds = predictor_start.elapsed().as_secs_f64();

    // The search.
    let search_start = Instant::now();
    let generations = settings.search.generations;
    let search = ofa_evolutionary_search(
        &settings.search,
        &mflops,
        &mut |archs: &[OfaArch]| predictor.predict(archs),
        derive_seed(seed, &[stream::SEARCH]),
        &mut |generation, best_predicted| {
            progress(&OfaProgress::Generation {
                generation,
                generations,
                best_predicted,
            });
        },
    )
    .map_err(|e| match e {
        OfaSearchError::Budget(c) => OfaError::Config(c),
        OfaSearchError::Predictor(p) => OfaError::Predictor(p),
    })?;
    let search_seconds = search_start.elapsed().as_secs_f64();
    let chosen = measure("searched", &search.arch);

    // Extraction, checked against the supernet on validation images.
    let stats = evaluator.calibrate(&supernet, &search.arch, device);
    let subnet = supernet.extract(&search.arch, &stats)?;
    let count = splits.validation.len().min(settings.eval_batch_size);
    let indices: Vec<usize> = (0..count).collect();
    let mut unused = rng_from_seed(0);
    let (images, _) = evaluator.batcher().batch::<B::InnerBackend>(
        &splits.validation,
        &indices,
        &mut unused,
        device,
    );
    let from_supernet = supernet.forward(images.clone(), &search.arch, &OfaForward::fixed(&stats));
    let from_subnet = subnet.forward(images, &ForwardContext::new(NormMode::Apply));
    let extraction_max_abs_diff: f64 = (from_supernet - from_subnet)
        .abs()
        .max()
        .into_scalar()
        .elem();
    if let Some(dir) = checkpoint_dir {
        save_json(&search, dir, "search.json")?;
        save_module(subnet.clone(), dir, "subnet")?;
    }
    let report = OfaReport {
        phases,
        sizes,
        predictor: predictor_report,
        search,
        chosen,
        extraction_max_abs_diff,
        wall_seconds: OfaWallTimes {
            training: training_seconds,
            predictor: predictor_seconds,
            search: search_seconds,
            total: start.elapsed().as_secs_f64(),
        },
    };
    Ok(OfaOutcome {
        report,
        supernet,
        subnet,
    })
}
