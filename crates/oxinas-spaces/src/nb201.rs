//! The NAS-Bench-201 cell space: 4 nodes, 6 edges, 5 ops per edge.

use std::fmt;

use oxinas_core::{Enumerable, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

use crate::nb201_index;

/// Number of cells in the space (5^6).
pub(crate) const NUM_ARCHS: usize = 15_625;

/// The edges of the cell as `(to, from)` node pairs, in the order of the
/// official arch string: (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2).
pub const NB201_EDGES: [(usize, usize); 6] = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)];

/// An operation on an NB201 edge, numbered as in the official op list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Nb201Op {
    /// The zero op: the edge carries nothing.
    None = 0,
    /// Identity.
    SkipConnect = 1,
    /// ReLU, 1x1 convolution, batch norm.
    NorConv1x1 = 2,
    /// ReLU, 3x3 convolution, batch norm.
    NorConv3x3 = 3,
    /// 3x3 average pooling.
    AvgPool3x3 = 4,
}

impl Nb201Op {
    /// All ops in official order.
    pub const ALL: [Nb201Op; 5] = [
        Nb201Op::None,
        Nb201Op::SkipConnect,
        Nb201Op::NorConv1x1,
        Nb201Op::NorConv3x3,
        Nb201Op::AvgPool3x3,
    ];

    /// The official name, e.g. `nor_conv_3x3`.
    pub fn name(self) -> &'static str {
        match self {
            Nb201Op::None => "none",
            Nb201Op::SkipConnect => "skip_connect",
            Nb201Op::NorConv1x1 => "nor_conv_1x1",
            Nb201Op::NorConv3x3 => "nor_conv_3x3",
            Nb201Op::AvgPool3x3 => "avg_pool_3x3",
        }
    }

    /// The op with official `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The op with official list position `digit` (0..5).
    pub fn from_digit(digit: u8) -> Option<Self> {
        Self::ALL.get(digit as usize).copied()
    }

    /// Position in the official op list.
    pub fn digit(self) -> u8 {
        self as u8
    }
}

/// One NB201 cell: an op on each of the six edges, in arch-string order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nb201Arch {
    /// The op on each edge of [`NB201_EDGES`].
    pub ops: [Nb201Op; 6],
}

impl Nb201Arch {
    /// The cell whose ops are the six digits of `op_digits` (e.g. `"421211"`).
    pub fn from_op_digits(op_digits: &str) -> Result<Self, ParseArchError> {
        let bytes = op_digits.as_bytes();
        if bytes.len() != 6 {
            return Err(ParseArchError::new(
                "nb201",
                op_digits,
                format!("6 op digits, found {} characters", bytes.len()),
            ));
        }
        let mut ops = [Nb201Op::None; 6];
        for (position, (&byte, op)) in bytes.iter().zip(ops.iter_mut()).enumerate() {
            *op = byte
                .checked_sub(b'0')
                .and_then(Nb201Op::from_digit)
                .ok_or_else(|| {
                    ParseArchError::new(
                        "nb201",
                        op_digits,
                        format!(
                            "a digit 0-4 at position {position}, found `{}`",
                            byte as char
                        ),
                    )
                })?;
        }
        Ok(Self { ops })
    }

    /// The six op digits, e.g. `"421211"`.
    pub fn op_digits(&self) -> String {
        self.ops
            .iter()
            .map(|op| char::from(b'0' + op.digit()))
            .collect()
    }

    /// The op digits read as a base-5 number (0..15625).
    pub fn code(&self) -> u16 {
        self.ops
            .iter()
            .fold(0u16, |acc, op| acc * 5 + u16::from(op.digit()))
    }

    /// The cell whose op digits, read in base 5, are `code` (must be < 15625).
    pub(crate) fn from_code(code: u16) -> Self {
        let mut ops = [Nb201Op::None; 6];
        let mut rest = code;
        for op in ops.iter_mut().rev() {
            *op = Nb201Op::ALL[(rest % 5) as usize];
            rest /= 5;
        }
        Self { ops }
    }
}

impl fmt::Display for Nb201Arch {
    /// The official arch string `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut edge = 0;
        for node in 1..=3 {
            if node > 1 {
                f.write_str("+")?;
            }
            f.write_str("|")?;
            for input in 0..node {
                write!(f, "{}~{}|", self.ops[edge].name(), input)?;
                edge += 1;
            }
        }
        Ok(())
    }
}

/// The NAS-Bench-201 search space.
///
/// Index order, arch strings and op digits are those of the official benchmark
/// files. The canonical key follows NAS-Bench-201's own notion of unique
/// topology (`to_unique_str` with zeros considered), which yields the 6,466
/// unique cells counted in the NAS-Bench-201 paper.
#[derive(Clone, Copy, Debug, Default)]
pub struct Nb201Space;

impl Nb201Space {
    /// The space.
    pub fn new() -> Self {
        Self
    }

    /// Number of cells (15,625).
    pub const fn len(&self) -> usize {
        NUM_ARCHS
    }

    /// Never empty; present for symmetry with [`Nb201Space::len`].
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// The official index (0..15625) of `arch`.
    pub fn index_of(&self, arch: &Nb201Arch) -> usize {
        nb201_index::index_of_code(arch.code())
    }

    /// The cell at official `index`, if `index < 15625`.
    pub fn arch_at(&self, index: usize) -> Option<Nb201Arch> {
        (index < NUM_ARCHS).then(|| nb201_index::arch_at(index))
    }
}

impl SearchSpace for Nb201Space {
    type Arch = Nb201Arch;
    type Canonical = String;

    fn name(&self) -> &'static str {
        "nb201"
    }

    fn sample(&self, rng: &mut dyn RngCore) -> Nb201Arch {
        let mut ops = [Nb201Op::None; 6];
        for op in &mut ops {
            *op = Nb201Op::ALL[rng.random_range(0..Nb201Op::ALL.len())];
        }
        Nb201Arch { ops }
    }

    /// Changes the op of one uniformly chosen edge to a uniformly chosen other op.
    fn mutate(&self, arch: &Nb201Arch, rng: &mut dyn RngCore) -> Nb201Arch {
        let mut child = *arch;
        let edge = rng.random_range(0..6);
        // Drawing from the 4 other ops directly is uniform over them.
        let shift = rng.random_range(1..Nb201Op::ALL.len() as u8);
        let digit = (arch.ops[edge].digit() + shift) % Nb201Op::ALL.len() as u8;
        child.ops[edge] = Nb201Op::ALL[digit as usize];
        child
    }

    /// The 24 cells that differ from `arch` on exactly one edge, edge by edge,
    /// ops in official order.
    fn neighbors(&self, arch: &Nb201Arch) -> Vec<Nb201Arch> {
        let mut out = Vec::with_capacity(24);
        for edge in 0..6 {
            for op in Nb201Op::ALL {
                if op != arch.ops[edge] {
                    let mut n = *arch;
                    n.ops[edge] = op;
                    out.push(n);
                }
            }
        }
        out
    }

    /// The cell's output as a symbolic expression of the input: skip connections
    /// pass their input through, a `none` edge or an edge from a zero node gives
    /// the zero term `#`, other ops wrap their input as `(x)@op`, and a node is
    /// the sorted sum of its incoming terms.
    fn canonical(&self, arch: &Nb201Arch) -> String {
        let mut nodes: [String; 4] = Default::default();
        nodes[0] = "0".to_owned();
        for node in 1..=3 {
            let mut terms: Vec<String> = NB201_EDGES
                .iter()
                .zip(arch.ops)
                .filter(|((to, _), _)| *to == node)
                .map(|(&(_, from), op)| {
                    let input = &nodes[from];
                    match op {
                        _ if op == Nb201Op::None || input == "#" => "#".to_owned(),
                        Nb201Op::SkipConnect => input.clone(),
                        _ => format!("({input})@{}", op.name()),
                    }
                })
                .collect();
            terms.sort();
            nodes[node] = terms.join("+");
        }
        std::mem::take(&mut nodes[3])
    }

    fn cardinality(&self) -> Option<u128> {
        Some(NUM_ARCHS as u128)
    }

    fn format(&self, arch: &Nb201Arch) -> String {
        arch.to_string()
    }

    fn parse(&self, text: &str) -> Result<Nb201Arch, ParseArchError> {
        let err = |expected: String| ParseArchError::new("nb201", text, expected);
        let nodes: Vec<&str> = text.split('+').collect();
        if nodes.len() != 3 {
            return Err(err(format!(
                "3 node groups separated by `+` (like `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`), found {}",
                nodes.len()
            )));
        }
        let mut ops = [Nb201Op::None; 6];
        let mut edge = 0;
        for (i, group) in nodes.iter().enumerate() {
            let node = i + 1;
            let inner = group
                .strip_prefix('|')
                .and_then(|g| g.strip_suffix('|'))
                .ok_or_else(|| err(format!("node {node} group `{group}` enclosed in `|`")))?;
            let entries: Vec<&str> = inner.split('|').collect();
            if entries.len() != node {
                return Err(err(format!(
                    "{node} input edge(s) for node {node}, found {} in `{group}`",
                    entries.len()
                )));
            }
            for (input, entry) in entries.iter().enumerate() {
                let (name, from) = entry
                    .split_once('~')
                    .ok_or_else(|| err(format!("`op~input` for node {node}, found `{entry}`")))?;
                let op = Nb201Op::from_name(name).ok_or_else(|| {
                    err(format!(
                        "an op among none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3 for node {node}, found `{name}`"
                    ))
                })?;
                if from != input.to_string() {
                    return Err(err(format!(
                        "input {input} in position {input} of node {node}, found `{from}`"
                    )));
                }
                ops[edge] = op;
                edge += 1;
            }
        }
        Ok(Nb201Arch { ops })
    }
}

impl Enumerable for Nb201Space {
    /// All 15,625 cells in official index order.
    fn enumerate(&self) -> Box<dyn Iterator<Item = Nb201Arch> + '_> {
        Box::new((0..NUM_ARCHS).map(nb201_index::arch_at))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use oxinas_core::seed::rng_from_seed;

    use super::*;

    const INDEX0: &str = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";

    #[test]
    fn official_index_zero_and_one() {
        let space = Nb201Space::new();
        let a0 = space.arch_at(0).unwrap();
        assert_eq!(a0.op_digits(), "421211");
        assert_eq!(space.format(&a0), INDEX0);
        assert_eq!(space.arch_at(1).unwrap().op_digits(), "334131");
        assert_eq!(space.index_of(&a0), 0);
        assert!(space.arch_at(15_625).is_none());
    }

    #[test]
    fn round_trip_and_index_bijection_over_all_cells() {
        let space = Nb201Space::new();
        let mut seen = HashSet::new();
        for (index, arch) in space.enumerate().enumerate() {
            let text = space.format(&arch);
            assert_eq!(space.parse(&text).unwrap(), arch, "{text}");
            assert_eq!(Nb201Arch::from_op_digits(&arch.op_digits()).unwrap(), arch);
            assert_eq!(space.index_of(&arch), index);
            assert!(seen.insert(arch));
        }
        assert_eq!(seen.len(), 15_625);
    }

    #[test]
    fn canonical_classes_match_the_paper() {
        let space = Nb201Space::new();
        let keys: HashSet<String> = space.enumerate().map(|a| space.canonical(&a)).collect();
        assert_eq!(keys.len(), 6_466);
    }

    #[test]
    fn canonical_merges_dead_branches() {
        let space = Nb201Space::new();
        // Node 1 is unreachable (edge 1<-0 is none), so the ops out of node 1 do not matter
        // beyond contributing a zero term.
        let a = space.parse("|none~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|").unwrap();
        let b = space.parse("|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|").unwrap();
        assert_eq!(space.canonical(&a), space.canonical(&b));
        let c = space.parse("|none~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|").unwrap();
        assert_ne!(space.canonical(&a), space.canonical(&c));
    }

    #[test]
    fn malformed_strings_name_what_was_expected() {
        let space = Nb201Space::new();
        let cases = [
            ("|nor_conv_3x3~0|+|none~0|none~1|", "3 node groups"),
            (
                "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
                "found `conv`",
            ),
            (
                "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
                "found `1`",
            ),
            (
                "|none~0|+|none~0|+|none~0|none~1|none~2|",
                "2 input edge(s) for node 2",
            ),
            (
                "none~0+|none~0|none~1|+|none~0|none~1|none~2|",
                "enclosed in `|`",
            ),
        ];
        for (input, expected) in cases {
            let message = space.parse(input).unwrap_err().to_string();
            assert!(message.contains(expected), "{input}: {message}");
            assert!(
                message.contains("malformed nb201 architecture"),
                "{message}"
            );
        }
        assert!(
            Nb201Arch::from_op_digits("42121")
                .unwrap_err()
                .to_string()
                .contains("6 op digits")
        );
        assert!(
            Nb201Arch::from_op_digits("421215")
                .unwrap_err()
                .to_string()
                .contains("position 5")
        );
    }

    #[test]
    fn mutate_changes_exactly_one_edge_and_neighbors_are_the_24_such_cells() {
        let space = Nb201Space::new();
        let mut rng = rng_from_seed(3);
        for _ in 0..500 {
            let parent = space.sample(&mut rng);
            let child = space.mutate(&parent, &mut rng);
            let diff = parent
                .ops
                .iter()
                .zip(child.ops)
                .filter(|(a, b)| **a != *b)
                .count();
            assert_eq!(diff, 1);
            let neighbors = space.neighbors(&parent);
            assert_eq!(neighbors.len(), 24);
            assert!(neighbors.contains(&child));
            assert_eq!(neighbors.iter().collect::<HashSet<_>>().len(), 24);
        }
    }
}
