//! NAS-Bench-NLP recurrent cells as typed graphs.
//!
//! A cell maps the input `x` and the previous hidden tuple `h_prev_0..n` to a
//! new hidden tuple `h_new_0..n` (`n` is 1, 2 or 3); `h_new_0` is also the
//! cell's output. Nodes are kept in a topological order, so a node only reads
//! the cell inputs and earlier nodes and cycles cannot be written down.

use std::fmt;

use thiserror::Error;

/// The operation of one node of an NAS-Bench-NLP cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NlpOp {
    /// A learned affine map of the sum of its 2 or 3 inputs (one weight matrix each).
    Linear,
    /// `a * b + (1 - a) * c` for inputs `[a, b, c]`.
    Blend,
    /// Element-wise product of 2 inputs.
    ElementwiseProd,
    /// Element-wise sum of 2 inputs.
    ElementwiseSum,
    /// `tanh` of 1 input.
    ActivationTanh,
    /// Logistic sigmoid of 1 input.
    ActivationSigm,
    /// Leaky ReLU of 1 input.
    ActivationLeakyRelu,
}

impl NlpOp {
    /// All ops, in the order the release code lists them (main ops, then activations).
    pub const ALL: [NlpOp; 7] = [
        NlpOp::Linear,
        NlpOp::Blend,
        NlpOp::ElementwiseProd,
        NlpOp::ElementwiseSum,
        NlpOp::ActivationTanh,
        NlpOp::ActivationSigm,
        NlpOp::ActivationLeakyRelu,
    ];

    /// The three activations.
    pub const ACTIVATIONS: [NlpOp; 3] = [
        NlpOp::ActivationTanh,
        NlpOp::ActivationSigm,
        NlpOp::ActivationLeakyRelu,
    ];

    /// The name used in recipes, e.g. `elementwise_prod`.
    pub fn name(self) -> &'static str {
        match self {
            NlpOp::Linear => "linear",
            NlpOp::Blend => "blend",
            NlpOp::ElementwiseProd => "elementwise_prod",
            NlpOp::ElementwiseSum => "elementwise_sum",
            NlpOp::ActivationTanh => "activation_tanh",
            NlpOp::ActivationSigm => "activation_sigm",
            NlpOp::ActivationLeakyRelu => "activation_leaky_relu",
        }
    }

    /// The op called `name` in recipes.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Whether this is one of the three activations.
    pub fn is_activation(self) -> bool {
        Self::ACTIVATIONS.contains(&self)
    }

    /// Whether permuting the inputs leaves the function class unchanged
    /// (all ops but `blend`, whose first input is the gate).
    pub fn is_commutative(self) -> bool {
        self != NlpOp::Blend
    }

    /// The smallest and largest number of inputs the op takes.
    pub fn arity(self) -> (usize, usize) {
        match self {
            NlpOp::Linear => (2, 3),
            NlpOp::Blend => (3, 3),
            NlpOp::ElementwiseProd | NlpOp::ElementwiseSum => (2, 2),
            _ => (1, 1),
        }
    }
}

/// Where a node reads one of its inputs from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NlpInput {
    /// The cell input `x` (the token embedding).
    X,
    /// `h_prev_k`, element `k` of the previous hidden tuple.
    HPrev(u8),
    /// The node at this position of [`NlpCell::nodes`].
    Node(u16),
}

impl fmt::Display for NlpInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NlpInput::X => f.write_str("x"),
            NlpInput::HPrev(k) => write!(f, "h_prev_{k}"),
            NlpInput::Node(i) => write!(f, "node {i}"),
        }
    }
}

/// One node: an op applied to inputs, in order (order matters for `blend`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NlpNode {
    /// The operation.
    pub op: NlpOp,
    /// Its inputs.
    pub inputs: Vec<NlpInput>,
}

/// A structural rule of NAS-Bench-NLP cells that a graph breaks.
///
/// Every cell built by [`NlpCell::new`] satisfies all of them; they are what
/// makes a graph a computable cell of the benchmark's family.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NlpStructureError {
    /// The hidden tuple must have 1 to 3 elements.
    #[error("a hidden tuple of 1 to 3 elements, found {0}")]
    HiddenSize(usize),
    /// `op` received a number of inputs outside its arity.
    #[error("node {node} ({op}) takes {min} to {max} inputs, found {found}")]
    Arity {
        /// The node's position.
        node: usize,
        /// Its op's name.
        op: &'static str,
        /// Smallest arity.
        min: usize,
        /// Largest arity.
        max: usize,
        /// Inputs given.
        found: usize,
    },
    /// An input refers to a later node (a cycle or a wrong order) or a missing hidden element.
    #[error("node {node} reads {input}, which is not an earlier node or a cell input")]
    InputOutOfRange {
        /// The node's position.
        node: usize,
        /// The offending input.
        input: NlpInput,
    },
    /// The same input appears twice in one node.
    #[error("node {node} reads {input} twice")]
    DuplicateInput {
        /// The node's position.
        node: usize,
        /// The repeated input.
        input: NlpInput,
    },
    /// Element-wise ops and blends never read `x` directly (it has another width).
    #[error("node {node} ({op}) reads x directly; only linear nodes may")]
    XIntoElementwise {
        /// The node's position.
        node: usize,
        /// Its op's name.
        op: &'static str,
    },
    /// Two hidden outputs are the same node, or an output index is out of range.
    #[error("h_new_{output} must be a distinct node of the cell")]
    BadOutput {
        /// The output index.
        output: usize,
    },
    /// A node that no output depends on.
    #[error("node {0} feeds no h_new output")]
    DeadNode(usize),
    /// A cell input that no output depends on.
    #[error("cell input {0} is not used")]
    UnusedInput(NlpInput),
}

/// A rule of the NAS-Bench-NLP generation procedure that a cell breaks.
///
/// Cells drawn by the paper's generator never break these; the hand-written
/// LSTM and GRU baselines of the benchmark do (see [`NlpCell::generator_violations`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NlpGeneratorRule {
    /// A new hidden state reads a previous hidden state directly (the paper's
    /// sanity check rejects such cells).
    HiddenStateBypass {
        /// The output `h_new_k`.
        output: usize,
    },
    /// A linear node reads something other than `x`, `h_prev_k` or an activation.
    LinearInputNotActivation {
        /// The node's position.
        node: usize,
    },
    /// An activation reads something other than a linear node (the generator
    /// always places an activation right after a linear node).
    ActivationNotAfterLinear {
        /// The node's position.
        node: usize,
    },
}

/// One NAS-Bench-NLP recurrent cell.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NlpCell {
    nodes: Vec<NlpNode>,
    outputs: Vec<u16>,
}

impl NlpCell {
    /// Builds a cell from nodes in topological order and the node of each
    /// hidden output (`outputs[k]` is `h_new_k`), checking every structural rule.
    pub fn new(nodes: Vec<NlpNode>, outputs: Vec<u16>) -> Result<Self, NlpStructureError> {
        let cell = Self { nodes, outputs };
        cell.check()?;
        Ok(cell)
    }

    /// The nodes, in topological order.
    pub fn nodes(&self) -> &[NlpNode] {
        &self.nodes
    }

    /// The node position of each hidden output `h_new_k`.
    pub fn outputs(&self) -> &[u16] {
        &self.outputs
    }

    /// Size of the hidden tuple (1 to 3).
    pub fn hidden_size(&self) -> usize {
        self.outputs.len()
    }

    /// The hidden output index of node `node`, if it is one.
    pub fn output_index(&self, node: usize) -> Option<usize> {
        self.outputs.iter().position(|&o| usize::from(o) == node)
    }

    fn check(&self) -> Result<(), NlpStructureError> {
        let hidden = self.outputs.len();
        if !(1..=3).contains(&hidden) {
            return Err(NlpStructureError::HiddenSize(hidden));
        }
        for (i, node) in self.nodes.iter().enumerate() {
            let (min, max) = node.op.arity();
            if !(min..=max).contains(&node.inputs.len()) {
                return Err(NlpStructureError::Arity {
                    node: i,
                    op: node.op.name(),
                    min,
                    max,
                    found: node.inputs.len(),
                });
            }
            for (slot, &input) in node.inputs.iter().enumerate() {
                let in_range = match input {
                    NlpInput::X => true,
                    NlpInput::HPrev(k) => usize::from(k) < hidden,
                    NlpInput::Node(j) => usize::from(j) < i,
                };
                if !in_range {
                    return Err(NlpStructureError::InputOutOfRange { node: i, input });
                }
                if node.inputs[..slot].contains(&input) {
                    return Err(NlpStructureError::DuplicateInput { node: i, input });
                }
                if input == NlpInput::X && node.op != NlpOp::Linear && !node.op.is_activation() {
                    return Err(NlpStructureError::XIntoElementwise {
                        node: i,
                        op: node.op.name(),
                    });
                }
            }
        }
        for (k, &o) in self.outputs.iter().enumerate() {
            if usize::from(o) >= self.nodes.len() || self.outputs[..k].contains(&o) {
                return Err(NlpStructureError::BadOutput { output: k });
            }
        }
        let live = self.live_nodes();
        if let Some(dead) = live.iter().position(|&l| !l) {
            return Err(NlpStructureError::DeadNode(dead));
        }
        let mut used = vec![false; hidden + 1];
        for node in &self.nodes {
            for input in &node.inputs {
                match input {
                    NlpInput::X => used[0] = true,
                    NlpInput::HPrev(k) => used[usize::from(*k) + 1] = true,
                    NlpInput::Node(_) => {}
                }
            }
        }
        if let Some(unused) = used.iter().position(|&u| !u) {
            let input = if unused == 0 {
                NlpInput::X
            } else {
                NlpInput::HPrev((unused - 1) as u8)
            };
            return Err(NlpStructureError::UnusedInput(input));
        }
        Ok(())
    }

    /// For each node, whether some hidden output depends on it.
    pub(crate) fn live_nodes(&self) -> Vec<bool> {
        live_nodes(&self.nodes, &self.outputs)
    }

    /// The generation-procedure rules this cell breaks (empty for every cell the
    /// paper's generator can produce).
    pub fn generator_violations(&self) -> Vec<NlpGeneratorRule> {
        let mut out = Vec::new();
        for (k, &o) in self.outputs.iter().enumerate() {
            let reads_prev = self.nodes[usize::from(o)]
                .inputs
                .iter()
                .any(|i| matches!(i, NlpInput::HPrev(_)));
            if reads_prev {
                out.push(NlpGeneratorRule::HiddenStateBypass { output: k });
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            let node_op = |input: &NlpInput| match input {
                NlpInput::Node(j) => Some(self.nodes[usize::from(*j)].op),
                _ => None,
            };
            if node.op == NlpOp::Linear
                && node
                    .inputs
                    .iter()
                    .any(|input| node_op(input).is_some_and(|op| !op.is_activation()))
            {
                out.push(NlpGeneratorRule::LinearInputNotActivation { node: i });
            }
            if node.op.is_activation() && node_op(&node.inputs[0]) != Some(NlpOp::Linear) {
                out.push(NlpGeneratorRule::ActivationNotAfterLinear { node: i });
            }
        }
        out
    }

    /// Whether the cell passes the paper's sanity check: every cell input used
    /// (always true for a built cell) and no `h_new_k` reading an `h_prev_j` directly.
    pub fn passes_sanity_check(&self) -> bool {
        !self
            .generator_violations()
            .iter()
            .any(|v| matches!(v, NlpGeneratorRule::HiddenStateBypass { .. }))
    }
}

/// For each of `nodes`, whether one of `outputs` depends on it.
pub(crate) fn live_nodes(nodes: &[NlpNode], outputs: &[u16]) -> Vec<bool> {
    let mut live = vec![false; nodes.len()];
    for &o in outputs {
        if let Some(l) = live.get_mut(usize::from(o)) {
            *l = true;
        }
    }
    for i in (0..nodes.len()).rev() {
        if live[i] {
            for input in &nodes[i].inputs {
                if let NlpInput::Node(j) = input
                    && let Some(l) = live.get_mut(usize::from(*j))
                {
                    *l = true;
                }
            }
        }
    }
    live
}

/// Removes the nodes no output depends on, renumbering the rest.
pub(crate) fn prune_dead(nodes: Vec<NlpNode>, outputs: Vec<u16>) -> (Vec<NlpNode>, Vec<u16>) {
    let live = live_nodes(&nodes, &outputs);
    let mut new_index = vec![u16::MAX; nodes.len()];
    let mut kept = Vec::with_capacity(nodes.len());
    for (i, mut node) in nodes.into_iter().enumerate() {
        if live[i] {
            for input in &mut node.inputs {
                if let NlpInput::Node(j) = input {
                    *j = new_index[usize::from(*j)];
                }
            }
            new_index[i] = kept.len() as u16;
            kept.push(node);
        }
    }
    let outputs = outputs
        .into_iter()
        .map(|o| new_index[usize::from(o)])
        .collect();
    (kept, outputs)
}
