//! The NAS-Bench-101 cell space: DAGs of at most 7 vertices and 9 edges, with
//! an op among conv3x3-bn-relu, conv1x1-bn-relu and maxpool3x3 on each
//! interior vertex.

use oxinas_core::{ConfigError, Enumerable, ParseArchError, RngCore, SearchSpace};
use rand::Rng;
use rayon::prelude::*;

use crate::nb101_arch::NB101_MAX_VERTICES;
use crate::{Nb101Arch, Nb101Hash, Nb101Op, nb101_enumeration, nb101_mutation, nb101_relabel};

/// Number of distinct cells (isomorphism classes, i.e. distinct hashes) in the
/// space, as counted by the NAS-Bench-101 paper.
pub const NB101_NUM_CELLS: usize = 423_624;

/// The NAS-Bench-101 search space.
///
/// * **Architectures** are [`Nb101Arch`] specs, kept unpruned as given.
/// * **Canonical key**: the official [`Nb101Hash`], which merges specs that
///   prune to isomorphic graphs; it is the key of every cell in the benchmark.
/// * **Sampling** follows the NAS-Bench-101 paper: each of the 21 entries above
///   the diagonal of a 7x7 matrix is an edge with probability 1/2, each of the
///   5 interior vertices gets a uniform op, and draws that are invalid (input
///   not reaching output, or more than 9 edges after pruning) are rejected.
///   This is uniform over valid 7-vertex *specs*, not over the 423,624 cells:
///   cells with many specs are drawn more often, as in the paper and NASLib.
/// * **Mutation** and **neighbours**: see `mutate` and `neighbors` below; both
///   work on 7-vertex specs and only return specs with a different hash.
/// * **Enumeration** lists one spec per cell (423,624 of them, pruned).
/// * **Text form**: `input conv3x3-bn-relu maxpool3x3 output | 0110;0001;0001;0000`.
#[derive(Clone, Copy, Debug)]
pub struct Nb101Space {
    mutation_rate: f64,
}

impl Default for Nb101Space {
    fn default() -> Self {
        Self::new()
    }
}

impl Nb101Space {
    /// The space with mutation rate 1 (one edge and one op change expected).
    pub fn new() -> Self {
        Self { mutation_rate: 1.0 }
    }

    /// The space with another mutation rate: each edge flips with probability
    /// `rate / 7` and each op changes with probability `rate / 5`, so `rate`
    /// must lie in (0, 5].
    pub fn with_mutation_rate(rate: f64) -> Result<Self, ConfigError> {
        if !(rate > 0.0 && rate <= 5.0) {
            return Err(ConfigError::new(
                "mutation_rate",
                format!(
                    "a rate in (0, 5] (edge flip probability rate/7, op change probability rate/5), found {rate}"
                ),
            ));
        }
        Ok(Self {
            mutation_rate: rate,
        })
    }

    /// The mutation rate.
    pub fn mutation_rate(&self) -> f64 {
        self.mutation_rate
    }

    /// Whether `arch` is a valid NB101 cell. Values built by the public
    /// constructors always are; this re-checks from the spec itself.
    pub fn is_valid(&self, arch: &Nb101Arch) -> bool {
        arch.is_valid()
    }

    /// The official hash of `arch` (same as [`SearchSpace::canonical`]).
    pub fn hash(&self, arch: &Nb101Arch) -> Nb101Hash {
        Nb101Hash::of(arch)
    }

    /// The canonical member of `arch`'s cell: pruned and renumbered to the
    /// smallest upper-triangular form. Idempotent; same hash as `arch`.
    pub fn representative(&self, arch: &Nb101Arch) -> Nb101Arch {
        nb101_relabel::canonical_representative(arch)
    }

    /// A random isomorphic copy of `arch` (interior vertices renumbered along
    /// a random topological order); same hash as `arch`.
    pub fn relabel(&self, arch: &Nb101Arch, rng: &mut dyn RngCore) -> Nb101Arch {
        nb101_relabel::random_relabel(arch, rng)
    }

    /// Every cell with its hash, in [`Enumerable::enumerate`] order. Hashing is
    /// spread over the rayon thread pool; the result does not depend on the
    /// number of threads.
    pub fn enumerate_hashed(&self) -> Vec<(Nb101Arch, Nb101Hash)> {
        nb101_enumeration::isomorphism_classes()
            .par_iter()
            .map(|arch| (*arch, crate::nb101_hash::hash_pruned(arch)))
            .collect()
    }
}

impl SearchSpace for Nb101Space {
    type Arch = Nb101Arch;
    type Canonical = Nb101Hash;

    fn name(&self) -> &'static str {
        "nb101"
    }

    fn sample(&self, rng: &mut dyn RngCore) -> Nb101Arch {
        loop {
            let mut rows = [0u8; NB101_MAX_VERTICES];
            for (from, row) in rows.iter_mut().enumerate() {
                for to in from + 1..NB101_MAX_VERTICES {
                    if rng.random::<bool>() {
                        *row |= 1 << to;
                    }
                }
            }
            let mut ops = [Nb101Op::Conv3x3BnRelu; NB101_MAX_VERTICES];
            for op in ops.iter_mut().take(NB101_MAX_VERTICES - 1).skip(1) {
                *op = Nb101Op::ALL[rng.random_range(0..3)];
            }
            let arch = Nb101Arch::from_raw(NB101_MAX_VERTICES, rows, ops);
            if arch.is_valid() {
                return arch;
            }
        }
    }

    /// NB101 evolution's mutation (BANANAS / NASLib): each edge of the padded
    /// 7-vertex spec flips with probability `rate / 7`, each interior op changes
    /// to another op with probability `rate / 5`; redrawn until the child is
    /// valid and has a different hash from the parent.
    fn mutate(&self, arch: &Nb101Arch, rng: &mut dyn RngCore) -> Nb101Arch {
        nb101_mutation::mutate(arch, self.mutation_rate, rng)
    }

    /// The valid specs one op change or one edge flip away from the padded
    /// 7-vertex spec, whose hash differs from `arch`'s; ops first (vertex by
    /// vertex), then edges (row by row). Symmetric on 7-vertex specs.
    fn neighbors(&self, arch: &Nb101Arch) -> Vec<Nb101Arch> {
        nb101_mutation::neighbors(arch)
    }

    fn canonical(&self, arch: &Nb101Arch) -> Nb101Hash {
        Nb101Hash::of(arch)
    }

    /// The number of distinct cells, 423,624 (specs are far more numerous).
    fn cardinality(&self) -> Option<u128> {
        Some(NB101_NUM_CELLS as u128)
    }

    fn format(&self, arch: &Nb101Arch) -> String {
        arch.to_string()
    }

    fn parse(&self, text: &str) -> Result<Nb101Arch, ParseArchError> {
        Nb101Arch::parse_text(text)
    }
}

impl Enumerable for Nb101Space {
    /// One pruned spec per cell (423,624), ordered by vertex count, then
    /// adjacency, then ops. The first call builds the list (well under a
    /// second); later calls reuse it.
    fn enumerate(&self) -> Box<dyn Iterator<Item = Nb101Arch> + '_> {
        Box::new(nb101_enumeration::isomorphism_classes().iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutation_rate_is_validated() {
        assert!(Nb101Space::with_mutation_rate(2.0).is_ok());
        for bad in [0.0, -1.0, 6.0, f64::NAN] {
            let message = Nb101Space::with_mutation_rate(bad).unwrap_err().to_string();
            assert!(message.contains("mutation_rate"), "{message}");
        }
    }
}
