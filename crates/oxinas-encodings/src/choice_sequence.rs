//! Encodings of architectures that are a fixed sequence of independent
//! choices (a block type per layer in NAS-Bench-Macro, a block code per stage
//! in TransNAS-Bench-101 macro): one-hot per choice, or the choices as
//! integers. A space implements [`ChoiceSequence`] and reuses both.

use std::marker::PhantomData;
use std::ops::Range;

use crate::error::check_len;
use crate::one_hot::decode_one_hot;
use crate::{EncodingError, VectorEncoding};

/// An architecture made of one choice per position.
pub trait ChoiceSequence: Sized + Send + Sync {
    /// Number of options at each position (the sequence length is its length).
    const CHOICE_COUNTS: &'static [usize];

    /// The option chosen at `position` (below `CHOICE_COUNTS[position]`).
    fn choice(&self, position: usize) -> usize;

    /// The architecture with these choices, or `None` if the space rejects
    /// them (an option out of range, a combination the space excludes).
    fn from_choices(choices: &[usize]) -> Option<Self>;
}

/// Start of each position's block in the one-hot encoding.
fn offsets(counts: &[usize]) -> impl Iterator<Item = Range<usize>> + '_ {
    counts.iter().scan(0, |start, &count| {
        let block = *start..*start + count;
        *start += count;
        Some(block)
    })
}

/// Builds the architecture, reporting choices the space rejects.
fn from_choices<C: ChoiceSequence>(
    encoding: &'static str,
    choices: &[usize],
) -> Result<C, EncodingError> {
    C::from_choices(choices).ok_or_else(|| EncodingError::Decode {
        encoding,
        message: format!("choices {choices:?} that form an architecture of the space"),
    })
}

/// One one-hot block per position (`categorical`). Invertible.
#[derive(Debug)]
pub struct ChoiceOneHot<C> {
    name: &'static str,
    arch: PhantomData<fn() -> C>,
}

impl<C> ChoiceOneHot<C> {
    /// The encoding, registered under `name`.
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            arch: PhantomData,
        }
    }
}

impl<C: ChoiceSequence> VectorEncoding<C> for ChoiceOneHot<C> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn dim(&self) -> usize {
        C::CHOICE_COUNTS.iter().sum()
    }

    fn write(&self, arch: &C, out: &mut [f64]) {
        out.fill(0.0);
        for (position, block) in offsets(C::CHOICE_COUNTS).enumerate() {
            out[block.start + arch.choice(position)] = 1.0;
        }
    }

    fn one_hot_blocks(&self) -> Vec<Range<usize>> {
        offsets(C::CHOICE_COUNTS).collect()
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<C, EncodingError> {
        check_len(self.name, "vector", self.dim(), code.len())?;
        let mut choices = Vec::with_capacity(C::CHOICE_COUNTS.len());
        for (position, block) in offsets(C::CHOICE_COUNTS).enumerate() {
            choices.push(decode_one_hot(self.name, &code[block], || {
                format!("position {position}")
            })?);
        }
        from_choices(self.name, &choices)
    }
}

/// The choices as integers (`compact`). Invertible.
#[derive(Debug)]
pub struct ChoiceCompact<C> {
    arch: PhantomData<fn() -> C>,
}

impl<C> ChoiceCompact<C> {
    /// The encoding (registered as `compact`).
    pub fn new() -> Self {
        Self { arch: PhantomData }
    }
}

impl<C> Default for ChoiceCompact<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: ChoiceSequence> VectorEncoding<C> for ChoiceCompact<C> {
    fn name(&self) -> &'static str {
        "compact"
    }

    fn dim(&self) -> usize {
        C::CHOICE_COUNTS.len()
    }

    fn write(&self, arch: &C, out: &mut [f64]) {
        for (position, value) in out.iter_mut().enumerate() {
            *value = arch.choice(position) as f64;
        }
    }

    fn is_invertible(&self) -> bool {
        true
    }

    fn decode(&self, code: &[f64]) -> Result<C, EncodingError> {
        check_len(self.name(), "vector", self.dim(), code.len())?;
        let mut choices = Vec::with_capacity(code.len());
        for (position, (&value, &count)) in code.iter().zip(C::CHOICE_COUNTS).enumerate() {
            let choice = (0..count)
                .find(|&option| option as f64 == value)
                .ok_or_else(|| EncodingError::Decode {
                    encoding: self.name(),
                    message: format!(
                        "position {position}: an integer from 0 to {}, found {value}",
                        count.saturating_sub(1)
                    ),
                })?;
            choices.push(choice);
        }
        from_choices(self.name(), &choices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NAS-Bench-Macro's shape: 8 layers, 3 block types each.
    #[derive(Clone, Debug, PartialEq, Eq)]
    struct MacroLike(Vec<usize>);

    impl ChoiceSequence for MacroLike {
        const CHOICE_COUNTS: &'static [usize] = &[3; 8];

        fn choice(&self, position: usize) -> usize {
            self.0[position]
        }

        fn from_choices(choices: &[usize]) -> Option<Self> {
            (choices.len() == 8 && choices.iter().all(|&c| c < 3)).then(|| Self(choices.to_vec()))
        }
    }

    fn all() -> impl Iterator<Item = MacroLike> {
        (0..3usize.pow(8)).map(|code| MacroLike((0..8).map(|p| code / 3usize.pow(p) % 3).collect()))
    }

    #[test]
    fn one_hot_has_a_block_per_layer_and_inverts_over_all_6561() {
        let one_hot = ChoiceOneHot::new("categorical");
        assert_eq!(VectorEncoding::<MacroLike>::dim(&one_hot), 24);
        let blocks = VectorEncoding::<MacroLike>::one_hot_blocks(&one_hot);
        assert_eq!(blocks.len(), 8);
        assert_eq!(blocks[7], 21..24);
        for arch in all() {
            let code = one_hot.encode(&arch);
            for block in &blocks {
                assert_eq!(code[block.clone()].iter().sum::<f64>(), 1.0);
            }
            assert_eq!(one_hot.decode(&code), Ok(arch));
        }
    }

    #[test]
    fn compact_inverts_and_rejects_out_of_range_values() {
        let compact = ChoiceCompact::new();
        for arch in all() {
            let code = compact.encode(&arch);
            assert_eq!(code.len(), 8);
            assert_eq!(compact.decode(&code), Ok(arch));
        }
        let err = compact
            .decode(&[0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("position 2: an integer from 0 to 2, found 3"),
            "{err}"
        );
    }
}
