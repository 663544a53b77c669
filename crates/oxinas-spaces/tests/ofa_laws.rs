//! The OFA MobileNetV3 space obeys the laws of every search space, with and
//! without a searched resolution.

use oxinas_core::SearchSpace;
use oxinas_spaces::OfaSpace;
use oxinas_testkit::SpaceLaws;

#[test]
fn ofa_obeys_the_space_laws() {
    let fixed = OfaSpace::new();
    SpaceLaws::new(&fixed, |a| fixed.parse(&fixed.format(a)).is_ok())
        .symmetric_neighbors()
        .representative(|a| fixed.canonical(a))
        .assert();
    let searched = OfaSpace::with_resolutions((128..=224).step_by(4).collect()).unwrap();
    SpaceLaws::new(&searched, |a| searched.parse(&searched.format(a)).is_ok())
        .symmetric_neighbors()
        .representative(|a| searched.canonical(a))
        .assert();
}
