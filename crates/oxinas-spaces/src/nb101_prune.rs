//! Pruning: NAS-Bench-101 drops the vertices of a cell that are not on a path
//! from the input to the output, since they cannot affect its output.

use crate::Nb101Arch;
use crate::nb101_arch::NB101_MAX_VERTICES;

/// The vertices of `arch` reachable from the input and reaching the output, as
/// a bit set.
pub(crate) fn live_vertices(arch: &Nb101Arch) -> u8 {
    let n = arch.num_vertices();
    // Edges only go to higher vertices, so one pass in each direction suffices.
    let mut from_input = 1u8;
    for i in 0..n {
        if from_input >> i & 1 == 1 {
            from_input |= arch.row(i);
        }
    }
    let mut to_output = 1u8 << (n - 1);
    for i in (0..n).rev() {
        if arch.row(i) & to_output != 0 {
            to_output |= 1 << i;
        }
    }
    from_input & to_output
}

/// `arch` without the vertices off every input-to-output path, renumbered in
/// their order; `None` when the input does not reach the output.
pub(crate) fn prune(arch: &Nb101Arch) -> Option<Nb101Arch> {
    let n = arch.num_vertices();
    let live = live_vertices(arch);
    if live >> (n - 1) & 1 == 0 {
        return None;
    }
    if live.count_ones() as usize == n {
        return Some(*arch);
    }
    let mut new_index = [0usize; NB101_MAX_VERTICES];
    let mut kept = 0;
    for (v, index) in new_index.iter_mut().enumerate().take(n) {
        if live >> v & 1 == 1 {
            *index = kept;
            kept += 1;
        }
    }
    let old_rows = arch.rows();
    let old_ops = arch.op_slots();
    let mut rows = [0u8; NB101_MAX_VERTICES];
    let mut ops = old_ops;
    for v in (0..n).filter(|&v| live >> v & 1 == 1) {
        ops[new_index[v]] = old_ops[v];
        for w in (0..n).filter(|&w| live >> w & 1 == 1 && old_rows[v] >> w & 1 == 1) {
            rows[new_index[v]] |= 1 << new_index[w];
        }
    }
    Some(Nb101Arch::from_raw(kept, rows, ops))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangling_and_dead_end_vertices_are_removed() {
        // Vertex 1 hangs off the input (dead end), vertex 2 feeds the output
        // but is unreachable; vertex 3 is on the path.
        let arch = Nb101Arch::parse_text(
            "input conv1x1-bn-relu maxpool3x3 conv3x3-bn-relu output | 01010;00000;00001;00001;00000",
        )
        .unwrap();
        assert_eq!(live_vertices(&arch), 0b11001);
        let pruned = prune(&arch).unwrap();
        assert_eq!(
            pruned.to_string(),
            "input conv3x3-bn-relu output | 010;001;000"
        );
    }

    #[test]
    fn a_cell_whose_input_misses_the_output_has_no_pruned_form() {
        let disconnected = Nb101Arch::from_raw(
            3,
            [0b010, 0, 0, 0, 0, 0, 0],
            [crate::Nb101Op::MaxPool3x3; 7],
        );
        assert!(prune(&disconnected).is_none());
        assert!(!disconnected.is_valid());
    }
}
