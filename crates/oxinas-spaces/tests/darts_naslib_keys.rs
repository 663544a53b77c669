//! Every architecture of NASLib's NAS-Bench-301 zero-cost file reads, writes
//! and reads back unchanged, in both string formats.

use std::collections::HashSet;

use oxinas_core::SearchSpace;
use oxinas_spaces::{DartsArch, DartsSpace};

#[test]
fn all_725_naslib_keys_round_trip() {
    let Some(path) = oxinas_testkit::data_file("nb301/original/naslib/zc_nasbench301.json") else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let archs = json["cifar10"].as_object().unwrap();
    assert_eq!(archs.len(), 725);

    let space = DartsSpace::new();
    let mut canonical = HashSet::new();
    for (key, record) in archs {
        let arch = space.parse(key).unwrap_or_else(|e| panic!("{e}"));
        // The compact writer reproduces NASLib's key byte for byte.
        assert_eq!(arch.to_compact(), *key);
        assert_eq!(record["arch"].as_str(), Some(key.as_str()));
        let genotype = space.format(&arch);
        assert!(genotype.starts_with("Genotype(normal=[('"), "{genotype}");
        assert_eq!(space.parse(&genotype).unwrap(), arch);
        assert_eq!(DartsArch::from_compact(&arch.to_compact()).unwrap(), arch);
        canonical.insert(space.canonical(&arch));
    }
    // NASLib's 725 samples are distinct architectures.
    assert_eq!(canonical.len(), 725);
}
