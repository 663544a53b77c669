//! The NAS-Bench-ASR cell space (Mehrotra et al., ICLR 2021).
//!
//! A cell is a chain of 3 nodes, each applying one of 6 ops (`linear`,
//! `conv5`, `conv5d2`, `conv7`, `conv7d2`, `zero`) to the previous node, plus
//! identity skip connections: node `k` (0-based) carries `k + 1` bits, bit `i`
//! adding the output of chain position `i` (0 = cell input, `j` = node `j - 1`)
//! to the input of the next node (the cell output after the last node).
//! 6^3 * 2^6 = 13,824 architectures.
//!
//! The official format is the benchmark's nested list
//! `[[op, s0], [op, s0, s1], [op, s0, s1, s2]]`, e.g. `[[0, 1], [5, 1, 0], [3, 1, 1, 1]]`.
//! The canonical key is the benchmark's own model hash (see [`asr_model_hash`]),
//! which is what its data files are keyed by.

use md5::{Digest, Md5};
use oxinas_core::{Crossover, Enumerable, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

/// Nodes in a cell.
pub const ASR_NODES: usize = 3;
/// Number of architectures.
pub const ASR_SIZE: usize = 13_824;
/// The op names, in the benchmark's index order.
pub const ASR_OPS: [&str; 6] = ["linear", "conv5", "conv5d2", "conv7", "conv7d2", "zero"];

/// One NAS-Bench-ASR cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AsrArch {
    /// The op index (into [`ASR_OPS`]) of each node.
    pub ops: [u8; ASR_NODES],
    /// The skip bits: node `k` uses the first `k + 1` entries of `skips[k]`.
    pub skips: [[bool; ASR_NODES]; ASR_NODES],
}

impl AsrArch {
    /// The position of this cell in the benchmark's enumeration order
    /// (`get_all_architectures`: the flattened vector counted with its first
    /// entry varying fastest).
    pub fn index(&self) -> usize {
        let (digits, radices) = self.flat();
        digits
            .iter()
            .zip(&radices)
            .rev()
            .fold(0, |acc, (&d, &r)| acc * r + usize::from(d))
    }

    /// The cell at `index` (< 13,824) of the benchmark's enumeration order.
    pub fn from_index(index: usize) -> Option<Self> {
        if index >= ASR_SIZE {
            return None;
        }
        let mut rest = index;
        let mut arch = AsrArch {
            ops: [0; ASR_NODES],
            skips: [[false; ASR_NODES]; ASR_NODES],
        };
        for k in 0..ASR_NODES {
            arch.ops[k] = (rest % 6) as u8;
            rest /= 6;
            for bit in 0..=k {
                arch.skips[k][bit] = rest % 2 == 1;
                rest /= 2;
            }
        }
        Some(arch)
    }

    /// The flattened vector and the number of choices of each entry.
    fn flat(&self) -> (Vec<u8>, Vec<usize>) {
        let mut digits = Vec::new();
        let mut radices = Vec::new();
        for k in 0..ASR_NODES {
            digits.push(self.ops[k]);
            radices.push(6);
            for bit in 0..=k {
                digits.push(u8::from(self.skips[k][bit]));
                radices.push(2);
            }
        }
        (digits, radices)
    }
}

/// The benchmark's model hash of `arch`: the graph (input, 3 op nodes,
/// output) with `zero` nodes and then nodes not on an input-output path
/// removed, hashed with the NAS-Bench-101 style MD5 Weisfeiler-Lehman scheme
/// (labels: input -1, output -2, op index), as the NAS-Bench-ASR release does.
// Index loops mirror the release's adjacency-matrix construction one to one.
#[allow(clippy::needless_range_loop)]
pub fn asr_model_hash(arch: &AsrArch) -> String {
    let n = ASR_NODES + 2;
    let mut mat = vec![vec![false; n]; n];
    let mut labels: Vec<i32> = vec![-1];
    for k in 0..ASR_NODES {
        labels.push(i32::from(arch.ops[k]));
        mat[k][k + 1] = true;
        if k > 0 {
            for i in 0..k {
                if arch.skips[k - 1][i] {
                    mat[i][k + 1] = true;
                }
            }
        }
    }
    labels.push(-2);
    mat[ASR_NODES][ASR_NODES + 1] = true;
    for i in 0..ASR_NODES {
        if arch.skips[ASR_NODES - 1][i] {
            mat[i][ASR_NODES + 1] = true;
        }
    }
    // Minimise: cut zero nodes, then drop nodes off every input-output path.
    for v in 0..n {
        if labels[v] == 5 {
            for w in 0..n {
                mat[v][w] = false;
                mat[w][v] = false;
            }
        }
    }
    let reach = |src: usize, backward: bool| {
        let mut seen = vec![false; n];
        seen[src] = true;
        let mut stack = vec![src];
        while let Some(v) = stack.pop() {
            for w in 0..n {
                let edge = if backward { mat[w][v] } else { mat[v][w] };
                if edge && !seen[w] {
                    seen[w] = true;
                    stack.push(w);
                }
            }
        }
        seen
    };
    let forward = reach(0, false);
    let backward = reach(n - 1, true);
    let keep: Vec<usize> = (0..n).filter(|&v| forward[v] && backward[v]).collect();
    let matrix: Vec<Vec<bool>> = keep
        .iter()
        .map(|&v| keep.iter().map(|&w| mat[v][w]).collect())
        .collect();
    let labelling: Vec<i32> = if keep.is_empty() {
        Vec::new()
    } else {
        // The release relabels the first and last kept nodes as input/output.
        let mut l: Vec<i32> = keep.iter().map(|&v| labels[v]).collect();
        let last = l.len() - 1;
        l[0] = -1;
        l[last] = -2;
        l
    };
    wl_md5(&matrix, &labelling)
}

fn md5_hex(text: &str) -> String {
    let digest = Md5::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// NAS-Bench-101's `hash_module`, with edge counts written as Python floats
/// (the release sums a float matrix).
fn wl_md5(matrix: &[Vec<bool>], labels: &[i32]) -> String {
    let v = matrix.len();
    let mut hashes: Vec<String> = (0..v)
        .map(|i| {
            let out = matrix[i].iter().filter(|&&e| e).count();
            let inc = (0..v).filter(|&w| matrix[w][i]).count();
            md5_hex(&format!("({out}.0, {inc}.0, {})", labels[i]))
        })
        .collect();
    for _ in 0..v {
        hashes = (0..v)
            .map(|i| {
                let mut ins: Vec<&str> = (0..v)
                    .filter(|&w| matrix[w][i])
                    .map(|w| hashes[w].as_str())
                    .collect();
                let mut outs: Vec<&str> = (0..v)
                    .filter(|&w| matrix[i][w])
                    .map(|w| hashes[w].as_str())
                    .collect();
                ins.sort_unstable();
                outs.sort_unstable();
                md5_hex(&format!("{}|{}|{}", ins.concat(), outs.concat(), hashes[i]))
            })
            .collect();
    }
    hashes.sort();
    let listed: Vec<String> = hashes.iter().map(|h| format!("'{h}'")).collect();
    md5_hex(&format!("[{}]", listed.join(", ")))
}

/// The NAS-Bench-ASR search space.
#[derive(Clone, Copy, Debug, Default)]
pub struct AsrSpace;

impl AsrSpace {
    /// The space.
    pub fn new() -> Self {
        Self
    }
}

impl SearchSpace for AsrSpace {
    type Arch = AsrArch;
    type Canonical = String;

    fn name(&self) -> &'static str {
        "nas-bench-asr"
    }

    /// Every op and skip bit uniform, as the release's random sampler.
    fn sample(&self, rng: &mut dyn RngCore) -> AsrArch {
        let index = rng.random_range(0..ASR_SIZE);
        AsrArch::from_index(index).unwrap_or_else(|| unreachable!("index below the size"))
    }

    /// Changes one op (to one of the 5 others) or flips one skip bit, uniformly
    /// over the 3 * 5 + 6 = 21 such changes.
    fn mutate(&self, arch: &AsrArch, rng: &mut dyn RngCore) -> AsrArch {
        let n = self.neighbors(arch);
        n[rng.random_range(0..n.len())]
    }

    /// The 21 cells one op change or one skip flip away, node by node.
    fn neighbors(&self, arch: &AsrArch) -> Vec<AsrArch> {
        let mut out = Vec::with_capacity(21);
        for k in 0..ASR_NODES {
            for op in 0..6 {
                if op != arch.ops[k] {
                    let mut n = *arch;
                    n.ops[k] = op;
                    out.push(n);
                }
            }
            for bit in 0..=k {
                let mut n = *arch;
                n.skips[k][bit] = !n.skips[k][bit];
                out.push(n);
            }
        }
        out
    }

    fn canonical(&self, arch: &AsrArch) -> String {
        asr_model_hash(arch)
    }

    fn cardinality(&self) -> Option<u128> {
        Some(ASR_SIZE as u128)
    }

    fn format(&self, arch: &AsrArch) -> String {
        let nodes: Vec<String> = (0..ASR_NODES)
            .map(|k| {
                let mut parts = vec![arch.ops[k].to_string()];
                parts.extend((0..=k).map(|b| u8::from(arch.skips[k][b]).to_string()));
                format!("[{}]", parts.join(", "))
            })
            .collect();
        format!("[{}]", nodes.join(", "))
    }

    fn parse(&self, text: &str) -> Result<AsrArch, ParseArchError> {
        let err = |expected: String| ParseArchError::new("nas-bench-asr", text, expected);
        let nested: Vec<Vec<i64>> = serde_json::from_str(text).map_err(|e| {
            err(format!(
                "a nested list [[op, s0], [op, s0, s1], [op, s0, s1, s2]] of integers: {e}"
            ))
        })?;
        if nested.len() != ASR_NODES {
            return Err(err(format!("3 nodes, found {}", nested.len())));
        }
        let mut arch = AsrArch {
            ops: [0; ASR_NODES],
            skips: [[false; ASR_NODES]; ASR_NODES],
        };
        for (k, node) in nested.iter().enumerate() {
            if node.len() != k + 2 {
                return Err(err(format!(
                    "node {k}: an op and {} skip bits, found {} entries",
                    k + 1,
                    node.len()
                )));
            }
            arch.ops[k] = u8::try_from(node[0])
                .ok()
                .filter(|&op| op < 6)
                .ok_or_else(|| err(format!("node {k}: an op index 0-5, found {}", node[0])))?;
            for bit in 0..=k {
                arch.skips[k][bit] = match node[bit + 1] {
                    0 => false,
                    1 => true,
                    other => {
                        return Err(err(format!(
                            "node {k}: skip bit {bit} 0 or 1, found {other}"
                        )));
                    }
                };
            }
        }
        Ok(arch)
    }
}

impl Enumerable for AsrSpace {
    /// All 13,824 cells in the release's enumeration order.
    fn enumerate(&self) -> Box<dyn Iterator<Item = AsrArch> + '_> {
        Box::new((0..ASR_SIZE).filter_map(AsrArch::from_index))
    }
}

impl Crossover for AsrSpace {
    /// Each node (op with its skip bits) from `a` or `b` with equal probability.
    fn crossover(&self, a: &AsrArch, b: &AsrArch, rng: &mut dyn RngCore) -> AsrArch {
        let mut child = *a;
        for k in 0..ASR_NODES {
            if rng.random_bool(0.5) {
                child.ops[k] = b.ops[k];
                child.skips[k] = b.skips[k];
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
    fn enumeration_order_and_round_trip() {
        let space = AsrSpace::new();
        let all: Vec<_> = space.enumerate().collect();
        assert_eq!(all.len(), 13_824);
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), 13_824);
        // The release counts with the first flat entry (node 0's op) fastest.
        assert_eq!(space.format(&all[0]), "[[0, 0], [0, 0, 0], [0, 0, 0, 0]]");
        assert_eq!(space.format(&all[1]), "[[1, 0], [0, 0, 0], [0, 0, 0, 0]]");
        assert_eq!(space.format(&all[6]), "[[0, 1], [0, 0, 0], [0, 0, 0, 0]]");
        for (i, a) in all.iter().enumerate() {
            assert_eq!(a.index(), i);
            assert_eq!(space.parse(&space.format(a)).unwrap(), *a);
        }
        assert_eq!(
            space.parse("[[0,1],[5,1,0],[3,1,1,1]]").unwrap().ops,
            [0, 5, 3]
        );
    }

    #[test]
    fn model_hash_merges_what_the_zero_op_makes_equal() {
        let space = AsrSpace::new();
        // Changing an op on the input-output path changes the hash.
        let a = space.parse("[[0, 1], [1, 0, 0], [3, 1, 0, 1]]").unwrap();
        let b = space.parse("[[1, 1], [1, 0, 0], [3, 1, 0, 1]]").unwrap();
        assert_ne!(space.canonical(&a), space.canonical(&b));
        // A zero middle node cuts the chain; with only the input-output skip
        // left, the other ops do not matter.
        let e = space.parse("[[0, 1], [5, 0, 0], [3, 1, 0, 1]]").unwrap();
        let f = space.parse("[[2, 1], [5, 0, 0], [4, 1, 0, 1]]").unwrap();
        assert_eq!(space.canonical(&e), space.canonical(&f));
        assert_ne!(space.canonical(&e), space.canonical(&a));
        // Node 0 zero and no skip around it: the whole cell is cut; ops after it do not matter.
        let c = space.parse("[[5, 0], [0, 0, 0], [3, 0, 0, 0]]").unwrap();
        let d = space.parse("[[5, 0], [1, 0, 0], [4, 0, 0, 0]]").unwrap();
        assert_eq!(space.canonical(&c), space.canonical(&d));
        let hashes: HashSet<String> = space.enumerate().map(|a| space.canonical(&a)).collect();
        // Without zero ops every cell is distinct: 5^3 * 2^6 = 8,000.
        let no_zero: HashSet<String> = space
            .enumerate()
            .filter(|a| !a.ops.contains(&5))
            .map(|a| space.canonical(&a))
            .collect();
        assert_eq!(no_zero.len(), 8_000);
        // The 8,242 unique models the NAS-Bench-ASR paper counts.
        assert_eq!(hashes.len(), 8_242);
        // An MD5 hex digest.
        assert!(
            space.canonical(&a).len() == 32
                && space.canonical(&a).chars().all(|c| c.is_ascii_hexdigit())
        );
    }

    #[test]
    fn neighbors_mutation_and_errors() {
        let space = AsrSpace::new();
        let mut rng = rng_from_seed(4);
        for _ in 0..100 {
            let a = space.sample(&mut rng);
            let n = space.neighbors(&a);
            assert_eq!(n.len(), 21);
            assert!(!n.contains(&a));
            assert!(n.contains(&space.mutate(&a, &mut rng)));
        }
        for (bad, expected) in [
            ("[[0, 1], [5, 1, 0]]", "3 nodes"),
            (
                "[[0, 1], [5, 1], [3, 1, 1, 1]]",
                "node 1: an op and 2 skip bits",
            ),
            ("[[6, 1], [5, 1, 0], [3, 1, 1, 1]]", "op index 0-5, found 6"),
            (
                "[[0, 2], [5, 1, 0], [3, 1, 1, 1]]",
                "skip bit 0 0 or 1, found 2",
            ),
            ("[[0, 1], [5, 1, 0], [3, 1, 1, 1]", "nested list"),
        ] {
            let message = space.parse(bad).unwrap_err().to_string();
            assert!(message.contains(expected), "{bad}: {message}");
        }
    }
}
