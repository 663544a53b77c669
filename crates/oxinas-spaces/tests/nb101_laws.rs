//! NAS-Bench-101 obeys the laws of every search space, and samples as the
//! paper does.

use oxinas_core::SearchSpace;
use oxinas_core::seed::rng_from_seed;
use oxinas_spaces::{Nb101Arch, Nb101Space};
use oxinas_testkit::{ChiSquare, SpaceLaws};

#[test]
fn nb101_obeys_the_space_laws() {
    let space = Nb101Space::new();
    SpaceLaws::new(&space, |a: &Nb101Arch| a.is_valid())
        .relabel(|a, rng| space.relabel(a, rng))
        .representative(|a| space.representative(a))
        .symmetric_neighbors()
        .assert();
}

#[test]
fn nb101_with_a_high_mutation_rate_obeys_the_space_laws() {
    let space = Nb101Space::with_mutation_rate(4.0).unwrap();
    SpaceLaws::new(&space, |a: &Nb101Arch| a.is_valid())
        .seed(1)
        .assert();
}

/// Whether the 7-vertex matrix with the upper-triangular entries `mask` (row
/// by row) gives a valid cell (ops do not matter for validity), computed here
/// independently of the crate: the vertices on input-to-output paths must
/// include the output and carry at most 9 edges among them.
fn valid_mask(mask: u32) -> bool {
    let mut succ = [0u8; 7];
    let mut bit = 0;
    for (from, row) in succ.iter_mut().enumerate() {
        for to in from + 1..7 {
            *row |= ((mask >> bit & 1) as u8) << to;
            bit += 1;
        }
    }
    let mut reach = 1u8;
    for (v, row) in succ.iter().enumerate() {
        if reach >> v & 1 == 1 {
            reach |= row;
        }
    }
    let mut coreach = 1u8 << 6;
    for v in (0..7).rev() {
        if succ[v] & coreach != 0 {
            coreach |= 1 << v;
        }
    }
    let live = reach & coreach;
    let live_edges: u32 = (0..7)
        .filter(|v| live >> v & 1 == 1)
        .map(|v| (succ[v] & live).count_ones())
        .sum();
    live >> 6 & 1 == 1 && live_edges <= 9
}

#[test]
fn sampling_is_uniform_over_valid_specs() {
    // Exact distribution of the unpruned edge count among valid 7x7 matrices
    // (all 2^21 listed), against the edge counts of samples.
    let mut exact = [0u64; 22];
    for mask in 0u32..1 << 21 {
        if valid_mask(mask) {
            exact[mask.count_ones() as usize] += 1;
        }
    }
    let total: u64 = exact.iter().sum();
    let samples = 20_000;
    let space = Nb101Space::new();
    let mut rng = rng_from_seed(11);
    let mut observed = [0u64; 22];
    let mut op_counts = [0u64; 3];
    for _ in 0..samples {
        let arch = space.sample(&mut rng);
        assert_eq!(arch.num_vertices(), 7);
        observed[arch.num_edges()] += 1;
        op_counts[arch.op(3).unwrap() as usize] += 1;
    }
    // Cells expecting fewer than 5 samples are merged into their neighbours.
    let (mut obs, mut exp) = (Vec::new(), Vec::new());
    let (mut o_acc, mut e_acc) = (0u64, 0.0);
    for k in 0..22 {
        o_acc += observed[k];
        e_acc += samples as f64 * exact[k] as f64 / total as f64;
        if e_acc >= 5.0 {
            obs.push(o_acc);
            exp.push(e_acc);
            (o_acc, e_acc) = (0, 0.0);
        }
    }
    *obs.last_mut().unwrap() += o_acc;
    *exp.last_mut().unwrap() += e_acc;
    let edges = ChiSquare::new(&obs, &exp, 4.75);
    assert!(edges.passes(), "{edges:?} {obs:?} {exp:?}");
    let ops = ChiSquare::new(&op_counts, &[samples as f64 / 3.0; 3], 4.75);
    assert!(ops.passes(), "{ops:?}");
}
