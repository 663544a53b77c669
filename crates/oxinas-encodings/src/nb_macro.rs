//! Encodings of NAS-Bench-Macro networks: a block (identity, MB3_K3, MB6_K5;
//! digits 0-2 of the benchmark keys) for each of 8 layers, through
//! [`crate::choice_sequence`].
//!
//! | name | kind | size | invertible |
//! |---|---|---|---|
//! | `categorical` | vector | 8 layers x 3 blocks = 24 | yes |
//! | `compact` | vector | 8 digits | yes |

use oxinas_core::SearchSpace;
use oxinas_spaces::{NB_MACRO_LAYERS, NbMacroArch, NbMacroOp, NbMacroSpace};

use crate::EncodableSpace;
use crate::EncodingRegistry;
use crate::choice_sequence::{ChoiceCompact, ChoiceOneHot, ChoiceSequence};

impl ChoiceSequence for NbMacroArch {
    const CHOICE_COUNTS: &'static [usize] = &[NbMacroOp::ALL.len(); NB_MACRO_LAYERS];

    fn choice(&self, position: usize) -> usize {
        usize::from(self.layers[position].digit())
    }

    fn from_choices(choices: &[usize]) -> Option<Self> {
        if choices.len() != NB_MACRO_LAYERS {
            return None;
        }
        let mut layers = [NbMacroOp::Identity; NB_MACRO_LAYERS];
        for (layer, &choice) in layers.iter_mut().zip(choices) {
            *layer = *NbMacroOp::ALL.get(choice)?;
        }
        Some(Self { layers })
    }
}

impl EncodableSpace for NbMacroSpace {
    fn encodings(&self) -> EncodingRegistry<NbMacroArch> {
        EncodingRegistry::new(self.name())
            .with_vector("categorical", "one-hot block per layer, 8 x 3", || {
                ChoiceOneHot::new("categorical")
            })
            .with_vector(
                "compact",
                "block digit per layer, 8 integers",
                ChoiceCompact::new,
            )
    }
}
