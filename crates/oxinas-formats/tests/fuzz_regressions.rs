//! Inputs the fuzz targets (`fuzz/`) found to crash, hang or exhaust memory,
//! each kept with the typed error it must give now.

use std::path::{Path, PathBuf};

use oxinas_formats::mat_file::parse_mat;
use oxinas_formats::numpy_pickle::decode_pickle;
use oxinas_formats::{FormatError, MatError};

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

#[test]
fn a_mat_array_whose_byte_count_overflows_is_refused_not_a_panic() {
    // A 414-byte MAT-file with a double array `coeff` of dimensions
    // 2 x 1,280,590,157 x 924,860,993: 2,368,735,768,458,091,802 elements fit
    // a usize, their 8-byte values do not (the multiplication panicked).
    let path = regression("mat_dimensions_overflowing_bytes.mat");
    let bytes = std::fs::read(&path).unwrap();
    match parse_mat(&bytes, &path) {
        Err(MatError::Unsupported {
            path: named,
            name,
            message,
        }) => {
            assert_eq!((named, name.as_str()), (path, "coeff"));
            assert!(
                message.starts_with(
                    "dimensions [2, 1280590157, 924860993] need 2368735768458091802 values of 8 bytes"
                ),
                "{message}"
            );
        }
        other => panic!("expected an unsupported-array error, got {other:?}"),
    }
}

#[test]
fn a_pickle_that_doubles_a_dict_by_building_it_from_itself_is_refused() {
    // 457 bytes: a dict given itself as BUILD state, again and again, doubles
    // at each BUILD opcode; the 2 GB reservation aborted the process.
    let path = regression("pickle_build_doubling_a_dict.pickle");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 457);
    match decode_pickle(&bytes, &path) {
        Err(FormatError::Malformed {
            path: named,
            offset: Some(_),
            message,
        }) => {
            assert_eq!(named, path);
            assert!(
                message.contains(
                    "containers receive more entries than a pickle of 457 bytes can hold"
                ),
                "{message}"
            );
        }
        other => panic!("expected a malformed-pickle error, got {other:?}"),
    }
}
