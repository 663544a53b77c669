//! Inputs the fuzz targets (`fuzz/`) found to crash, hang or exhaust memory,
//! each kept with the typed error it must give now.

use oxinas_benchmarks::{Nb101TfRecordReader, TfRecordWriter};
use oxinas_core::DataError;

#[test]
fn an_nb101_record_with_a_multibyte_character_in_its_adjacency_is_an_error_not_a_panic() {
    // "aé0" is four bytes, so it passed as the 2 x 2 matrix of a two-vertex
    // cell, and cutting its rows at byte 2 split the `é` (a panic).
    let record = r#"["00005c142e6f48ac74fdcf73e3439874", 108, "aé0", "input,output", ""]"#;
    let mut writer = TfRecordWriter::new(Vec::new());
    writer.write_record(record.as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runs.tfrecord");
    std::fs::write(&path, writer.finish().unwrap()).unwrap();
    match Nb101TfRecordReader::read_all(&path) {
        Err(DataError::Malformed {
            path: named,
            location,
            message,
        }) => {
            assert_eq!(named, path);
            assert_eq!(location, "record 0, field `adjacency`");
            assert_eq!(
                message,
                r#"expected n*n digits 0 and 1, found non-ASCII text "aé0""#
            );
        }
        other => panic!("expected a malformed-record error, got {other:?}"),
    }
}
