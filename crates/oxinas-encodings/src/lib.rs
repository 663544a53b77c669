//! Architecture encodings for model-based NAS.
//!
//! Predictors and model-based optimizers see architectures through an
//! encoding, and the choice matters as much as the model (White et al., "A
//! Study on Encodings for Neural Architecture Search", 2020). This crate offers
//! the standard ones, selectable by name per space so that experiments can
//! compare them on the same data:
//!
//! - [`VectorEncoding`]: fixed-length `f64` vectors written into the caller's
//!   buffer (adjacency one-hot, categorical, path, truncated path, compact);
//! - [`GraphEncoding`]: node features plus adjacency for GCN/GIN predictors.
//!
//! [`CategoricalChoices`] reads an invertible all-one-hot encoding (a space's
//! `categorical`) as one categorical choice per position, for optimizers that
//! search choices directly (DEHB).
//!
//! Each space registers its encodings in its own module by implementing
//! [`EncodableSpace`]; a config names one and
//! [`EncodableSpace::vector_encoding`] builds it, or fails with an
//! [`EncodingError`] that lists the valid names.
//!
//! ```
//! use oxinas_core::Enumerable;
//! use oxinas_encodings::{EncodableSpace, VectorEncoding};
//! use oxinas_spaces::Nb201Space;
//!
//! let space = Nb201Space::new();
//! let path = space.vector_encoding("path").unwrap();
//! let archs: Vec<_> = space.enumerate().collect();
//! let matrix = path.encode_batch(&archs); // one allocation, row-major
//! assert_eq!(matrix.len(), 15_625 * 155);
//! assert!(space.vector_encoding("pathh").unwrap_err().to_string().contains("trunc_path"));
//! ```
//!
//! Spaces so far: NAS-Bench-101 ([`nb101`]), NAS-Bench-201 ([`nb201`]),
//! NAS-Bench-NLP ([`nlp`]), NAS-Bench-Macro ([`nb_macro`]), TransNAS-Bench-101
//! micro ([`transnas_micro`]) and macro ([`transnas_macro`]), NAS-Bench-ASR
//! ([`asr`]), Once-for-All MobileNetV3 ([`ofa`]).
//!
//! Adding a space is one file that implements [`EncodableSpace`] for it,
//! built from the shared pieces:
//!
//! - [`edge_op_cell`]: cells with NB201's topology and an op per edge
//!   (NB201, TransNAS-Bench-101 micro): implement
//!   [`edge_op_cell::EdgeOpCell`];
//! - [`op_dag`]: cells with ops on nodes (NB101, converted DARTS cells):
//!   implement [`OpDag`] for a view of the architecture to get paths, the
//!   upper-triangular adjacency, op one-hot blocks and GCN labels;
//! - [`choice_sequence`]: one choice per layer (NAS-Bench-Macro,
//!   TransNAS-Bench-101 macro): implement [`choice_sequence::ChoiceSequence`];
//! - [`path`]: path numbering ([`PathIndexer`]), the path and truncated path
//!   encodings over any [`PathSource`], and the ranking of paths by frequency;
//! - [`gcn`]: GCN tensors with self-loops, row normalisation or a global node;
//! - [`doc2vec_features`]: the NAS-Bench-NLP release's doc2vec embeddings,
//!   to go with that space's graph encoding as per-graph features.

pub mod asr;
mod categorical_choices;
pub mod choice_sequence;
pub mod darts;
pub mod declared;
pub mod doc2vec_features;
pub mod edge_op_cell;
mod error;
pub mod gcn;
mod graph_encoding;
pub mod nb101;
pub mod nb201;
pub mod nb_macro;
pub mod nlp;
pub mod ofa;
pub mod one_hot;
pub mod op_dag;
pub mod path;
mod registry;
pub mod transnas_macro;
pub mod transnas_micro;
mod vector_encoding;

pub use categorical_choices::CategoricalChoices;
pub use doc2vec_features::Doc2VecFeatures;
pub use error::EncodingError;
pub use gcn::{AdjacencyNormalization, GcnOptions};
pub use graph_encoding::{GraphBuffers, GraphEncoding, GraphTensors};
pub use op_dag::OpDag;
pub use path::{PathEncoding, PathIndexer, PathSource, TruncatedPathEncoding};
pub use registry::{EncodableSpace, Encoding, EncodingKind, EncodingRegistry};
pub use vector_encoding::VectorEncoding;

// The README's example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
