//! Inputs the fuzz targets (`fuzz/`) found to crash, hang or exhaust memory,
//! each kept with the typed error it must give now.

use std::path::{Path, PathBuf};

use oxinas_formats::MatError;
use oxinas_formats::mat_file::parse_mat;

fn regression(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz_regressions")
        .join(name)
}

#[test]
fn a_compressed_mat_element_longer_than_the_file_is_refused_before_allocating() {
    // A 321-byte MAT-file whose first element, at byte 128, is miCOMPRESSED
    // with a count of 0x20000071 = 536,871,025 bytes. The count bounded what
    // the decompressed matrix could declare, and the matrix declared 4 GB.
    let path = regression("mat_compressed_element_512_mb.mat");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 321);
    match parse_mat(&bytes, &path) {
        Err(MatError::Truncated {
            path: named,
            offset,
            what,
        }) => {
            assert_eq!(named, path);
            assert_eq!(offset, 136);
            assert_eq!(
                what,
                "a compressed element: 536871025 bytes declared, at most 185 left"
            );
        }
        other => panic!("expected a truncation error, got {other:?}"),
    }
}
