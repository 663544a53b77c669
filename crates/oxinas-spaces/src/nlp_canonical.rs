//! Isomorphism-invariant keys of NAS-Bench-NLP cells.
//!
//! The key is a full description of the graph written in an order that does
//! not depend on node names or positions: nodes are numbered in post-order of a
//! depth-first walk from `h_new_0, h_new_1, ..`, and the inputs of commutative
//! ops (all but `blend`) are visited in the order of a structural colour that
//! summarises both what a node computes and how the rest of the cell uses it
//! (colour refinement in both directions). Hidden elements 1 and 2 may be swapped together
//! (`h_prev_k` and `h_new_k` are the same state at two time steps; only
//! element 0 is the output), so the key is the smallest over those relabellings.
//!
//! Because the key describes the graph completely, equal keys always mean
//! isomorphic cells. Conversely, isomorphic cells get one key whenever colour
//! refinement tells apart all nodes that are not symmetric images of each
//! other, which the space-law tests check on random relabellings.

use std::fmt::Write;

use crate::nlp_cell::{NlpCell, NlpInput};

/// 64-bit FNV-1a: a stable hash, identical on every platform and version.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        // Separates parts so that ("ab","c") and ("a","bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn permutations(hidden: usize) -> Vec<Vec<u8>> {
    match hidden {
        3 => vec![vec![0, 1, 2], vec![0, 2, 1]],
        n => vec![(0..n as u8).collect()],
    }
}

/// The key of `cell` (see the module documentation).
pub(crate) fn canonical_key(cell: &NlpCell) -> String {
    permutations(cell.hidden_size())
        .iter()
        .map(|perm| describe(cell, perm))
        .min()
        .unwrap_or_default()
}

fn describe(cell: &NlpCell, perm: &[u8]) -> String {
    let nodes = cell.nodes();
    let base_label = |input: &NlpInput| match input {
        NlpInput::X => "x".to_owned(),
        NlpInput::HPrev(k) => format!("h{}", perm[usize::from(*k)]),
        NlpInput::Node(_) => unreachable!("only cell inputs have base labels"),
    };
    let colours = refined_colours(cell, perm, &base_label);
    let mut ids: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut text = String::new();
    let mut next_id = 0;
    let mut order: Vec<usize> = vec![0; cell.hidden_size()];
    for (k, &o) in cell.outputs().iter().enumerate() {
        order[usize::from(perm[k])] = usize::from(o);
    }
    // Iterative post-order walk; a frame is (node, inputs in visiting order, next input).
    for &root in &order {
        let mut stack: Vec<(usize, Vec<NlpInput>, usize)> = Vec::new();
        if ids[root].is_none() {
            stack.push((root, visit_order(cell, &colours, perm, root), 0));
        }
        while let Some((node, inputs, next)) = stack.last_mut() {
            if let Some(&input) = inputs.get(*next) {
                *next += 1;
                if let NlpInput::Node(j) = input
                    && ids[usize::from(j)].is_none()
                    && !stack.iter().any(|(n, _, _)| *n == usize::from(j))
                {
                    let j = usize::from(j);
                    stack.push((j, visit_order(cell, &colours, perm, j), 0));
                }
                continue;
            }
            let node = *node;
            let inputs = std::mem::take(inputs);
            stack.pop();
            ids[node] = Some(next_id);
            next_id += 1;
            let _ = write!(text, "{}(", nodes[node].op.name());
            for (s, input) in inputs.iter().enumerate() {
                if s > 0 {
                    text.push(',');
                }
                match input {
                    NlpInput::Node(j) => {
                        let _ = write!(text, "n{}", ids[usize::from(*j)].unwrap_or(usize::MAX));
                    }
                    other => text.push_str(&base_label(other)),
                }
            }
            text.push_str(");");
        }
    }
    text.push('|');
    for (m, root) in order.iter().enumerate() {
        if m > 0 {
            text.push(',');
        }
        let _ = write!(text, "n{}", ids[*root].unwrap_or(usize::MAX));
    }
    text
}

/// Colours of the nodes that depend only on the graph's structure: each node
/// starts from its op (and its hidden-output index, after relabelling), then
/// repeatedly absorbs the colours of its inputs (sorted for commutative ops)
/// and of its consumers (with the slot for blends), until information from
/// the whole graph has reached every node. Nodes that still share a colour
/// are, in these cells, images of each other under an automorphism, so the
/// order in which they are visited does not change the description.
fn refined_colours(
    cell: &NlpCell,
    perm: &[u8],
    base_label: &dyn Fn(&NlpInput) -> String,
) -> Vec<u64> {
    let nodes = cell.nodes();
    let n = nodes.len();
    let mut consumers: Vec<Vec<(usize, u8)>> = vec![Vec::new(); n];
    for (i, node) in nodes.iter().enumerate() {
        for (slot, input) in node.inputs.iter().enumerate() {
            if let NlpInput::Node(j) = input {
                let slot = if node.op.is_commutative() {
                    0
                } else {
                    slot as u8 + 1
                };
                consumers[usize::from(*j)].push((i, slot));
            }
        }
    }
    let mut colour: Vec<u64> = (0..n)
        .map(|i| {
            let output = match cell.output_index(i) {
                Some(k) => format!("out{}", perm[k]),
                None => "-".to_owned(),
            };
            fnv(&[nodes[i].op.name().as_bytes(), output.as_bytes()])
        })
        .collect();
    for _ in 0..=n {
        let next: Vec<u64> = (0..n)
            .map(|i| {
                let mut ins: Vec<u64> = nodes[i]
                    .inputs
                    .iter()
                    .map(|input| match input {
                        NlpInput::Node(j) => colour[usize::from(*j)],
                        other => fnv(&[base_label(other).as_bytes()]),
                    })
                    .collect();
                if nodes[i].op.is_commutative() {
                    ins.sort_unstable();
                }
                let mut outs: Vec<(u64, u8)> = consumers[i]
                    .iter()
                    .map(|&(c, slot)| (colour[c], slot))
                    .collect();
                outs.sort_unstable();
                let ins: Vec<u8> = ins.iter().flat_map(|h| h.to_le_bytes()).collect();
                let outs: Vec<u8> = outs
                    .iter()
                    .flat_map(|(h, s)| h.to_le_bytes().into_iter().chain([*s]))
                    .collect();
                fnv(&[&colour[i].to_le_bytes(), &ins, &outs])
            })
            .collect();
        colour = next;
    }
    colour
}

/// The inputs of `node`, sorted by structural colour when the op is commutative.
fn visit_order(cell: &NlpCell, colours: &[u64], perm: &[u8], node: usize) -> Vec<NlpInput> {
    let spec = &cell.nodes()[node];
    let mut inputs = spec.inputs.clone();
    if spec.op.is_commutative() {
        let key = |input: &NlpInput| match input {
            NlpInput::Node(j) => (1u8, colours[usize::from(*j)]),
            NlpInput::X => (0, 0),
            NlpInput::HPrev(k) => (0, 1 + u64::from(perm[usize::from(*k)])),
        };
        inputs.sort_by_key(key);
    }
    inputs
}
