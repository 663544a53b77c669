//! The TransNAS-Bench-101 micro and macro spaces obey the laws of every search
//! space and sample uniformly.

use oxinas_core::SearchSpace;
use oxinas_spaces::{TransNasMacroSpace, TransNasMicroSpace};
use oxinas_testkit::{SpaceLaws, check_uniform_sampling};

#[test]
fn transnas_micro_obeys_the_space_laws() {
    let space = TransNasMicroSpace::new();
    SpaceLaws::new(&space, |_| true)
        .symmetric_neighbors()
        .assert();
}

#[test]
fn transnas_macro_obeys_the_space_laws() {
    let space = TransNasMacroSpace::new();
    // Valid means constructible: parsing the formatted string re-checks the rules.
    SpaceLaws::new(&space, |a| space.parse(&space.format(a)).is_ok())
        .symmetric_neighbors()
        .representative(|a| space.canonical(a))
        .assert();
}

#[test]
fn transnas_spaces_sample_uniformly() {
    // 25,000 samples over 4,096 cells (6.1 each) and 20,000 over 3,256 networks (6.1 each).
    check_uniform_sampling(&TransNasMicroSpace::new(), |a| *a, 25_000, 5).unwrap();
    check_uniform_sampling(&TransNasMacroSpace::new(), |a| *a, 20_000, 6).unwrap();
}
