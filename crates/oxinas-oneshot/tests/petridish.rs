//! Petridish: output-preserving insertion, invisible candidates, and a
//! search that does not depend on the thread count.

use burn::backend::{Autodiff, NdArray};
use burn::module::{AutodiffModule, Param};
use burn::tensor::{Tensor, TensorData};

use oxinas_core::seed::rng_from_seed;
use oxinas_oneshot::petridish::candidates::candidate_inputs;
use oxinas_oneshot::petridish::{
    CandidateLayer, CostMeasure, LayerInput, LayerOp, MacroArchitecture, NetworkFrame,
    ParentWithCandidates, PetridishNetwork, PetridishSettings, run_petridish, stop_forward,
};
use oxinas_train::init::normal;
use oxinas_train::{
    DataSettings, DatasetName, ForwardContext, ImageClassifier, NormMode, OptimizerSettings,
    TrainSettings, smoothed_cross_entropy,
};

type Ad = Autodiff<NdArray>;

const FRAME: NetworkFrame = NetworkFrame {
    image_channels: 1,
    height: 8,
    width: 8,
    classes: 10,
    channels: 4,
};

fn values<const D: usize>(t: Tensor<impl burn::tensor::backend::Backend, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec().unwrap()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn images() -> Tensor<Ad, 4> {
    normal(
        [6, 1, 8, 8],
        1.0,
        &mut rng_from_seed(6),
        &Default::default(),
    )
}

/// A parent with two layers, so candidates have three sources.
fn parent() -> PetridishNetwork<Ad> {
    let arch = MacroArchitecture::seed().grown(vec![
        LayerInput {
            source: 1,
            op: LayerOp::Conv3x3,
        },
        LayerInput {
            source: 0,
            op: LayerOp::AvgPool3x3,
        },
    ]);
    PetridishNetwork::new(&arch, FRAME, 0.7, 3, &Default::default())
}

/// Candidates on every source with non-zero weights, so every op contributes.
fn candidates(parent: &PetridishNetwork<Ad>) -> CandidateLayer<Ad> {
    let inputs = candidate_inputs(&parent.architecture(), &LayerOp::ALL, 3);
    let mut layer = CandidateLayer::new(
        inputs,
        FRAME.channels,
        &mut rng_from_seed(5),
        &Default::default(),
    );
    let n = layer.inputs.len();
    let alphas: Vec<f32> = (0..n).map(|k| 0.3 + 0.1 * k as f32).collect();
    layer.weights = Param::from_tensor(Tensor::from_data(
        TensorData::new(alphas, [n]),
        &Default::default(),
    ));
    layer
}

#[test]
fn inserting_a_layer_leaves_the_output_unchanged_until_its_scale_trains() {
    let parent = parent();
    let device = Default::default();
    let x = images();
    let ctx = ForwardContext::new(NormMode::Apply);
    let layer = candidates(&parent).layer_from(&[4, 1, 9], &device);
    assert_eq!(layer.inputs.len(), 3);
    let child = parent.isolated().with_layer(layer);
    assert!(
        child.architecture().params(&FRAME) > parent.architecture().params(&FRAME),
        "the layer was added"
    );

    // Inference (running statistics) and training mode (batch statistics).
    let before = values(
        parent
            .valid()
            .logits(x.clone().inner(), &ForwardContext::new(NormMode::Apply)),
    );
    let after = values(
        child
            .valid()
            .logits(x.clone().inner(), &ForwardContext::new(NormMode::Apply)),
    );
    assert!(max_abs_diff(&before, &after) <= 1e-6);
    let before = values(parent.logits(x.clone(), &ctx));
    let logits = child.logits(x.clone(), &ctx);
    assert!(max_abs_diff(&before, &values(logits.clone())) <= 1e-6);

    // The new layer does contribute: its scale receives gradient, and moving
    // the scale off 0 changes the output.
    let targets = [0, 1, 2, 3, 4, 5];
    let grads = smoothed_cross_entropy(logits, &targets, 0.0).backward();
    let scale_grad = values(child.layers[2].scale.grad(&grads).unwrap())[0];
    assert!(scale_grad.abs() > 1e-6, "scale gradient {scale_grad}");
    let mut moved = child.isolated();
    moved.layers[2].scale = Param::from_tensor(Tensor::from_floats([0.5], &device));
    let shifted = values(moved.logits(x, &ctx));
    assert!(max_abs_diff(&before, &shifted) > 1e-4);
}

#[test]
fn stop_forward_candidates_gather_gradient_without_touching_the_parent() {
    let parent = parent();
    let x = images();
    let targets = [9, 8, 7, 6, 5, 4];
    let ctx = ForwardContext::new(NormMode::Apply);

    let alone_loss = smoothed_cross_entropy(parent.logits(x.clone(), &ctx), &targets, 0.0);
    let alone_grads = alone_loss.clone().backward();
    let with = ParentWithCandidates {
        parent: parent.clone(),
        candidates: candidates(&parent),
    };
    let with_loss = smoothed_cross_entropy(with.logits(x, &ctx), &targets, 0.0);
    assert!(max_abs_diff(&values(alone_loss), &values(with_loss.clone())) <= 1e-6);
    let grads = with_loss.backward();

    // Every candidate weight and a candidate convolution receive gradient.
    let alpha_grad = values(with.candidates.weights.grad(&grads).unwrap());
    assert!(alpha_grad.iter().all(|g| g.abs() > 0.0), "{alpha_grad:?}");
    let conv = with.candidates.ops[0].conv.as_ref().unwrap();
    let conv_grad = values(conv.conv.weight.grad(&grads).unwrap());
    assert!(conv_grad.iter().any(|g| g.abs() > 1e-6));

    // The parent's gradients are those it gets alone.
    let stem_alone = values(parent.stem.weight.grad(&alone_grads).unwrap());
    let stem_with = values(with.parent.stem.weight.grad(&grads).unwrap());
    assert!(max_abs_diff(&stem_alone, &stem_with) <= 1e-6);
    let head_alone = values(parent.head.weight.grad(&alone_grads).unwrap());
    let head_with = values(with.parent.head.weight.grad(&grads).unwrap());
    assert!(max_abs_diff(&head_alone, &head_with) <= 1e-6);
}

#[test]
fn a_fresh_candidate_convolution_gets_gradient_on_its_first_step() {
    // Fresh candidates, weights as built: 3 sources x 4 ops = 12 candidates,
    // each α = 1/12. (At α = 0 a candidate's output op(x) * α would pass no
    // gradient back to the op, and its convolution could never start.)
    let parent = parent();
    let inputs = candidate_inputs(&parent.architecture(), &LayerOp::ALL, 3);
    let fresh = CandidateLayer::<Ad>::new(
        inputs,
        FRAME.channels,
        &mut rng_from_seed(5),
        &Default::default(),
    );
    let alphas = values(fresh.weights.val());
    assert_eq!(alphas.len(), 12);
    assert!(
        alphas.iter().all(|&a| (a - 1.0 / 12.0).abs() < 1e-7),
        "{alphas:?}"
    );

    let ctx = ForwardContext::new(NormMode::Apply);
    let with = ParentWithCandidates {
        parent,
        candidates: fresh,
    };
    let loss = smoothed_cross_entropy(with.logits(images(), &ctx), &[9, 8, 7, 6, 5, 4], 0.0);
    let grads = loss.backward();
    for (k, op) in with.candidates.ops.iter().enumerate() {
        let Some(unit) = op.conv.as_ref() else {
            continue;
        };
        let grad = values(unit.conv.weight.grad(&grads).unwrap());
        let norm: f32 = grad.iter().map(|g| g * g).sum::<f32>().sqrt();
        assert!(
            norm > 1e-6,
            "candidate {k} ({:?}): gradient norm {norm}",
            op.op
        );
    }
}

#[test]
fn a_new_layer_concatenates_and_projects_to_its_candidates_weighted_sum() {
    let parent = parent();
    let device = Default::default();
    let ctx = ForwardContext::new(NormMode::Apply);
    let candidates = candidates(&parent);
    let maps = parent.feature_maps(images(), &ctx);
    let chosen = [1, 4, 9];
    let layer = candidates.layer_from(&chosen, &device);
    // Three outputs of 4 channels concatenated, projected back to 4.
    let projection = layer
        .projection
        .as_ref()
        .expect("three inputs are projected");
    assert_eq!(projection.val().dims(), [4, 12, 1, 1]);
    // At insertion the projection computes Σ α_k op_k(x_k) over the chosen
    // candidates (α_k = 0.3 + 0.1 k here): 0.4, 0.7 and 1.2.
    let mut expected: Option<Tensor<Ad, 4>> = None;
    for (k, alpha) in chosen.iter().zip([0.4f32, 0.7, 1.2]) {
        let input = candidates.inputs[*k];
        let y = candidates.ops[*k]
            .forward(maps[input.source].clone(), &ctx)
            .mul_scalar(alpha);
        expected = Some(match expected {
            Some(e) => e + y,
            None => y,
        });
    }
    let got = values(layer.forward(&maps, &ctx));
    let want = values(expected.unwrap());
    assert!(max_abs_diff(&got, &want) <= 1e-5);
    // A one-candidate layer is that operation alone.
    assert!(candidates.layer_from(&[3], &device).projection.is_none());
}

#[test]
fn a_networks_parameters_are_those_its_architecture_counts() {
    let arch = parent().architecture().grown(vec![
        LayerInput {
            source: 2,
            op: LayerOp::Conv5x5,
        },
        LayerInput {
            source: 0,
            op: LayerOp::MaxPool3x3,
        },
        LayerInput {
            source: 1,
            op: LayerOp::Conv3x3,
        },
    ]);
    let network = PetridishNetwork::<Ad>::new(&arch, FRAME, 1.0, 2, &Default::default());
    // Trainable parameters, batch norm's running statistics excluded (as
    // the architecture counts them): 1,041 by hand: stem 44, seed layer 153,
    // the parent's second layer 152 + 32 (projection 2*4*4) + 1, the new
    // layer 408 + 152 + 48 (projection 3*4*4) + 1, head 50.
    assert_eq!(oxinas_train::trainable_params(&network), 1041);
    assert_eq!(arch.params(&FRAME), 1041);
}

#[test]
fn stop_forward_is_zero_forward_and_identity_backward() {
    let x = Tensor::<Ad, 1>::from_floats([1.5, -2.0, 3.0], &Default::default()).require_grad();
    let y = stop_forward(x.clone());
    assert_eq!(values(y.clone()), vec![0.0, 0.0, 0.0]);
    let weights = Tensor::<Ad, 1>::from_floats([2.0, 3.0, -1.0], &Default::default());
    let grads = (y * weights).sum().backward();
    assert_eq!(values(x.grad(&grads).unwrap()), vec![2.0, 3.0, -1.0]);
}

#[test]
fn candidates_cover_the_last_sources_and_rank_by_weight() {
    let arch = MacroArchitecture::seed();
    let all = candidate_inputs(&arch, &[LayerOp::Conv3x3, LayerOp::MaxPool3x3], 5);
    assert_eq!(all.len(), 4);
    assert_eq!(
        all[3],
        LayerInput {
            source: 1,
            op: LayerOp::MaxPool3x3
        }
    );
    let last = candidate_inputs(&arch, &[LayerOp::Conv3x3], 1);
    assert_eq!(
        last,
        vec![LayerInput {
            source: 1,
            op: LayerOp::Conv3x3
        }]
    );

    let mut layer = CandidateLayer::<Ad>::new(all, 4, &mut rng_from_seed(1), &Default::default());
    layer.weights = Param::from_tensor(Tensor::from_floats(
        [0.1, -0.5, 0.5, 0.2],
        &Default::default(),
    ));
    // |α| = .1, .5, .5, .2: ties keep the lower index.
    assert_eq!(layer.ranked(), vec![1, 2, 3, 0]);
    let grown = layer.layer_from(&[2, 1], &Default::default());
    assert_eq!(grown.inputs, vec![layer.inputs[1], layer.inputs[2]]);
    assert_eq!(values(grown.scale.val()), vec![0.0]);
}

fn tiny_settings(threads: usize) -> PetridishSettings {
    PetridishSettings {
        channels: 4,
        ops: vec![LayerOp::Conv3x3, LayerOp::MaxPool3x3],
        candidate_sources: 2,
        cost: CostMeasure::Params,
        rounds: 2,
        parents_per_round: 2,
        layer_sizes: vec![1, 2],
        epsilon: 0.1,
        candidate_epochs: 1,
        candidate_lr: 0.05,
        l1_penalty: 1e-3,
        child_epochs: 1,
        child_lr: 0.02,
        compare_from_scratch: false,
        threads,
        train: TrainSettings {
            epochs: 2,
            batch_size: 64,
            optimizer: OptimizerSettings::Sgd {
                momentum: 0.9,
                nesterov: true,
                weight_decay: 5e-4,
            },
            lr: 0.1,
            min_lr: 0.0,
            warmup_epochs: 0,
            label_smoothing: 0.0,
            grad_clip_norm: None,
            augmentation: None,
            eval_batch_size: 256,
        },
    }
}

#[test]
fn search_is_the_same_on_one_and_two_threads() {
    let data = DataSettings {
        dataset: DatasetName::Digits,
        subset: Some(200),
        seed: 0,
        downsample: None,
        validation_size: Some(100),
        test_size: Some(100),
        data_dir: None,
    };
    let splits = data.load().unwrap();
    let device = Default::default();
    let one = run_petridish::<Ad>(&splits, &tiny_settings(1), 7, &device, &mut |_| {}).unwrap();
    let two = run_petridish::<Ad>(&splits, &tiny_settings(2), 7, &device, &mut |_| {}).unwrap();
    assert_eq!(one, two);
    // Seed, then two children per parent: at least three models, all distinct.
    assert!(one.models.len() >= 3);
    assert_eq!(one.models[1].parent, Some(0));
    assert!(!one.gallery.is_empty());
    assert_eq!(one.expanded[0], 0);
    for pair in one.gallery.windows(2) {
        let (a, b) = (&one.models[pair[0]], &one.models[pair[1]]);
        assert!(a.cost < b.cost && a.validation_error > b.validation_error);
    }
}

#[test]
fn children_of_a_trained_parent_learn() {
    // Every child's training moves it away from its parent: validation
    // errors or weights differ, which a frozen child (a stored model whose
    // parameters lost their gradient mark) would not show.
    let data = DataSettings {
        dataset: DatasetName::Digits,
        subset: Some(200),
        seed: 0,
        downsample: None,
        validation_size: Some(100),
        test_size: Some(100),
        data_dir: None,
    };
    let splits = data.load().unwrap();
    let mut settings = tiny_settings(1);
    settings.rounds = 1;
    settings.parents_per_round = 1;
    settings.layer_sizes = vec![1, 2, 3];
    settings.child_lr = 0.1;
    settings.child_epochs = 2;
    let report =
        run_petridish::<Ad>(&splits, &settings, 3, &Default::default(), &mut |_| {}).unwrap();
    assert_eq!(report.models.len(), 4);
    let parent = &report.models[0];
    let changed = report.models[1..]
        .iter()
        .filter(|m| {
            (m.validation_error - parent.validation_error).abs() > 1e-9
                || (m.test_error - parent.test_error).abs() > 1e-9
        })
        .count();
    assert!(changed >= 2, "{:?}", report.models);
}
