//! The NAS-Bench-NLP generation procedure (Klyuchnikov et al., 2020), which
//! drew the benchmark's random cells.
//!
//! A redundant graph is grown node by node: a main op is drawn (`linear`
//! with weight 3, `blend`, `elementwise_prod`, `elementwise_sum` with weight 1
//! each). A linear node reads 2 (weight 4) or 3 (weight 1) distinct nodes among
//! `x`, the previous hidden states and the activations so far, and is always
//! followed by an activation (tanh, sigmoid, leaky ReLU, equally likely) of it.
//! A blend (3 inputs) or element-wise op (2 inputs) reads distinct nodes among
//! the previous hidden states and all nodes so far (never `x`); when too few
//! exist, the draw is repeated. Growth stops once `hidden + intermediate`
//! nodes exist (a final linear-activation pair may overshoot by one). Then
//! `hidden` distinct nodes are drawn to become `h_new_0..`, nodes no output
//! depends on are removed, and the cell is kept only if it uses every cell input
//! and no `h_new_k` reads an `h_prev_j` directly; otherwise it is drawn again.

use oxinas_core::RngCore;
use rand::Rng;

use crate::nlp_cell::{NlpCell, NlpInput, NlpNode, NlpOp, prune_dead};

/// Draws an index with probability proportional to `weights`.
fn weighted(rng: &mut dyn RngCore, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut draw = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if draw < *w {
            return i;
        }
        draw -= w;
    }
    weights.len() - 1
}

/// Draws `k` distinct elements of `pool` (in draw order).
fn distinct<T: Copy>(rng: &mut dyn RngCore, pool: &[T], k: usize) -> Vec<T> {
    let mut pool = pool.to_vec();
    for i in 0..k {
        let j = rng.random_range(i..pool.len());
        pool.swap(i, j);
    }
    pool.truncate(k);
    pool
}

const MAIN_OPS: [NlpOp; 4] = [
    NlpOp::Linear,
    NlpOp::Blend,
    NlpOp::ElementwiseProd,
    NlpOp::ElementwiseSum,
];
const MAIN_WEIGHTS: [f64; 4] = [3.0, 1.0, 1.0, 1.0];
const LINEAR_ARITY_WEIGHTS: [f64; 2] = [4.0, 1.0];

/// One attempt of the procedure: the cell if it passes the sanity check.
pub(crate) fn generate_once(
    rng: &mut dyn RngCore,
    hidden: usize,
    intermediate: usize,
) -> Option<NlpCell> {
    let prev: Vec<NlpInput> = (0..hidden as u8).map(NlpInput::HPrev).collect();
    let mut nodes: Vec<NlpNode> = Vec::new();
    let mut activations: Vec<NlpInput> = Vec::new();
    while nodes.len() < hidden + intermediate {
        let op = MAIN_OPS[weighted(rng, &MAIN_WEIGHTS)];
        if op == NlpOp::Linear {
            let mut candidates = vec![NlpInput::X];
            candidates.extend(&prev);
            candidates.extend(&activations);
            let wanted = 2 + weighted(rng, &LINEAR_ARITY_WEIGHTS);
            let inputs = distinct(rng, &candidates, wanted.min(candidates.len()));
            nodes.push(NlpNode { op, inputs });
            let linear = NlpInput::Node((nodes.len() - 1) as u16);
            let activation = NlpOp::ACTIVATIONS[rng.random_range(0..3)];
            nodes.push(NlpNode {
                op: activation,
                inputs: vec![linear],
            });
            activations.push(NlpInput::Node((nodes.len() - 1) as u16));
        } else {
            let wanted = if op == NlpOp::Blend { 3 } else { 2 };
            let mut candidates = prev.clone();
            candidates.extend((0..nodes.len() as u16).map(NlpInput::Node));
            if wanted <= candidates.len() {
                let inputs = distinct(rng, &candidates, wanted);
                nodes.push(NlpNode { op, inputs });
            }
        }
    }
    let all: Vec<u16> = (0..nodes.len() as u16).collect();
    let outputs = distinct(rng, &all, hidden);
    let (nodes, outputs) = prune_dead(nodes, outputs);
    let cell = NlpCell::new(nodes, outputs).ok()?;
    cell.passes_sanity_check().then_some(cell)
}

/// Runs the procedure until a cell passes the sanity check.
///
/// Roughly half of the attempts pass, so the loop ends quickly; the bound only
/// guards against settings under which no cell can pass, where the plain
/// one-layer RNN cell is returned.
pub(crate) fn generate(rng: &mut dyn RngCore, hidden: usize, intermediate: usize) -> NlpCell {
    for _ in 0..10_000 {
        if let Some(cell) = generate_once(rng, hidden, intermediate) {
            return cell;
        }
    }
    plain_rnn()
}

/// The one-layer tanh RNN cell: `h_new_0 = tanh(linear(x, h_prev_0))`.
pub(crate) fn plain_rnn() -> NlpCell {
    let nodes = vec![
        NlpNode {
            op: NlpOp::Linear,
            inputs: vec![NlpInput::X, NlpInput::HPrev(0)],
        },
        NlpNode {
            op: NlpOp::ActivationTanh,
            inputs: vec![NlpInput::Node(0)],
        },
    ];
    NlpCell::new(nodes, vec![1])
        .unwrap_or_else(|e| unreachable!("the plain RNN cell is valid: {e}"))
}
