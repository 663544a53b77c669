//! NAS-Bench-NLP graph encodings.

use std::sync::Arc;

use oxinas_core::SearchSpace;
use oxinas_core::seed::rng_from_seed;
use oxinas_encodings::nlp::{NLP_MAX_GRAPH_NODES, NlpDoc2Vec, nlp_encodings_with_doc2vec};
use oxinas_encodings::{Doc2VecFeatures, EncodableSpace, EncodingError, GraphBuffers};
use oxinas_spaces::{NlpCell, NlpInput, NlpNode, NlpOp, NlpSpace};

const WIDTH: usize = 10;

/// `h_new_0 = tanh(linear(x, h_prev_0))`.
fn rnn() -> NlpCell {
    NlpCell::new(
        vec![
            NlpNode {
                op: NlpOp::Linear,
                inputs: vec![NlpInput::X, NlpInput::HPrev(0)],
            },
            NlpNode {
                op: NlpOp::ActivationTanh,
                inputs: vec![NlpInput::Node(0)],
            },
        ],
        vec![1],
    )
    .unwrap()
}

fn label(features: &[f64], row: usize) -> Option<usize> {
    features[row * WIDTH..row * WIDTH + 9]
        .iter()
        .position(|&v| v == 1.0)
}

#[test]
fn an_rnn_cell_as_a_graph() {
    let space = NlpSpace::new();
    let gcn = space.graph_encoding("gcn_raw").unwrap();
    assert_eq!(
        (gcn.max_nodes(), gcn.num_node_features()),
        (NLP_MAX_GRAPH_NODES, WIDTH)
    );
    let t = gcn.encode(&rnn()).unwrap();
    // x, h_prev_0, linear, tanh.
    assert_eq!(t.num_nodes, 4);
    let labels: Vec<Option<usize>> = (0..5).map(|r| label(&t.node_features, r)).collect();
    assert_eq!(labels, [Some(0), Some(1), Some(2), Some(6), None]);
    let flags: Vec<f64> = (0..4).map(|r| t.node_features[r * WIDTH + 9]).collect();
    assert_eq!(flags, [0.0, 0.0, 0.0, 1.0]);
    let n = NLP_MAX_GRAPH_NODES;
    let edges: Vec<(usize, usize)> = (0..n * n)
        .filter(|&i| t.adjacency[i] == 1.0)
        .map(|i| (i / n, i % n))
        .collect();
    assert_eq!(edges, [(0, 2), (1, 2), (2, 3)]);
}

#[test]
fn sampled_cells_have_one_label_per_node_and_a_flag_per_hidden_output() {
    let space = NlpSpace::new();
    let gcn = space.graph_encoding("gcn").unwrap();
    let n = gcn.max_nodes();
    let mut features = vec![0.0; n * WIDTH];
    let mut adjacency = vec![0.0; n * n];
    let mut rng = rng_from_seed(4);
    for _ in 0..300 {
        let cell = space.sample(&mut rng);
        let real = gcn
            .encode_into(
                &cell,
                GraphBuffers {
                    node_features: &mut features,
                    adjacency: &mut adjacency,
                    graph_features: &mut [],
                },
            )
            .unwrap();
        assert_eq!(real, 1 + cell.hidden_size() + cell.nodes().len());
        for row in 0..n {
            let sum: f64 = features[row * WIDTH..row * WIDTH + 9].iter().sum();
            assert_eq!(sum, if row < real { 1.0 } else { 0.0 });
            let out: f64 = adjacency[row * n..(row + 1) * n].iter().sum();
            // Rows are normalised over self-loop and successors; padding stays 0.
            assert!(if row < real {
                (out - 1.0).abs() < 1e-12
            } else {
                out == 0.0
            });
        }
        let flags: f64 = (0..n).map(|r| features[r * WIDTH + 9]).sum();
        assert_eq!(flags, cell.hidden_size() as f64);
    }
}

#[test]
fn cells_larger_than_the_tensors_are_rejected() {
    let mut nodes = vec![NlpNode {
        op: NlpOp::Linear,
        inputs: vec![NlpInput::X, NlpInput::HPrev(0)],
    }];
    for i in 0..25 {
        nodes.push(NlpNode {
            op: NlpOp::ActivationTanh,
            inputs: vec![NlpInput::Node(i)],
        });
    }
    let big = NlpCell::new(nodes, vec![25]).unwrap();
    let gcn = NlpSpace::new().graph_encoding("gcn").unwrap();
    let err = gcn.encode(&big).unwrap_err();
    assert!(matches!(err, EncodingError::DoesNotFit { .. }), "{err:?}");
    assert!(
        err.to_string().contains("at most 25 cell nodes, found 26"),
        "{err}"
    );
}

#[test]
fn doc2vec_features_are_graph_features() {
    let features =
        Doc2VecFeatures::parse("recepie_id,v00,v01\n1000001,0.5,-2\n", "doc2vec.csv").unwrap();
    let doc2vec = Arc::new(NlpDoc2Vec::new(&features, [(1_000_001, rnn())]).unwrap());
    let space = NlpSpace::new();
    let registry = nlp_encodings_with_doc2vec(&space, doc2vec);
    let gcn = registry.graph("gcn_doc2vec").unwrap();
    assert_eq!(gcn.num_graph_features(), 2);
    assert_eq!(gcn.encode(&rnn()).unwrap().graph_features, [0.5, -2.0]);
    let other = space.sample(&mut rng_from_seed(1));
    assert!(matches!(
        gcn.encode(&other),
        Err(EncodingError::DoesNotFit { .. })
    ));
    assert!(NlpDoc2Vec::new(&features, [(7, rnn())]).is_err());
}
