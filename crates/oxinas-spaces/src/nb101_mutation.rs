//! Local moves in the NAS-Bench-101 space: random mutation and the full
//! one-change neighbourhood.
//!
//! Both follow the NAS-Bench-101 / BANANAS / NASLib convention: they act on the
//! unpruned 7-vertex cell (a smaller cell is first [padded](Nb101Arch::padded)),
//! so a change may connect or disconnect vertices that pruning would drop.

use oxinas_core::RngCore;
use rand::Rng;

use crate::nb101_arch::NB101_MAX_VERTICES;
use crate::{Nb101Arch, Nb101Hash, Nb101Op};

/// Number of interior vertices of a 7-vertex cell.
const OP_SPOTS: usize = NB101_MAX_VERTICES - 2;

/// A random op other than `op`, uniformly among the two others.
fn other_op(op: Nb101Op, rng: &mut dyn RngCore) -> Nb101Op {
    let shift = rng.random_range(1..3u8);
    Nb101Op::ALL[((op as u8 + shift) % 3) as usize]
}

/// NB101 evolution's mutation: each of the 21 possible edges flips with
/// probability `rate / 7` and each of the 5 interior ops is replaced by another
/// op with probability `rate / 5` (so `rate` edges and `rate` ops change in
/// expectation). Drawn again until the child is valid and has a different hash
/// from the parent: a child that computes the same function would waste a
/// query. Termination: every draw has a positive chance of flipping exactly the
/// edge set that, say, adds or removes a skip edge input -> output.
pub(crate) fn mutate(arch: &Nb101Arch, rate: f64, rng: &mut dyn RngCore) -> Nb101Arch {
    let parent = arch.padded();
    let parent_hash = Nb101Hash::of(arch);
    let edge_probability = rate / NB101_MAX_VERTICES as f64;
    let op_probability = rate / OP_SPOTS as f64;
    loop {
        let mut rows = parent.rows();
        let mut ops = parent.op_slots();
        for (from, row) in rows.iter_mut().enumerate() {
            for to in from + 1..NB101_MAX_VERTICES {
                if rng.random::<f64>() < edge_probability {
                    *row ^= 1 << to;
                }
            }
        }
        for op in ops.iter_mut().skip(1).take(OP_SPOTS) {
            if rng.random::<f64>() < op_probability {
                *op = other_op(*op, rng);
            }
        }
        let child = Nb101Arch::from_raw(NB101_MAX_VERTICES, rows, ops);
        if child.is_valid() && Nb101Hash::of(&child) != parent_hash {
            return child;
        }
    }
}

/// Every valid cell one change away from `arch` (padded to 7 vertices) whose
/// hash differs from `arch`'s: first each interior op replaced by each other
/// op (vertex by vertex), then each of the 21 edges flipped (row by row).
/// Changes that leave the hash unchanged (an op on a dangling vertex, an edge
/// between dangling vertices) are left out, as NASLib does. For 7-vertex
/// cells the relation is symmetric: a change undone is a change.
pub(crate) fn neighbors(arch: &Nb101Arch) -> Vec<Nb101Arch> {
    let base = arch.padded();
    let own_hash = Nb101Hash::of(arch);
    let mut out = Vec::new();
    let mut consider = |candidate: Nb101Arch| {
        if candidate.is_valid() && Nb101Hash::of(&candidate) != own_hash {
            out.push(candidate);
        }
    };
    for vertex in 1..=OP_SPOTS {
        for op in Nb101Op::ALL {
            if op != base.op_slots()[vertex] {
                let mut ops = base.op_slots();
                ops[vertex] = op;
                consider(Nb101Arch::from_raw(NB101_MAX_VERTICES, base.rows(), ops));
            }
        }
    }
    for from in 0..NB101_MAX_VERTICES {
        for to in from + 1..NB101_MAX_VERTICES {
            let mut rows = base.rows();
            rows[from] ^= 1 << to;
            consider(Nb101Arch::from_raw(
                NB101_MAX_VERTICES,
                rows,
                base.op_slots(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;

    use super::*;

    fn chain() -> Nb101Arch {
        Nb101Arch::from_csv_fields(
            "input conv3x3-bn-relu conv3x3-bn-relu conv3x3-bn-relu conv3x3-bn-relu conv3x3-bn-relu output",
            "0100000;0010000;0001000;0000100;0000010;0000001;0000000",
        )
        .unwrap()
    }

    #[test]
    fn neighbours_of_the_full_chain_are_counted_by_hand() {
        // 5 ops x 2 other ops; 21 edges, of which removing a chain edge
        // disconnects the cell (6) and the other 15 each add a skip edge.
        let neighbors = neighbors(&chain());
        assert_eq!(neighbors.len(), 10 + 15);
        assert!(
            neighbors
                .iter()
                .all(|n| n.num_vertices() == 7 && n.is_valid())
        );
    }

    #[test]
    fn mutation_with_a_high_rate_still_ends_valid_and_new() {
        let mut rng = rng_from_seed(5);
        let parent = chain();
        for _ in 0..200 {
            let child = mutate(&parent, 3.0, &mut rng);
            assert!(child.is_valid());
            assert_ne!(Nb101Hash::of(&child), Nb101Hash::of(&parent));
        }
    }

    #[test]
    fn mutation_rate_sets_how_many_ops_change() {
        // With rate 1, about one of the five ops changes per draw; the child
        // is kept only when valid and new, which keeps the mean close to 1.
        let mut rng = rng_from_seed(6);
        let parent = chain();
        let draws = 2000;
        let changed: usize = (0..draws)
            .map(|_| {
                let child = mutate(&parent, 1.0, &mut rng);
                (1..6).filter(|&v| child.op(v) != parent.op(v)).count()
            })
            .sum();
        let mean = changed as f64 / draws as f64;
        assert!((0.8..1.6).contains(&mean), "mean ops changed {mean}");
    }
}
