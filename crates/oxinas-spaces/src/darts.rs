//! The DARTS / NAS-Bench-301 search space.

use oxinas_core::{ParseArchError, RngCore, SearchSpace};
use rand::Rng;

use crate::darts_cell::node_of_edge;
use crate::{DARTS_EDGES, DARTS_NODES, DartsArch, DartsCell, DartsCellKind, DartsEdge, DartsOp};

/// The DARTS cell search space of Liu et al. (2019), as benchmarked by
/// NAS-Bench-301: a normal and a reduction cell, each with four intermediate
/// nodes that take two distinct inputs from earlier nodes (including the two
/// cell inputs) through one of the seven [`DartsOp`]s; the cell output
/// concatenates the four intermediate nodes.
///
/// Sampling, mutation and neighbourhoods follow NASLib's `nasbench301` space.
/// The string format is the DARTS genotype ([`DartsArch::to_genotype`]);
/// [`SearchSpace::parse`] also reads NASLib's compact form
/// ([`DartsArch::from_compact`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct DartsSpace;

impl DartsSpace {
    /// The space.
    pub fn new() -> Self {
        Self
    }

    /// Number of distinct choices for one cell: per node with `n` candidate
    /// inputs, an unordered pair of distinct inputs with an op on each.
    pub const fn cell_cardinality() -> u128 {
        let ops = DartsOp::ALL.len() as u128;
        let mut total = 1u128;
        let mut node = 0;
        while node < DARTS_NODES {
            let n = (node + 2) as u128;
            total *= n * (n - 1) / 2 * ops * ops;
            node += 1;
        }
        total
    }
}

/// Draws an ordered pair of distinct inputs among `0..n` and an op for each,
/// uniformly.
fn sample_node(n: u8, rng: &mut dyn RngCore) -> [DartsEdge; 2] {
    let first = rng.random_range(0..n);
    // Uniform over the n - 1 other inputs.
    let second = (first + rng.random_range(1..n)) % n;
    let op = |rng: &mut dyn RngCore| DartsOp::ALL[rng.random_range(0..DartsOp::ALL.len())];
    let a = op(rng);
    let b = op(rng);
    [DartsEdge::new(first, a), DartsEdge::new(second, b)]
}

impl SearchSpace for DartsSpace {
    type Arch = DartsArch;
    type Canonical = DartsArch;

    fn name(&self) -> &'static str {
        "darts"
    }

    /// For each node in turn, the normal then the reduction cell: two distinct
    /// inputs and two ops, uniformly (NASLib's `sample_random_architecture`).
    /// Every canonical architecture is equally likely.
    fn sample(&self, rng: &mut dyn RngCore) -> DartsArch {
        let placeholder = DartsEdge::new(0, DartsOp::MaxPool3x3);
        let mut edges = [[placeholder; DARTS_EDGES]; 2];
        for node in 0..DARTS_NODES {
            for cell in &mut edges {
                let pair = sample_node((node + 2) as u8, rng);
                cell[2 * node] = pair[0];
                cell[2 * node + 1] = pair[1];
            }
        }
        let [normal, reduce] =
            edges.map(|e| DartsCell::new(e).expect("sampled inputs precede their node"));
        DartsArch::new(normal, reduce)
    }

    /// NASLib's mutation: pick a cell, an edge and whether to change its op
    /// or its input, then a uniform op (or an input that differs from the
    /// node's other input); draw again until the architecture changes.
    fn mutate(&self, arch: &DartsArch, rng: &mut dyn RngCore) -> DartsArch {
        loop {
            let kind = DartsCellKind::BOTH[rng.random_range(0..2)];
            let position = rng.random_range(0..DARTS_EDGES);
            let cell = arch.cell(kind);
            let edge = cell.edges()[position];
            let changed = if rng.random_bool(0.5) {
                let input = rng.random_range(0..node_of_edge(position) as u8);
                let sibling = cell.edges()[position ^ 1].input;
                DartsEdge::new(if input == sibling { edge.input } else { input }, edge.op)
            } else {
                DartsEdge::new(
                    edge.input,
                    DartsOp::ALL[rng.random_range(0..DartsOp::ALL.len())],
                )
            };
            if changed != edge {
                return arch.with_cell(kind, cell.with_edge(position, changed));
            }
        }
    }

    /// NASLib's neighbourhood, in a fixed order (NASLib shuffles it): for each
    /// cell and edge, every other op, then every other input not used by the
    /// node's other edge. 120 architectures, distinct even up to input order.
    fn neighbors(&self, arch: &DartsArch) -> Vec<DartsArch> {
        let mut out = Vec::with_capacity(120);
        for kind in DartsCellKind::BOTH {
            let cell = arch.cell(kind);
            for (position, edge) in cell.edges().iter().enumerate() {
                for op in DartsOp::ALL.into_iter().filter(|&op| op != edge.op) {
                    let changed = DartsEdge::new(edge.input, op);
                    out.push(arch.with_cell(kind, cell.with_edge(position, changed)));
                }
                let sibling = cell.edges()[position ^ 1].input;
                for input in 0..node_of_edge(position) as u8 {
                    if input != edge.input && input != sibling {
                        let changed = DartsEdge::new(input, edge.op);
                        out.push(arch.with_cell(kind, cell.with_edge(position, changed)));
                    }
                }
            }
        }
        out
    }

    /// The architecture with each node's two edges sorted: DARTS sums a node's
    /// inputs, so their order cannot matter.
    fn canonical(&self, arch: &DartsArch) -> DartsArch {
        arch.canonical()
    }

    /// (180 * 7^8)^2 ≈ 1.08e18 distinct architectures (NB301's "10^18").
    fn cardinality(&self) -> Option<u128> {
        let cell = Self::cell_cardinality();
        Some(cell * cell)
    }

    fn format(&self, arch: &DartsArch) -> String {
        arch.to_genotype()
    }

    /// Reads a genotype string, or NASLib's compact form when the text starts
    /// with a bracket.
    fn parse(&self, text: &str) -> Result<DartsArch, ParseArchError> {
        match text.trim_start().chars().next() {
            Some('[' | '(') => DartsArch::from_compact(text),
            _ => DartsArch::from_genotype(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use oxinas_core::seed::rng_from_seed;

    use super::*;

    fn differing_edges(a: &DartsArch, b: &DartsArch) -> Vec<(DartsCellKind, usize)> {
        let mut out = Vec::new();
        for kind in DartsCellKind::BOTH {
            for p in 0..DARTS_EDGES {
                if a.cell(kind).edges()[p] != b.cell(kind).edges()[p] {
                    out.push((kind, p));
                }
            }
        }
        out
    }

    #[test]
    fn cardinality_counts_unordered_input_pairs() {
        // Nodes with 2, 3, 4, 5 candidate inputs: C(n, 2) * 7^2 choices each.
        let cell: u128 = (3 * 6 * 10) * 7u128.pow(8);
        assert_eq!(DartsSpace::cell_cardinality(), cell);
        assert_eq!(cell, 1_037_664_180);
        assert_eq!(DartsSpace.cardinality(), Some(1_076_746_950_455_072_400));
    }

    #[test]
    fn samples_are_valid_reproducible_and_cover_every_choice() {
        let space = DartsSpace::new();
        let mut a = rng_from_seed(11);
        let mut b = rng_from_seed(11);
        let mut ops_seen = HashSet::new();
        let mut last_node_pairs = HashSet::new();
        for _ in 0..2000 {
            let arch = space.sample(&mut a);
            assert_eq!(arch, space.sample(&mut b));
            // sampled cells satisfy the constructor's invariants
            for kind in DartsCellKind::BOTH {
                let cell = arch.cell(kind);
                assert_eq!(DartsCell::new(*cell.edges()).unwrap(), *cell);
                ops_seen.extend(cell.edges().iter().map(|e| e.op));
            }
            let [x, y] = arch.normal.node_edges(5);
            last_node_pairs.insert((x.input.min(y.input), x.input.max(y.input)));
        }
        assert_eq!(ops_seen.len(), 7);
        assert_eq!(last_node_pairs.len(), 10);
    }

    #[test]
    fn mutation_changes_one_edge_and_lands_in_the_neighbourhood() {
        let space = DartsSpace::new();
        let mut rng = rng_from_seed(5);
        let mut op_moves = 0;
        for _ in 0..500 {
            let parent = space.sample(&mut rng);
            let child = space.mutate(&parent, &mut rng);
            let diff = differing_edges(&parent, &child);
            assert_eq!(diff.len(), 1, "{parent}\n{child}");
            let (kind, p) = diff[0];
            let (old, new) = (parent.cell(kind).edges()[p], child.cell(kind).edges()[p]);
            assert!(
                (old.input == new.input) != (old.op == new.op),
                "exactly one of input and op changes"
            );
            op_moves += usize::from(old.op != new.op);
            assert_ne!(space.canonical(&parent), space.canonical(&child));
            assert!(space.neighbors(&parent).contains(&child));
        }
        // Op changes have 6/7 acceptance, input changes less: both occur.
        assert!((250..450).contains(&op_moves), "{op_moves}");
    }

    #[test]
    fn neighbourhood_is_the_120_single_edge_changes() {
        let space = DartsSpace::new();
        let mut rng = rng_from_seed(9);
        for _ in 0..100 {
            let arch = space.sample(&mut rng);
            let neighbors = space.neighbors(&arch);
            // Per cell: nodes with n inputs give 2 * (6 ops + (n - 2) inputs).
            assert_eq!(neighbors.len(), 2 * (12 + 14 + 16 + 18));
            let canon: HashSet<DartsArch> = neighbors.iter().map(|n| n.canonical()).collect();
            assert_eq!(canon.len(), neighbors.len());
            assert!(!canon.contains(&arch.canonical()));
            for n in &neighbors {
                assert_eq!(differing_edges(&arch, n).len(), 1);
            }
        }
    }

    #[test]
    fn mutation_frequencies_follow_naslib_rejection_sampling() {
        // From a fixed parent, NASLib accepts an op change of a given edge with
        // weight 1/7 per new op and an input change with weight 1/n per new
        // input (n candidate inputs), after uniform cell, edge, kind choices.
        let space = DartsSpace::new();
        let parent = space
            .parse("[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], [(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]")
            .unwrap();
        let mut rng = rng_from_seed(1);
        let draws = 200_000;
        let mut counts: HashMap<DartsArch, usize> = HashMap::new();
        for _ in 0..draws {
            *counts.entry(space.mutate(&parent, &mut rng)).or_default() += 1;
        }
        let neighbors = space.neighbors(&parent);
        assert_eq!(counts.len(), neighbors.len());
        let weight = |n: &DartsArch| {
            let (kind, p) = differing_edges(&parent, n)[0];
            let (old, new) = (parent.cell(kind).edges()[p], n.cell(kind).edges()[p]);
            if old.op != new.op {
                1.0 / 7.0
            } else {
                1.0 / node_of_edge(p) as f64
            }
        };
        let total: f64 = neighbors.iter().map(weight).sum();
        for n in &neighbors {
            let expected = weight(n) / total;
            let observed = counts[n] as f64 / draws as f64;
            // 5 binomial standard deviations.
            let sd = (expected * (1.0 - expected) / draws as f64).sqrt();
            assert!(
                (observed - expected).abs() < 5.0 * sd,
                "{observed} vs {expected}"
            );
        }
    }

    #[test]
    fn parse_dispatches_on_the_format() {
        let space = DartsSpace::new();
        let arch = space.sample(&mut rng_from_seed(2));
        assert_eq!(space.parse(&space.format(&arch)).unwrap(), arch);
        assert_eq!(
            space.parse(&format!("  {}", arch.to_compact())).unwrap(),
            arch
        );
        let err = space.parse("Genotype(normal=[])").unwrap_err();
        assert!(
            err.expected.contains("8 edges in `normal`, found 0"),
            "{err}"
        );
    }
}
