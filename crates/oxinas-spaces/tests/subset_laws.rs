//! A space restricted to a list of architectures obeys the laws of every
//! search space, with "valid" meaning "a listed member".

use oxinas_core::{Enumerable, SearchSpace};
use oxinas_spaces::{SubsetSpace, TransNasMicroSpace};
use oxinas_testkit::{SpaceLaws, check_uniform_sampling};

#[test]
fn subset_spaces_obey_the_space_laws() {
    let inner = TransNasMicroSpace::new();
    let listed: Vec<_> = inner.enumerate().step_by(5).collect();
    let space = SubsetSpace::new(inner, listed).unwrap();
    let members: Vec<_> = space.enumerate().collect();
    SpaceLaws::new(&space, |a| members.contains(a))
        .cases(256)
        .assert();
    // Uniform over the listed classes: 6 expected samples per member at least.
    let samples = members.len() * 7;
    check_uniform_sampling(&space, |a| space.canonical(a), samples, 1).unwrap();
}
