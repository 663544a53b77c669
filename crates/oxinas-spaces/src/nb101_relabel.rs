//! Renumbering a cell's interior vertices: random isomorphic copies (to test
//! that keys ignore numbering) and the canonical representative of a class.

use oxinas_core::RngCore;
use rand::Rng;

use crate::Nb101Arch;
use crate::nb101_arch::NB101_MAX_VERTICES;
use crate::nb101_enumeration::{Renumbering, interior_renumberings};

/// `arch` with vertex `v` renamed `map[v]`, or `None` when an edge would then
/// point backwards (the result would not be upper-triangular).
fn renumber(arch: &Nb101Arch, map: &Renumbering) -> Option<Nb101Arch> {
    let n = arch.num_vertices();
    let old_rows = arch.rows();
    let old_ops = arch.op_slots();
    let mut rows = [0u8; NB101_MAX_VERTICES];
    let mut ops = old_ops;
    for v in 0..n {
        let new_v = map[v] as usize;
        ops[new_v] = old_ops[v];
        for w in (v + 1..n).filter(|&w| old_rows[v] >> w & 1 == 1) {
            let new_w = map[w] as usize;
            if new_w <= new_v {
                return None;
            }
            rows[new_v] |= 1 << new_w;
        }
    }
    Some(Nb101Arch::from_raw(n, rows, ops))
}

/// An isomorphic copy of `arch` with its interior vertices renumbered along a
/// random topological order (input and output stay first and last), so the
/// copy is again upper-triangular. Used to check that keys ignore numbering.
pub fn random_relabel(arch: &Nb101Arch, rng: &mut dyn RngCore) -> Nb101Arch {
    let n = arch.num_vertices();
    let interior_mask: u8 = ((1u16 << (n - 1)) - 2) as u8;
    let mut placed = 1u8;
    let mut map: Renumbering = std::array::from_fn(|v| v as u8);
    for position in 1..n - 1 {
        // Interior vertices whose predecessors are all placed.
        let ready: Vec<usize> = (1..n - 1)
            .filter(|&v| placed >> v & 1 == 0)
            .filter(|&v| (0..n).all(|u| arch.row(u) >> v & 1 == 0 || placed >> u & 1 == 1))
            .collect();
        let v = ready[rng.random_range(0..ready.len())];
        map[v] = position as u8;
        placed |= 1 << v;
    }
    debug_assert_eq!(placed & interior_mask, interior_mask);
    renumber(arch, &map).unwrap_or(*arch)
}

/// The canonical member of `arch`'s isomorphism class: the pruned cell,
/// renumbered to be the smallest (by vertex count, then adjacency rows, then
/// ops) among its upper-triangular renumberings. Two cells are isomorphic
/// exactly when their representatives are equal.
pub fn canonical_representative(arch: &Nb101Arch) -> Nb101Arch {
    let pruned = arch.pruned();
    interior_renumberings(pruned.num_vertices())
        .iter()
        .filter_map(|map| renumber(&pruned, map))
        .min()
        .unwrap_or(pruned)
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;

    use super::*;
    use crate::Nb101Hash;

    #[test]
    fn relabelled_copies_share_hash_and_representative() {
        let arch = Nb101Arch::from_csv_fields(
            "input conv3x3-bn-relu maxpool3x3 conv3x3-bn-relu conv3x3-bn-relu conv1x1-bn-relu output",
            "0100110;0010000;0001001;0000010;0000010;0000001;0000000",
        )
        .unwrap();
        let representative = canonical_representative(&arch);
        let mut rng = rng_from_seed(1);
        let mut distinct = std::collections::HashSet::new();
        for _ in 0..50 {
            let copy = random_relabel(&arch, &mut rng);
            assert!(copy.is_valid());
            assert_eq!(Nb101Hash::of(&copy), Nb101Hash::of(&arch));
            assert_eq!(canonical_representative(&copy), representative);
            distinct.insert(copy);
        }
        // The cell has several topological orders, and relabelling finds them.
        assert!(distinct.len() > 1);
    }

    #[test]
    fn swapping_two_ops_of_a_chain_changes_the_representative() {
        let a = Nb101Arch::from_csv_fields(
            "input conv3x3-bn-relu maxpool3x3 output",
            "0100;0010;0001;0000",
        )
        .unwrap();
        let b = Nb101Arch::from_csv_fields(
            "input maxpool3x3 conv3x3-bn-relu output",
            "0100;0010;0001;0000",
        )
        .unwrap();
        assert_ne!(canonical_representative(&a), canonical_representative(&b));
        // In parallel, the same swap is a renumbering.
        let c = Nb101Arch::from_csv_fields(
            "input conv3x3-bn-relu maxpool3x3 output",
            "0110;0001;0001;0000",
        )
        .unwrap();
        let d = Nb101Arch::from_csv_fields(
            "input maxpool3x3 conv3x3-bn-relu output",
            "0110;0001;0001;0000",
        )
        .unwrap();
        assert_eq!(canonical_representative(&c), canonical_representative(&d));
    }
}
