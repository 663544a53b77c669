//! NAS-Bench-ASR obeys the laws of every search space and samples uniformly.

use oxinas_spaces::AsrSpace;
use oxinas_testkit::{SpaceLaws, check_uniform_sampling};

#[test]
fn asr_obeys_the_space_laws() {
    let space = AsrSpace::new();
    SpaceLaws::new(&space, |_| true)
        .symmetric_neighbors()
        .assert();
}

#[test]
fn asr_samples_uniformly() {
    // 84,000 samples over 13,824 cells: about 6.1 expected per cell.
    check_uniform_sampling(&AsrSpace::new(), |a| *a, 84_000, 4).unwrap();
}
