//! The NAS-Bench-NLP space of recurrent cells (Klyuchnikov et al., 2020).
//!
//! Cells are graphs over the inputs `x`, `h_prev_0..` with outputs `h_new_0..`
//! (see [`NlpCell`]); the official string format is the benchmark's JSON
//! recipe. Sampling follows the paper's generation procedure.

use std::collections::HashSet;

use oxinas_core::{ConfigError, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

use crate::nlp_canonical::canonical_key;
use crate::nlp_cell::{NlpCell, NlpInput, NlpNode, NlpOp, prune_dead};
use crate::nlp_generator::generate;
use crate::nlp_recipe::{format_recipe, parse_recipe};

/// The NAS-Bench-NLP search space.
///
/// Sampling draws a hidden-tuple size and a number of intermediate vertices
/// uniformly from the configured lists and runs the paper's generator with
/// them; the defaults (sizes 1, 2, 3 and 7, 14, 21 intermediate vertices) are
/// the grid of the benchmark's release. Mutation rewires one input, changes
/// one activation, or swaps an element-wise product and sum, and keeps only
/// cells that pass the paper's sanity check.
#[derive(Clone, Debug)]
pub struct NlpSpace {
    hidden_sizes: Vec<usize>,
    intermediate_vertices: Vec<usize>,
}

impl Default for NlpSpace {
    fn default() -> Self {
        Self::new()
    }
}

impl NlpSpace {
    /// The space with the benchmark's generator settings.
    pub fn new() -> Self {
        Self {
            hidden_sizes: vec![1, 2, 3],
            intermediate_vertices: vec![7, 14, 21],
        }
    }

    /// A space whose sampler draws hidden-tuple sizes from `hidden_sizes`
    /// (each 1 to 3) and intermediate-vertex counts from `intermediate_vertices`
    /// (each 1 to 64).
    pub fn with_generator(
        hidden_sizes: Vec<usize>,
        intermediate_vertices: Vec<usize>,
    ) -> Result<Self, ConfigError> {
        if hidden_sizes.is_empty() || hidden_sizes.iter().any(|h| !(1..=3).contains(h)) {
            return Err(ConfigError::new(
                "hidden_sizes",
                format!("a non-empty list of values in 1..=3, found {hidden_sizes:?}"),
            ));
        }
        if intermediate_vertices.is_empty()
            || intermediate_vertices.iter().any(|v| !(1..=64).contains(v))
        {
            return Err(ConfigError::new(
                "intermediate_vertices",
                format!("a non-empty list of values in 1..=64, found {intermediate_vertices:?}"),
            ));
        }
        Ok(Self {
            hidden_sizes,
            intermediate_vertices,
        })
    }

    /// Whether `cell` passes the paper's sanity check (see
    /// [`NlpCell::passes_sanity_check`]); the structural rules hold for every
    /// [`NlpCell`] by construction.
    pub fn is_valid(&self, cell: &NlpCell) -> bool {
        cell.passes_sanity_check()
    }

    /// The inputs node `node` may read under the generator's rules, among the
    /// cell inputs and earlier nodes.
    fn eligible_inputs(cell: &NlpCell, node: usize) -> Vec<NlpInput> {
        let op = cell.nodes()[node].op;
        let prev = (0..cell.hidden_size() as u8).map(NlpInput::HPrev);
        let earlier = (0..node as u16).map(NlpInput::Node);
        let earlier_with = |wanted: fn(NlpOp) -> bool| {
            earlier
                .clone()
                .filter(move |i| match i {
                    NlpInput::Node(j) => wanted(cell.nodes()[usize::from(*j)].op),
                    _ => false,
                })
                .collect::<Vec<_>>()
        };
        match op {
            NlpOp::Linear => std::iter::once(NlpInput::X)
                .chain(prev)
                .chain(earlier_with(NlpOp::is_activation))
                .collect(),
            _ if op.is_activation() => earlier_with(|o| o == NlpOp::Linear),
            _ => prev.chain(earlier.clone()).collect(),
        }
    }

    fn rebuild(&self, nodes: Vec<NlpNode>, outputs: Vec<u16>) -> Option<NlpCell> {
        let (nodes, outputs) = prune_dead(nodes, outputs);
        NlpCell::new(nodes, outputs)
            .ok()
            .filter(|c| c.passes_sanity_check())
    }
}

impl SearchSpace for NlpSpace {
    type Arch = NlpCell;
    type Canonical = String;

    fn name(&self) -> &'static str {
        "nas-bench-nlp"
    }

    fn sample(&self, rng: &mut dyn RngCore) -> NlpCell {
        let hidden = self.hidden_sizes[rng.random_range(0..self.hidden_sizes.len())];
        let intermediate =
            self.intermediate_vertices[rng.random_range(0..self.intermediate_vertices.len())];
        generate(rng, hidden, intermediate)
    }

    /// A uniformly chosen neighbour; a fresh sample when the cell has none.
    fn mutate(&self, arch: &NlpCell, rng: &mut dyn RngCore) -> NlpCell {
        let neighbors = self.neighbors(arch);
        if neighbors.is_empty() {
            loop {
                let fresh = self.sample(rng);
                if fresh != *arch {
                    return fresh;
                }
            }
        }
        neighbors[rng.random_range(0..neighbors.len())].clone()
    }

    /// Every distinct cell reached by one change that passes the sanity check:
    /// another activation on an activation node, product and sum swapped on an
    /// element-wise node, or one input of a node replaced by another input the
    /// generator allows there (nodes that then feed no output are removed).
    /// Order: node by node, op changes before rewirings, inputs in slot order.
    fn neighbors(&self, arch: &NlpCell) -> Vec<NlpCell> {
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut push = |cell: Option<NlpCell>, out: &mut Vec<NlpCell>| {
            if let Some(cell) = cell
                && cell != *arch
                && seen.insert(cell.clone())
            {
                out.push(cell);
            }
        };
        let outputs = arch.outputs().to_vec();
        for (i, node) in arch.nodes().iter().enumerate() {
            let replacements: Vec<NlpOp> = match node.op {
                NlpOp::ElementwiseProd => vec![NlpOp::ElementwiseSum],
                NlpOp::ElementwiseSum => vec![NlpOp::ElementwiseProd],
                op if op.is_activation() => NlpOp::ACTIVATIONS
                    .into_iter()
                    .filter(|&a| a != op)
                    .collect(),
                _ => Vec::new(),
            };
            for op in replacements {
                let mut nodes = arch.nodes().to_vec();
                nodes[i].op = op;
                push(self.rebuild(nodes, outputs.clone()), &mut out);
            }
            let eligible = Self::eligible_inputs(arch, i);
            for slot in 0..node.inputs.len() {
                for &candidate in &eligible {
                    if node.inputs.contains(&candidate) {
                        continue;
                    }
                    let mut nodes = arch.nodes().to_vec();
                    nodes[i].inputs[slot] = candidate;
                    push(self.rebuild(nodes, outputs.clone()), &mut out);
                }
            }
        }
        out
    }

    fn canonical(&self, arch: &NlpCell) -> String {
        canonical_key(arch)
    }

    /// Not countable: the generator's graphs have no closed-form count.
    fn cardinality(&self) -> Option<u128> {
        None
    }

    fn format(&self, arch: &NlpCell) -> String {
        format_recipe(arch)
    }

    fn parse(&self, text: &str) -> Result<NlpCell, ParseArchError> {
        parse_recipe(text)
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;

    use super::*;
    use crate::NlpGeneratorRule;

    const RNN: &str = r#"{"f": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", "input": ["f"]}}"#;
    // The LSTM and GRU cells as the benchmark writes them (recipes 1000001 and 1000002).
    const LSTM: &str = r#"{"i": {"op": "linear", "input": ["x", "h_prev_0"]}, "i_act": {"op": "activation_tanh", "input": ["i"]}, "j": {"op": "linear", "input": ["x", "h_prev_0"]}, "j_act": {"op": "activation_sigm", "input": ["j"]}, "f": {"op": "linear", "input": ["x", "h_prev_0"]}, "f_act": {"op": "activation_sigm", "input": ["f"]}, "o": {"op": "linear", "input": ["x", "h_prev_0"]}, "o_act": {"op": "activation_tanh", "input": ["o"]}, "h_new_1_part1": {"op": "elementwise_prod", "input": ["f_act", "h_prev_1"]}, "h_new_1_part2": {"op": "elementwise_prod", "input": ["i_act", "j_act"]}, "h_new_1": {"op": "elementwise_sum", "input": ["h_new_1_part1", "h_new_1_part2"]}, "h_new_1_act": {"op": "activation_tanh", "input": ["h_new_1"]}, "h_new_0": {"op": "elementwise_prod", "input": ["h_new_1_act", "o_act"]}}"#;
    const GRU: &str = r#"{"r": {"op": "linear", "input": ["x", "h_prev_0"]}, "r_act": {"op": "activation_sigm", "input": ["r"]}, "z": {"op": "linear", "input": ["x", "h_prev_0"]}, "z_act": {"op": "activation_sigm", "input": ["z"]}, "rh": {"op": "elementwise_prod", "input": ["r_act", "h_prev_0"]}, "h_tilde": {"op": "linear", "input": ["x", "rh"]}, "h_tilde_act": {"op": "activation_tanh", "input": ["h_tilde"]}, "h_new_0": {"op": "blend", "input": ["z_act", "h_prev_0", "h_tilde_act"]}}"#;

    #[test]
    fn baseline_cells_parse_with_their_known_rule_breaks() {
        let space = NlpSpace::new();
        let rnn = space.parse(RNN).unwrap();
        assert_eq!((rnn.nodes().len(), rnn.hidden_size()), (2, 1));
        assert!(rnn.generator_violations().is_empty());
        let lstm = space.parse(LSTM).unwrap();
        assert_eq!((lstm.nodes().len(), lstm.hidden_size()), (13, 2));
        assert_eq!(
            lstm.nodes()[usize::from(lstm.outputs()[0])].op,
            NlpOp::ElementwiseProd
        );
        let v = lstm.generator_violations();
        assert_eq!(v.len(), 1);
        assert!(matches!(
            v[0],
            NlpGeneratorRule::ActivationNotAfterLinear { .. }
        ));
        assert!(space.is_valid(&lstm));
        let gru = space.parse(GRU).unwrap();
        let v = gru.generator_violations();
        assert!(v.contains(&NlpGeneratorRule::HiddenStateBypass { output: 0 }));
        assert!(
            v.iter()
                .any(|r| matches!(r, NlpGeneratorRule::LinearInputNotActivation { .. }))
        );
        assert!(!space.is_valid(&gru));
    }

    #[test]
    fn format_round_trips_and_parse_ignores_names_and_key_order() {
        let space = NlpSpace::new();
        for text in [RNN, LSTM, GRU] {
            let cell = space.parse(text).unwrap();
            let formatted = space.format(&cell);
            assert_eq!(space.parse(&formatted).unwrap(), cell, "{formatted}");
        }
        let renamed = r#"{"h_new_0": {"op": "activation_tanh", "input": ["zz"]}, "zz": {"op": "linear", "input": ["x", "h_prev_0"]}}"#;
        assert_eq!(space.parse(renamed).unwrap(), space.parse(RNN).unwrap());
        assert_eq!(
            space.format(&space.parse(RNN).unwrap()),
            r#"{"node_0": {"op": "linear", "input": ["x", "h_prev_0"]}, "h_new_0": {"op": "activation_tanh", "input": ["node_0"]}}"#
        );
        let mut rng = rng_from_seed(11);
        for _ in 0..200 {
            let cell = space.sample(&mut rng);
            assert_eq!(space.parse(&space.format(&cell)).unwrap(), cell);
        }
    }

    #[test]
    fn canonical_merges_isomorphic_cells_only() {
        let space = NlpSpace::new();
        let lstm = space.parse(LSTM).unwrap();
        // Same LSTM with renamed nodes, commutative inputs swapped, keys reordered.
        let shuffled = LSTM
            .replace("\"x\", \"h_prev_0\"", "\"h_prev_0\", \"x\"")
            .replace("[\"i_act\", \"j_act\"]", "[\"j_act\", \"i_act\"]")
            .replace("f_act", "q9")
            .replace("\"o\"", "\"a_o\"");
        let shuffled = space.parse(&shuffled).unwrap();
        assert_ne!(shuffled, lstm);
        assert_eq!(space.canonical(&shuffled), space.canonical(&lstm));
        // Blend inputs are ordered: swapping the blended pair is another cell.
        let gru = space.parse(GRU).unwrap();
        let swapped = space.parse(&GRU.replace(
            "[\"z_act\", \"h_prev_0\", \"h_tilde_act\"]",
            "[\"z_act\", \"h_tilde_act\", \"h_prev_0\"]",
        ));
        assert_ne!(space.canonical(&swapped.unwrap()), space.canonical(&gru));
        // Changing one activation changes the key.
        let other = space
            .parse(&LSTM.replacen("activation_tanh", "activation_sigm", 1))
            .unwrap();
        assert_ne!(space.canonical(&other), space.canonical(&lstm));
        // Hidden elements 1 and 2 are interchangeable.
        let three = r#"{"a": {"op": "linear", "input": ["x", "h_prev_0"]}, "b": {"op": "activation_tanh", "input": ["a"]}, "c": {"op": "linear", "input": ["b", "h_prev_1", "h_prev_2"]}, "h_new_0": {"op": "activation_sigm", "input": ["c"]}, "d": {"op": "linear", "input": ["h_prev_1", "b"]}, "h_new_1": {"op": "activation_tanh", "input": ["d"]}, "h_new_2": {"op": "elementwise_sum", "input": ["h_new_0", "b"]}}"#;
        let relabelled = three
            .replace("h_prev_1", "TMP")
            .replace("h_prev_2", "h_prev_1")
            .replace("TMP", "h_prev_2")
            .replace("h_new_1", "TMP")
            .replace("h_new_2", "h_new_1")
            .replace("TMP", "h_new_2");
        let a = space.parse(three).unwrap();
        let b = space.parse(&relabelled).unwrap();
        assert_ne!(a, b);
        assert_eq!(space.canonical(&a), space.canonical(&b));
    }

    #[test]
    fn canonical_keeps_shared_and_separate_nodes_apart() {
        let space = NlpSpace::new();
        // One linear node read by two activations vs two identical linear nodes.
        let shared = r#"{"l": {"op": "linear", "input": ["x", "h_prev_0"]}, "a": {"op": "activation_tanh", "input": ["l"]}, "b": {"op": "activation_sigm", "input": ["l"]}, "h_new_0": {"op": "elementwise_sum", "input": ["a", "b"]}}"#;
        let separate = r#"{"l": {"op": "linear", "input": ["x", "h_prev_0"]}, "m": {"op": "linear", "input": ["x", "h_prev_0"]}, "a": {"op": "activation_tanh", "input": ["l"]}, "b": {"op": "activation_sigm", "input": ["m"]}, "h_new_0": {"op": "elementwise_sum", "input": ["a", "b"]}}"#;
        let a = space.parse(shared).unwrap();
        let b = space.parse(separate).unwrap();
        assert_ne!(space.canonical(&a), space.canonical(&b));
    }

    #[test]
    fn malformed_recipes_name_the_problem() {
        let space = NlpSpace::new();
        let cases = [
            ("not json", "a JSON object"),
            (r#"{"a": {"op": "linear", "input": ["x"]}}"#, "h_new_0"),
            (
                r#"{"h_new_0": {"op": "conv", "input": ["x", "h_prev_0"]}}"#,
                "found `conv`",
            ),
            (
                r#"{"h_new_0": {"op": "linear", "input": ["x", "y"]}}"#,
                "reads `y`",
            ),
            (
                r#"{"h_new_0": {"op": "linear", "input": ["x", "h_prev_1"]}}"#,
                "reads `h_prev_1`",
            ),
            (
                r#"{"a": {"op": "activation_tanh", "input": ["h_new_0"]}, "h_new_0": {"op": "linear", "input": ["x", "a"]}}"#,
                "cycle",
            ),
            (
                r#"{"h_new_0": {"op": "linear", "input": ["x", "h_prev_0", "h_prev_0"]}}"#,
                "twice",
            ),
            (
                r#"{"h_new_0": {"op": "elementwise_sum", "input": ["x", "h_prev_0"]}}"#,
                "reads x directly",
            ),
            (
                r#"{"h_new_0": {"op": "linear", "input": ["x"]}}"#,
                "takes 2 to 3 inputs, found 1",
            ),
            (
                r#"{"d": {"op": "activation_tanh", "input": ["x"]}, "h_new_0": {"op": "linear", "input": ["x", "h_prev_0"]}}"#,
                "node `d` feeds no h_new output",
            ),
            (
                r#"{"h_new_0": {"op": "activation_tanh", "input": ["x"]}}"#,
                "h_prev_0 is not used",
            ),
            (
                r#"{"h_new_0": {"op": "linear", "input": ["x", "h_prev_0"], "extra": 1}}"#,
                "unknown field",
            ),
        ];
        for (input, expected) in cases {
            let message = space.parse(input).unwrap_err().to_string();
            assert!(message.contains(expected), "{input}: {message}");
            assert!(message.contains("malformed nas-bench-nlp architecture"));
        }
    }

    #[test]
    fn samples_follow_the_generator_rules_and_are_reproducible() {
        let space = NlpSpace::new();
        let mut rng = rng_from_seed(5);
        let mut sizes = HashSet::new();
        let mut keys = HashSet::new();
        for _ in 0..300 {
            let cell = space.sample(&mut rng);
            assert!(
                cell.generator_violations().is_empty(),
                "{}",
                space.format(&cell)
            );
            assert!(cell.nodes().len() <= 3 + 21 + 1);
            sizes.insert(cell.hidden_size());
            keys.insert(space.canonical(&cell));
        }
        assert_eq!(sizes.len(), 3);
        // The generator repeats small cells now and then (the release notes it too).
        assert!(keys.len() > 250, "{} distinct of 300", keys.len());
        let a: Vec<_> = (0..20)
            .map(|_| space.sample(&mut rng_from_seed(9)))
            .collect();
        let b: Vec<_> = (0..20)
            .map(|_| space.sample(&mut rng_from_seed(9)))
            .collect();
        assert_eq!(a, b);
        let restricted = NlpSpace::with_generator(vec![2], vec![7]).unwrap();
        assert!((0..50).all(|_| restricted.sample(&mut rng).hidden_size() == 2));
        assert!(NlpSpace::with_generator(vec![4], vec![7]).is_err());
        assert!(NlpSpace::with_generator(vec![1], vec![]).is_err());
    }

    #[test]
    fn neighbors_are_valid_distinct_and_contain_mutations() {
        let space = NlpSpace::new();
        let mut rng = rng_from_seed(8);
        for _ in 0..40 {
            let cell = space.sample(&mut rng);
            let neighbors = space.neighbors(&cell);
            assert!(!neighbors.is_empty());
            assert_eq!(
                neighbors.iter().collect::<HashSet<_>>().len(),
                neighbors.len()
            );
            for n in &neighbors {
                assert_ne!(*n, cell);
                assert!(space.is_valid(n));
                assert_eq!(space.parse(&space.format(n)).unwrap(), *n);
            }
            let child = space.mutate(&cell, &mut rng);
            assert!(neighbors.contains(&child));
        }
        // The RNN cell: 2 other activations, and the linear node may read
        // h_prev_0 or x in a slot only by dropping the other, which leaves an
        // input unused; so exactly the 2 activation changes remain.
        let rnn = space.parse(RNN).unwrap();
        let neighbors = space.neighbors(&rnn);
        assert_eq!(neighbors.len(), 2);
        assert!(
            neighbors
                .iter()
                .all(|n| n.nodes()[1].op != NlpOp::ActivationTanh)
        );
    }
}
