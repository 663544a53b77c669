//! Listing every NAS-Bench-101 cell once per isomorphism class.
//!
//! The official generator hashes every labelled upper-triangular matrix and
//! keeps one cell per hash; hashing tens of millions of cells is slow. Here the
//! isomorphism classes are built directly, so that each of the 423,624 classes
//! is produced exactly once and hashed at most once:
//!
//! 1. for each vertex count `n` and each strictly upper-triangular matrix with
//!    at most 9 edges whose vertices all lie on input-to-output paths (an
//!    already pruned cell), keep the first matrix of each unlabelled class, the
//!    class key being the smallest code of the matrix over all renumberings
//!    of the interior vertices;
//! 2. for each kept matrix, compute its automorphisms (renumberings that map
//!    it onto itself) and keep the op labellings that are the smallest of their
//!    orbit under those automorphisms.
//!
//! Two labelled cells are isomorphic exactly when their matrices are in one
//! class and their labellings in one orbit, so the result has one cell per
//! class.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::nb101_arch::{NB101_MAX_EDGES, NB101_MAX_VERTICES};
use crate::nb101_prune::live_vertices;
use crate::{Nb101Arch, Nb101Op};

/// A renumbering of a cell's vertices that fixes the input and the output.
pub(crate) type Renumbering = [u8; NB101_MAX_VERTICES];

/// Every renumbering of the interior vertices `1..n-1` of an `n`-vertex cell,
/// the identity first.
pub(crate) fn interior_renumberings(n: usize) -> Vec<Renumbering> {
    fn extend(prefix: &mut Vec<u8>, rest: &mut Vec<u8>, out: &mut Vec<Vec<u8>>) {
        if rest.is_empty() {
            out.push(prefix.clone());
            return;
        }
        for i in 0..rest.len() {
            let v = rest.remove(i);
            prefix.push(v);
            extend(prefix, rest, out);
            prefix.pop();
            rest.insert(i, v);
        }
    }
    let mut orders = Vec::new();
    extend(
        &mut Vec::new(),
        &mut (1..n.saturating_sub(1) as u8).collect(),
        &mut orders,
    );
    orders
        .into_iter()
        .map(|order| {
            let mut map: Renumbering = std::array::from_fn(|v| v as u8);
            for (position, &v) in order.iter().enumerate() {
                map[position + 1] = v;
            }
            map
        })
        .collect()
}

/// The matrix with vertex `v` renamed `map[v]`, as a 49-bit code (bit
/// `7 * from + to`); not necessarily upper-triangular.
fn renumbered_code(edges: &[(u8, u8)], map: &Renumbering) -> u64 {
    edges.iter().fold(0u64, |code, &(from, to)| {
        code | 1 << (map[from as usize] as usize * NB101_MAX_VERTICES + map[to as usize] as usize)
    })
}

/// One cell per isomorphism class, ordered by vertex count, then matrix (as
/// a binary number over the upper-triangular entries in row order), then
/// labelling. Computed once per process.
pub(crate) fn isomorphism_classes() -> &'static [Nb101Arch] {
    static CLASSES: OnceLock<Vec<Nb101Arch>> = OnceLock::new();
    CLASSES.get_or_init(|| (2..=NB101_MAX_VERTICES).flat_map(classes_with).collect())
}

/// The classes of cells with exactly `n` vertices after pruning.
fn classes_with(n: usize) -> Vec<Nb101Arch> {
    let renumberings = interior_renumberings(n);
    let pairs: Vec<(u8, u8)> = (0..n as u8)
        .flat_map(|i| (i + 1..n as u8).map(move |j| (i, j)))
        .collect();
    let interior = n - 2;
    let labellings = 3usize.pow(interior as u32);
    let mut seen_matrices = HashSet::new();
    let mut classes = Vec::new();
    let mut edges = Vec::with_capacity(NB101_MAX_EDGES);
    for mask in 0u32..1 << pairs.len() {
        if mask.count_ones() as usize > NB101_MAX_EDGES {
            continue;
        }
        let mut rows = [0u8; NB101_MAX_VERTICES];
        edges.clear();
        for (bit, &(i, j)) in pairs.iter().enumerate() {
            if mask >> bit & 1 == 1 {
                rows[i as usize] |= 1 << j;
                edges.push((i, j));
            }
        }
        let plain = Nb101Arch::from_raw(n, rows, [Nb101Op::Conv3x3BnRelu; NB101_MAX_VERTICES]);
        if live_vertices(&plain).count_ones() as usize != n {
            continue;
        }
        let codes: Vec<u64> = renumberings
            .iter()
            .map(|map| renumbered_code(&edges, map))
            .collect();
        let Some(&smallest) = codes.iter().min() else {
            continue;
        };
        if !seen_matrices.insert(smallest) {
            continue;
        }
        let automorphisms: Vec<&Renumbering> = renumberings
            .iter()
            .zip(&codes)
            .filter(|&(_, &code)| code == codes[0])
            .map(|(map, _)| map)
            .collect();
        for labelling in 0..labellings {
            let mut ops = [Nb101Op::Conv3x3BnRelu; NB101_MAX_VERTICES];
            let mut rest = labelling;
            for op in ops.iter_mut().skip(1).take(interior) {
                *op = Nb101Op::ALL[rest % 3];
                rest /= 3;
            }
            let smallest_in_orbit = automorphisms.iter().all(|map| {
                let mut moved = ops;
                for v in 1..n - 1 {
                    moved[map[v] as usize] = ops[v];
                }
                moved[1..n - 1] >= ops[1..n - 1]
            });
            if smallest_in_orbit {
                classes.push(Nb101Arch::from_raw(n, rows, ops));
            }
        }
    }
    classes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renumberings_fix_input_and_output() {
        let maps = interior_renumberings(5);
        assert_eq!(maps.len(), 6);
        assert_eq!(maps[0], [0, 1, 2, 3, 4, 5, 6]);
        assert!(maps.iter().all(|m| m[0] == 0 && m[4] == 4));
        assert_eq!(interior_renumberings(2).len(), 1);
    }

    #[test]
    fn small_vertex_counts_have_the_expected_number_of_classes() {
        // 2 vertices: input -> output. 3 vertices: input -> op -> output, with
        // or without the skip edge, 3 ops each.
        assert_eq!(classes_with(2).len(), 1);
        assert_eq!(classes_with(3).len(), 6);
        // 4 vertices, counted by hand. Interior vertices in a chain 1 -> 2
        // need input -> 1 and 2 -> output; input -> 2, 1 -> output and
        // input -> output are optional: 8 matrices, no symmetry, 9 labellings.
        // In parallel they need all four edges through them, input -> output
        // optional: 2 matrices whose swap symmetry leaves 6 labellings.
        let four = classes_with(4);
        assert_eq!(four.len(), 8 * 9 + 2 * 6);
    }
}
