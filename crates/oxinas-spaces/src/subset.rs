//! A search space restricted to a given set of architectures.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use oxinas_core::{Enumerable, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

/// The architectures of a base space that a table has data for.
///
/// Tabular benchmarks that recorded only part of a space (NAS-Bench-NLP's
/// 14,322 generated cells, TransNAS-Bench-101's NASLib subsets, a user's CSV)
/// can only answer queries about their members, so optimizers search this
/// space instead of the base one. Members are identified by the base space's
/// canonical key. `sample` draws a member uniformly; `neighbors` are the base
/// neighbours that are members; `mutate` draws one of those, and when an
/// architecture has none (sparse tables), a uniformly drawn other member — so
/// on a very sparse table mutation degrades to random sampling, as in NASLib.
#[derive(Clone, Debug)]
pub struct SubsetSpace<S: SearchSpace> {
    base: S,
    members: Vec<S::Arch>,
    index: HashMap<S::Canonical, usize>,
}

impl<S: SearchSpace> SubsetSpace<S> {
    /// The members of `base` listed in `archs`; architectures with the same
    /// canonical key count once (the first listed represents them).
    pub fn new(base: S, archs: impl IntoIterator<Item = S::Arch>) -> Self {
        let mut members = Vec::new();
        let mut index = HashMap::new();
        for arch in archs {
            let key = base.canonical(&arch);
            if let Entry::Vacant(slot) = index.entry(key) {
                slot.insert(members.len());
                members.push(arch);
            }
        }
        Self {
            base,
            members,
            index,
        }
    }

    /// Number of distinct members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The base space.
    pub fn base(&self) -> &S {
        &self.base
    }

    /// The member computing the same function as `arch`, if any.
    pub fn member(&self, arch: &S::Arch) -> Option<&S::Arch> {
        self.index
            .get(&self.base.canonical(arch))
            .map(|&i| &self.members[i])
    }
}

impl<S: SearchSpace> SearchSpace for SubsetSpace<S> {
    type Arch = S::Arch;
    type Canonical = S::Canonical;

    fn name(&self) -> &'static str {
        self.base.name()
    }

    /// A uniformly drawn member.
    ///
    /// # Panics
    /// When the subset is empty; construct it from a non-empty table.
    fn sample(&self, rng: &mut dyn RngCore) -> S::Arch {
        assert!(!self.members.is_empty(), "sampling from an empty subset");
        self.members[rng.random_range(0..self.members.len())].clone()
    }

    fn mutate(&self, arch: &S::Arch, rng: &mut dyn RngCore) -> S::Arch {
        let neighbors = self.neighbors(arch);
        if !neighbors.is_empty() {
            return neighbors[rng.random_range(0..neighbors.len())].clone();
        }
        let own = self.index.get(&self.base.canonical(arch)).copied();
        if self.members.len() < 2 && own.is_some() {
            return arch.clone();
        }
        loop {
            let i = rng.random_range(0..self.members.len());
            if Some(i) != own {
                return self.members[i].clone();
            }
        }
    }

    /// Base neighbours that are members, each class once, never `arch`'s own
    /// class (a base move can leave the computed function unchanged).
    fn neighbors(&self, arch: &S::Arch) -> Vec<S::Arch> {
        let own = self.base.canonical(arch);
        let mut out: Vec<S::Arch> = Vec::new();
        for n in self.base.neighbors(arch) {
            let key = self.base.canonical(&n);
            if key == own {
                continue;
            }
            if let Some(&i) = self.index.get(&key) {
                let m = &self.members[i];
                if !out.contains(m) {
                    out.push(m.clone());
                }
            }
        }
        out
    }

    fn canonical(&self, arch: &S::Arch) -> S::Canonical {
        self.base.canonical(arch)
    }

    fn cardinality(&self) -> Option<u128> {
        Some(self.members.len() as u128)
    }

    fn format(&self, arch: &S::Arch) -> String {
        self.base.format(arch)
    }

    fn parse(&self, text: &str) -> Result<S::Arch, ParseArchError> {
        self.base.parse(text)
    }
}

impl<S: SearchSpace> Enumerable for SubsetSpace<S> {
    fn enumerate(&self) -> Box<dyn Iterator<Item = S::Arch> + '_> {
        Box::new(self.members.iter().cloned())
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;

    use super::*;
    use crate::Nb201Space;

    #[test]
    fn stays_inside_the_members() {
        let space = Nb201Space::new();
        // Every 50th cell of the official order.
        let members: Vec<_> = space.enumerate().step_by(50).collect();
        let subset = SubsetSpace::new(space, members.clone());
        assert!(subset.len() <= members.len() && subset.len() > 250);
        let mut rng = rng_from_seed(1);
        for _ in 0..300 {
            let a = subset.sample(&mut rng);
            assert!(subset.member(&a).is_some());
            let b = subset.mutate(&a, &mut rng);
            assert!(subset.member(&b).is_some());
            assert_ne!(subset.canonical(&a), subset.canonical(&b));
            for n in subset.neighbors(&a) {
                assert!(subset.member(&n).is_some());
                assert!(
                    space
                        .neighbors(&a)
                        .iter()
                        .any(|m| space.canonical(m) == space.canonical(&n))
                );
            }
        }
        assert_eq!(subset.enumerate().count(), subset.len());
    }
}
