//! The TransNAS-Bench-101 macro-level space: 4 to 6 stages of two ResNet basic
//! blocks each, every stage choosing whether to halve the resolution and
//! whether to double the width. 3,256 networks.
//!
//! The official string is `64-<codes>-basic` with one code per stage:
//! 1 = keep both, 2 = double the width, 3 = halve the resolution, 4 = both.
//! A network halves the resolution 1 to 4 times and doubles the width 1 to 3
//! times (these limits give the paper's 3,256 networks).

use oxinas_core::{Enumerable, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

/// Number of networks.
pub const TRANSNAS_MACRO_SIZE: usize = 3_256;

/// One TransNAS-Bench-101 macro network: the code (1-4) of each stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransNasMacroArch {
    codes: [u8; 6],
    len: u8,
}

impl TransNasMacroArch {
    /// The network with these stage codes, if they satisfy the space's rules:
    /// 4 to 6 codes in 1..=4, 1 to 4 downsampling stages (3, 4), 1 to 3 widening stages (2, 4).
    pub fn new(codes: &[u8]) -> Result<Self, String> {
        if !(4..=6).contains(&codes.len()) {
            return Err(format!("4 to 6 stage codes, found {}", codes.len()));
        }
        if let Some((i, c)) = codes
            .iter()
            .enumerate()
            .find(|(_, c)| !(1..=4).contains(*c))
        {
            return Err(format!("a stage code 1-4 at stage {i}, found {c}"));
        }
        let down = codes.iter().filter(|&&c| c > 2).count();
        let wide = codes.iter().filter(|&&c| c % 2 == 0).count();
        if !(1..=4).contains(&down) {
            return Err(format!(
                "1 to 4 downsampling stages (codes 3, 4), found {down}"
            ));
        }
        if !(1..=3).contains(&wide) {
            return Err(format!("1 to 3 widening stages (codes 2, 4), found {wide}"));
        }
        let mut arch = Self {
            codes: [0; 6],
            len: codes.len() as u8,
        };
        arch.codes[..codes.len()].copy_from_slice(codes);
        Ok(arch)
    }

    /// The stage codes, input to output.
    pub fn codes(&self) -> &[u8] {
        &self.codes[..usize::from(self.len)]
    }
}

/// The TransNAS-Bench-101 macro space.
#[derive(Clone, Debug)]
pub struct TransNasMacroSpace {
    all: Vec<TransNasMacroArch>,
}

impl Default for TransNasMacroSpace {
    fn default() -> Self {
        Self::new()
    }
}

impl TransNasMacroSpace {
    /// The space (lists its 3,256 networks once).
    pub fn new() -> Self {
        let mut all = Vec::with_capacity(TRANSNAS_MACRO_SIZE);
        for len in 4..=6u32 {
            for n in 0..4usize.pow(len) {
                let mut codes = vec![0u8; len as usize];
                let mut rest = n;
                for c in codes.iter_mut().rev() {
                    *c = (rest % 4) as u8 + 1;
                    rest /= 4;
                }
                if let Ok(arch) = TransNasMacroArch::new(&codes) {
                    all.push(arch);
                }
            }
        }
        Self { all }
    }
}

impl SearchSpace for TransNasMacroSpace {
    type Arch = TransNasMacroArch;
    type Canonical = TransNasMacroArch;

    fn name(&self) -> &'static str {
        "transnas-bench-101-macro"
    }

    /// Uniform over the 3,256 networks.
    fn sample(&self, rng: &mut dyn RngCore) -> TransNasMacroArch {
        self.all[rng.random_range(0..self.all.len())]
    }

    /// A uniformly chosen neighbour.
    fn mutate(&self, arch: &TransNasMacroArch, rng: &mut dyn RngCore) -> TransNasMacroArch {
        let n = self.neighbors(arch);
        n[rng.random_range(0..n.len())]
    }

    /// Every valid network one edit away: one stage's code changed, one stage
    /// removed, or one stage inserted; in that order, positions ascending.
    fn neighbors(&self, arch: &TransNasMacroArch) -> Vec<TransNasMacroArch> {
        let codes = arch.codes();
        let mut out = Vec::new();
        let push = |c: Vec<u8>, out: &mut Vec<TransNasMacroArch>| {
            if let Ok(a) = TransNasMacroArch::new(&c)
                && a != *arch
                && !out.contains(&a)
            {
                out.push(a);
            }
        };
        for i in 0..codes.len() {
            for code in 1..=4 {
                let mut c = codes.to_vec();
                c[i] = code;
                push(c, &mut out);
            }
        }
        for i in 0..codes.len() {
            let mut c = codes.to_vec();
            c.remove(i);
            push(c, &mut out);
        }
        for i in 0..=codes.len() {
            for code in 1..=4 {
                let mut c = codes.to_vec();
                c.insert(i, code);
                push(c, &mut out);
            }
        }
        out
    }

    /// Every network computes a different function: the key is the network.
    fn canonical(&self, arch: &TransNasMacroArch) -> TransNasMacroArch {
        *arch
    }

    fn cardinality(&self) -> Option<u128> {
        Some(self.all.len() as u128)
    }

    /// `64-<codes>-basic`, e.g. `64-1234-basic`.
    fn format(&self, arch: &TransNasMacroArch) -> String {
        let codes: String = arch.codes().iter().map(|c| char::from(b'0' + c)).collect();
        format!("64-{codes}-basic")
    }

    fn parse(&self, text: &str) -> Result<TransNasMacroArch, ParseArchError> {
        let err =
            |expected: String| ParseArchError::new("transnas-bench-101-macro", text, expected);
        let codes = text
            .strip_prefix("64-")
            .and_then(|t| t.strip_suffix("-basic"))
            .ok_or_else(|| err("`64-<stage codes>-basic`, e.g. `64-1234-basic`".to_owned()))?;
        let digits = codes
            .bytes()
            .map(|b| b.checked_sub(b'0').filter(|d| *d <= 9))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| err(format!("stage codes as digits, found `{codes}`")))?;
        TransNasMacroArch::new(&digits).map_err(err)
    }
}

impl Enumerable for TransNasMacroSpace {
    /// All 3,256 networks: by number of stages, then codes in ascending order.
    fn enumerate(&self) -> Box<dyn Iterator<Item = TransNasMacroArch> + '_> {
        Box::new(self.all.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use oxinas_core::seed::rng_from_seed;

    use super::*;

    #[test]
    fn the_space_has_the_papers_3256_networks() {
        let space = TransNasMacroSpace::new();
        let all: Vec<_> = space.enumerate().collect();
        assert_eq!(all.len(), 3_256);
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), 3_256);
        for a in &all {
            assert_eq!(space.parse(&space.format(a)).unwrap(), *a);
        }
        assert_eq!(space.parse("64-1234-basic").unwrap().codes(), &[1, 2, 3, 4]);
    }

    #[test]
    fn neighbors_mutations_and_errors() {
        let space = TransNasMacroSpace::new();
        let mut rng = rng_from_seed(3);
        for _ in 0..100 {
            let a = space.sample(&mut rng);
            let n = space.neighbors(&a);
            assert!(!n.is_empty());
            assert!(!n.contains(&a));
            assert!(n.contains(&space.mutate(&a, &mut rng)));
        }
        for (bad, expected) in [
            ("64-123-basic", "4 to 6 stage codes"),
            ("64-1111-basic", "1 to 4 downsampling"),
            ("64-3333-basic", "1 to 3 widening"),
            ("64-1254-basic", "stage code 1-4 at stage 2"),
            ("64-12a4-basic", "digits"),
            ("64-1234", "`64-<stage codes>-basic`"),
        ] {
            let message = space.parse(bad).unwrap_err().to_string();
            assert!(message.contains(expected), "{bad}: {message}");
        }
    }
}
