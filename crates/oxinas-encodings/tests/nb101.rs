//! NB101 encodings: sizes, BANANAS path numbering, isomorphism invariance of
//! paths, one-hot blocks, inverses up to pruning.

use std::collections::HashSet;

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Enumerable, RngCore, SearchSpace};
use oxinas_encodings::nb101::{NB101_TRUNC_PATH_DEFAULT_K, Nb101Paths, nb101_path};
use oxinas_encodings::path::{path_frequencies, ranking_by_frequency};
use oxinas_encodings::{EncodableSpace, EncodingError, VectorEncoding};
use oxinas_spaces::{Nb101Arch, Nb101Op, Nb101Space};
use rand::Rng;

fn samples(n: usize, seed: u64) -> Vec<Nb101Arch> {
    let space = Nb101Space::new();
    let mut rng = rng_from_seed(seed);
    (0..n).map(|_| space.sample(&mut rng)).collect()
}

/// The same cell with its interior vertices renumbered in a random order that
/// keeps every edge pointing to a higher number.
fn relabel(arch: &Nb101Arch, rng: &mut dyn RngCore) -> Nb101Arch {
    let n = arch.num_vertices();
    let mut placed = vec![false; n];
    placed[0] = true;
    let mut new_of = vec![0usize; n];
    new_of[n - 1] = n - 1;
    for next in 1..n - 1 {
        let ready: Vec<usize> = (1..n - 1)
            .filter(|&v| !placed[v] && (0..v).all(|u| !arch.has_edge(u, v) || placed[u]))
            .collect();
        let v = ready[rng.random_range(0..ready.len())];
        placed[v] = true;
        new_of[v] = next;
    }
    let mut matrix = vec![vec![false; n]; n];
    let mut ops = vec![Nb101Op::Conv3x3BnRelu; n - 2];
    for u in 0..n {
        for v in u + 1..n {
            if arch.has_edge(u, v) {
                matrix[new_of[u]][new_of[v]] = true;
            }
        }
        if let Some(op) = arch.op(u) {
            ops[new_of[u] - 1] = op;
        }
    }
    Nb101Arch::new(&matrix, &ops).unwrap()
}

#[test]
fn vector_dimensions() {
    let space = Nb101Space::new();
    for (name, dim) in [
        ("adjacency", 21 + 5 * 3),
        ("compact", 21 + 5),
        // 3^0 + 3^1 + .. + 3^5 paths of 0 to 5 interior ops.
        ("path", 364),
        ("trunc_path", 40),
    ] {
        assert_eq!(space.vector_encoding(name).unwrap().dim(), dim, "{name}");
    }
    let gcn = space.graph_encoding("gcn").unwrap();
    assert_eq!((gcn.max_nodes(), gcn.num_node_features()), (7, 5));
    let err = space
        .vector_encoding("categorical")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("space nb101") && err.contains("trunc_path[:k] (vector)"),
        "{err}"
    );
}

#[test]
fn paths_follow_the_bananas_numbering() {
    // input -> conv3x3 -> output, input -> maxpool -> output, input -> output.
    let arch = Nb101Arch::from_csv_fields(
        "input conv3x3-bn-relu maxpool3x3 output",
        "0111;0001;0001;0000",
    )
    .unwrap();
    let code = nb101_path().encode(&arch);
    let hot: Vec<usize> = (0..364).filter(|&i| code[i] == 1.0).collect();
    // Empty path 0; [conv3x3] = 3^0 * (0 + 1) = 1; [maxpool] = 3^0 * (2 + 1) = 3.
    assert_eq!(hot, [0, 1, 3]);
}

#[test]
fn isomorphic_specs_get_identical_paths() {
    let space = Nb101Space::new();
    let path = nb101_path();
    let mut rng = rng_from_seed(11);
    let mut changed = 0;
    for arch in samples(2_000, 5) {
        let other = relabel(&arch, &mut rng);
        assert_eq!(space.canonical(&arch), space.canonical(&other));
        assert_eq!(path.encode(&arch), path.encode(&other), "{arch}");
        changed += usize::from(other != arch);
    }
    // The relabelling does produce different specs, or the test proves nothing.
    assert!(changed > 500, "{changed}");
}

#[test]
fn one_hot_blocks_sum_to_one_and_inverses_hold_up_to_pruning() {
    let space = Nb101Space::new();
    let archs = samples(5_000, 7);
    for name in ["adjacency", "compact"] {
        let encoding = space.vector_encoding(name).unwrap();
        assert!(encoding.is_invertible());
        for arch in &archs {
            let code = encoding.encode(arch);
            for block in encoding.one_hot_blocks() {
                assert_eq!(code[block].iter().sum::<f64>(), 1.0, "{name}");
            }
            let back = encoding.decode(&code).unwrap();
            assert_eq!(back, arch.pruned().padded(), "{name} {arch}");
            assert_eq!(space.canonical(&back), space.canonical(arch));
        }
    }
    let adjacency = space.vector_encoding("adjacency").unwrap();
    let mut code = adjacency.encode(&archs[0]);
    code[..21].fill(0.0);
    assert!(matches!(
        adjacency.decode(&code),
        Err(EncodingError::Decode { .. })
    ));
}

#[test]
fn the_forty_kept_paths_are_the_most_frequent_under_uniform_sampling() {
    let source = Nb101Paths::new();
    let counts = path_frequencies(&source, samples(20_000, 3));
    let top: HashSet<usize> = ranking_by_frequency(&counts)[..NB101_TRUNC_PATH_DEFAULT_K]
        .iter()
        .copied()
        .collect();
    assert_eq!(top, (0..40).collect::<HashSet<_>>());
}

#[test]
fn adjacency_and_compact_invert_over_all_423624_cells() {
    let space = Nb101Space::new();
    let adjacency = space.vector_encoding("adjacency").unwrap();
    let compact = space.vector_encoding("compact").unwrap();
    let mut a_code = vec![0.0; adjacency.dim()];
    let mut c_code = vec![0.0; compact.dim()];
    let mut count = 0;
    for arch in space.enumerate() {
        // Enumerated specs are pruned; decoding gives them back padded to 7 vertices.
        adjacency.encode_into(&arch, &mut a_code).unwrap();
        assert_eq!(adjacency.decode(&a_code).unwrap(), arch.padded(), "{arch}");
        compact.encode_into(&arch, &mut c_code).unwrap();
        assert_eq!(compact.decode(&c_code).unwrap(), arch.padded(), "{arch}");
        count += 1;
    }
    assert_eq!(count, 423_624);
}

#[test]
fn gcn_bonas_puts_the_global_node_before_the_padding() {
    // input -> conv3x3 -> output and input -> output: 3 of 7 slots used.
    let matrix = vec![
        vec![false, true, true],
        vec![false, false, true],
        vec![false, false, false],
    ];
    let arch = Nb101Arch::new(&matrix, &[Nb101Op::Conv3x3BnRelu]).unwrap();
    let bonas = Nb101Space::new().graph_encoding("gcn_bonas").unwrap();
    assert_eq!((bonas.max_nodes(), bonas.num_node_features()), (8, 6));
    let t = bonas.encode(&arch).unwrap();
    // Three cell nodes and the global node; rows 4..8 are padding.
    assert_eq!(t.num_nodes, 4);
    for node in 0..4 {
        assert_eq!(
            t.adjacency[node * 8 + 3],
            1.0,
            "node {node} feeds the global node"
        );
    }
    assert_eq!(
        t.node_features[3 * 6 + 5],
        1.0,
        "the global node's own label"
    );
    assert!(t.adjacency[4 * 8..].iter().all(|&a| a == 0.0));
    assert!(t.node_features[4 * 6..].iter().all(|&a| a == 0.0));
    assert!((0..8).all(|row| (4..8).all(|col| t.adjacency[row * 8 + col] == 0.0)));
}
