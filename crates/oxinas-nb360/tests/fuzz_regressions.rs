//! Inputs the fuzz targets (`fuzz/`) found to crash, hang or exhaust memory,
//! each kept with the typed error it must give now.

use std::path::{Path, PathBuf};

use oxinas_nb360::Nb360Error;
use oxinas_nb360::fsd50k::read_wav;

fn regression(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz_regressions")
        .join(name)
}

#[test]
fn a_wav_header_promising_2_7_gb_of_samples_is_refused_before_allocating() {
    // A 332-byte mono 22,050 Hz file whose `data` chunk declares 0xa0fc00c0
    // bytes: 675,217,456 32-bit samples. Reserving them aborted the process.
    let path = regression("wav_data_chunk_2_7_gb.wav");
    match read_wav(&path) {
        Err(Nb360Error::Format {
            path: named,
            message,
        }) => {
            assert_eq!(named, path);
            assert!(
                message.contains("675217456 samples (2700869824 bytes), the file has 332 bytes"),
                "{message}"
            );
        }
        other => panic!("expected a format error, got {other:?}"),
    }
}
