//! A space seen as a fixed sequence of categorical choices, read off an
//! invertible encoding made only of one-hot blocks.
//!
//! Optimizers that search a continuous or a per-position categorical
//! representation (DEHB's unit hypercube, a policy over choices) need three
//! things: how many positions, how many options each, and a round trip
//! between an architecture and its choices. A space's `categorical` encoding
//! already says all of it when its one-hot blocks cover the whole vector and
//! it decodes: the blocks are the positions, a block's width is its number of
//! options. Reading it there keeps a single description of each space's
//! choices rather than a second one beside the encodings.

use std::ops::Range;

use crate::{EncodingError, VectorEncoding};

/// An architecture as one categorical choice per position, through an
/// invertible one-hot encoding of the space (usually `categorical`).
pub struct CategoricalChoices<A> {
    encoding: Box<dyn VectorEncoding<A>>,
    blocks: Vec<Range<usize>>,
}

impl<A> std::fmt::Debug for CategoricalChoices<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CategoricalChoices")
            .field("encoding", &self.encoding.name())
            .field(
                "options",
                &self.blocks.iter().map(|b| b.len()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<A> CategoricalChoices<A> {
    /// The choices of `encoding`, which must be invertible and consist of
    /// consecutive one-hot blocks covering every entry, each with at least
    /// one option.
    pub fn new(encoding: Box<dyn VectorEncoding<A>>) -> Result<Self, EncodingError> {
        let name = encoding.name();
        let not_categorical = |message: String| EncodingError::Setting {
            encoding: name,
            field: "encoding",
            message,
        };
        if !encoding.is_invertible() {
            return Err(not_categorical(
                "an invertible encoding, to turn choices back into an architecture".into(),
            ));
        }
        let blocks = encoding.one_hot_blocks();
        let mut next = 0;
        for block in &blocks {
            if block.start != next || block.is_empty() {
                return Err(not_categorical(format!(
                    "consecutive non-empty one-hot blocks, found {block:?} after entry {next}"
                )));
            }
            next = block.end;
        }
        if next != encoding.dim() || blocks.is_empty() {
            return Err(not_categorical(format!(
                "one-hot blocks covering all {} entries, they cover {next}",
                encoding.dim()
            )));
        }
        Ok(Self { encoding, blocks })
    }

    /// Number of positions (choices per architecture).
    pub fn positions(&self) -> usize {
        self.blocks.len()
    }

    /// Number of options at `position`.
    pub fn options(&self, position: usize) -> usize {
        self.blocks[position].len()
    }

    /// The option chosen at each position of `arch`.
    pub fn choices(&self, arch: &A) -> Vec<usize> {
        let code = self.encoding.encode(arch);
        self.blocks
            .iter()
            .map(|block| {
                code[block.clone()]
                    .iter()
                    .position(|&v| v == 1.0)
                    .unwrap_or(0)
            })
            .collect()
    }

    /// The architecture with these choices, or `None` when the space rejects
    /// them (a wrong count, an option out of range, a combination the space
    /// excludes).
    pub fn from_choices(&self, choices: &[usize]) -> Option<A> {
        if choices.len() != self.blocks.len() {
            return None;
        }
        let mut code = vec![0.0; self.encoding.dim()];
        for (block, &choice) in self.blocks.iter().zip(choices) {
            if choice >= block.len() {
                return None;
            }
            code[block.start + choice] = 1.0;
        }
        self.encoding.decode(&code).ok()
    }
}

#[cfg(test)]
mod tests {
    use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};

    use super::*;
    use crate::EncodableSpace;

    #[test]
    fn nb201_is_six_choices_of_five_ops() {
        let space = Nb201Space::new();
        let choices =
            CategoricalChoices::new(space.vector_encoding("categorical").unwrap()).unwrap();
        assert_eq!(choices.positions(), 6);
        assert!((0..6).all(|p| choices.options(p) == 5));
        let arch = Nb201Arch {
            ops: [
                Nb201Op::NorConv3x3,
                Nb201Op::None,
                Nb201Op::SkipConnect,
                Nb201Op::AvgPool3x3,
                Nb201Op::NorConv1x1,
                Nb201Op::NorConv3x3,
            ],
        };
        // Official digits: none 0, skip 1, conv1x1 2, conv3x3 3, pool 4.
        assert_eq!(choices.choices(&arch), vec![3, 0, 1, 4, 2, 3]);
        assert_eq!(choices.from_choices(&[3, 0, 1, 4, 2, 3]), Some(arch));
        assert_eq!(choices.from_choices(&[3, 0, 1, 4, 2, 5]), None);
        assert_eq!(choices.from_choices(&[3, 0, 1]), None);
    }

    #[test]
    fn encodings_that_are_not_all_choices_are_refused() {
        let space = Nb201Space::new();
        let err = CategoricalChoices::new(space.vector_encoding("path").unwrap()).unwrap_err();
        assert!(err.to_string().contains("invertible"), "{err}");
        let err = CategoricalChoices::new(space.vector_encoding("compact").unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("one-hot blocks covering all 6"),
            "{err}"
        );
    }
}
