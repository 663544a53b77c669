//! Encodings of NAS-Bench-ASR cells: an op (6 choices) for each of 3 nodes
//! and the skip bits (1, 2 and 3 of them), through [`crate::choice_sequence`],
//! in the benchmark's flattened order `op0, s0; op1, s0, s1; op2, s0, s1, s2`.
//!
//! | name | kind | size | invertible |
//! |---|---|---|---|
//! | `categorical` | vector | 3 x 6 op + 6 x 2 skip = 30 | yes |
//! | `compact` | vector | the 9 flattened entries | yes |
//!
//! NASLib's `adjacency_one_hot` for this space gives every flattened entry a
//! 6-wide block (54 entries, the skip bits using 2 of their 6); `categorical`
//! sizes each block to its choices.

use oxinas_core::SearchSpace;
use oxinas_spaces::{ASR_NODES, ASR_OPS, AsrArch, AsrSpace};

use crate::choice_sequence::{ChoiceCompact, ChoiceOneHot, ChoiceSequence};
use crate::{EncodableSpace, EncodingRegistry};

const OPS: usize = ASR_OPS.len();

/// The flattened position of node `k`'s op (its skip bits follow it).
const fn op_position(k: usize) -> usize {
    // Each earlier node j contributes its op and j + 1 skip bits:
    // sum_{j<k} (j + 2) = k (k + 3) / 2.
    k * (k + 3) / 2
}

impl ChoiceSequence for AsrArch {
    const CHOICE_COUNTS: &'static [usize] = &[OPS, 2, OPS, 2, 2, OPS, 2, 2, 2];

    fn choice(&self, position: usize) -> usize {
        for k in 0..ASR_NODES {
            let op = op_position(k);
            if position == op {
                return usize::from(self.ops[k]);
            }
            if position <= op + k + 1 {
                return usize::from(self.skips[k][position - op - 1]);
            }
        }
        0
    }

    fn from_choices(choices: &[usize]) -> Option<Self> {
        if choices.len() != Self::CHOICE_COUNTS.len() {
            return None;
        }
        let mut arch = AsrArch {
            ops: [0; ASR_NODES],
            skips: [[false; ASR_NODES]; ASR_NODES],
        };
        for k in 0..ASR_NODES {
            let op = op_position(k);
            arch.ops[k] = u8::try_from(choices[op])
                .ok()
                .filter(|&o| usize::from(o) < OPS)?;
            for bit in 0..=k {
                arch.skips[k][bit] = match choices[op + 1 + bit] {
                    0 => false,
                    1 => true,
                    _ => return None,
                };
            }
        }
        Some(arch)
    }
}

impl EncodableSpace for AsrSpace {
    fn encodings(&self) -> EncodingRegistry<AsrArch> {
        EncodingRegistry::new(self.name())
            .with_vector(
                "categorical",
                "one-hot op per node and skip bit per connection, 30",
                || ChoiceOneHot::new("categorical"),
            )
            .with_vector("compact", "the 9 flattened choices", ChoiceCompact::new)
    }
}
