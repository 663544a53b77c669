//! The NAS-Bench-101 space restricted to the cells a subset table has data for.

use std::collections::HashMap;

use oxinas_core::{Enumerable, ParseArchError, RngCore, SearchSpace};
use oxinas_spaces::{Nb101Arch, Nb101Hash, Nb101Space};
use rand::Rng;

use crate::Nb101Table;

/// How many NB101 mutations [`Nb101Subset::mutate`] draws before it falls back
/// to a neighbour in the subset.
const MUTATION_TRIES: usize = 1_000;

/// A *subset benchmark*: the NB101 space cut down to the cells of a table
/// (30,001 of the 423,624 for the subset file), so that every proposal of an
/// optimizer can be evaluated.
///
/// * **Members** are the table's cells, stored as 7-vertex specs (the table's
///   spec, [padded](Nb101Arch::padded)); any spec with a member's hash is in
///   the subset.
/// * **Sampling** is uniform over the members (not the NB101 paper's
///   distribution over specs, which the subset cannot reproduce).
/// * **Mutation** draws NB101 mutations (see [`Nb101Space`]) until one lands
///   on a member; after 1,000 misses it takes a uniformly chosen member of the
///   restricted neighbourhood, and if that is empty, a uniformly chosen other
///   member. The result always differs in hash from the parent.
/// * **Neighbours** are the NB101 neighbours that are members, in NB101 order;
///   symmetric like NB101's on 7-vertex specs.
/// * **Canonical key**, **format** and **parse** are NB101's; parse refuses a
///   spec outside the subset.
///
/// Results of searches on a subset benchmark are not comparable with searches
/// on the full space: the subset's distribution of accuracies differs (its
/// `prefix20k` part is the 20,001 smallest hashes, an unbiased sample; its
/// `random10k` part a random one).
#[derive(Clone, Debug)]
pub struct Nb101Subset {
    space: Nb101Space,
    members: Vec<Nb101Arch>,
    index: HashMap<Nb101Hash, usize>,
}

impl Nb101Subset {
    /// The subset of `table`'s cells, with NB101's mutation rate 1.
    pub fn new(table: &Nb101Table) -> Self {
        Self::with_space(table, Nb101Space::new())
    }

    /// The subset of `table`'s cells, mutating as `space` does.
    pub fn with_space(table: &Nb101Table, space: Nb101Space) -> Self {
        let members: Vec<Nb101Arch> = table.records().iter().map(|r| r.arch.padded()).collect();
        let index = table
            .records()
            .iter()
            .enumerate()
            .map(|(i, r)| (r.hash, i))
            .collect();
        Self {
            space,
            members,
            index,
        }
    }

    /// Number of member cells.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether the subset has no cells.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Whether `arch`'s cell is a member.
    pub fn contains(&self, arch: &Nb101Arch) -> bool {
        self.index.contains_key(&Nb101Hash::of(arch))
    }

    /// The member spec of the cell with `hash`.
    pub fn member(&self, hash: &Nb101Hash) -> Option<&Nb101Arch> {
        self.index.get(hash).map(|&i| &self.members[i])
    }

    fn random_member(&self, rng: &mut dyn RngCore) -> Nb101Arch {
        self.members[rng.random_range(0..self.members.len())]
    }
}

impl SearchSpace for Nb101Subset {
    type Arch = Nb101Arch;
    type Canonical = Nb101Hash;

    fn name(&self) -> &'static str {
        "nb101-subset"
    }

    /// A uniformly chosen member.
    ///
    /// # Panics
    /// When the subset is empty (a table always has a row).
    fn sample(&self, rng: &mut dyn RngCore) -> Nb101Arch {
        self.random_member(rng)
    }

    fn mutate(&self, arch: &Nb101Arch, rng: &mut dyn RngCore) -> Nb101Arch {
        for _ in 0..MUTATION_TRIES {
            let child = self.space.mutate(arch, rng);
            if self.contains(&child) {
                return child;
            }
        }
        let neighbors = self.neighbors(arch);
        if !neighbors.is_empty() {
            return neighbors[rng.random_range(0..neighbors.len())];
        }
        let own = Nb101Hash::of(arch);
        loop {
            let other = self.random_member(rng);
            // A subset of one cell has no other member to move to.
            if self.members.len() < 2 || Nb101Hash::of(&other) != own {
                return other;
            }
        }
    }

    fn neighbors(&self, arch: &Nb101Arch) -> Vec<Nb101Arch> {
        self.space
            .neighbors(arch)
            .into_iter()
            .filter(|n| self.contains(n))
            .collect()
    }

    fn canonical(&self, arch: &Nb101Arch) -> Nb101Hash {
        Nb101Hash::of(arch)
    }

    fn cardinality(&self) -> Option<u128> {
        Some(self.members.len() as u128)
    }

    fn format(&self, arch: &Nb101Arch) -> String {
        self.space.format(arch)
    }

    fn parse(&self, text: &str) -> Result<Nb101Arch, ParseArchError> {
        let arch = self.space.parse(text)?;
        if self.contains(&arch) {
            Ok(arch)
        } else {
            Err(ParseArchError::new(
                "nb101-subset",
                text,
                format!(
                    "a cell with data in the subset; {} is not",
                    Nb101Hash::of(&arch)
                ),
            ))
        }
    }
}

impl Enumerable for Nb101Subset {
    /// The members in table order.
    fn enumerate(&self) -> Box<dyn Iterator<Item = Nb101Arch> + '_> {
        Box::new(self.members.iter().copied())
    }
}
