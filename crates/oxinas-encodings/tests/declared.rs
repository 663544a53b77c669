//! Encodings of declared spaces agree with the built-in spaces' encodings on
//! the same cells, and the invertible ones decode what they encode.

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Enumerable, SearchSpace};
use oxinas_encodings::EncodableSpace;
use oxinas_spaces::{DeclaredArch, DeclaredSpace, Nb101Space, Nb201Space};

const NB201: &str = r#"
name = "nb201-declared"
format = { template = "|{edge_0_1}~0|+|{edge_0_2}~0|{edge_1_2}~1|+|{edge_0_3}~0|{edge_1_3}~1|{edge_2_3}~2|" }
[graph]
nodes = 4
ops_on = "edges"
ops = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
zero_op = "none"
identity_op = "skip_connect"
"#;

const NB101: &str = r#"
name = "nb101-declared"
[graph]
nodes = 7
ops_on = "nodes"
ops = ["conv3x3-bn-relu", "conv1x1-bn-relu", "maxpool3x3"]
max_edges = 9
"#;

#[test]
fn nb201_declared_encodes_every_cell_as_the_built_in_space() {
    let declared = DeclaredSpace::from_toml(NB201, None).unwrap();
    let built_in = Nb201Space::new();
    for name in ["path", "path_without_zero", "categorical"] {
        let ours = declared.vector_encoding(name).unwrap();
        let theirs = built_in.vector_encoding(name).unwrap();
        assert_eq!(ours.dim(), theirs.dim(), "{name}");
        for b in built_in.enumerate() {
            let d = declared.parse(&built_in.format(&b)).unwrap();
            assert_eq!(
                ours.encode(&d),
                theirs.encode(&b),
                "{name} of {}",
                built_in.format(&b)
            );
        }
    }
    for name in ["gcn_bonas", "gcn_raw"] {
        let ours = declared.graph_encoding(name).unwrap();
        let theirs = built_in.graph_encoding(name).unwrap();
        for b in built_in.enumerate().step_by(7) {
            let d = declared.parse(&built_in.format(&b)).unwrap();
            assert_eq!(
                ours.encode(&d).unwrap(),
                theirs.encode(&b).unwrap(),
                "{name}"
            );
        }
    }
}

#[test]
fn nb101_declared_has_the_built_in_path_encoding() {
    let declared = DeclaredSpace::from_toml(NB101, None).unwrap();
    let built_in = Nb101Space::new();
    let ours = declared.vector_encoding("path").unwrap();
    let theirs = built_in.vector_encoding("path").unwrap();
    assert_eq!(ours.dim(), 364);
    let graph = declared.graph().unwrap();
    let mut rng = rng_from_seed(5);
    for _ in 0..2_000 {
        let cell = built_in.sample(&mut rng);
        let padded = cell.pruned().padded();
        let mut texts: Vec<String> = graph
            .interior()
            .iter()
            .map(|&v| padded.op(v).unwrap().name().to_owned())
            .collect();
        texts.extend(
            graph
                .edges()
                .iter()
                .map(|&(a, b)| if padded.has_edge(a, b) { "1" } else { "0" }.to_owned()),
        );
        let refs: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
        let arch = declared.from_texts(&refs).unwrap();
        assert_eq!(ours.encode(&arch), theirs.encode(&cell));
    }
}

#[test]
fn one_hot_and_compact_decode_conditional_architectures() {
    let space = DeclaredSpace::from_toml(
        r#"
        name = "conditional"
        [[choice]]
        name = "block"
        values = ["conv", "mlp"]
        [[choice]]
        name = "kernel"
        values = [3, 5]
        [[choice]]
        name = "width"
        range = [1, 3]
        [[condition]]
        choice = "kernel"
        when = "block"
        in = ["conv"]
        "#,
        None,
    )
    .unwrap();
    let one_hot = space.vector_encoding("categorical").unwrap();
    let compact = space.vector_encoding("compact").unwrap();
    assert_eq!(one_hot.dim(), 7);
    assert_eq!(one_hot.one_hot_blocks(), vec![0..2, 2..4, 4..7]);
    let mlp = space.parse("mlp - 2").unwrap();
    // By hand: block mlp, kernel inactive (all zero), width 2.
    assert_eq!(one_hot.encode(&mlp), [0., 1., 0., 0., 0., 1., 0.]);
    assert_eq!(compact.encode(&mlp), [1., -1., 1.]);
    let every: Vec<DeclaredArch> = space.enumerate().collect();
    assert_eq!(every.len(), 9);
    for arch in &every {
        assert_eq!(&one_hot.decode(&one_hot.encode(arch)).unwrap(), arch);
        assert_eq!(&compact.decode(&compact.encode(arch)).unwrap(), arch);
    }
    // A kernel block set where the condition does not hold is ignored.
    let decoded = one_hot.decode(&[0., 1., 0., 1., 0., 1., 0.]).unwrap();
    assert_eq!(decoded, mlp);
    assert!(space.graph().is_none());
    assert!(space.vector_encoding("path").is_err());
}
