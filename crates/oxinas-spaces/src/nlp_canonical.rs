//! Isomorphism-invariant keys of NAS-Bench-NLP cells.
//!
//! The key is a full description of the graph written in an order that does
//! not depend on node names or positions: nodes are numbered in post-order of a
//! depth-first walk from `h_new_0, h_new_1, ..`, and the inputs of commutative
//! ops (all but `blend`) are visited in the order of a structural hash of the
//! sub-graph they compute. Hidden elements 1 and 2 may be swapped together
//! (`h_prev_k` and `h_new_k` are the same state at two time steps; only
//! element 0 is the output), so the key is the smallest over those relabellings.
//!
//! Because the key describes the graph completely, equal keys always mean
//! isomorphic cells. The converse holds except when a commutative node reads
//! two distinct nodes with identical sub-graphs whose order matters elsewhere;
//! then isomorphic cells may get two keys (they are never wrongly merged).

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
    let mut merkle = vec![0u64; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        let mut child: Vec<u64> = node
            .inputs
            .iter()
            .map(|input| match input {
                NlpInput::Node(j) => merkle[usize::from(*j)],
                other => fnv(&[base_label(other).as_bytes()]),
            })
            .collect();
        if node.op.is_commutative() {
            child.sort_unstable();
        }
        let bytes: Vec<u8> = child.iter().flat_map(|h| h.to_le_bytes()).collect();
        merkle[i] = fnv(&[node.op.name().as_bytes(), &bytes]);
    }
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
            stack.push((root, visit_order(cell, &merkle, perm, root), 0));
        }
        while let Some((node, inputs, next)) = stack.last_mut() {
            if let Some(&input) = inputs.get(*next) {
                *next += 1;
                if let NlpInput::Node(j) = input
                    && ids[usize::from(j)].is_none()
                    && !stack.iter().any(|(n, _, _)| *n == usize::from(j))
                {
                    let j = usize::from(j);
                    stack.push((j, visit_order(cell, &merkle, perm, j), 0));
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

/// The inputs of `node`, sorted by structural hash when the op is commutative.
fn visit_order(cell: &NlpCell, merkle: &[u64], perm: &[u8], node: usize) -> Vec<NlpInput> {
    let spec = &cell.nodes()[node];
    let mut inputs = spec.inputs.clone();
    if spec.op.is_commutative() {
        let key = |input: &NlpInput| match input {
            NlpInput::Node(j) => (1u8, merkle[usize::from(*j)]),
            NlpInput::X => (0, 0),
            NlpInput::HPrev(k) => (0, 1 + u64::from(perm[usize::from(*k)])),
        };
        inputs.sort_by_key(key);
    }
    inputs
}
