//! DARTS / NAS-Bench-301 encodings.

use oxinas_core::SearchSpace;
use oxinas_core::seed::rng_from_seed;
use oxinas_encodings::darts::darts_path;
use oxinas_encodings::{EncodableSpace, VectorEncoding};
use oxinas_spaces::{DartsArch, DartsSpace};

const DARTS_V2: &str = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

fn samples(n: usize) -> Vec<DartsArch> {
    let space = DartsSpace::new();
    let mut rng = rng_from_seed(21);
    (0..n).map(|_| space.sample(&mut rng)).collect()
}

#[test]
fn dimensions() {
    let space = DartsSpace::new();
    for (name, dim) in [
        ("categorical", 2 * (28 + 8 * 7)),
        ("adjacency", 2 * (21 + 8 * 7)),
        ("compact", 32),
        // 2 cells x 2 inputs x (7 + 7^2 + 7^3 + 7^4).
        ("path", 4 * 2_800),
    ] {
        assert_eq!(space.vector_encoding(name).unwrap().dim(), dim, "{name}");
    }
    let gcn = space.graph_encoding("gcn").unwrap();
    assert_eq!((gcn.max_nodes(), gcn.num_node_features()), (22, 9));
    let bonas = space.graph_encoding("gcn_bonas").unwrap();
    assert_eq!((bonas.max_nodes(), bonas.num_node_features()), (23, 10));
}

#[test]
fn round_trips_and_one_hot_blocks() {
    let space = DartsSpace::new();
    for name in ["categorical", "adjacency", "compact"] {
        let encoding = space.vector_encoding(name).unwrap();
        for arch in samples(2_000) {
            let code = encoding.encode(&arch);
            for block in encoding.one_hot_blocks() {
                assert_eq!(code[block].iter().sum::<f64>(), 1.0, "{name}");
            }
            let back = encoding.decode(&code).unwrap();
            let expected = if name == "adjacency" {
                arch.canonical()
            } else {
                arch
            };
            assert_eq!(back, expected, "{name}");
        }
    }
    let categorical = space.vector_encoding("categorical").unwrap();
    assert_eq!(categorical.one_hot_blocks().len(), 32);
}

#[test]
fn darts_v2_paths() {
    let arch = DartsSpace::new().parse(DARTS_V2).unwrap();
    let code = darts_path().encode(&arch);
    let hot: Vec<usize> = (0..code.len()).filter(|&i| code[i] == 1.0).collect();
    // Ops: max_pool 0, skip 2, sep_conv_3x3 3, dil_conv_3x3 5. Normal cell from c_{k-2}:
    // [sep3] 3, [skip] 2, [sep3, dil3] 7 + 3 + 7*5 = 45; from c_{k-1} (block 2,800):
    // [sep3], [sep3, dil3]. Reduction cell from either input (blocks 5,600 and 8,400):
    // [max] 0, [max, skip] 7 + 0 + 7*2 = 21.
    assert_eq!(hot, [2, 3, 45, 2_803, 2_845, 5_600, 5_621, 8_400, 8_421]);
}

#[test]
fn the_order_of_a_nodes_edges_does_not_change_paths() {
    let path = darts_path();
    let mut changed = 0;
    for arch in samples(1_000) {
        let canonical = arch.canonical();
        changed += usize::from(canonical != arch);
        assert_eq!(path.encode(&arch), path.encode(&canonical));
    }
    assert!(changed > 900, "{changed}");
}

#[test]
fn gcn_follows_naslibs_cell_conversion() {
    let space = DartsSpace::new();
    let arch = space.parse(DARTS_V2).unwrap();
    let t = space
        .graph_encoding("gcn_raw")
        .unwrap()
        .encode(&arch)
        .unwrap();
    assert_eq!(t.num_nodes, 22);
    let n = 22;
    let edges: Vec<(usize, usize)> = (0..n * n)
        .filter(|&i| t.adjacency[i] == 1.0)
        .map(|i| (i / n, i % n))
        .filter(|&(from, to)| from < 11 && to < 11)
        .collect();
    // Normal cell: inputs feed the edge-nodes reading them; edge 7 reads node 2,
    // i.e. edge-nodes 2 and 3; every edge-node feeds the output (10).
    let mut expected = vec![
        (0, 2),
        (1, 3),
        (0, 4),
        (1, 5),
        (1, 6),
        (0, 7),
        (0, 8),
        (2, 9),
        (3, 9),
    ];
    expected.extend((2..10).map(|e| (e, 10)));
    expected.sort_unstable();
    assert_eq!(edges, expected);
    // No edge between the two cells.
    assert!((0..n * n).all(|i| t.adjacency[i] == 0.0 || (i / n < 11) == (i % n < 11)));
    let labels: Vec<usize> = t
        .node_features
        .chunks_exact(9)
        .map(|row| {
            assert_eq!(row.iter().sum::<f64>(), 1.0);
            row.iter().position(|&v| v == 1.0).unwrap()
        })
        .collect();
    // input, input, sep3 x5, skip, skip, dil3, output (op o at 1 + o).
    assert_eq!(&labels[..11], &[0, 0, 4, 4, 4, 4, 4, 3, 3, 6, 8]);
}
