//! NAS-Bench-Macro obeys the laws of every search space and samples uniformly.

use oxinas_core::SearchSpace;
use oxinas_spaces::NbMacroSpace;
use oxinas_testkit::{SpaceLaws, check_uniform_sampling};

#[test]
fn nb_macro_obeys_the_space_laws() {
    let space = NbMacroSpace::new();
    SpaceLaws::new(&space, |_| true)
        .symmetric_neighbors()
        .representative(|a| space.canonical(a))
        .assert();
}

#[test]
fn nb_macro_samples_uniformly() {
    let space = NbMacroSpace::new();
    // 40,000 samples over 6,561 networks: about 6.1 expected per network.
    check_uniform_sampling(&space, |a| *a, 40_000, 3).unwrap();
}
