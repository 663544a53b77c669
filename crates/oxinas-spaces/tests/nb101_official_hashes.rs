//! The NB101 hash and enumeration reproduce the benchmark's own keys.

use std::collections::HashSet;

use oxinas_core::{Enumerable, SearchSpace};
use oxinas_spaces::{NB101_NUM_CELLS, Nb101Arch, Nb101Hash, Nb101Space};
use oxinas_testkit::data_file;

/// The rows of the subset file as (hash, ops, adjacency); the last two are
/// empty for rows without a spec.
fn subset_rows() -> Option<Vec<(String, String, String)>> {
    let path = data_file("nb101/nb101_subset30k.csv")?;
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "hash,source,val4,val12,val36,val108,train_time108_s,params,ops,adjacency"
    );
    Some(
        lines
            .map(|line| {
                let fields: Vec<&str> = line.split(',').collect();
                assert_eq!(fields.len(), 10, "{line}");
                (
                    fields[0].to_owned(),
                    fields[8].to_owned(),
                    fields[9].to_owned(),
                )
            })
            .collect(),
    )
}

#[test]
fn hash_reproduces_every_official_key_of_the_rows_with_a_spec() {
    let Some(rows) = subset_rows() else { return };
    let space = Nb101Space::new();
    let mut checked = 0;
    for (hash, ops, adjacency) in rows.iter().filter(|(_, ops, _)| !ops.is_empty()) {
        let arch = Nb101Arch::from_csv_fields(ops, adjacency).unwrap();
        assert_eq!(space.canonical(&arch).to_string(), *hash, "{arch}");
        // Relabelled and padded copies keep the key.
        assert_eq!(
            space.canonical(&space.representative(&arch)).to_string(),
            *hash
        );
        assert_eq!(space.canonical(&arch.padded()).to_string(), *hash);
        checked += 1;
    }
    assert_eq!(checked, 1_000);
}

#[test]
fn enumeration_yields_every_cell_once_including_all_subset_keys() {
    let space = Nb101Space::new();
    let hashed = space.enumerate_hashed();
    assert_eq!(hashed.len(), NB101_NUM_CELLS);
    let hashes: HashSet<Nb101Hash> = hashed.iter().map(|(_, h)| *h).collect();
    assert_eq!(hashes.len(), NB101_NUM_CELLS);
    // enumerate() and enumerate_hashed() list the same cells in the same order.
    assert!(space.enumerate().zip(&hashed).all(|(a, (b, _))| a == *b));
    assert!(
        hashed
            .iter()
            .all(|(arch, _)| arch.is_valid() && arch.pruned() == *arch)
    );

    let Some(rows) = subset_rows() else { return };
    let missing: Vec<&String> = rows
        .iter()
        .map(|(hash, _, _)| hash)
        .filter(|hash| !hashes.contains(&hash.parse::<Nb101Hash>().unwrap()))
        .collect();
    assert_eq!(rows.len(), 30_001);
    assert!(
        missing.is_empty(),
        "{} subset keys not enumerated, e.g. {:?}",
        missing.len(),
        missing.first()
    );
}
