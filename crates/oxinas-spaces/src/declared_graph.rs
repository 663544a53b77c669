//! The graph part of a declared space: a DAG of candidate edges with
//! operations on edges or on nodes, its validity, and the canonical form that
//! merges isomorphic cells.
//!
//! The canonical form depends on where operations sit:
//!
//! * **ops on edges**: the cell's function written as an expression, as
//!   NAS-Bench-201's reference code does for its cells: the input is `0`, an
//!   edge applies its operation to its source's expression, a node sums its
//!   inputs in sorted order, the zero operation gives `#` and the identity
//!   passes its input through. Isomorphic cells and cells that differ only on
//!   dead branches get the same expression. A node whose single input is zero
//!   is zero; a node summing several zero terms is kept distinct, exactly as
//!   the reference does, so that NAS-Bench-201 re-declared gives its
//!   published 6,466 classes.
//! * **ops on nodes**: NAS-Bench-101's fingerprint. Nodes off every
//!   input-to-output path (and nodes with the zero operation) are pruned,
//!   then node hashes of (out-degree, in-degree, op) are refined as many
//!   times as there are nodes by hashing the sorted hashes of in- and
//!   out-neighbours (Weisfeiler-Lehman), and the sorted final hashes are
//!   hashed. Unlike an expression, this keeps a node shared by two branches
//!   apart from two copies of it, which have their own weights.

use std::collections::HashMap;

use md5::{Digest, Md5};

use crate::declared_file::OpsOn;

/// Longer sub-expressions are replaced by their digest, so that deep cells
/// keep short keys (an expression can double in length per node).
const LONGEST_EXPRESSION: usize = 96;

/// The graph of a declared space, checked: acyclic, every node on some path
/// from the input to the output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredGraph {
    pub(crate) nodes: usize,
    pub(crate) input: usize,
    pub(crate) output: usize,
    pub(crate) ops_on: OpsOn,
    pub(crate) ops: Vec<String>,
    /// Candidate edges `(from, to)`, ordered by `to`, then `from`, in
    /// topological order of the nodes.
    pub(crate) edges: Vec<(usize, usize)>,
    /// Nodes in topological order (input first, output last).
    pub(crate) order: Vec<usize>,
    /// Interior nodes in topological order (they carry ops when on nodes).
    pub(crate) interior: Vec<usize>,
    pub(crate) zero_op: Option<u16>,
    pub(crate) identity_op: Option<u16>,
    pub(crate) max_edges: Option<usize>,
    pub(crate) require_path: bool,
}

/// A declared cell's structure: which candidate edges are present and which
/// op each edge or node carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellView {
    /// Present edges `(from, to, op)`; `op` is the edge's op when ops sit on
    /// edges, `None` otherwise.
    pub edges: Vec<(usize, usize, Option<u16>)>,
    /// The op of each node when ops sit on nodes (`None` for the input, the
    /// output and when ops sit on edges).
    pub node_ops: Vec<Option<u16>>,
}

impl DeclaredGraph {
    /// Nodes, input and output included.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The input node.
    pub fn input(&self) -> usize {
        self.input
    }

    /// The output node.
    pub fn output(&self) -> usize {
        self.output
    }

    /// Whether operations sit on edges or on nodes.
    pub fn ops_on(&self) -> OpsOn {
        self.ops_on
    }

    /// The operation names, in declaration order.
    pub fn ops(&self) -> &[String] {
        &self.ops
    }

    /// Candidate edges `(from, to)`.
    pub fn edges(&self) -> &[(usize, usize)] {
        &self.edges
    }

    /// Nodes in topological order, input first and output last.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// Interior nodes in topological order.
    pub fn interior(&self) -> &[usize] {
        &self.interior
    }

    /// The zero operation's index, if declared.
    pub fn zero_op(&self) -> Option<u16> {
        self.zero_op
    }

    /// Number of choices the graph contributes: one per edge when ops sit on
    /// edges; one per interior node and one per edge otherwise.
    pub fn num_choices(&self) -> usize {
        match self.ops_on {
            OpsOn::Edges => self.edges.len(),
            OpsOn::Nodes => self.interior.len() + self.edges.len(),
        }
    }

    /// The graph's choices as `(name, values)`, in order.
    pub(crate) fn choices(&self) -> Vec<(String, Vec<String>)> {
        let edge_name = |&(from, to): &(usize, usize)| format!("edge_{from}_{to}");
        match self.ops_on {
            OpsOn::Edges => self
                .edges
                .iter()
                .map(|e| (edge_name(e), self.ops.clone()))
                .collect(),
            OpsOn::Nodes => self
                .interior
                .iter()
                .map(|n| (format!("node_{n}"), self.ops.clone()))
                .chain(
                    self.edges
                        .iter()
                        .map(|e| (edge_name(e), vec!["0".to_owned(), "1".to_owned()])),
                )
                .collect(),
        }
    }

    /// The cell of the graph's choice values (the first
    /// [`DeclaredGraph::num_choices`] values of an architecture).
    pub fn cell(&self, values: &[u16]) -> CellView {
        let mut node_ops = vec![None; self.nodes];
        let edges = match self.ops_on {
            OpsOn::Edges => self
                .edges
                .iter()
                .zip(values)
                .map(|(&(from, to), &op)| (from, to, Some(op)))
                .collect(),
            OpsOn::Nodes => {
                for (&node, &op) in self.interior.iter().zip(values) {
                    node_ops[node] = Some(op);
                }
                let on = &values[self.interior.len()..];
                self.edges
                    .iter()
                    .zip(on)
                    .filter(|(_, present)| **present == 1)
                    .map(|(&(from, to), _)| (from, to, None))
                    .collect()
            }
        };
        CellView { edges, node_ops }
    }

    /// Why the cell of `values` is not a valid cell, if it is not.
    pub(crate) fn invalid(&self, values: &[u16]) -> Option<String> {
        let cell = self.cell(values);
        if let Some(max) = self.max_edges
            && cell.edges.len() > max
        {
            return Some(format!(
                "at most {max} edges (graph.max_edges), found {}",
                cell.edges.len()
            ));
        }
        if self.require_path && !self.has_path(&cell) {
            return Some(format!(
                "a path from node {} to node {} (graph.require_path)",
                self.input, self.output
            ));
        }
        None
    }

    /// Whether a path of live edges (not the zero op) leads from input to output.
    fn has_path(&self, cell: &CellView) -> bool {
        let mut reached = vec![false; self.nodes];
        reached[self.input] = true;
        for &node in &self.order {
            if node == self.input {
                continue;
            }
            let live_node = cell.node_ops[node].is_none_or(|op| Some(op) != self.zero_op);
            reached[node] = live_node
                && cell.edges.iter().any(|&(from, to, op)| {
                    to == node && reached[from] && (op.is_none() || op != self.zero_op)
                });
        }
        reached[self.output]
    }

    /// The canonical key of the cell (see the module documentation).
    pub(crate) fn canonical(&self, values: &[u16]) -> String {
        match self.ops_on {
            OpsOn::Edges => self.expression(values),
            OpsOn::Nodes => self.fingerprint(values),
        }
    }

    /// NAS-Bench-101's fingerprint of the pruned cell.
    fn fingerprint(&self, values: &[u16]) -> String {
        let cell = self.cell(values);
        let live = |v: usize| cell.node_ops[v].is_none_or(|op| Some(op) != self.zero_op);
        let edges: Vec<(usize, usize)> = cell
            .edges
            .iter()
            .filter(|&&(from, to, _)| live(from) && live(to))
            .map(|&(from, to, _)| (from, to))
            .collect();
        let reach = |start: usize, forward: bool| {
            let mut seen = vec![false; self.nodes];
            seen[start] = true;
            let mut stack = vec![start];
            while let Some(v) = stack.pop() {
                for &(from, to) in &edges {
                    let (a, b) = if forward { (from, to) } else { (to, from) };
                    if a == v && !seen[b] {
                        seen[b] = true;
                        stack.push(b);
                    }
                }
            }
            seen
        };
        let (from_input, to_output) = (reach(self.input, true), reach(self.output, false));
        if !from_input[self.output] {
            return "#".to_owned();
        }
        let kept: Vec<usize> = (0..self.nodes)
            .filter(|&v| from_input[v] && to_output[v])
            .collect();
        let edges: Vec<(usize, usize)> = edges
            .into_iter()
            .filter(|&(from, to)| kept.contains(&from) && kept.contains(&to))
            .collect();
        let label = |v: usize| match cell.node_ops[v] {
            _ if v == self.input => "input".to_owned(),
            _ if v == self.output => "output".to_owned(),
            Some(op) => self.ops[usize::from(op)].clone(),
            None => String::new(),
        };
        let digest = |text: &str| format!("{:x}", Md5::digest(text.as_bytes()));
        let mut hashes: HashMap<usize, String> = kept
            .iter()
            .map(|&v| {
                let out = edges.iter().filter(|e| e.0 == v).count();
                let inn = edges.iter().filter(|e| e.1 == v).count();
                (v, digest(&format!("({out}, {inn}, {})", label(v))))
            })
            .collect();
        for _ in 0..kept.len() {
            hashes = kept
                .iter()
                .map(|&v| {
                    let mut ins: Vec<&str> = edges
                        .iter()
                        .filter(|e| e.1 == v)
                        .map(|e| hashes[&e.0].as_str())
                        .collect();
                    let mut outs: Vec<&str> = edges
                        .iter()
                        .filter(|e| e.0 == v)
                        .map(|e| hashes[&e.1].as_str())
                        .collect();
                    ins.sort_unstable();
                    outs.sort_unstable();
                    let text = format!("{}|{}|{}", ins.concat(), outs.concat(), hashes[&v]);
                    (v, digest(&text))
                })
                .collect();
        }
        let mut last: Vec<&str> = hashes.values().map(String::as_str).collect();
        last.sort_unstable();
        digest(&last.join(","))
    }

    /// The cell's function as an expression (ops on edges).
    fn expression(&self, values: &[u16]) -> String {
        let cell = self.cell(values);
        let mut value: Vec<String> = vec![String::new(); self.nodes];
        value[self.input] = "0".to_owned();
        for &node in &self.order {
            if node == self.input {
                continue;
            }
            let mut terms: Vec<String> = cell
                .edges
                .iter()
                .filter(|&&(_, to, _)| to == node)
                .map(|&(from, _, op)| match op {
                    None => value[from].clone(),
                    Some(op) => self.apply(op, &value[from]),
                })
                .collect();
            terms.sort();
            let sum = if terms.is_empty() {
                "#".to_owned()
            } else {
                terms.join("+")
            };
            // Ops sit on edges here, so a node only sums.
            value[node] = sum;
            if value[node].len() > LONGEST_EXPRESSION {
                value[node] = format!("h:{:x}", Md5::digest(value[node].as_bytes()));
            }
        }
        std::mem::take(&mut value[self.output])
    }

    fn apply(&self, op: u16, input: &str) -> String {
        if Some(op) == self.zero_op || input == "#" {
            "#".to_owned()
        } else if Some(op) == self.identity_op {
            input.to_owned()
        } else {
            format!("({input})@{}", self.ops[usize::from(op)])
        }
    }
}
