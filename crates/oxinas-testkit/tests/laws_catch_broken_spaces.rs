//! The laws pass on a correct toy space and catch each kind of broken one.

use oxinas_core::{Enumerable, ParseArchError, RngCore, SearchSpace};
use oxinas_testkit::{SpaceLaws, check_uniform_sampling};
use rand::Rng;

/// Three digits 0..4; canonical key = the sorted digits, so permuting the
/// positions is a relabelling. `flaw` switches on one deliberate bug.
#[derive(Clone, Copy, PartialEq)]
enum Flaw {
    None,
    MutateMayKeep,
    BiasedSample,
    ParseReverses,
    NeighborsOnlyIncrease,
    NeighborOutOfRange,
    CanonicalIsOrdered,
    SampleOutOfRange,
}

struct Digits {
    flaw: Flaw,
}

impl SearchSpace for Digits {
    type Arch = [u8; 3];
    type Canonical = [u8; 3];

    fn name(&self) -> &'static str {
        "digits"
    }

    fn sample(&self, rng: &mut dyn RngCore) -> [u8; 3] {
        let mut a = [0u8; 3];
        for d in &mut a {
            *d = rng.random_range(0..4);
        }
        match self.flaw {
            // Maps 4 of 5 draws uniformly and the fifth to 0: digit 0 twice as likely.
            Flaw::BiasedSample => a[0] = rng.random_range(0..5u8) % 4,
            Flaw::SampleOutOfRange if a[2] == 3 => a[2] = 7,
            _ => {}
        }
        a
    }

    fn mutate(&self, arch: &[u8; 3], rng: &mut dyn RngCore) -> [u8; 3] {
        let mut child = *arch;
        let position = rng.random_range(0..3);
        child[position] = if self.flaw == Flaw::MutateMayKeep {
            rng.random_range(0..4)
        } else {
            (arch[position] + rng.random_range(1..4)) % 4
        };
        child
    }

    fn neighbors(&self, arch: &[u8; 3]) -> Vec<[u8; 3]> {
        let mut out = Vec::new();
        for position in 0..3 {
            for digit in 0..4 {
                let keep = match self.flaw {
                    Flaw::NeighborsOnlyIncrease => digit > arch[position],
                    _ => digit != arch[position],
                };
                if keep {
                    let mut n = *arch;
                    n[position] = digit;
                    out.push(n);
                }
            }
        }
        if self.flaw == Flaw::NeighborOutOfRange {
            out.push([9, arch[1], arch[2]]);
        }
        out
    }

    fn canonical(&self, arch: &[u8; 3]) -> [u8; 3] {
        let mut key = *arch;
        if self.flaw != Flaw::CanonicalIsOrdered {
            key.sort_unstable();
        }
        key
    }

    fn cardinality(&self) -> Option<u128> {
        Some(64)
    }

    fn format(&self, arch: &[u8; 3]) -> String {
        format!("{}-{}-{}", arch[0], arch[1], arch[2])
    }

    fn parse(&self, text: &str) -> Result<[u8; 3], ParseArchError> {
        let digits: Vec<u8> = text
            .split('-')
            .map(|d| d.parse::<u8>())
            .collect::<Result<_, _>>()
            .map_err(|e| ParseArchError::new("digits", text, e.to_string()))?;
        let mut a: [u8; 3] = digits
            .try_into()
            .map_err(|_| ParseArchError::new("digits", text, "3 digits"))?;
        if self.flaw == Flaw::ParseReverses {
            a.reverse();
        }
        Ok(a)
    }
}

impl Enumerable for Digits {
    fn enumerate(&self) -> Box<dyn Iterator<Item = [u8; 3]> + '_> {
        Box::new((0..64u8).map(|i| [i / 16, (i / 4) % 4, i % 4]))
    }
}

fn is_valid(a: &[u8; 3]) -> bool {
    a.iter().all(|&d| d < 4)
}

fn permute(a: &[u8; 3], rng: &mut dyn RngCore) -> [u8; 3] {
    let mut b = *a;
    b.swap(0, rng.random_range(0..3));
    b.swap(1, rng.random_range(1..3));
    b
}

fn laws(space: &Digits) -> Result<(), oxinas_testkit::LawViolation> {
    SpaceLaws::new(space, is_valid)
        .relabel(permute)
        .representative(|a| space.canonical(a))
        .symmetric_neighbors()
        .check()
}

#[test]
fn a_correct_space_obeys_every_law() {
    let space = Digits { flaw: Flaw::None };
    laws(&space).unwrap();
    check_uniform_sampling(&space, |a| *a, 64 * 50, 1).unwrap();
    check_uniform_sampling(&space, |a| space.canonical(a), 64 * 50, 2).unwrap();
}

#[test]
fn each_broken_law_is_reported_by_name() {
    let cases = [
        (Flaw::MutateMayKeep, "mutate differs from its parent"),
        (Flaw::ParseReverses, "parse(format(a)) == a"),
        (Flaw::NeighborsOnlyIncrease, "neighbourhood is symmetric"),
        (Flaw::NeighborOutOfRange, "every neighbour is valid"),
        (
            Flaw::CanonicalIsOrdered,
            "canonical is invariant under relabelling",
        ),
        (Flaw::SampleOutOfRange, "sample is valid"),
    ];
    for (flaw, law) in cases {
        let violation = laws(&Digits { flaw }).unwrap_err();
        assert_eq!(violation.law, law, "{violation}");
        assert!(violation.seed.is_some());
        assert!(violation.to_string().contains("space digits breaks law"));
    }
}

#[test]
fn a_non_idempotent_representative_is_caught() {
    let space = Digits { flaw: Flaw::None };
    let violation = SpaceLaws::new(&space, is_valid)
        .representative(|a| [a[1], a[2], a[0]])
        .check()
        .unwrap_err();
    assert_eq!(violation.law, "representative is idempotent", "{violation}");
}

#[test]
fn a_biased_sampler_fails_the_uniformity_check() {
    let space = Digits {
        flaw: Flaw::BiasedSample,
    };
    let violation = check_uniform_sampling(&space, |a| *a, 64 * 50, 1).unwrap_err();
    assert_eq!(violation.law, "sample is uniform", "{violation}");
}

#[test]
fn too_few_samples_are_refused() {
    let space = Digits { flaw: Flaw::None };
    let violation = check_uniform_sampling(&space, |a| *a, 100, 1).unwrap_err();
    assert!(violation.law.contains("at least 5 expected"), "{violation}");
}
