//! Corrupt and hostile inputs: a declared length of 2^62 bytes is a typed
//! error before anything of that length is allocated (an allocation of that
//! size would abort the test process), and a file cut at any byte is an
//! error, never a panic.

use std::path::{Path, PathBuf};

use oxinas_formats::mat_file::parse_mat;
use oxinas_formats::npy::{parse_npy, read_npz};
use oxinas_formats::numpy_pickle::decode_pickle;
use oxinas_formats::{FormatError, MatError};

const HUGE: u64 = 1 << 62;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn a_pickle_declaring_2_pow_62_bytes_is_refused_before_allocating() {
    // BINUNICODE8, BINBYTES8 and BYTEARRAY8 carry 8-byte lengths.
    for opcode in [0x8du8, 0x8e, 0x96] {
        let mut bytes = vec![0x80, 4, opcode];
        bytes.extend_from_slice(&HUGE.to_le_bytes());
        bytes.extend_from_slice(b"abc.");
        let err = decode_pickle(&bytes, Path::new("huge.pickle")).unwrap_err();
        match &err {
            FormatError::Truncated {
                path,
                offset,
                needed,
                available,
                ..
            } => {
                assert_eq!(path, Path::new("huge.pickle"));
                assert_eq!((*offset, *needed, *available), (11, HUGE, 4), "{err}");
            }
            other => panic!("opcode {opcode:#x}: expected Truncated, got {other:?}"),
        }
        assert!(
            err.to_string().starts_with("huge.pickle: pickle byte 11"),
            "{err}"
        );
    }
    // u64::MAX does not even fit usize on 64-bit targets' arithmetic with the offset.
    let mut bytes = vec![0x80, 4, 0x8e];
    bytes.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(
        decode_pickle(&bytes, Path::new("huge.pickle")),
        Err(FormatError::Truncated {
            needed: u64::MAX,
            ..
        })
    ));
}

#[test]
fn an_npy_header_declaring_2_pow_62_elements_is_refused_before_allocating() {
    for (descr, shape) in [
        ("|u1", format!("({HUGE},)")),
        ("<f8", format!("({HUGE},)")),
        ("<f8", format!("({HUGE}, {HUGE})")),
    ] {
        let header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&[0; 16]);
        let err = parse_npy(&bytes, Path::new("huge.npy")).unwrap_err();
        assert!(
            matches!(&err, FormatError::Malformed { path, .. } if path == Path::new("huge.npy")),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("overflows") || text.contains("truncated"),
            "{text}"
        );
    }
    // A version 2 header length of 4 GiB in a small file.
    let mut bytes = b"\x93NUMPY\x02\x00".to_vec();
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    bytes.extend_from_slice(b"{'descr': '<f4'");
    let text = parse_npy(&bytes, Path::new("huge.npy"))
        .unwrap_err()
        .to_string();
    assert!(text.contains("4294967295-byte header"), "{text}");
}

#[test]
fn an_npz_member_declaring_more_than_its_bytes_can_hold_is_refused() {
    // The fixture's first member is stored; declare 4 GiB - 1 uncompressed in
    // both its local header and the central directory.
    let mut bytes = std::fs::read(fixture("mixed_deflated.npz")).unwrap();
    let set_size = |bytes: &mut Vec<u8>, signature: &[u8], size_at: usize| {
        let at = bytes
            .windows(4)
            .position(|w| w == signature)
            .expect("zip header");
        bytes[at + size_at..at + size_at + 4].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
    };
    set_size(&mut bytes, b"PK\x03\x04", 22);
    set_size(&mut bytes, b"PK\x01\x02", 24);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.npz");
    std::fs::write(&path, &bytes).unwrap();
    let err = read_npz(&path).unwrap_err();
    match &err {
        FormatError::Truncated { needed, .. } => assert_eq!(*needed, u64::from(u32::MAX - 1)),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("huge.npz"), "{err}");
}

#[test]
fn a_mat_element_declaring_more_than_the_file_holds_is_refused() {
    let bytes = std::fs::read(fixture("scipy_v5.mat")).unwrap();
    let mut huge = bytes.clone();
    // The first element's byte count (after the 128-byte header and its type).
    huge[132..136].copy_from_slice(&0xffff_fff8u32.to_le_bytes());
    match parse_mat(&huge, Path::new("huge.mat")) {
        Err(MatError::Truncated { path, what, .. }) => {
            assert_eq!(path, Path::new("huge.mat"));
            assert!(what.contains("4294967288 bytes declared"), "{what}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_truncation_of_the_fixtures_is_an_error_not_a_panic() {
    for name in ["fortran_big_endian.npy", "object_dict.npy"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        for cut in 0..bytes.len() {
            assert!(
                parse_npy(&bytes[..cut], Path::new(name)).is_err(),
                "{name} cut at {cut}"
            );
        }
    }
    for name in ["scipy_v5.mat", "scipy_v7.mat"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let whole = parse_mat(&bytes, Path::new(name)).unwrap();
        for cut in 0..bytes.len() {
            // A cut exactly between two variables is a shorter valid file.
            if let Ok(vars) = parse_mat(&bytes[..cut], Path::new(name)) {
                assert!(vars.len() < whole.len(), "{name} cut at {cut}");
            }
        }
    }
    let bytes = std::fs::read(fixture("mixed_deflated.npz")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.npz");
    for cut in 0..bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        assert!(read_npz(&path).is_err(), "npz cut at {cut}");
    }
}
