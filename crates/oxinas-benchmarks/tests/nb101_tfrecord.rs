//! The NB101 TFRecord reader on small files in the official format, written
//! here record by record (framing, JSON, base64 and protobuf encoded by hand).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oxinas_benchmarks::{Nb101TfRecordReader, TfRecordWriter};

/// Protobuf encoding of an EvaluationData (fields 1-5 doubles).
fn evaluation(values: [f64; 5]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, v) in values.iter().enumerate() {
        out.push(((i as u8 + 1) << 3) | 1);
        out.extend(v.to_le_bytes());
    }
    out
}

fn varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Protobuf encoding of a ModelMetrics with three evaluations.
fn model_metrics(params: u64, final_valid: f64, final_test: f64, final_time: f64) -> Vec<u8> {
    let mut out = Vec::new();
    for data in [
        evaluation([0.0, 0.0, 0.1, 0.1, 0.1]),
        evaluation([54.0, final_time / 2.0, 0.8, 0.7, 0.69]),
        evaluation([108.0, final_time, 1.0, final_valid, final_test]),
    ] {
        out.push((1 << 3) | 2);
        varint(data.len() as u64, &mut out);
        out.extend(data);
    }
    out.push(2 << 3);
    varint(params, &mut out);
    out.push((3 << 3) | 1);
    out.extend((final_time * 1.1).to_le_bytes());
    out
}

const HASH: &str = "00005c142e6f48ac74fdcf73e3439874";
const OPS: &str =
    "input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output";
const ADJACENCY: &str = "0100110001000000010010000010000001000000010000000";

fn record(epochs: serde_json::Value, metrics: &str) -> Vec<u8> {
    serde_json::json!([HASH, epochs, ADJACENCY, OPS, metrics])
        .to_string()
        .into_bytes()
}

fn good_records() -> Vec<Vec<u8>> {
    [
        (108, 0.9304, 0.9288, 1768.9),
        (108, 0.9241, 0.9211, 1769.1),
        (4, 0.36, 0.35, 70.2),
    ]
    .iter()
    .map(|&(epochs, valid, test, time)| {
        let metrics = STANDARD.encode(model_metrics(8_555_530, valid, test, time));
        record(serde_json::json!(epochs), &metrics)
    })
    .collect()
}

fn write(path: &Path, records: &[Vec<u8>]) -> Vec<u8> {
    let mut writer = TfRecordWriter::create(path).unwrap();
    for r in records {
        writer.write_record(r).unwrap();
    }
    writer.finish().unwrap();
    std::fs::read(path).unwrap()
}

#[test]
fn reads_every_run_with_its_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nasbench_small.tfrecord");
    write(&path, &good_records());
    let runs = Nb101TfRecordReader::read_all(&path).unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0].hash.to_string(), HASH);
    assert_eq!(
        runs.iter().map(|r| r.epochs).collect::<Vec<_>>(),
        [108, 108, 4]
    );
    assert_eq!(
        runs[0].spec.to_string(),
        "input conv3x3-bn-relu maxpool3x3 conv3x3-bn-relu conv3x3-bn-relu conv1x1-bn-relu output \
         | 0100110;0010000;0001001;0000010;0000010;0000001;0000000"
    );
    let metrics = &runs[1].metrics;
    assert_eq!(metrics.trainable_parameters, 8_555_530);
    assert_eq!(metrics.evaluation_data.len(), 3);
    let last = &metrics.evaluation_data[2];
    assert_eq!(
        (
            last.current_epoch,
            last.training_time,
            last.validation_accuracy,
            last.test_accuracy
        ),
        (108.0, 1769.1, 0.9241, 0.9211)
    );
    assert_eq!(metrics.evaluation_data[1].training_time, 1769.1 / 2.0);
    assert_eq!(metrics.total_time, 1769.1 * 1.1);
}

fn read_error(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.tfrecord");
    std::fs::write(&path, bytes).unwrap();
    let message = Nb101TfRecordReader::read_all(&path)
        .unwrap_err()
        .to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    message
}

#[test]
fn truncated_files_name_the_record_and_the_part_cut() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = write(&dir.path().join("whole.tfrecord"), &good_records());
    let first = 16 + good_records()[0].len();
    let cases = [
        (first + 5, "record 1 (byte"),
        (
            first + 5,
            "length header: expected 12 bytes, the file ends after 5",
        ),
        (first + 12 + 100, "record 1"),
        (
            first + 12 + 100,
            "data: expected 393 bytes of data and a 4-byte checksum, the file has 100 bytes left",
        ),
        (
            first - 2,
            "record 0 (byte 0), data: expected 393 bytes of data and a 4-byte checksum, the file has 395 bytes left",
        ),
    ];
    for (length, expected) in cases {
        let message = read_error(&bytes[..length]);
        assert!(message.contains(expected), "{expected}: {message}");
        assert!(message.contains("truncated"), "{message}");
    }
}

#[test]
fn corrupted_bytes_fail_their_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = write(&dir.path().join("whole.tfrecord"), &good_records());
    let first = 16 + good_records()[0].len();
    let mut data_flip = bytes.clone();
    data_flip[first + 12 + 30] ^= 0x20;
    let message = read_error(&data_flip);
    assert!(
        message.contains("record 1") && message.contains("data checksum"),
        "{message}"
    );
    let mut length_flip = bytes;
    length_flip[first + 1] ^= 0x01;
    let message = read_error(&length_flip);
    assert!(
        message.contains("record 1") && message.contains("length checksum"),
        "{message}"
    );
}

#[test]
fn corrupted_fields_name_the_record_and_the_field() {
    let good_metrics = STANDARD.encode(model_metrics(1, 0.9, 0.9, 1.0));
    let mut cut_protobuf = model_metrics(1, 0.9, 0.9, 1.0);
    cut_protobuf.truncate(cut_protobuf.len() - 3);
    let cases = [
        (
            record(serde_json::json!("108"), &good_metrics),
            "record 1, field `epochs`",
        ),
        (
            record(serde_json::json!(108), "not base64!"),
            "record 1, field `metrics`: expected base64 text",
        ),
        (
            record(serde_json::json!(108), &STANDARD.encode(&cut_protobuf)),
            // prost names the message and field (no byte offset, unlike the
            // hand-written decoder this replaced).
            "record 1, field `metrics`: expected a ModelMetrics protocol buffer; failed to decode Protobuf message: ModelMetrics.total_time: buffer underflow",
        ),
        (
            serde_json::json!([HASH, 108, &ADJACENCY[..48], OPS, good_metrics])
                .to_string()
                .into_bytes(),
            "record 1, field `adjacency`",
        ),
        (
            serde_json::json!([
                HASH,
                108,
                ADJACENCY,
                "input,conv3x3-bn-relu,output",
                good_metrics
            ])
            .to_string()
            .into_bytes(),
            "record 1, field `operations`: expected 7 comma-separated labels",
        ),
        (
            serde_json::json!(["00005c14", 108, ADJACENCY, OPS, good_metrics])
                .to_string()
                .into_bytes(),
            "record 1, field `module_hash`",
        ),
        (
            b"[1, 2".to_vec(),
            "record 1: expected a JSON array, found invalid JSON",
        ),
    ];
    for (bad, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.tfrecord");
        let bytes = write(&path, &[good_records()[0].clone(), bad]);
        let message = read_error(&bytes);
        assert!(message.contains(expected), "{expected}: {message}");
    }
}
