//! The laws every search space obeys, checked as property tests.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{RngCore, SearchSpace};
use proptest::prelude::any;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use rand::Rng;

/// A law a space broke, with the case that shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LawViolation {
    /// The space's name.
    pub space: &'static str,
    /// The law, e.g. `"mutate differs from its parent"`.
    pub law: &'static str,
    /// The seed of the failing case (the smallest proptest found), when the
    /// law is checked per case: `rng_from_seed(seed)` replays it.
    pub seed: Option<u64>,
    /// The architectures and values involved.
    pub detail: String,
}

impl fmt::Display for LawViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "space {} breaks law `{}`", self.space, self.law)?;
        if let Some(seed) = self.seed {
            write!(f, " (case seed {seed})")?;
        }
        write!(f, ": {}", self.detail)
    }
}

impl std::error::Error for LawViolation {}

type Predicate<'s, A> = Box<dyn Fn(&A) -> bool + 's>;
type Relabel<'s, A> = Box<dyn Fn(&A, &mut dyn RngCore) -> A + 's>;
type Representative<'s, A> = Box<dyn Fn(&A) -> A + 's>;

/// The laws of a [`SearchSpace`], checked on random architectures.
///
/// Each proptest case draws a `u64` seed, creates `rng_from_seed(seed)` and
/// checks, for `a = sample(rng)`:
///
/// * **validity**: `a`, `mutate(a)`, every neighbour of `a`, and the optional
///   relabelled and representative architectures satisfy the caller's
///   validity predicate (the trait has no `is_valid`, so the caller says what
///   valid means);
/// * **mutation**: `mutate(a) != a`;
/// * **neighbourhood**: no neighbour equals `a`, no neighbour is listed twice,
///   and, when declared with [`SpaceLaws::symmetric_neighbors`], `a` is a
///   neighbour of each of up to 8 randomly chosen neighbours of `a`;
/// * **format**: `parse(format(x)) == x` for `a` and `mutate(a)`;
/// * **canonical is a function of the architecture**: `canonical(parse(format(a)))
///   == canonical(a)`. Keys are usually not architectures, so idempotence is
///   checked through an optional canonical *representative* function `r`
///   ([`SpaceLaws::representative`]): `r(r(a)) == r(a)` (idempotence) and
///   `canonical(r(a)) == canonical(a)` (the representative is in `a`'s class);
/// * **relabelling invariance** (graph spaces, [`SpaceLaws::relabel`]): for a
///   random relabelling `b` of `a`'s nodes, `canonical(b) == canonical(a)`.
///
/// A failing case is shrunk to the smallest failing seed and reported as a
/// [`LawViolation`]. The runner's own randomness is seeded too, so a check is
/// reproducible.
pub struct SpaceLaws<'s, S: SearchSpace> {
    space: &'s S,
    is_valid: Predicate<'s, S::Arch>,
    relabel: Option<Relabel<'s, S::Arch>>,
    representative: Option<Representative<'s, S::Arch>>,
    symmetric_neighbors: bool,
    cases: u32,
    seed: u64,
}

impl<'s, S: SearchSpace> SpaceLaws<'s, S> {
    /// The laws of `space`, with `is_valid` saying which architectures are valid.
    /// Defaults: 64 cases, runner seed 0, no relabelling, no representative,
    /// neighbourhood not declared symmetric.
    pub fn new(space: &'s S, is_valid: impl Fn(&S::Arch) -> bool + 's) -> Self {
        Self {
            space,
            is_valid: Box::new(is_valid),
            relabel: None,
            representative: None,
            symmetric_neighbors: false,
            cases: 64,
            seed: 0,
        }
    }

    /// Also checks that `canonical` is invariant under `relabel`, which returns
    /// a random relabelling of an architecture's nodes (an isomorphic graph).
    pub fn relabel(mut self, relabel: impl Fn(&S::Arch, &mut dyn RngCore) -> S::Arch + 's) -> Self {
        self.relabel = Some(Box::new(relabel));
        self
    }

    /// Also checks `representative`, which maps an architecture to the canonical
    /// member of its class: idempotent and in the same class.
    pub fn representative(mut self, representative: impl Fn(&S::Arch) -> S::Arch + 's) -> Self {
        self.representative = Some(Box::new(representative));
        self
    }

    /// Declares the neighbourhood symmetric (`b` neighbour of `a` iff `a`
    /// neighbour of `b`), which is then checked.
    pub fn symmetric_neighbors(mut self) -> Self {
        self.symmetric_neighbors = true;
        self
    }

    /// Number of random cases (default 64).
    pub fn cases(mut self, cases: u32) -> Self {
        self.cases = cases;
        self
    }

    /// Seed of the proptest runner that draws the case seeds (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Runs every case; the first broken law (shrunk to its smallest seed) is
    /// the error.
    pub fn check(&self) -> Result<(), LawViolation> {
        let config = Config {
            cases: self.cases,
            failure_persistence: None,
            ..Config::default()
        };
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&self.seed.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
        let mut runner = TestRunner::new_with_rng(config, rng);
        let violations: RefCell<HashMap<u64, LawViolation>> = RefCell::default();
        let result = runner.run(&any::<u64>(), |case_seed| {
            self.check_case(case_seed).map_err(|violation| {
                let message = violation.to_string();
                violations.borrow_mut().insert(case_seed, violation);
                TestCaseError::fail(message)
            })
        });
        match result {
            Ok(()) => Ok(()),
            Err(TestError::Fail(_, case_seed)) => Err(violations
                .borrow_mut()
                .remove(&case_seed)
                .unwrap_or_else(|| self.violation("law check", Some(case_seed), "lost".into()))),
            Err(TestError::Abort(reason)) => {
                Err(self.violation("property runner", None, reason.to_string()))
            }
        }
    }

    /// Runs [`SpaceLaws::check`] and panics with the violation, for tests.
    ///
    /// # Panics
    /// When a law is broken.
    pub fn assert(&self) {
        if let Err(violation) = self.check() {
            panic!("{violation}");
        }
    }

    fn violation(&self, law: &'static str, seed: Option<u64>, detail: String) -> LawViolation {
        LawViolation {
            space: self.space.name(),
            law,
            seed,
            detail,
        }
    }

    /// Checks every law on the case drawn from `case_seed`.
    fn check_case(&self, case_seed: u64) -> Result<(), LawViolation> {
        let space = self.space;
        let fail =
            |law: &'static str, detail: String| Err(self.violation(law, Some(case_seed), detail));
        let mut rng = rng_from_seed(case_seed);
        let a = space.sample(&mut rng);
        if !(self.is_valid)(&a) {
            return fail("sample is valid", format!("{a:?}"));
        }
        self.check_round_trip(&a, case_seed)?;

        let key = space.canonical(&a);
        let reparsed_key = space.parse(&space.format(&a)).map(|b| space.canonical(&b));
        if reparsed_key.as_ref() != Ok(&key) {
            return fail(
                "canonical is a function of the architecture",
                format!("{a:?}: key {key:?}, after format/parse {reparsed_key:?}"),
            );
        }
        if let Some(representative) = &self.representative {
            let r = representative(&a);
            if !(self.is_valid)(&r) {
                return fail("representative is valid", format!("{a:?} -> {r:?}"));
            }
            let rr = representative(&r);
            if rr != r {
                return fail(
                    "representative is idempotent",
                    format!("{a:?} -> {r:?} -> {rr:?}"),
                );
            }
            let r_key = space.canonical(&r);
            if r_key != key {
                return fail(
                    "representative has the same canonical key",
                    format!("{a:?} (key {key:?}) -> {r:?} (key {r_key:?})"),
                );
            }
        }
        if let Some(relabel) = &self.relabel {
            let b = relabel(&a, &mut rng);
            if !(self.is_valid)(&b) {
                return fail(
                    "relabelled architecture is valid",
                    format!("{a:?} -> {b:?}"),
                );
            }
            let b_key = space.canonical(&b);
            if b_key != key {
                return fail(
                    "canonical is invariant under relabelling",
                    format!("{a:?} (key {key:?}) relabelled to {b:?} (key {b_key:?})"),
                );
            }
        }

        let child = space.mutate(&a, &mut rng);
        if !(self.is_valid)(&child) {
            return fail("mutate is valid", format!("{a:?} -> {child:?}"));
        }
        if child == a {
            return fail("mutate differs from its parent", format!("{a:?}"));
        }
        self.check_round_trip(&child, case_seed)?;

        let neighbors = space.neighbors(&a);
        let mut seen = HashSet::with_capacity(neighbors.len());
        for n in &neighbors {
            if !(self.is_valid)(n) {
                return fail(
                    "every neighbour is valid",
                    format!("{a:?} has neighbour {n:?}"),
                );
            }
            if *n == a {
                return fail("no architecture is its own neighbour", format!("{a:?}"));
            }
            if !seen.insert(n) {
                return fail(
                    "neighbours are listed once",
                    format!("{a:?} lists {n:?} twice"),
                );
            }
        }
        if self.symmetric_neighbors && !neighbors.is_empty() {
            for _ in 0..neighbors.len().min(8) {
                let n = &neighbors[rng.random_range(0..neighbors.len())];
                if !space.neighbors(n).contains(&a) {
                    return fail(
                        "neighbourhood is symmetric",
                        format!("{n:?} is a neighbour of {a:?} but not the other way round"),
                    );
                }
            }
        }
        Ok(())
    }

    fn check_round_trip(&self, a: &S::Arch, case_seed: u64) -> Result<(), LawViolation> {
        let text = self.space.format(a);
        match self.space.parse(&text) {
            Ok(b) if b == *a => Ok(()),
            Ok(b) => Err(self.violation(
                "parse(format(a)) == a",
                Some(case_seed),
                format!("{a:?} formats as `{text}`, which parses as {b:?}"),
            )),
            Err(error) => Err(self.violation(
                "parse(format(a)) == a",
                Some(case_seed),
                format!("{a:?} formats as `{text}`, which fails to parse: {error}"),
            )),
        }
    }
}
