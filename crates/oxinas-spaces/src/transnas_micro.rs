//! The TransNAS-Bench-101 cell-level (micro) space: the NAS-Bench-201 cell
//! shape (4 nodes, 6 edges) with 4 ops per edge, 4,096 cells.
//!
//! The official string is `64-41414-a_bc_def`: base width 64, the fixed
//! macro skeleton `41414`, then the op code of each edge grouped by target
//! node (node 1 <- 0 | node 2 <- 0, 1 | node 3 <- 0, 1, 2). Op codes:
//! 0 = zero, 1 = skip connection, 2 = ReLU-conv1x1-BN, 3 = ReLU-conv3x3-BN.

use oxinas_core::{Crossover, Enumerable, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

/// Number of cells (4^6).
pub const TRANSNAS_MICRO_SIZE: usize = 4_096;

const PREFIX: &str = "64-41414-";

/// An op on an edge of a TransNAS-Bench-101 micro cell, numbered as in arch strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum TransNasMicroOp {
    /// The zero op (no connection); code 0.
    Zero = 0,
    /// Identity; code 1.
    Skip = 1,
    /// ReLU, 1x1 convolution, batch norm; code 2.
    Conv1x1 = 2,
    /// ReLU, 3x3 convolution, batch norm; code 3.
    Conv3x3 = 3,
}

impl TransNasMicroOp {
    /// All ops in code order.
    pub const ALL: [TransNasMicroOp; 4] = [
        TransNasMicroOp::Zero,
        TransNasMicroOp::Skip,
        TransNasMicroOp::Conv1x1,
        TransNasMicroOp::Conv3x3,
    ];

    /// The op's code in arch strings.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The op with code `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

/// One micro cell: the op of each edge in arch-string order
/// (1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransNasMicroArch {
    /// The op of each edge.
    pub ops: [TransNasMicroOp; 6],
}

impl TransNasMicroArch {
    /// The op codes read as a base-4 number (0..4096).
    pub fn index(&self) -> usize {
        self.ops
            .iter()
            .fold(0, |acc, op| acc * 4 + usize::from(op.code()))
    }

    /// The cell with base-4 number `index`, if `index < 4096`.
    pub fn from_index(index: usize) -> Option<Self> {
        if index >= TRANSNAS_MICRO_SIZE {
            return None;
        }
        let mut ops = [TransNasMicroOp::Zero; 6];
        let mut rest = index;
        for op in ops.iter_mut().rev() {
            *op = TransNasMicroOp::ALL[rest % 4];
            rest /= 4;
        }
        Some(Self { ops })
    }
}

/// Target and source node of each edge, in arch-string order.
const EDGES: [(usize, usize); 6] = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)];

/// The TransNAS-Bench-101 micro space.
#[derive(Clone, Copy, Debug, Default)]
pub struct TransNasMicroSpace;

impl TransNasMicroSpace {
    /// The space.
    pub fn new() -> Self {
        Self
    }
}

impl SearchSpace for TransNasMicroSpace {
    type Arch = TransNasMicroArch;
    type Canonical = String;

    fn name(&self) -> &'static str {
        "transnas-bench-101-micro"
    }

    fn sample(&self, rng: &mut dyn RngCore) -> TransNasMicroArch {
        let mut ops = [TransNasMicroOp::Zero; 6];
        for op in &mut ops {
            *op = TransNasMicroOp::ALL[rng.random_range(0..4)];
        }
        TransNasMicroArch { ops }
    }

    /// Changes the op of one uniformly chosen edge to one of the 3 others.
    fn mutate(&self, arch: &TransNasMicroArch, rng: &mut dyn RngCore) -> TransNasMicroArch {
        let mut child = *arch;
        let edge = rng.random_range(0..6);
        let code = (arch.ops[edge].code() + rng.random_range(1..4u8)) % 4;
        child.ops[edge] = TransNasMicroOp::ALL[usize::from(code)];
        child
    }

    /// The 18 cells differing on one edge, edge by edge, ops in code order.
    fn neighbors(&self, arch: &TransNasMicroArch) -> Vec<TransNasMicroArch> {
        let mut out = Vec::with_capacity(18);
        for edge in 0..6 {
            for op in TransNasMicroOp::ALL {
                if op != arch.ops[edge] {
                    let mut n = *arch;
                    n.ops[edge] = op;
                    out.push(n);
                }
            }
        }
        out
    }

    /// The cell's output as an expression of its input: skips pass terms
    /// through, zero edges and edges from zero nodes vanish (`#`), convolutions
    /// wrap their input, and a node is the sorted sum of its terms.
    fn canonical(&self, arch: &TransNasMicroArch) -> String {
        let mut nodes: [String; 4] = Default::default();
        nodes[0] = "in".to_owned();
        for node in 1..4 {
            let mut terms: Vec<String> = EDGES
                .iter()
                .zip(arch.ops)
                .filter(|((to, _), _)| *to == node)
                .map(|(&(_, from), op)| {
                    let input = &nodes[from];
                    match op {
                        _ if op == TransNasMicroOp::Zero || input == "#" => "#".to_owned(),
                        TransNasMicroOp::Skip => input.clone(),
                        _ => format!("c{}({input})", op.code()),
                    }
                })
                .collect();
            terms.sort();
            nodes[node] = terms.join("+");
        }
        std::mem::take(&mut nodes[3])
    }

    fn cardinality(&self) -> Option<u128> {
        Some(TRANSNAS_MICRO_SIZE as u128)
    }

    /// `64-41414-a_bc_def`.
    fn format(&self, arch: &TransNasMicroArch) -> String {
        let c: Vec<u8> = arch.ops.iter().map(|op| b'0' + op.code()).collect();
        let s = |r: std::ops::Range<usize>| String::from_utf8_lossy(&c[r]).into_owned();
        format!("{PREFIX}{}_{}_{}", s(0..1), s(1..3), s(3..6))
    }

    fn parse(&self, text: &str) -> Result<TransNasMicroArch, ParseArchError> {
        let err =
            |expected: String| ParseArchError::new("transnas-bench-101-micro", text, expected);
        let cell = text
            .strip_prefix(PREFIX)
            .ok_or_else(|| err(format!("the prefix `{PREFIX}` (as in `64-41414-3_33_333`)")))?;
        let groups: Vec<&str> = cell.split('_').collect();
        if groups.len() != 3 || groups.iter().zip(1..).any(|(g, n)| g.len() != n) {
            return Err(err(format!(
                "3 groups of 1, 2 and 3 op codes separated by `_` after the prefix, found `{cell}`"
            )));
        }
        let mut ops = [TransNasMicroOp::Zero; 6];
        for (i, b) in groups.concat().bytes().enumerate() {
            ops[i] = b
                .checked_sub(b'0')
                .and_then(TransNasMicroOp::from_code)
                .ok_or_else(|| {
                    err(format!(
                        "an op code 0-3 for edge {i}, found `{}`",
                        b as char
                    ))
                })?;
        }
        Ok(TransNasMicroArch { ops })
    }
}

impl Enumerable for TransNasMicroSpace {
    /// All 4,096 cells, op codes counting up in base 4 (`0_00_000` first).
    fn enumerate(&self) -> Box<dyn Iterator<Item = TransNasMicroArch> + '_> {
        Box::new((0..TRANSNAS_MICRO_SIZE).filter_map(TransNasMicroArch::from_index))
    }
}

impl Crossover for TransNasMicroSpace {
    /// Uniform crossover, edge by edge.
    fn crossover(
        &self,
        a: &TransNasMicroArch,
        b: &TransNasMicroArch,
        rng: &mut dyn RngCore,
    ) -> TransNasMicroArch {
        let mut child = *a;
        for (i, op) in child.ops.iter_mut().enumerate() {
            if rng.random_bool(0.5) {
                *op = b.ops[i];
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
    fn the_space_has_4096_cells_that_round_trip() {
        let space = TransNasMicroSpace::new();
        let all: Vec<_> = space.enumerate().collect();
        assert_eq!(all.len(), 4_096);
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), 4_096);
        assert_eq!(space.format(&all[0]), "64-41414-0_00_000");
        assert_eq!(space.format(&all[4_095]), "64-41414-3_33_333");
        for (i, a) in all.iter().enumerate() {
            assert_eq!(a.index(), i);
            assert_eq!(space.parse(&space.format(a)).unwrap(), *a);
        }
        let a = space.parse("64-41414-1_02_333").unwrap();
        assert_eq!(a.ops[0], TransNasMicroOp::Skip);
        assert_eq!(a.ops[2], TransNasMicroOp::Conv1x1);
    }

    #[test]
    fn canonical_merges_only_equivalent_cells() {
        let space = TransNasMicroSpace::new();
        // Node 1 unreachable: the ops leaving it do not matter.
        let a = space.parse("64-41414-0_32_331").unwrap();
        let b = space.parse("64-41414-0_33_321").unwrap();
        assert_eq!(space.canonical(&a), space.canonical(&b));
        let c = space.parse("64-41414-1_32_331").unwrap();
        assert_ne!(space.canonical(&a), space.canonical(&c));
        let classes: HashSet<String> = space.enumerate().map(|a| space.canonical(&a)).collect();
        assert!(
            classes.len() < 4_096 && classes.len() > 1_000,
            "{}",
            classes.len()
        );
    }

    #[test]
    fn mutation_neighbors_and_errors() {
        let space = TransNasMicroSpace::new();
        let mut rng = rng_from_seed(1);
        for _ in 0..100 {
            let a = space.sample(&mut rng);
            let b = space.mutate(&a, &mut rng);
            assert_eq!(
                a.ops.iter().zip(b.ops).filter(|(x, y)| **x != *y).count(),
                1
            );
            let n = space.neighbors(&a);
            assert_eq!(n.len(), 18);
            assert!(n.contains(&b));
        }
        for (bad, expected) in [
            ("64-41414-3_33", "3 groups"),
            ("64-4141-3_33_333", "prefix"),
            ("64-41414-3_34_333", "edge 2, found `4`"),
            ("64-41414-33_3_333", "3 groups"),
        ] {
            let message = space.parse(bad).unwrap_err().to_string();
            assert!(message.contains(expected), "{bad}: {message}");
        }
    }
}
