//! Candidate layers that learn while invisible to the parent.
//!
//! A candidate `op(x)` reads a parent feature map `x` through a stop-gradient
//! (it never changes the parent's gradients) and joins the parent's output
//! through a stop-forward (value zero, gradient identity: it never changes
//! the parent's output or loss). Its weight `α` therefore receives
//! `⟨∂L/∂out, op(x)⟩`, the first-order gain of adding it, accumulated over
//! training; an L1 penalty on the weights selects the few that matter, as
//! in gradient boosting or LARS.

use burn::module::{Module, Param};
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use oxinas_core::seed::SeededRng;
use oxinas_train::{ForwardContext, ImageClassifier};

use super::architecture::{LayerInput, MacroArchitecture};
use super::network::{GrownLayer, OpModule, PetridishNetwork};
use super::operation::LayerOp;

/// Zero in the forward pass, the identity in the backward pass.
pub fn stop_forward<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.clone() - x.detach()
}

/// The identity in the forward pass, zero in the backward pass.
pub fn stop_gradient<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.detach()
}

/// The candidates for a new layer of `architecture`: every op in `ops` on
/// each of the last `sources` feature maps (stem included), by source then op.
pub fn candidate_inputs(
    architecture: &MacroArchitecture,
    ops: &[LayerOp],
    sources: usize,
) -> Vec<LayerInput> {
    let maps = architecture.feature_maps();
    let first = maps.saturating_sub(sources.max(1));
    (first..maps)
        .flat_map(|source| ops.iter().map(move |&op| LayerInput { source, op }))
        .collect()
}

/// All candidates of one expansion, each with its weight `α` (initially
/// `1 / n` for `n` candidates, so every candidate's operation gets a
/// gradient from the first step).
#[derive(Module, Debug)]
pub struct CandidateLayer<B: Backend> {
    /// One module per candidate.
    pub ops: Vec<OpModule<B>>,
    /// The candidates' weights `α`, `[candidates]`.
    pub weights: Param<Tensor<B, 1>>,
    /// What each candidate reads and does.
    #[module(skip)]
    pub inputs: Vec<LayerInput>,
    /// Channels of every feature map (each candidate's input and output).
    #[module(skip)]
    pub channels: usize,
}

impl<B: Backend> CandidateLayer<B> {
    /// Candidates `inputs` on `channels` channels, operation weights drawn
    /// from `rng`, every `α` at `1 / n`.
    pub fn new(
        inputs: Vec<LayerInput>,
        channels: usize,
        rng: &mut SeededRng,
        device: &B::Device,
    ) -> Self {
        let ops = inputs
            .iter()
            .map(|x| OpModule::new(x.op, channels, rng, device))
            .collect();
        let n = inputs.len();
        Self {
            ops,
            weights: Param::from_tensor(Tensor::full([n], 1.0 / n.max(1) as f64, device)),
            inputs,
            channels,
        }
    }

    /// `Σ α_k op_k(stop_gradient(x_k))` over the parent's feature maps.
    pub fn weak_learner(&self, maps: &[Tensor<B, 4>], ctx: &ForwardContext<B>) -> Tensor<B, 4> {
        let weights = self.weights.val();
        let mut sum: Option<Tensor<B, 4>> = None;
        for (k, (input, op)) in self.inputs.iter().zip(&self.ops).enumerate() {
            let x = stop_gradient(maps[input.source].clone());
            let alpha = weights.clone().narrow(0, k, 1).reshape([1, 1, 1, 1]);
            let y = op.forward(x, ctx) * alpha;
            sum = Some(match sum {
                Some(s) => s + y,
                None => y,
            });
        }
        sum.unwrap_or_else(|| maps[0].clone().zeros_like())
    }

    /// `Σ |α_k|`, the L1 penalty's sum.
    pub fn l1(&self) -> Tensor<B, 1> {
        self.weights.val().abs().sum()
    }

    /// `|α_k|` of each candidate.
    pub fn magnitudes(&self) -> Vec<f32> {
        self.weights
            .val()
            .abs()
            .into_data()
            .convert::<f32>()
            .to_vec()
            .unwrap_or_default()
    }

    /// Candidate indices by decreasing `|α|`, ties by index.
    pub fn ranked(&self) -> Vec<usize> {
        let magnitudes = self.magnitudes();
        let mut order: Vec<usize> = (0..self.inputs.len()).collect();
        order.sort_by(|&a, &b| magnitudes[b].total_cmp(&magnitudes[a]).then(a.cmp(&b)));
        order
    }

    /// The chosen candidates as a new layer, their trained operation
    /// weights kept and the layer's scale set to 0 (output-preserving). Two
    /// or more candidates are concatenated and projected, the projection
    /// starting as their `α`-weighted sum (the function they learned).
    pub fn layer_from(&self, chosen: &[usize], device: &B::Device) -> GrownLayer<B> {
        let mut chosen = chosen.to_vec();
        chosen.sort_unstable();
        let inputs: Vec<LayerInput> = chosen.iter().map(|&k| self.inputs[k]).collect();
        let ops = chosen.iter().map(|&k| self.ops[k].isolated()).collect();
        let alphas: Vec<f32> = self
            .weights
            .val()
            .into_data()
            .convert::<f32>()
            .to_vec()
            .unwrap_or_default();
        let chosen_alphas: Vec<f32> = chosen.iter().map(|&k| alphas[k]).collect();
        let projection = (inputs.len() > 1)
            .then(|| GrownLayer::weighted_sum_projection(&chosen_alphas, self.channels, device));
        GrownLayer::from_ops(inputs, ops, projection, 0.0, device)
    }
}

/// A parent with candidates attached: the parent's outputs, plus candidates
/// that only gather gradient.
#[derive(Module, Debug)]
pub struct ParentWithCandidates<B: Backend> {
    /// The parent model.
    pub parent: PetridishNetwork<B>,
    /// The candidates for its next layer.
    pub candidates: CandidateLayer<B>,
}

impl<B: Backend> ImageClassifier<B> for ParentWithCandidates<B> {
    fn logits(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let maps = self.parent.feature_maps(images, ctx);
        let out =
            self.parent.combined(&maps) + stop_forward(self.candidates.weak_learner(&maps, ctx));
        self.parent.classify(out, ctx)
    }
}
