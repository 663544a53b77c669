//! NAS-Bench-201 obeys the laws of every search space.

use oxinas_core::SearchSpace;
use oxinas_spaces::Nb201Space;
use oxinas_testkit::{SpaceLaws, check_uniform_sampling};

#[test]
fn nb201_obeys_the_space_laws() {
    let space = Nb201Space::new();
    // Every one of the 5^6 op assignments is a valid cell.
    SpaceLaws::new(&space, |_| true)
        .symmetric_neighbors()
        .assert();
}

#[test]
fn nb201_samples_cells_and_canonical_classes_uniformly() {
    let space = Nb201Space::new();
    // 100,000 samples over 15,625 cells: 6.4 expected per cell.
    check_uniform_sampling(&space, |a| *a, 100_000, 7).unwrap();
    check_uniform_sampling(&space, |a| space.canonical(a), 100_000, 8).unwrap();
}
