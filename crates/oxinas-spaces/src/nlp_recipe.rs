//! The NAS-Bench-NLP recipe format: a JSON object mapping node names to
//! `{"op": op, "input": [names]}`, with cell inputs `x`, `h_prev_k` and hidden
//! outputs `h_new_k`. Intermediate names are free (`node_3`, `f_act`).

use std::collections::HashMap;
use std::fmt::{self, Write};

use oxinas_core::ParseArchError;
use serde::Deserialize;
use serde::de::{MapAccess, Visitor};

use crate::nlp_cell::{NlpCell, NlpInput, NlpNode, NlpOp};

const SPACE: &str = "nas-bench-nlp";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipeNode {
    op: String,
    input: Vec<String>,
}

/// The recipe's nodes in the order the text lists them.
struct OrderedRecipe(Vec<(String, RecipeNode)>);

impl<'de> Deserialize<'de> for OrderedRecipe {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = OrderedRecipe;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of nodes")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<OrderedRecipe, M::Error> {
                let mut entries: Vec<(String, RecipeNode)> = Vec::new();
                while let Some((name, node)) = map.next_entry::<String, RecipeNode>()? {
                    if entries.iter().any(|(n, _)| *n == name) {
                        return Err(serde::de::Error::custom(format!(
                            "node `{name}` defined twice"
                        )));
                    }
                    entries.push((name, node));
                }
                Ok(OrderedRecipe(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

fn hidden_output_index(name: &str) -> Option<usize> {
    let digits = name.strip_prefix("h_new_")?;
    (digits.len() == 1).then(|| digits.parse().ok()).flatten()
}

/// Reads a recipe. Nodes are put in topological order, ties broken by the
/// order of the text, so that formatting and parsing again gives the same cell.
pub(crate) fn parse_recipe(text: &str) -> Result<NlpCell, ParseArchError> {
    let err = |expected: String| ParseArchError::new(SPACE, text, expected);
    let OrderedRecipe(entries) = serde_json::from_str(text).map_err(|e| {
        err(format!(
            "a JSON object of nodes `{{\"name\": {{\"op\": op, \"input\": [names]}}}}`: {e}"
        ))
    })?;
    let recipe: HashMap<&str, &RecipeNode> = entries.iter().map(|(n, r)| (n.as_str(), r)).collect();
    let mut hidden = 0;
    for name in recipe.keys() {
        if let Some(k) = hidden_output_index(name) {
            hidden = hidden.max(k + 1);
        }
        if *name == "x" || name.starts_with("h_prev_") {
            return Err(err(format!("cell input `{name}` defined as a node")));
        }
    }
    if !(1..=3).contains(&hidden) {
        return Err(err(format!(
            "nodes h_new_0 .. h_new_k with k < 3, found h_new_{}",
            hidden.max(1) - 1
        )));
    }
    for k in 0..hidden {
        if !recipe.contains_key(format!("h_new_{k}").as_str()) {
            return Err(err(format!(
                "node h_new_{k} (outputs h_new_0..h_new_{} must all exist)",
                hidden - 1
            )));
        }
    }
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    // Validate references before ordering, so that errors name the culprit.
    let base_input = |name: &str| -> Option<NlpInput> {
        if name == "x" {
            return Some(NlpInput::X);
        }
        let k: usize = name.strip_prefix("h_prev_")?.parse().ok()?;
        (k < hidden).then_some(NlpInput::HPrev(k as u8))
    };
    for (name, node) in &entries {
        for input in &node.input {
            if base_input(input).is_none() && !recipe.contains_key(input.as_str()) {
                return Err(err(format!(
                    "node `{name}` reads `{input}`, which is neither x, h_prev_0..h_prev_{} nor a node",
                    hidden - 1
                )));
            }
        }
        if NlpOp::from_name(&node.op).is_none() {
            return Err(err(format!(
                "node `{name}`: an op among linear, blend, elementwise_prod, elementwise_sum, \
                 activation_tanh, activation_sigm, activation_leaky_relu, found `{}`",
                node.op
            )));
        }
    }
    // Kahn's algorithm, always taking the first ready node in text order.
    let mut position: HashMap<&str, u16> = HashMap::new();
    let mut nodes = Vec::with_capacity(names.len());
    let mut placed = vec![false; names.len()];
    while nodes.len() < names.len() {
        let next = names.iter().enumerate().find(|&(i, name)| {
            !placed[i]
                && recipe[name].input.iter().all(|input| {
                    base_input(input).is_some() || position.contains_key(input.as_str())
                })
        });
        let Some((i, name)) = next else {
            let stuck: Vec<&str> = names
                .iter()
                .enumerate()
                .filter(|(i, _)| !placed[*i])
                .map(|(_, n)| *n)
                .collect();
            return Err(err(format!(
                "an acyclic graph; nodes {stuck:?} form or depend on a cycle"
            )));
        };
        let spec = recipe[name];
        let inputs = spec
            .input
            .iter()
            .map(|input| {
                base_input(input).unwrap_or_else(|| NlpInput::Node(position[input.as_str()]))
            })
            .collect();
        let op = NlpOp::from_name(&spec.op).unwrap_or(NlpOp::Linear);
        position.insert(name, nodes.len() as u16);
        placed[i] = true;
        nodes.push(NlpNode { op, inputs });
    }
    let outputs = (0..hidden)
        .map(|k| position[format!("h_new_{k}").as_str()])
        .collect();
    let node_names: Vec<&str> = {
        let mut by_position = vec![""; names.len()];
        for (name, &p) in &position {
            by_position[usize::from(p)] = name;
        }
        by_position
    };
    NlpCell::new(nodes, outputs).map_err(|e| {
        let mut message = e.to_string();
        // Replace positions by the recipe's own names where the error has one.
        for (p, name) in node_names.iter().enumerate().rev() {
            message = message.replace(&format!("node {p}"), &format!("node `{name}`"));
        }
        err(format!("a valid cell: {message}"))
    })
}

/// Writes `cell` as a recipe: nodes in their order, outputs named `h_new_k`,
/// the others `node_i`, in the spacing of Python's `json.dumps`.
pub(crate) fn format_recipe(cell: &NlpCell) -> String {
    let name = |i: usize| match cell.output_index(i) {
        Some(k) => format!("h_new_{k}"),
        None => format!("node_{i}"),
    };
    let mut out = String::from("{");
    for (i, node) in cell.nodes().iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(
            out,
            "\"{}\": {{\"op\": \"{}\", \"input\": [",
            name(i),
            node.op.name()
        );
        for (s, input) in node.inputs.iter().enumerate() {
            if s > 0 {
                out.push_str(", ");
            }
            let text = match input {
                NlpInput::Node(j) => name(usize::from(*j)),
                other => other.to_string(),
            };
            let _ = write!(out, "\"{text}\"");
        }
        out.push_str("]}");
    }
    out.push('}');
    out
}
