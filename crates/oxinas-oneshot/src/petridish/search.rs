//! The search: seed model, then rounds of parent selection from the ε-hull,
//! candidate training and incremental training of children.
//!
//! The three queues run on local threads through [`run_jobs`]: parents are
//! picked on the calling thread, each parent's candidate phase is one job,
//! and each child's training is one job. Every job draws from a seed derived
//! from the search seed and the model's id, so the search is the same for
//! any thread count. Models cross threads as plain (non-autodiff) modules
//! and each job rebuilds its own autodiff copy: jobs never share autodiff
//! nodes (Burn's autodiff graph is not meant to be shared between threads)
//! nor batch-norm statistics.

use burn::module::{AutodiffModule, Module, ModuleMapper, Param};
use burn::tensor::Tensor;
use burn::tensor::backend::AutodiffBackend;

use oxinas_core::ConfigError;
use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_optimizers::convex_hull::{CostError, epsilon_hull, lower_convex_hull};
use oxinas_train::{DataSplits, TrainReport, TrainSettings, train};

use super::architecture::{MacroArchitecture, NetworkFrame};
use super::candidate_phase::train_candidates;
use super::candidates::{CandidateLayer, candidate_inputs};
use super::job_pool::run_jobs;
use super::network::{GrownLayer, PetridishNetwork};
use super::report::{PetridishModel, PetridishProgress, PetridishReport, ScratchComparison};
use super::settings::PetridishSettings;

/// Seed streams of the search.
mod stream {
    pub const INIT: u64 = 1;
    pub const TRAIN: u64 = 2;
    pub const CANDIDATES: u64 = 3;
    pub const SCRATCH_INIT: u64 = 4;
    pub const SCRATCH_TRAIN: u64 = 5;
}

/// The frame of models for `splits`: image shape and classes of the training split.
pub fn frame_for(splits: &DataSplits, channels: usize) -> NetworkFrame {
    let shape = splits.train.shape();
    NetworkFrame {
        image_channels: shape.channels,
        height: shape.height,
        width: shape.width,
        classes: splits.train.num_classes(),
        channels,
    }
}

/// Runs a Petridish search (macro variant) on `splits` and returns every
/// model, the gallery on the final hull and, if asked, the from-scratch
/// comparison. Validation error drives every choice; test error is only
/// recorded.
pub fn run_petridish<B: AutodiffBackend>(
    splits: &DataSplits,
    settings: &PetridishSettings,
    seed: u64,
    device: &B::Device,
    progress: &mut dyn FnMut(&PetridishProgress),
) -> Result<PetridishReport, ConfigError> {
    settings.validate()?;
    if splits.train.len() < 2 || splits.validation.is_empty() {
        return Err(ConfigError::new(
            "data",
            "at least 2 training and 1 validation image",
        ));
    }
    let frame = frame_for(splits, settings.channels);
    let measure = settings.cost;
    let child_settings = TrainSettings {
        epochs: settings.child_epochs,
        lr: settings.child_lr,
        warmup_epochs: 0,
        ..settings.train.clone()
    };
    let record = |id: usize,
                  parent: Option<usize>,
                  round: usize,
                  architecture: MacroArchitecture,
                  report: &TrainReport,
                  epochs: usize,
                  lineage_epochs: usize| {
        let failed = report.failure.is_some();
        PetridishModel {
            id,
            parent,
            round,
            description: architecture.describe(),
            params: architecture.params(&frame),
            macs: architecture.macs(&frame),
            cost: architecture.cost(measure, &frame) as f64,
            // A failed model never reaches the hull.
            validation_error: if failed {
                f64::INFINITY
            } else {
                1.0 - report.validation_accuracy
            },
            test_error: 1.0 - report.test_accuracy,
            epochs,
            lineage_epochs,
            failure: report.failure.clone(),
            architecture,
        }
    };

    let seed_network = PetridishNetwork::<B>::new(
        &MacroArchitecture::seed(),
        frame,
        1.0,
        derive_seed(seed, &[stream::INIT, 0]),
        device,
    );
    let (seed_network, seed_report) = train(
        seed_network,
        splits,
        &settings.train,
        derive_seed(seed, &[stream::TRAIN, 0]),
        device,
        &mut |_| {},
    )?;
    let epochs = settings.train.epochs;
    let mut models = vec![record(
        0,
        None,
        0,
        seed_network.architecture(),
        &seed_report,
        epochs,
        epochs,
    )];
    let mut networks: Vec<PetridishNetwork<B::InnerBackend>> = vec![seed_network.valid()];
    let mut search_epochs = epochs;
    progress(&PetridishProgress::ModelTrained {
        id: 0,
        validation_error: models[0].validation_error,
        cost: models[0].cost,
    });

    let mut expanded: Vec<usize> = Vec::new();
    for round in 1..=settings.rounds {
        // Parents queue: the ε-hull, most cost-efficient first, each expanded once.
        let points: Vec<CostError> = models
            .iter()
            .map(|m| CostError {
                cost: m.cost,
                error: m.validation_error,
            })
            .collect();
        let parents: Vec<usize> = epsilon_hull(&points, settings.epsilon)
            .into_iter()
            .map(|m| m.index)
            .filter(|i| !expanded.contains(i))
            .take(settings.parents_per_round)
            .collect();
        if parents.is_empty() {
            break;
        }
        progress(&PetridishProgress::RoundStarted {
            round,
            parents: parents.clone(),
        });
        expanded.extend(&parents);

        // Candidates queue: one candidate phase per parent, a new layer per
        // layer size; each phase also returns its parent as trained through it.
        type Expansion<B> = (PetridishNetwork<B>, Vec<GrownLayer<B>>);
        let layers: Vec<Expansion<B::InnerBackend>> =
            run_jobs(&parents, settings.threads, |_, &p| {
                let parent = trainable::<B>(&networks[p]);
                let inputs = candidate_inputs(
                    &parent.architecture(),
                    &settings.ops,
                    settings.candidate_sources,
                );
                let phase_seed = derive_seed(seed, &[stream::CANDIDATES, p as u64]);
                let mut rng = rng_from_seed(derive_seed(phase_seed, &[0]));
                let candidates = CandidateLayer::new(inputs, frame.channels, &mut rng, device);
                let (trained_parent, candidates) = train_candidates(
                    &parent,
                    candidates,
                    splits,
                    &settings.train,
                    settings.candidate_epochs,
                    settings.candidate_lr,
                    settings.l1_penalty,
                    derive_seed(phase_seed, &[1]),
                    device,
                );
                let ranked = candidates.ranked();
                let new_layers: Vec<_> = settings
                    .layer_sizes
                    .iter()
                    .map(|&size| {
                        let chosen = &ranked[..size.min(ranked.len())];
                        candidates.layer_from(chosen, device).valid()
                    })
                    .collect();
                (trained_parent.valid(), new_layers)
            });
        search_epochs += settings.candidate_epochs * parents.len();

        // Children queue: each child is its parent's weights, as trained
        // through the candidate phase, plus a zero-scaled layer.
        let mut children: Vec<(usize, usize, GrownLayer<B::InnerBackend>)> = Vec::new();
        let mut trained_parents = Vec::with_capacity(parents.len());
        for (&p, (trained_parent, new_layers)) in parents.iter().zip(layers) {
            for layer in new_layers {
                let id = models.len() + children.len();
                children.push((id, trained_parents.len(), layer));
            }
            trained_parents.push((p, trained_parent));
        }
        let trained = run_jobs(&children, settings.threads, |_, (id, k, layer)| {
            let child = trainable::<B>(&trained_parents[*k].1)
                .with_layer(GrownLayer::from_inner(layer.clone()))
                .map(&mut RequireGrad);
            train(
                child,
                splits,
                &child_settings,
                derive_seed(seed, &[stream::TRAIN, *id as u64]),
                device,
                &mut |_| {},
            )
            .map(|(network, report)| (network.valid(), report))
        });
        for ((id, k, _), result) in children.into_iter().zip(trained) {
            let p = trained_parents[k].0;
            let (network, report) = result?;
            let lineage =
                models[p].lineage_epochs + settings.candidate_epochs + settings.child_epochs;
            let model = record(
                id,
                Some(p),
                round,
                network.architecture(),
                &report,
                settings.child_epochs,
                lineage,
            );
            progress(&PetridishProgress::ModelTrained {
                id,
                validation_error: model.validation_error,
                cost: model.cost,
            });
            search_epochs += settings.child_epochs;
            models.push(model);
            networks.push(network);
        }
    }

    let points: Vec<CostError> = models
        .iter()
        .map(|m| CostError {
            cost: m.cost,
            error: m.validation_error,
        })
        .collect();
    let gallery = lower_convex_hull(&points);

    let mut comparison = Vec::new();
    if settings.compare_from_scratch {
        let grown: Vec<usize> = gallery
            .iter()
            .copied()
            .filter(|&id| models[id].parent.is_some())
            .collect();
        let scratch = run_jobs(&grown, settings.threads, |_, &id| {
            let network = PetridishNetwork::<B>::new(
                &models[id].architecture,
                frame,
                1.0,
                derive_seed(seed, &[stream::SCRATCH_INIT, id as u64]),
                device,
            );
            train(
                network,
                splits,
                &settings.train,
                derive_seed(seed, &[stream::SCRATCH_TRAIN, id as u64]),
                device,
                &mut |_| {},
            )
            .map(|(_, report)| report)
        });
        for (&id, result) in grown.iter().zip(scratch) {
            let report = result?;
            let model = &models[id];
            let incremental_epochs = settings.candidate_epochs + settings.child_epochs;
            let entry = ScratchComparison {
                id,
                incremental_validation_error: model.validation_error,
                incremental_test_error: model.test_error,
                scratch_validation_error: 1.0 - report.validation_accuracy,
                scratch_test_error: 1.0 - report.test_accuracy,
                incremental_epochs,
                scratch_epochs: settings.train.epochs,
                epochs_saved: settings.train.epochs as i64 - incremental_epochs as i64,
            };
            progress(&PetridishProgress::ScratchTrained {
                id,
                validation_error: entry.scratch_validation_error,
            });
            comparison.push(entry);
        }
    }

    Ok(PetridishReport {
        frame,
        cost_measure: measure,
        models,
        expanded,
        gallery,
        comparison,
        search_epochs,
    })
}

/// An autodiff copy of a stored model with fresh autodiff leaves and its own
/// batch-norm statistics, every parameter trainable.
fn trainable<B: AutodiffBackend>(
    stored: &PetridishNetwork<B::InnerBackend>,
) -> PetridishNetwork<B> {
    PetridishNetwork::from_inner(stored.clone()).map(&mut RequireGrad)
}

/// Marks every float tensor of a module as requiring gradients. A module
/// that came out of an optimizer step does not keep that mark through
/// `valid()` and `from_inner`, so a stored model would otherwise be frozen.
/// (Batch-norm running statistics are marked too, which is harmless: they
/// are detached whenever they are updated.)
struct RequireGrad;

impl<B: AutodiffBackend> ModuleMapper<B> for RequireGrad {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
        param.map(|tensor| tensor.require_grad())
    }
}
