//! The DARTS / NB301 space obeys the laws of every search space and samples
//! every canonical node choice equally often.

use std::collections::HashMap;

use oxinas_core::SearchSpace;
use oxinas_core::seed::rng_from_seed;
use oxinas_spaces::{DartsArch, DartsCell, DartsCellKind, DartsEdge, DartsSpace};
use oxinas_testkit::{ChiSquare, SpaceLaws};
use rand::Rng;

/// Whether both cells satisfy the cell invariants, checked here without the
/// crate's constructor: each node k (2..=5) reads two distinct nodes below k.
fn valid(arch: &DartsArch) -> bool {
    DartsCellKind::BOTH.iter().all(|&kind| {
        arch.cell(kind)
            .edges()
            .chunks_exact(2)
            .enumerate()
            .all(|(k, pair)| {
                let node = (k + 2) as u8;
                pair[0].input < node && pair[1].input < node && pair[0].input != pair[1].input
            })
    })
}

/// Swaps the two edges of randomly chosen nodes: the same architecture, since
/// a node sums its inputs.
fn swap_inputs(arch: &DartsArch, rng: &mut dyn oxinas_core::RngCore) -> DartsArch {
    let swap = |cell: &DartsCell, rng: &mut dyn oxinas_core::RngCore| {
        let mut edges: [DartsEdge; 8] = *cell.edges();
        for pair in edges.chunks_exact_mut(2) {
            if rng.random_bool(0.5) {
                pair.swap(0, 1);
            }
        }
        DartsCell::new(edges).unwrap()
    };
    let normal = swap(&arch.normal, rng);
    let reduce = swap(&arch.reduce, rng);
    DartsArch::new(normal, reduce)
}

#[test]
fn darts_obeys_the_space_laws() {
    let space = DartsSpace::new();
    SpaceLaws::new(&space, valid)
        .relabel(swap_inputs)
        .representative(|a| space.canonical(a))
        .symmetric_neighbors()
        .assert();
}

#[test]
fn each_node_choice_is_sampled_uniformly() {
    // A node with n candidate inputs has C(n, 2) * 7^2 canonical choices.
    let space = DartsSpace::new();
    let mut rng = rng_from_seed(21);
    let samples = 49_000;
    let cases = [
        (DartsCellKind::Normal, 5, 10 * 49),
        (DartsCellKind::Reduce, 3, 3 * 49),
        (DartsCellKind::Normal, 2, 49),
    ];
    let mut counts: Vec<HashMap<[DartsEdge; 2], u64>> = vec![HashMap::new(); cases.len()];
    for _ in 0..samples {
        let arch = space.sample(&mut rng).canonical();
        for ((kind, node, _), count) in cases.iter().zip(&mut counts) {
            *count.entry(arch.cell(*kind).node_edges(*node)).or_default() += 1;
        }
    }
    for ((kind, node, classes), count) in cases.iter().zip(&counts) {
        assert_eq!(count.len(), *classes, "{kind:?} node {node}");
        let observed: Vec<u64> = count.values().copied().collect();
        let expected = vec![samples as f64 / *classes as f64; *classes];
        let test = ChiSquare::new(&observed, &expected, 4.75);
        assert!(test.passes(), "{kind:?} node {node}: {test:?}");
    }
}
