//! Encodings of NAS-Bench-NLP recurrent cells.
//!
//! A cell is a DAG over the cell inputs (`x`, `h_prev_0..h`) and its nodes,
//! so predictors see it as a graph:
//!
//! - node 0 is `x`, nodes `1..=h` are `h_prev_0..h_prev_{h-1}`, and the
//!   cell's nodes follow in their (topological) order;
//! - an edge `u -> v` for every input `v` reads;
//! - node features: a one-hot label (`x`, `h_prev`, then the 7 ops in
//!   [`NlpOp::ALL`] order: 9 columns) and a column that is 1 on the nodes that
//!   are hidden outputs `h_new_k` (NASLib's hidden-state flag): 10 columns;
//! - padded to [`NLP_MAX_GRAPH_NODES`] = 1 + 3 + 25 nodes (the benchmark's
//!   cells have at most 21 nodes); larger cells are rejected with
//!   [`EncodingError::DoesNotFit`].
//!
//! `gcn_doc2vec` adds the release's doc2vec embedding of the cell
//! (`nasbench_nlp/original/doc2vec_features_lowdim.csv`, 10 values) as graph
//! features. The file is keyed by recipe id, so the table is built from
//! `(recipe id, cell)` pairs ([`NlpDoc2Vec::new`]) by whoever reads the
//! benchmark's recipes, and registered with [`nlp_encodings_with_doc2vec`].
//! Cells without an embedding are rejected, since the embedding exists only
//! for the benchmark's cells. With the PTB logs of `oxinas-benchmarks`
//! (`NlpTabular::runs`, each with `recipe_id` and `cell`) all 14,322 runs
//! (12,124 distinct cells, at most 25 graph nodes) encode.

use std::collections::HashMap;
use std::sync::Arc;

use oxinas_core::SearchSpace;
use oxinas_spaces::{NlpCell, NlpInput, NlpOp, NlpSpace};

use crate::gcn::{GcnOptions, finish_graph};
use crate::{
    Doc2VecFeatures, EncodableSpace, EncodingError, EncodingRegistry, GraphBuffers, GraphEncoding,
};

/// Most cell nodes the graph tensors hold.
pub const NLP_MAX_CELL_NODES: usize = 25;
/// Most hidden elements (`h_prev_0..2`).
const MAX_HIDDEN: usize = 3;
/// Rows of the graph tensors: `x`, three `h_prev`, the cell nodes.
pub const NLP_MAX_GRAPH_NODES: usize = 1 + MAX_HIDDEN + NLP_MAX_CELL_NODES;
/// `x`, `h_prev`, the ops.
const LABELS: usize = 2 + NlpOp::ALL.len();
/// The hidden-output flag column, after the labels.
const OUTPUT_FLAG: usize = LABELS;
/// Labels and the flag.
const WIDTH: usize = LABELS + 1;

/// Doc2vec embeddings by cell.
#[derive(Clone, Debug)]
pub struct NlpDoc2Vec {
    dim: usize,
    by_cell: HashMap<NlpCell, Vec<f64>>,
}

impl NlpDoc2Vec {
    /// The embeddings of `cells`, given with their recipe ids, looked up in
    /// `features`. Fails on a recipe id the file does not have. When several
    /// recipes are the same cell, the first one's embedding is kept.
    pub fn new(
        features: &Doc2VecFeatures,
        cells: impl IntoIterator<Item = (u64, NlpCell)>,
    ) -> Result<Self, EncodingError> {
        let mut by_cell = HashMap::new();
        for (id, cell) in cells {
            let embedding = features.get(id).ok_or_else(|| EncodingError::Setting {
                encoding: "gcn_doc2vec",
                field: "cells",
                message: format!("recipe ids present in the doc2vec file, found {id}"),
            })?;
            by_cell.entry(cell).or_insert_with(|| embedding.to_vec());
        }
        Ok(Self {
            dim: features.dim(),
            by_cell,
        })
    }

    /// Values per embedding.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The embedding of `cell`, if known.
    pub fn get(&self, cell: &NlpCell) -> Option<&[f64]> {
        self.by_cell.get(cell).map(Vec::as_slice)
    }
}

/// GCN tensors of a cell, optionally with its doc2vec embedding.
#[derive(Clone, Debug)]
pub struct NlpGcn {
    name: &'static str,
    options: GcnOptions,
    doc2vec: Option<Arc<NlpDoc2Vec>>,
}

impl NlpGcn {
    /// The graph alone, registered under `name`.
    pub fn new(name: &'static str, options: GcnOptions) -> Self {
        Self {
            name,
            options,
            doc2vec: None,
        }
    }

    /// The graph with the cell's doc2vec embedding as graph features.
    pub fn with_doc2vec(name: &'static str, options: GcnOptions, doc2vec: Arc<NlpDoc2Vec>) -> Self {
        Self {
            name,
            options,
            doc2vec: Some(doc2vec),
        }
    }
}

/// The graph row of `input` in a cell with `hidden` elements.
fn row_of(input: NlpInput, hidden: usize) -> usize {
    match input {
        NlpInput::X => 0,
        NlpInput::HPrev(k) => 1 + usize::from(k),
        NlpInput::Node(i) => 1 + hidden + usize::from(i),
    }
}

impl GraphEncoding<NlpCell> for NlpGcn {
    fn name(&self) -> &'static str {
        self.name
    }

    fn max_nodes(&self) -> usize {
        self.options.max_nodes(NLP_MAX_GRAPH_NODES)
    }

    fn num_node_features(&self) -> usize {
        self.options.num_node_features(WIDTH)
    }

    fn num_graph_features(&self) -> usize {
        self.doc2vec.as_ref().map_or(0, |d| d.dim())
    }

    fn check(&self, cell: &NlpCell) -> Result<(), EncodingError> {
        if cell.nodes().len() > NLP_MAX_CELL_NODES {
            return Err(EncodingError::DoesNotFit {
                encoding: self.name,
                message: format!(
                    "at most {NLP_MAX_CELL_NODES} cell nodes, found {}",
                    cell.nodes().len()
                ),
            });
        }
        if let Some(doc2vec) = &self.doc2vec
            && doc2vec.get(cell).is_none()
        {
            return Err(EncodingError::DoesNotFit {
                encoding: self.name,
                message: "a cell of the benchmark with a doc2vec embedding, found one without"
                    .into(),
            });
        }
        Ok(())
    }

    fn write(&self, cell: &NlpCell, buffers: GraphBuffers<'_>) -> usize {
        let side = self.max_nodes();
        let width = self.num_node_features();
        let hidden = cell.hidden_size();
        buffers.node_features.fill(0.0);
        buffers.adjacency.fill(0.0);
        let features = buffers.node_features;
        features[0] = 1.0;
        for k in 0..hidden {
            features[(1 + k) * width + 1] = 1.0;
        }
        for (i, node) in cell.nodes().iter().enumerate() {
            let row = 1 + hidden + i;
            let op = NlpOp::ALL.iter().position(|&o| o == node.op).unwrap_or(0);
            features[row * width + 2 + op] = 1.0;
            if cell.output_index(i).is_some() {
                features[row * width + OUTPUT_FLAG] = 1.0;
            }
            for &input in &node.inputs {
                buffers.adjacency[row_of(input, hidden) * side + row] = 1.0;
            }
        }
        match self.doc2vec.as_ref().and_then(|d| d.get(cell)) {
            Some(embedding) => buffers.graph_features.copy_from_slice(embedding),
            None => buffers.graph_features.fill(0.0),
        }
        let real = 1 + hidden + cell.nodes().len();
        finish_graph(&self.options, side, real, features, buffers.adjacency)
    }
}

/// The graph encodings without features: `gcn`, `gcn_bonas`, `gcn_raw`.
fn graph_encodings(registry: EncodingRegistry<NlpCell>) -> EncodingRegistry<NlpCell> {
    registry
        .with_graph(
            "gcn",
            "cell DAG, self-loops, row-normalised adjacency",
            || NlpGcn::new("gcn", GcnOptions::default()),
        )
        .with_graph(
            "gcn_bonas",
            "cell DAG with self-loops and a global node",
            || NlpGcn::new("gcn_bonas", GcnOptions::bonas()),
        )
        .with_graph("gcn_raw", "cell DAG, raw 0/1 adjacency", || {
            NlpGcn::new("gcn_raw", GcnOptions::raw())
        })
}

impl EncodableSpace for NlpSpace {
    fn encodings(&self) -> EncodingRegistry<NlpCell> {
        graph_encodings(EncodingRegistry::new(self.name()))
    }
}

/// The space's encodings plus `gcn_doc2vec`: `gcn` with the cells' doc2vec
/// embeddings as graph features.
pub fn nlp_encodings_with_doc2vec(
    space: &NlpSpace,
    doc2vec: Arc<NlpDoc2Vec>,
) -> EncodingRegistry<NlpCell> {
    space.encodings().with_graph(
        "gcn_doc2vec",
        "cell DAG with self-loops, row-normalised, plus the doc2vec embedding",
        move || NlpGcn::with_doc2vec("gcn_doc2vec", GcnOptions::default(), Arc::clone(&doc2vec)),
    )
}
