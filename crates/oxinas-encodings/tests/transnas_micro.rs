//! TransNAS-Bench-101 micro encodings over all 4,096 cells.

use oxinas_core::{Enumerable, SearchSpace};
use oxinas_encodings::edge_op_cell::ZeroOpRoutes;
use oxinas_encodings::path::{path_frequencies, ranking_by_frequency};
use oxinas_encodings::transnas_micro::{
    TransNasMicroPaths, transnas_micro_path, transnas_micro_path_without_zero,
};
use oxinas_encodings::{EncodableSpace, VectorEncoding};
use oxinas_spaces::{TransNasMicroArch, TransNasMicroOp, TransNasMicroSpace};

fn all_cells() -> Vec<TransNasMicroArch> {
    TransNasMicroSpace::new().enumerate().collect()
}

#[test]
fn dimensions_follow_the_four_ops() {
    let space = TransNasMicroSpace::new();
    let registry = space.encodings();
    assert_eq!(registry.space(), "transnas-bench-101-micro");
    for (name, dim) in [
        ("categorical", 24),
        ("adjacency", 24),
        ("compact", 6),
        ("path", 4 + 16 + 64),
        ("trunc_path", 20),
        ("path_without_zero", 3 + 9 + 27),
    ] {
        assert_eq!(registry.vector(name).unwrap().dim(), dim, "{name}");
    }
    let gcn = registry.graph("gcn").unwrap();
    assert_eq!((gcn.max_nodes(), gcn.num_node_features()), (8, 6));
}

#[test]
fn invertible_encodings_round_trip_and_blocks_are_one_hot() {
    let space = TransNasMicroSpace::new();
    let cells = all_cells();
    assert_eq!(cells.len(), 4_096);
    for name in ["categorical", "adjacency", "compact"] {
        let encoding = space.vector_encoding(name).unwrap();
        for cell in &cells {
            let code = encoding.encode(cell);
            for block in encoding.one_hot_blocks() {
                assert_eq!(code[block].iter().sum::<f64>(), 1.0, "{name}");
            }
            assert_eq!(encoding.decode(&code).unwrap(), *cell, "{name}");
        }
    }
}

#[test]
fn every_cell_has_three_or_four_paths() {
    let path = transnas_micro_path();
    let mut three = 0;
    for cell in all_cells() {
        let ones = path.encode(&cell).iter().filter(|&&v| v == 1.0).count();
        let shared = cell.ops[0] == cell.ops[1] && cell.ops[4] == cell.ops[5];
        assert_eq!(ones, if shared { 3 } else { 4 });
        three += usize::from(shared);
    }
    // 4 * 4 for the shared pair, 4 * 4 for edges 2<-1 and 3<-0.
    assert_eq!(three, 256);
}

#[test]
fn path_frequencies_match_the_closed_form_and_truncation_keeps_short_paths() {
    let source = TransNasMicroPaths::new(ZeroOpRoutes::Counted);
    let counts = path_frequencies(&source, all_cells());
    for (index, &count) in counts.iter().enumerate() {
        // 4096 / 4; 4096 * (1 - (15/16)^2); 4096 / 64.
        let expected = match index {
            0..4 => 1024,
            4..20 => 496,
            _ => 64,
        };
        assert_eq!(count, expected, "path {index}");
    }
    assert_eq!(ranking_by_frequency(&counts), (0..84).collect::<Vec<_>>());
    let space = TransNasMicroSpace::new();
    let trunc = space.vector_encoding("trunc_path").unwrap();
    let full = transnas_micro_path();
    for cell in all_cells() {
        assert_eq!(trunc.encode(&cell), full.encode(&cell)[..20]);
    }
}

#[test]
fn swapping_nodes_1_and_2_keeps_the_zero_free_paths() {
    let encoding = transnas_micro_path_without_zero();
    for cell in all_cells()
        .into_iter()
        .filter(|c| c.ops[2] == TransNasMicroOp::Zero)
    {
        let mut swapped = cell;
        swapped.ops.swap(0, 1);
        swapped.ops.swap(4, 5);
        assert_eq!(encoding.encode(&cell), encoding.encode(&swapped));
    }
}

#[test]
fn gcn_labels_are_input_ops_output() {
    let space = TransNasMicroSpace::new();
    let gcn = space.graph_encoding("gcn_raw").unwrap();
    let cell = space.parse("64-41414-3_02_111").unwrap();
    let tensors = gcn.encode(&cell).unwrap();
    let labels: Vec<usize> = tensors
        .node_features
        .chunks_exact(6)
        .map(|row| row.iter().position(|&v| v == 1.0).unwrap())
        .collect();
    // input 0, ops 3,0,2,1,1,1 shifted by one, output 5.
    assert_eq!(labels, [0, 4, 1, 3, 2, 2, 2, 5]);
}
