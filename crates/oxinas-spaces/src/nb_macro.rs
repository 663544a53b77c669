//! The NAS-Bench-Macro space (Su et al., CVPR 2021): 8 searchable layers of a
//! MobileNetV2-like network, each an identity, an MB3_K3 or an MB6_K5 block.
//!
//! The layers form 3 stages of 2, 3 and 3 layers; the first layer of each
//! stage halves the resolution and doubles the width, so an "identity" there
//! is a strided 1x1 convolution, while an identity elsewhere is a true
//! identity and can move to the end of its stage without changing the network
//! (the benchmark trained one network per such class).

use std::fmt;

use oxinas_core::{Crossover, Enumerable, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

/// Number of searchable layers.
pub const NB_MACRO_LAYERS: usize = 8;

/// Layers per stage; the first layer of each stage has stride 2.
pub const NB_MACRO_STAGES: [usize; 3] = [2, 3, 3];

/// The block of one NAS-Bench-Macro layer, numbered as in the benchmark keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum NbMacroOp {
    /// Identity (a strided 1x1 convolution where the layer downsamples); digit `0`.
    Identity = 0,
    /// MobileNetV2 inverted residual, expansion 3, kernel 3; digit `1`.
    Mb3K3 = 1,
    /// MobileNetV2 inverted residual, expansion 6, kernel 5; digit `2`.
    Mb6K5 = 2,
}

impl NbMacroOp {
    /// All blocks in digit order.
    pub const ALL: [NbMacroOp; 3] = [NbMacroOp::Identity, NbMacroOp::Mb3K3, NbMacroOp::Mb6K5];

    /// The digit of the benchmark keys.
    pub fn digit(self) -> u8 {
        self as u8
    }

    /// The block with digit `digit`.
    pub fn from_digit(digit: u8) -> Option<Self> {
        Self::ALL.get(usize::from(digit)).copied()
    }

    /// The name used in the NAS-Bench-Macro paper.
    pub fn name(self) -> &'static str {
        match self {
            NbMacroOp::Identity => "Identity",
            NbMacroOp::Mb3K3 => "MB3_K3",
            NbMacroOp::Mb6K5 => "MB6_K5",
        }
    }
}

/// One NAS-Bench-Macro network: the block of each searchable layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NbMacroArch {
    /// The block of each layer, input to output.
    pub layers: [NbMacroOp; NB_MACRO_LAYERS],
}

impl NbMacroArch {
    /// The index of this network in key order (the keys read as base-3 numbers).
    pub fn index(&self) -> usize {
        self.layers
            .iter()
            .fold(0, |acc, op| acc * 3 + usize::from(op.digit()))
    }

    /// The network at `index` (< 6561) in key order.
    pub fn from_index(index: usize) -> Option<Self> {
        if index >= NB_MACRO_SIZE {
            return None;
        }
        let mut layers = [NbMacroOp::Identity; NB_MACRO_LAYERS];
        let mut rest = index;
        for layer in layers.iter_mut().rev() {
            *layer = NbMacroOp::ALL[rest % 3];
            rest /= 3;
        }
        Some(Self { layers })
    }
}

impl fmt::Display for NbMacroArch {
    /// The benchmark key: one digit per layer, e.g. `22212220`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in self.layers {
            write!(f, "{}", op.digit())?;
        }
        Ok(())
    }
}

/// Number of networks (3^8).
pub const NB_MACRO_SIZE: usize = 6_561;

/// The NAS-Bench-Macro search space.
#[derive(Clone, Copy, Debug, Default)]
pub struct NbMacroSpace;

impl NbMacroSpace {
    /// The space.
    pub fn new() -> Self {
        Self
    }
}

impl SearchSpace for NbMacroSpace {
    type Arch = NbMacroArch;
    type Canonical = NbMacroArch;

    fn name(&self) -> &'static str {
        "nas-bench-macro"
    }

    fn sample(&self, rng: &mut dyn RngCore) -> NbMacroArch {
        let mut layers = [NbMacroOp::Identity; NB_MACRO_LAYERS];
        for layer in &mut layers {
            *layer = NbMacroOp::ALL[rng.random_range(0..3)];
        }
        NbMacroArch { layers }
    }

    /// Changes the block of one uniformly chosen layer to one of the other two.
    fn mutate(&self, arch: &NbMacroArch, rng: &mut dyn RngCore) -> NbMacroArch {
        let mut child = *arch;
        let layer = rng.random_range(0..NB_MACRO_LAYERS);
        let digit = (arch.layers[layer].digit() + rng.random_range(1..3u8)) % 3;
        child.layers[layer] = NbMacroOp::ALL[usize::from(digit)];
        child
    }

    /// The 16 networks differing in one layer, layer by layer, blocks in digit order.
    fn neighbors(&self, arch: &NbMacroArch) -> Vec<NbMacroArch> {
        let mut out = Vec::with_capacity(16);
        for layer in 0..NB_MACRO_LAYERS {
            for op in NbMacroOp::ALL {
                if op != arch.layers[layer] {
                    let mut n = *arch;
                    n.layers[layer] = op;
                    out.push(n);
                }
            }
        }
        out
    }

    /// Within each stage, the first (downsampling) layer stays; the other
    /// layers keep their non-identity blocks in order and their identities move
    /// to the end of the stage (the benchmark's own deduplication).
    fn canonical(&self, arch: &NbMacroArch) -> NbMacroArch {
        let mut out = *arch;
        let mut start = 0;
        for stage in NB_MACRO_STAGES {
            let rest = &arch.layers[start + 1..start + stage];
            let mut moved: Vec<NbMacroOp> = rest
                .iter()
                .copied()
                .filter(|&op| op != NbMacroOp::Identity)
                .collect();
            moved.resize(stage - 1, NbMacroOp::Identity);
            out.layers[start + 1..start + stage].copy_from_slice(&moved);
            start += stage;
        }
        out
    }

    fn cardinality(&self) -> Option<u128> {
        Some(NB_MACRO_SIZE as u128)
    }

    fn format(&self, arch: &NbMacroArch) -> String {
        arch.to_string()
    }

    fn parse(&self, text: &str) -> Result<NbMacroArch, ParseArchError> {
        let bytes = text.as_bytes();
        if bytes.len() != NB_MACRO_LAYERS {
            return Err(ParseArchError::new(
                "nas-bench-macro",
                text,
                format!("8 digits, one per layer, found {} characters", bytes.len()),
            ));
        }
        let mut layers = [NbMacroOp::Identity; NB_MACRO_LAYERS];
        for (i, (&b, layer)) in bytes.iter().zip(layers.iter_mut()).enumerate() {
            *layer = b
                .checked_sub(b'0')
                .and_then(NbMacroOp::from_digit)
                .ok_or_else(|| {
                    ParseArchError::new(
                        "nas-bench-macro",
                        text,
                        format!("a digit 0-2 at position {i}, found `{}`", b as char),
                    )
                })?;
        }
        Ok(NbMacroArch { layers })
    }
}

impl Enumerable for NbMacroSpace {
    /// All 6,561 networks in key order (`00000000`, `00000001`, ..).
    fn enumerate(&self) -> Box<dyn Iterator<Item = NbMacroArch> + '_> {
        Box::new((0..NB_MACRO_SIZE).filter_map(NbMacroArch::from_index))
    }
}

impl Crossover for NbMacroSpace {
    /// Uniform crossover: each layer from `a` or `b` with equal probability.
    fn crossover(&self, a: &NbMacroArch, b: &NbMacroArch, rng: &mut dyn RngCore) -> NbMacroArch {
        let mut child = *a;
        for (i, layer) in child.layers.iter_mut().enumerate() {
            if rng.random_bool(0.5) {
                *layer = b.layers[i];
            }
        }
        child
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use oxinas_core::seed::rng_from_seed;

    use super::*;

    #[test]
    fn enumeration_is_the_key_order_and_round_trips() {
        let space = NbMacroSpace::new();
        let all: Vec<_> = space.enumerate().collect();
        assert_eq!(all.len(), 6_561);
        assert_eq!(space.format(&all[0]), "00000000");
        assert_eq!(space.format(&all[1]), "00000001");
        assert_eq!(space.format(&all[6_560]), "22222222");
        for (i, arch) in all.iter().enumerate() {
            assert_eq!(arch.index(), i);
            assert_eq!(space.parse(&space.format(arch)).unwrap(), *arch);
        }
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), 6_561);
    }

    #[test]
    fn canonical_moves_inner_identities_to_the_stage_end() {
        let space = NbMacroSpace::new();
        let a = space.parse("10").unwrap_err();
        assert!(a.to_string().contains("8 digits"));
        let x = space.parse("20102012").unwrap();
        assert_eq!(space.format(&space.canonical(&x)), "20120012");
        // A downsampling identity does not move.
        let y = space.parse("02000000").unwrap();
        assert_eq!(space.canonical(&y), y);
        let classes: HashSet<_> = space.enumerate().map(|a| space.canonical(&a)).collect();
        // Per stage of n layers: 3 choices for the first, then sequences of
        // non-identity blocks of length 0..n-1: sum 2^k. Stage 2: 3*(1+2)=9;
        // stage 3: 3*(1+2+4)=21. Total 9*21*21 = 3969.
        assert_eq!(classes.len(), 3_969);
    }

    #[test]
    fn mutation_and_neighbors_change_one_layer() {
        let space = NbMacroSpace::new();
        let mut rng = rng_from_seed(2);
        for _ in 0..200 {
            let a = space.sample(&mut rng);
            let b = space.mutate(&a, &mut rng);
            let diff = a
                .layers
                .iter()
                .zip(b.layers)
                .filter(|(x, y)| **x != *y)
                .count();
            assert_eq!(diff, 1);
            let n = space.neighbors(&a);
            assert_eq!(n.len(), 16);
            assert!(n.contains(&b));
            let c = space.crossover(&a, &b, &mut rng);
            assert!(
                c.layers
                    .iter()
                    .enumerate()
                    .all(|(i, l)| *l == a.layers[i] || *l == b.layers[i])
            );
        }
        for bad in ["2221222", "222122203", "2221222x", "22212223"] {
            let message = space.parse(bad).unwrap_err().to_string();
            assert!(
                message.contains("malformed nas-bench-macro architecture"),
                "{message}"
            );
        }
        assert!(
            space
                .parse("22212223")
                .unwrap_err()
                .to_string()
                .contains("position 7")
        );
    }
}
