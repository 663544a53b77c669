//! Encodings of TransNAS-Bench-101 macro networks: 4 to 6 stages, each with a
//! code 1-4 (keep, double the width, halve the resolution, both), through
//! [`crate::choice_sequence`]. Networks shorter than 6 stages are padded with
//! code 0 ("no stage"), as NASLib does, so every network has 6 positions of 5
//! options.
//!
//! | name | kind | size | invertible |
//! |---|---|---|---|
//! | `categorical` | vector | 6 stages x 5 codes = 30 | yes |
//! | `compact` | vector | 6 codes (0 = no stage) | yes |

use oxinas_core::SearchSpace;
use oxinas_spaces::{TransNasMacroArch, TransNasMacroSpace};

use crate::EncodableSpace;
use crate::EncodingRegistry;
use crate::choice_sequence::{ChoiceCompact, ChoiceOneHot, ChoiceSequence};

/// Most stages of a network.
const MAX_STAGES: usize = 6;

impl ChoiceSequence for TransNasMacroArch {
    /// Code 0 (no stage) and the four stage codes, at each of 6 positions.
    const CHOICE_COUNTS: &'static [usize] = &[5; MAX_STAGES];

    fn choice(&self, position: usize) -> usize {
        self.codes()
            .get(position)
            .map_or(0, |&code| usize::from(code))
    }

    /// Stage codes up to the first 0; positions after it must be 0 too.
    fn from_choices(choices: &[usize]) -> Option<Self> {
        let len = choices
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(choices.len());
        if choices[len..].iter().any(|&c| c != 0) {
            return None;
        }
        let codes: Vec<u8> = choices[..len]
            .iter()
            .map(|&c| u8::try_from(c).ok())
            .collect::<Option<_>>()?;
        TransNasMacroArch::new(&codes).ok()
    }
}

impl EncodableSpace for TransNasMacroSpace {
    fn encodings(&self) -> EncodingRegistry<TransNasMacroArch> {
        EncodingRegistry::new(self.name())
            .with_vector(
                "categorical",
                "one-hot code per stage, 6 x 5, 0 = no stage",
                || ChoiceOneHot::new("categorical"),
            )
            .with_vector(
                "compact",
                "code per stage, 6 integers, 0 = no stage",
                ChoiceCompact::new,
            )
    }
}
