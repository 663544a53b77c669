//! Each proxy on networks small enough to work out by hand.

use burn::backend::{Autodiff, NdArray};
use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use oxinas_train::zero_cost::*;
use oxinas_train::{ForwardContext, ImageClassifier};

type B = Autodiff<NdArray<f64>>;

/// Images `[n, 1, 1, 2]` -> optional hidden linear layer and ReLU -> linear layer, no biases.
#[derive(Module, Debug)]
struct Tiny<B: Backend> {
    hidden: Option<Linear<B>>,
    out: Linear<B>,
}

fn linear(weights: [[f64; 2]; 2]) -> Linear<B> {
    let device = Default::default();
    let mut layer = LinearConfig::new(2, 2).with_bias(false).init::<B>(&device);
    let flat: Vec<f64> = weights.iter().flatten().copied().collect();
    layer.weight = Param::from_tensor(Tensor::from_data(TensorData::new(flat, [2, 2]), &device));
    layer
}

impl<B: Backend> ImageClassifier<B> for Tiny<B> {
    fn logits(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        let [n, ..] = images.dims();
        let mut x = images.reshape([n, 2]);
        if let Some(hidden) = &self.hidden {
            x = ctx.relu(hidden.forward(x));
        }
        let z = self.out.forward(x);
        ctx.probe(z.reshape([n, 2, 1, 1])).reshape([n, 2])
    }
}

fn images(rows: &[[f64; 2]]) -> Tensor<B, 4> {
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    Tensor::from_data(
        TensorData::new(flat, [rows.len(), 1, 1, 2]),
        &Default::default(),
    )
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn synflow_of_a_linear_two_layer_network() {
    // |W1| = [[1, 2], [3, 4]], |W2| = [[1, 1], [2, 1]]; ones in: h = [4, 6],
    // out = [16, 10], R = 26; each layer contributes R, so the score is 52.
    let net = Tiny {
        hidden: Some(linear([[1.0, -2.0], [3.0, 4.0]])),
        out: linear([[1.0, -1.0], [2.0, 1.0]]),
    };
    let score = synflow::<B, _>(&net, [1, 1, 1, 2], &Default::default());
    assert!(close(score, 52.0, 1e-12), "{score}");
}

/// Softmax regression z = x W with W = I on x = [1, 2], target 0:
/// p = softmax([1, 2]), dL/dz = p - e0, dL/dW = xᵀ (p - e0).
fn softmax_regression() -> (Tiny<B>, [f64; 2]) {
    let net = Tiny {
        hidden: None,
        out: linear([[1.0, 0.0], [0.0, 1.0]]),
    };
    let (e1, e2) = (1f64.exp(), 2f64.exp());
    let p = [e1 / (e1 + e2), e2 / (e1 + e2)];
    (net, [p[0] - 1.0, p[1]])
}

#[test]
fn snip_and_grad_norm_of_softmax_regression() {
    let (net, d) = softmax_regression();
    let x = [1.0, 2.0];
    // Only the diagonal weights are non-zero: |1 * x0 d0| + |1 * x1 d1|.
    let snip_expected = (x[0] * d[0]).abs() + (x[1] * d[1]).abs();
    let grad_norm_expected = (0..2)
        .flat_map(|k| (0..2).map(move |i| (x[k] * d[i]).powi(2)))
        .sum::<f64>()
        .sqrt();
    assert!(close(
        snip::<B, _>(&net, images(&[x]), &[0]),
        snip_expected,
        1e-12
    ));
    assert!(close(
        grad_norm::<B, _>(&net, images(&[x]), &[0]),
        grad_norm_expected,
        1e-12
    ));
}

#[test]
fn grasp_matches_the_closed_form_hessian() {
    let (net, d) = softmax_regression();
    let x = [1.0, 2.0];
    let (e1, e2) = (1f64.exp(), 2f64.exp());
    let p = [e1 / (e1 + e2), e2 / (e1 + e2)];
    // H = (x xᵀ) ⊗ (diag p - p pᵀ); (H g)[k][i] = x_k |x|² (S d)_i.
    let s = [
        [p[0] - p[0] * p[0], -p[0] * p[1]],
        [-p[1] * p[0], p[1] - p[1] * p[1]],
    ];
    let sd = [
        s[0][0] * d[0] + s[0][1] * d[1],
        s[1][0] * d[0] + s[1][1] * d[1],
    ];
    let x2 = x[0] * x[0] + x[1] * x[1];
    let w = [[1.0, 0.0], [0.0, 1.0]];
    let expected: f64 = -(0..2)
        .flat_map(|k| (0..2).map(move |i| (k, i)))
        .map(|(k, i)| w[k][i] * x[k] * x2 * sd[i])
        .sum::<f64>();
    let score = grasp::<B, _>(&net, images(&[x]), &[0]);
    assert!(close(score, expected, 1e-4), "{score} vs {expected}");
}

#[test]
fn fisher_of_softmax_regression() {
    // The probe sits on the logits z = [1, 2]: 0.5 * Σ_k (z_k dL/dz_k)².
    let (net, d) = softmax_regression();
    let expected = 0.5 * ((1.0 * d[0]).powi(2) + (2.0 * d[1]).powi(2));
    let score = fisher::<B, _>(&net, images(&[[1.0, 2.0]]), &[0]);
    assert!(close(score, expected, 1e-12), "{score} vs {expected}");
}

#[test]
fn jacov_of_identical_jacobians() {
    // A linear network has the same input gradient W·1 = [1, 3] for every image:
    // the correlation matrix is all ones, eigenvalues 0 and 2.
    let net = Tiny {
        hidden: None,
        out: linear([[1.0, 0.0], [0.0, 3.0]]),
    };
    let k: f64 = 1e-5;
    let expected = -(k.ln() + 1.0 / k + (2.0 + k).ln() + 1.0 / (2.0 + k));
    let score = jacov::<B, _>(&net, images(&[[0.3, 0.1], [-2.0, 5.0]]));
    assert!(close(score, expected, 1e-6), "{score} vs {expected}");
}

#[test]
fn naswot_counts_agreeing_relu_signs() {
    // Hidden = identity: codes [1,1], [1,0], [0,0]; K = [[2,1,0],[1,2,1],[0,1,2]], det 4.
    let net = Tiny {
        hidden: Some(linear([[1.0, 0.0], [0.0, 1.0]])),
        out: linear([[1.0, 0.0], [0.0, 1.0]]),
    };
    let score = naswot::<B, _>(&net, images(&[[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]]));
    assert!(close(score, 4f64.ln(), 1e-12), "{score}");
}
