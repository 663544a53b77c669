//! NB201 encodings over the whole space: sizes, one-hot structure, inverses,
//! agreement with the BANANAS and NASLib definitions, isomorphism invariance.

use std::collections::HashSet;

use oxinas_core::{Enumerable, SearchSpace};
use oxinas_encodings::edge_op_cell::{EdgeCellNodeDag, ZeroOpRoutes, edge_cell_routes};
use oxinas_encodings::nb201::{
    NB201_TRUNC_PATH_DEFAULT_K, Nb201Paths, nb201_path, nb201_path_without_zero, nb201_trunc_path,
};
use oxinas_encodings::op_dag;
use oxinas_encodings::path::{path_frequencies, ranking_by_frequency};
use oxinas_encodings::{
    EncodableSpace, EncodingError, EncodingKind, GraphBuffers, OpDag, PathSource, VectorEncoding,
};
use oxinas_spaces::{Nb201Arch, Nb201Space};

fn all_archs() -> Vec<Nb201Arch> {
    Nb201Space::new().enumerate().collect()
}

fn arch(text: &str) -> Nb201Arch {
    Nb201Space::new().parse(text).unwrap()
}

#[test]
fn vector_dimensions() {
    let space = Nb201Space::new();
    let expected = [
        ("categorical", 30),
        ("adjacency", 30),
        ("compact", 6),
        // 5 + 5^2 + 5^3 paths of 1, 2 and 3 ops.
        ("path", 155),
        ("trunc_path", 30),
        // 4 + 4^2 + 4^3 paths of 1, 2 and 3 non-none ops.
        ("path_without_zero", 84),
    ];
    for (name, dim) in expected {
        let encoding = space.vector_encoding(name).unwrap();
        assert_eq!(encoding.name(), name);
        assert_eq!(encoding.dim(), dim, "{name}");
    }
}

#[test]
fn registry_lists_names_and_rejects_unknown_ones() {
    let registry = Nb201Space::new().encodings();
    assert_eq!(registry.space(), "nb201");
    assert_eq!(
        registry.names(),
        [
            "categorical",
            "adjacency",
            "compact",
            "path",
            "trunc_path",
            "path_without_zero",
            "gcn",
            "gcn_bonas",
            "gcn_raw"
        ]
    );
    let err = registry.vector("bananas").unwrap_err();
    match &err {
        EncodingError::UnknownEncoding { space, name, valid } => {
            assert_eq!(*space, "nb201");
            assert_eq!(name, "bananas");
            assert!(valid.contains("path (vector)"), "{valid}");
            assert!(valid.contains("gcn (graph)"), "{valid}");
        }
        other => panic!("expected UnknownEncoding, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("unknown encoding `bananas` for space nb201")
    );

    let wrong = registry.vector("gcn").unwrap_err();
    assert!(
        matches!(
            &wrong,
            EncodingError::WrongKind {
                requested: "vector",
                actual: "graph",
                ..
            }
        ),
        "{wrong:?}"
    );
    assert!(
        wrong
            .to_string()
            .contains("vector encodings: categorical, adjacency"),
        "{wrong}"
    );
    assert!(registry.graph("path").is_err());
    assert!(valid_names_mention(
        &registry.vector("x").unwrap_err(),
        "trunc_path[:k] (vector)"
    ));
    assert_eq!(registry.get("gcn").unwrap().kind(), EncodingKind::Graph);
    assert_eq!(registry.get("path").unwrap().kind(), EncodingKind::Vector);
}

fn valid_names_mention(err: &EncodingError, text: &str) -> bool {
    matches!(err, EncodingError::UnknownEncoding { valid, .. } if valid.contains(text))
}

#[test]
fn settings_follow_a_colon() {
    let space = Nb201Space::new();
    assert_eq!(space.vector_encoding("trunc_path:40").unwrap().dim(), 40);
    assert_eq!(space.vector_encoding("trunc_path").unwrap().dim(), 30);
    let zero = space
        .vector_encoding("trunc_path:0")
        .unwrap_err()
        .to_string();
    assert!(
        zero.contains("between 1 and 155 paths kept, found 0"),
        "{zero}"
    );
    let word = space
        .vector_encoding("trunc_path:many")
        .unwrap_err()
        .to_string();
    assert!(word.contains("invalid setting `k`"), "{word}");
    assert!(
        word.contains("a non-negative integer after `:`, found `many`"),
        "{word}"
    );
    let none = space.vector_encoding("path:3").unwrap_err().to_string();
    assert!(none.contains("this encoding has no setting"), "{none}");
    let unknown = space.vector_encoding("paths:3").unwrap_err();
    assert!(matches!(unknown, EncodingError::UnknownEncoding { .. }));
}

#[test]
fn every_one_hot_block_sums_to_one_over_the_space() {
    let space = Nb201Space::new();
    let archs = all_archs();
    for name in space.encodings().names() {
        let Ok(encoding) = space.vector_encoding(name) else {
            continue;
        };
        let blocks = encoding.one_hot_blocks();
        let dim = encoding.dim();
        let covered: usize = blocks.iter().map(|b| b.len()).sum();
        if name == "categorical" || name == "adjacency" {
            assert_eq!(blocks.len(), 6, "{name}");
            assert_eq!(covered, dim, "{name}: blocks cover the whole vector");
        }
        let matrix = encoding.encode_batch(&archs);
        for row in matrix.chunks_exact(dim) {
            for block in &blocks {
                let cells = &row[block.clone()];
                assert!(cells.iter().all(|&v| v == 0.0 || v == 1.0), "{name}");
                assert_eq!(cells.iter().sum::<f64>(), 1.0, "{name}");
            }
        }
    }
}

#[test]
fn invertible_encodings_round_trip_over_all_15625_cells() {
    let space = Nb201Space::new();
    let archs = all_archs();
    let mut invertible = Vec::new();
    for name in space.encodings().names() {
        let Ok(encoding) = space.vector_encoding(name) else {
            continue;
        };
        if !encoding.is_invertible() {
            assert!(matches!(
                encoding.decode(&vec![0.0; encoding.dim()]),
                Err(EncodingError::NotInvertible { .. })
            ));
            continue;
        }
        invertible.push(name);
        let mut codes = HashSet::new();
        let mut buffer = vec![f64::NAN; encoding.dim()];
        for arch in &archs {
            encoding.encode_into(arch, &mut buffer).unwrap();
            assert_eq!(encoding.decode(&buffer).unwrap(), *arch, "{name}");
            codes.insert(buffer.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        }
        assert_eq!(
            codes.len(),
            15_625,
            "{name}: distinct cells, distinct codes"
        );
    }
    assert_eq!(invertible, ["categorical", "adjacency", "compact"]);
}

#[test]
fn one_hot_and_compact_layouts() {
    let space = Nb201Space::new();
    // Official index 0, op digits 421211.
    let a = space.arch_at(0).unwrap();
    let compact = space.vector_encoding("compact").unwrap().encode(&a);
    assert_eq!(compact, [4.0, 2.0, 1.0, 2.0, 1.0, 1.0]);
    let one_hot = space.vector_encoding("categorical").unwrap().encode(&a);
    let hot: Vec<usize> = (0..30).filter(|&i| one_hot[i] == 1.0).collect();
    assert_eq!(hot, [4, 5 + 2, 10 + 1, 15 + 2, 20 + 1, 25 + 1]);
}

#[test]
fn decode_reports_where_a_vector_is_wrong() {
    let space = Nb201Space::new();
    let categorical = space.vector_encoding("categorical").unwrap();
    let mut code = categorical.encode(&space.arch_at(0).unwrap());
    code[12] = 1.0; // second hot entry in edge 2 (digit 1 is hot)
    let err = categorical.decode(&code).unwrap_err().to_string();
    assert!(err.contains("edge 2 (node 2 <- 1)"), "{err}");
    let short = categorical.decode(&code[..29]).unwrap_err();
    assert!(
        matches!(
            short,
            EncodingError::BufferLength {
                expected: 30,
                found: 29,
                ..
            }
        ),
        "{short:?}"
    );

    let compact = space.vector_encoding("compact").unwrap();
    let err = compact
        .decode(&[0.0, 1.0, 2.0, 3.0, 4.5, 0.0])
        .unwrap_err()
        .to_string();
    assert!(err.contains("edge 4 (node 3 <- 1)"), "{err}");
    assert!(err.contains("found 4.5"), "{err}");
}

#[test]
fn buffers_of_the_wrong_length_are_rejected() {
    let space = Nb201Space::new();
    let path = space.vector_encoding("path").unwrap();
    let a = space.arch_at(5).unwrap();
    let err = path.encode_into(&a, &mut [0.0; 154]).unwrap_err();
    assert_eq!(
        err,
        EncodingError::BufferLength {
            encoding: "path",
            buffer: "vector",
            expected: 155,
            found: 154
        }
    );
    let archs = [a, a];
    assert!(path.encode_batch_into(&archs, &mut vec![0.0; 155]).is_err());
    let mut batch = vec![0.0; 310];
    path.encode_batch_into(&archs, &mut batch).unwrap();
    assert_eq!(batch[..155], batch[155..]);

    let gcn = space.graph_encoding("gcn").unwrap();
    let err = gcn
        .encode_into(
            &a,
            GraphBuffers {
                node_features: &mut [0.0; 56],
                adjacency: &mut [0.0; 63],
                graph_features: &mut [],
            },
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("adjacency buffer has 63 entries, expected 64"),
        "{err}"
    );
}

/// The routes BANANAS lists for NB201 (`path_blueprints` in the arch-string
/// edge order): 3<-0; 1<-0,3<-1; 2<-0,3<-2; 1<-0,2<-1,3<-2.
#[test]
fn routes_are_the_four_bananas_blueprints() {
    assert_eq!(
        edge_cell_routes(),
        vec![vec![3], vec![0, 4], vec![1, 5], vec![0, 2, 5]]
    );
}

#[test]
fn path_encoding_marks_the_paths_of_each_route() {
    let path = nb201_path();
    // digits: edge0 (1<-0) conv3 = 3, edge1 (2<-0) skip = 1, edge2 (2<-1) none = 0,
    // edge3 (3<-0) pool = 4, edge4 (3<-1) conv1 = 2, edge5 (3<-2) conv3 = 3.
    let a = arch(
        "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|",
    );
    let code = path.encode(&a);
    let hot: Vec<usize> = (0..155).filter(|&i| code[i] == 1.0).collect();
    // [pool] = 4; [conv3, conv1] = 5 + 3 + 5*2 = 18; [skip, conv3] = 5 + 1 + 5*3 = 21;
    // [conv3, none, conv3] = 30 + 3 + 0 + 25*3 = 108.
    assert_eq!(hot, [4, 18, 21, 108]);

    let without_none = nb201_path_without_zero().encode(&a);
    let hot: Vec<usize> = (0..84).filter(|&i| without_none[i] == 1.0).collect();
    // Ops renumbered without none (digit - 1): [pool] = 3; [conv3, conv1] = 4 + 2 + 4*1 = 10;
    // [skip, conv3] = 4 + 0 + 4*2 = 12; the 3-edge route crosses a none edge.
    assert_eq!(hot, [3, 10, 12]);
}

#[test]
fn every_cell_has_three_or_four_paths() {
    let path = nb201_path();
    let archs = all_archs();
    let matrix = path.encode_batch(&archs);
    let mut three = 0;
    for (arch, row) in archs.iter().zip(matrix.chunks_exact(155)) {
        let ones = row.iter().filter(|&&v| v == 1.0).count();
        assert_eq!(row.iter().sum::<f64>(), ones as f64);
        // Two 2-edge routes with equal ops (1<-0 = 2<-0 and 3<-1 = 3<-2) share a path.
        let shared = arch.ops[0] == arch.ops[1] && arch.ops[4] == arch.ops[5];
        assert_eq!(ones, if shared { 3 } else { 4 });
        three += usize::from(shared);
    }
    // 5 * 5 choices for the shared pair times 5 * 5 for edges 2<-1 and 3<-0.
    assert_eq!(three, 625);
}

/// Swapping cell nodes 1 and 2 when edge 2<-1 is none yields the same graph.
fn swap_nodes_1_and_2(a: &Nb201Arch) -> Nb201Arch {
    let mut b = *a;
    b.ops.swap(0, 1); // 1<-0 with 2<-0
    b.ops.swap(4, 5); // 3<-1 with 3<-2
    b
}

#[test]
fn isomorphic_cells_get_identical_paths_without_zero() {
    let space = Nb201Space::new();
    let path_without_zero = nb201_path_without_zero();
    let path = nb201_path();
    let mut pairs = 0;
    let mut bananas_differs = 0;
    for a in space.enumerate().filter(|a| a.ops[2].digit() == 0) {
        // The same DAG once none edges are removed. (The space's canonical key,
        // NB201's official one, also counts zero inputs per node, so it can
        // tell these two apart.)
        let b = swap_nodes_1_and_2(&a);
        assert_eq!(
            path_without_zero.encode(&a),
            path_without_zero.encode(&b),
            "{a}"
        );
        bananas_differs += usize::from(path.encode(&a) != path.encode(&b));
        pairs += 1;
    }
    assert_eq!(pairs, 3125);
    // With none counted, the 3-edge route [1<-0, none, 3<-2] becomes [2<-0, none, 3<-1]:
    // the vectors differ unless 1<-0 = 2<-0 and 3<-1 = 3<-2, which leaves 5 choices for
    // each of that pair, the other pair and edge 3<-0: 125 of the 3125 cells.
    assert_eq!(bananas_differs, 3125 - 125);
}

#[test]
fn paths_without_zero_are_empty_exactly_when_the_output_is_cut_off() {
    let space = Nb201Space::new();
    let encoding = nb201_path_without_zero();
    for a in space.enumerate() {
        let live = |e: usize| a.ops[e].digit() != 0;
        let connected = live(3)
            || (live(0) && live(4))
            || (live(1) && live(5))
            || (live(0) && live(2) && live(5));
        let code = encoding.encode(&a);
        assert_eq!(code.contains(&1.0), connected, "{a}");
    }
}

#[test]
fn uniform_path_frequencies_match_the_closed_form() {
    let source = Nb201Paths::new(ZeroOpRoutes::Counted);
    let counts = path_frequencies(&source, Nb201Space::new().enumerate());
    for (index, &count) in counts.iter().enumerate() {
        let expected = match index {
            // 1-edge route, one op fixed: 15625 / 5.
            0..5 => 3125,
            // Either of two 2-edge routes: 15625 * (1 - (24/25)^2) = 1225.
            5..30 => 1225,
            // The 3-edge route, three ops fixed: 15625 / 125.
            _ => 125,
        };
        assert_eq!(count, expected, "path {index}");
    }
    let ranking = ranking_by_frequency(&counts);
    assert_eq!(ranking, (0..155).collect::<Vec<_>>());
}

#[test]
fn truncated_path_is_the_prefix_of_path_at_the_bananas_cut_offs() {
    let path = nb201_path();
    let archs = all_archs();
    let full = path.encode_batch(&archs);
    for k in [5, NB201_TRUNC_PATH_DEFAULT_K, 155] {
        let truncated = nb201_trunc_path(k).unwrap();
        assert_eq!(truncated.dim(), k);
        let matrix = truncated.encode_batch(&archs);
        for (row, full_row) in matrix.chunks_exact(k).zip(full.chunks_exact(155)) {
            assert_eq!(row, &full_row[..k]);
        }
    }
    for k in [0, 156] {
        let err = nb201_trunc_path(k).unwrap_err().to_string();
        assert!(err.contains("between 1 and 155 paths kept"), "{err}");
    }
}

#[test]
fn path_source_visits_one_index_per_route() {
    let source = Nb201Paths::new(ZeroOpRoutes::Counted);
    let a = all_archs()[123];
    let mut visited = Vec::new();
    source.for_each_path(&a, &mut |i| visited.push(i));
    assert_eq!(visited.len(), 4);
    assert!(visited[0] < 5 && (5..30).contains(&visited[1]) && visited[3] >= 30);
}

/// NASLib's `encode_gcn_nasbench201` adjacency, nodes ordered input, edges in
/// NASLib order (0->1, 0->2, 0->3, 1->2, 1->3, 2->3), output.
#[rustfmt::skip]
const NASLIB_GCN_ADJACENCY: [[u8; 8]; 8] = [
    [0, 1, 1, 1, 0, 0, 0, 0],
    [0, 0, 0, 0, 1, 1, 0, 0],
    [0, 0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 1, 0],
    [0, 0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0, 1],
    [0, 0, 0, 0, 0, 0, 0, 0],
];

#[test]
fn gcn_dag_is_naslibs_up_to_edge_order() {
    // NASLib node k is our node OURS[k]: NASLib's edge order maps to arch-string
    // positions [0, 1, 3, 2, 4, 5].
    const OURS: [usize; 8] = [0, 1, 2, 4, 3, 5, 6, 7];
    let space = Nb201Space::new();
    let raw = space.graph_encoding("gcn_raw").unwrap();
    let tensors = raw.encode(&space.arch_at(0).unwrap()).unwrap();
    assert_eq!(
        (
            tensors.max_nodes,
            tensors.num_node_features,
            tensors.num_nodes
        ),
        (8, 7, 8)
    );
    for (i, row) in NASLIB_GCN_ADJACENCY.iter().enumerate() {
        for (j, &edge) in row.iter().enumerate() {
            assert_eq!(
                tensors.adjacency[OURS[i] * 8 + OURS[j]],
                f64::from(edge),
                "({i}, {j})"
            );
        }
    }
}

#[test]
fn gcn_features_are_one_hot_labels_and_adjacency_rows_are_normalised() {
    let space = Nb201Space::new();
    let gcn = space.graph_encoding("gcn").unwrap();
    let raw = space.graph_encoding("gcn_raw").unwrap();
    let mut features = vec![0.0; 8 * 7];
    let mut adjacency = vec![0.0; 64];
    for a in space.enumerate() {
        let real = gcn
            .encode_into(
                &a,
                GraphBuffers {
                    node_features: &mut features,
                    adjacency: &mut adjacency,
                    graph_features: &mut [],
                },
            )
            .unwrap();
        assert_eq!(real, 8);
        let labels: Vec<usize> = features
            .chunks_exact(7)
            .map(|row| {
                assert_eq!(row.iter().sum::<f64>(), 1.0);
                row.iter().position(|&v| v == 1.0).unwrap()
            })
            .collect();
        let mut expected = vec![0];
        expected.extend(a.ops.iter().map(|op| 1 + usize::from(op.digit())));
        expected.push(6);
        assert_eq!(labels, expected);
        let raw_adjacency = raw.encode(&a).unwrap().adjacency;
        for (i, row) in adjacency.chunks_exact(8).enumerate() {
            // Row i: self-loop plus out-edges, each weighted 1 / (1 + out-degree).
            let degree = 1.0 + raw_adjacency[i * 8..(i + 1) * 8].iter().sum::<f64>();
            for (j, &weight) in row.iter().enumerate() {
                let edge = i == j || raw_adjacency[i * 8 + j] == 1.0;
                assert_eq!(weight, if edge { 1.0 / degree } else { 0.0 });
            }
        }
    }
}

#[test]
fn gcn_bonas_adds_a_global_node() {
    let space = Nb201Space::new();
    let bonas = space.graph_encoding("gcn_bonas").unwrap();
    assert_eq!((bonas.max_nodes(), bonas.num_node_features()), (9, 8));
    let t = bonas.encode(&space.arch_at(77).unwrap()).unwrap();
    assert_eq!(t.num_nodes, 9);
    for node in 0..9 {
        assert_eq!(
            t.adjacency[node * 9 + 8],
            1.0,
            "node {node} feeds the global node"
        );
        assert_eq!(t.adjacency[node * 9 + node], 1.0, "self-loop at {node}");
    }
    assert_eq!(
        &t.node_features[8 * 8..],
        &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    );
}

#[test]
fn generic_dag_paths_agree_with_the_edge_cell_routes() {
    let source = Nb201Paths::new(ZeroOpRoutes::Counted);
    let indexer = source.indexer();
    let raw = Nb201Space::new().graph_encoding("gcn_raw").unwrap();
    for a in all_archs() {
        let dag = EdgeCellNodeDag(&a);
        let mut generic = Vec::new();
        op_dag::for_each_path(&dag, &mut |ops| generic.push(indexer.index(ops).unwrap()));
        let mut specific = Vec::new();
        source.for_each_path(&a, &mut |i| specific.push(i));
        generic.sort_unstable();
        specific.sort_unstable();
        assert_eq!(generic, specific, "{a}");

        let adjacency = raw.encode(&a).unwrap().adjacency;
        for from in 0..8 {
            for to in 0..8 {
                let edge = from < to && dag.has_edge(from, to);
                assert_eq!(adjacency[from * 8 + to], f64::from(u8::from(edge)));
            }
        }
    }
}

/// Code generic over an encoding type takes what the registry builds.
fn first_entries<E: VectorEncoding<Nb201Arch>>(encoding: &E, arch: &Nb201Arch) -> Vec<f64> {
    encoding.encode(arch)[..3].to_vec()
}

#[test]
fn boxed_encodings_are_encodings() {
    let space = Nb201Space::new();
    let boxed = space.vector_encoding("categorical").unwrap();
    let a = space.arch_at(0).unwrap();
    // Edge 0 carries avg_pool_3x3 (digit 4): the first three entries are 0.
    assert_eq!(first_entries(&boxed, &a), [0.0, 0.0, 0.0]);
    assert_eq!(boxed.decode(&boxed.encode(&a)).unwrap(), a);
    assert!(format!("{boxed:?}").contains("categorical, dim 30"));
}
