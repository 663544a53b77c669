//! A space restricted to a list of architectures: the cells a tabular
//! benchmark recorded when it covers only part of its space (NAS-Bench-NLP,
//! the TransNAS-Bench-101 subsets, a user's CSV table).
//!
//! Sampling is uniform over the distinct members (by canonical key), and
//! neighbourhoods are the underlying space's neighbourhoods kept to members,
//! so that every proposal can be answered by the benchmark.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use oxinas_core::{Enumerable, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

/// The architectures of `S` listed in a benchmark, as a space of their own.
#[derive(Debug)]
pub struct SubsetSpace<S: SearchSpace> {
    inner: S,
    members: Arc<Vec<S::Arch>>,
    keys: Arc<HashMap<S::Canonical, usize>>,
}

impl<S: SearchSpace + Clone> Clone for SubsetSpace<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            members: Arc::clone(&self.members),
            keys: Arc::clone(&self.keys),
        }
    }
}

impl<S: SearchSpace> SubsetSpace<S> {
    /// The subset of `inner` made of `archs`; architectures with the same
    /// canonical key count once (the first one listed represents them).
    /// Returns `None` when `archs` is empty.
    pub fn new(inner: S, archs: impl IntoIterator<Item = S::Arch>) -> Option<Self> {
        let mut keys = HashMap::new();
        let mut members: Vec<S::Arch> = Vec::new();
        for arch in archs {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                keys.entry(inner.canonical(&arch))
            {
                slot.insert(members.len());
                members.push(arch);
            }
        }
        (!members.is_empty()).then(|| Self {
            inner,
            members: Arc::new(members),
            keys: Arc::new(keys),
        })
    }

    /// The underlying space.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Whether `arch` (or an equivalent architecture) is a member.
    pub fn contains(&self, arch: &S::Arch) -> bool {
        self.keys.contains_key(&self.inner.canonical(arch))
    }

    /// The listed member equivalent to `arch`, if any.
    pub fn representative(&self, arch: &S::Arch) -> Option<&S::Arch> {
        self.keys
            .get(&self.inner.canonical(arch))
            .map(|&i| &self.members[i])
    }

    /// Number of distinct members.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Never true for a constructed subset; present for symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

impl<S: SearchSpace> SearchSpace for SubsetSpace<S> {
    type Arch = S::Arch;
    type Canonical = S::Canonical;

    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn sample(&self, rng: &mut dyn RngCore) -> S::Arch {
        self.members[rng.random_range(0..self.members.len())].clone()
    }

    /// A uniformly chosen member neighbour; when `arch` has none, a uniformly
    /// chosen other member (a jump, since the subset is sparse in its space).
    fn mutate(&self, arch: &S::Arch, rng: &mut dyn RngCore) -> S::Arch {
        let near = self.neighbors(arch);
        if !near.is_empty() {
            return near[rng.random_range(0..near.len())].clone();
        }
        let key = self.inner.canonical(arch);
        if self.members.len() == 1 && self.inner.canonical(&self.members[0]) == key {
            return self.members[0].clone();
        }
        loop {
            let other = self.sample(rng);
            if self.inner.canonical(&other) != key {
                return other;
            }
        }
    }

    /// The underlying neighbours that are members, each replaced by its listed
    /// representative, without repeats or `arch`'s own class, in the underlying order.
    fn neighbors(&self, arch: &S::Arch) -> Vec<S::Arch> {
        let own = self.inner.canonical(arch);
        let mut seen = HashSet::new();
        self.inner
            .neighbors(arch)
            .into_iter()
            .filter_map(|n| {
                let key = self.inner.canonical(&n);
                let &i = self.keys.get(&key)?;
                (key != own && seen.insert(i)).then(|| self.members[i].clone())
            })
            .collect()
    }

    fn canonical(&self, arch: &S::Arch) -> S::Canonical {
        self.inner.canonical(arch)
    }

    fn cardinality(&self) -> Option<u128> {
        Some(self.members.len() as u128)
    }

    fn format(&self, arch: &S::Arch) -> String {
        self.inner.format(arch)
    }

    /// Parses with the underlying format and returns the listed member
    /// equivalent to it; an architecture outside the subset is an error.
    fn parse(&self, text: &str) -> Result<S::Arch, ParseArchError> {
        let arch = self.inner.parse(text)?;
        if let Some(member) = self.representative(&arch) {
            Ok(member.clone())
        } else {
            Err(ParseArchError::new(
                self.inner.name(),
                text,
                format!(
                    "one of the {} architectures of this subset",
                    self.members.len()
                ),
            ))
        }
    }
}

impl<S: SearchSpace> Enumerable for SubsetSpace<S> {
    /// The members in the order they were listed.
    fn enumerate(&self) -> Box<dyn Iterator<Item = S::Arch> + '_> {
        Box::new(self.members.iter().cloned())
    }
}

#[cfg(test)]
mod tests {
    use oxinas_core::seed::rng_from_seed;

    use super::*;
    use crate::{Nb201Space, TransNasMicroSpace};

    #[test]
    fn samples_and_mutations_stay_in_the_subset() {
        let inner = TransNasMicroSpace::new();
        let members: Vec<_> = inner.enumerate().step_by(7).collect();
        let space = SubsetSpace::new(inner, members.clone()).unwrap();
        let classes: HashSet<_> = members.iter().map(|a| space.canonical(a)).collect();
        assert_eq!(space.len(), classes.len());
        let members: Vec<_> = space.enumerate().collect();
        let mut rng = rng_from_seed(9);
        for _ in 0..300 {
            let a = space.sample(&mut rng);
            assert!(members.contains(&a));
            let b = space.mutate(&a, &mut rng);
            assert!(members.contains(&b));
            assert_ne!(space.canonical(&a), space.canonical(&b));
            assert!(space.neighbors(&a).iter().all(|n| members.contains(n)));
        }
        let outside = inner_outside(&space);
        let text = TransNasMicroSpace::new().format(&outside);
        assert!(
            space
                .parse(&text)
                .unwrap_err()
                .to_string()
                .contains("of this subset")
        );
        assert!(SubsetSpace::new(TransNasMicroSpace::new(), Vec::new()).is_none());
    }

    fn inner_outside(space: &SubsetSpace<TransNasMicroSpace>) -> crate::TransNasMicroArch {
        TransNasMicroSpace::new()
            .enumerate()
            .find(|a| !space.contains(a))
            .unwrap()
    }

    #[test]
    fn equivalent_members_count_once() {
        let inner = Nb201Space::new();
        let all: Vec<_> = inner.enumerate().collect();
        let space = SubsetSpace::new(inner, all).unwrap();
        assert_eq!(space.len(), 6_466);
        assert_eq!(space.cardinality(), Some(6_466));
    }
}
