//! The complete NB101 table and its evaluator, on a small TFRecord file in the
//! official format written here.

use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oxinas_benchmarks::{Nb101FullTable, Nb101FullTabular, Nb101Noise, TfRecordWriter};
use oxinas_core::seed::rng_from_seed;
use oxinas_core::{EvaluationError, Evaluator, Fidelity, GroundTruth};
use oxinas_spaces::Nb101Arch;

fn double(field: u8, value: f64, out: &mut Vec<u8>) {
    out.push((field << 3) | 1);
    out.extend(value.to_le_bytes());
}

/// Protobuf ModelMetrics with `evaluations` evaluations; the last one has the
/// given final values, the one before it half of the time.
fn metrics(evaluations: usize, valid: f64, test: f64, seconds: f64, params: u8) -> String {
    let mut out = Vec::new();
    for i in 0..evaluations {
        let mut data = Vec::new();
        let last = i + 1 == evaluations;
        double(2, if last { seconds } else { seconds / 2.0 }, &mut data);
        double(4, if last { valid } else { valid / 2.0 }, &mut data);
        double(5, if last { test } else { test / 2.0 }, &mut data);
        out.extend([(1 << 3) | 2, data.len() as u8]);
        out.extend(data);
    }
    out.extend([2 << 3, params]);
    STANDARD.encode(out)
}

const A_HASH: &str = "00005c142e6f48ac74fdcf73e3439874";
const A_OPS: &str =
    "input,conv3x3-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,output";
const A_ADJ: &str = "0100110001000000010010000010000001000000010000000";
const B_HASH: &str = "0000718c96730a92ea6d5242f8ce77e2";
const B_OPS: &str =
    "input,conv1x1-bn-relu,conv1x1-bn-relu,conv3x3-bn-relu,conv1x1-bn-relu,conv3x3-bn-relu,output";
const B_ADJ: &str = "0100000001000000010000000111000001000000010000000";

fn record(hash: &str, epochs: u32, adjacency: &str, ops: &str, metrics: String) -> Vec<u8> {
    serde_json::json!([hash, epochs, adjacency, ops, metrics])
        .to_string()
        .into_bytes()
}

fn good_records() -> Vec<Vec<u8>> {
    let mut records = Vec::new();
    for (valid, test, seconds) in [
        (0.93, 0.92, 1700.0),
        (0.94, 0.925, 1710.0),
        (0.92, 0.915, 1720.0),
    ] {
        records.push(record(
            A_HASH,
            108,
            A_ADJ,
            A_OPS,
            metrics(3, valid, test, seconds, 100),
        ));
    }
    records.push(record(
        A_HASH,
        4,
        A_ADJ,
        A_OPS,
        metrics(3, 0.36, 0.35, 63.0, 100),
    ));
    records.push(record(
        B_HASH,
        108,
        B_ADJ,
        B_OPS,
        metrics(3, 0.89, 0.88, 1200.0, 90),
    ));
    records
}

fn write(path: &Path, records: &[Vec<u8>]) {
    let mut writer = TfRecordWriter::create(path).unwrap();
    for r in records {
        writer.write_record(r).unwrap();
    }
    writer.finish().unwrap();
}

fn table() -> Arc<Nb101FullTable> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nasbench_small.tfrecord");
    write(&path, &good_records());
    Arc::new(Nb101FullTable::from_tfrecord(&path).unwrap())
}

fn arch_a() -> Nb101Arch {
    Nb101Arch::from_csv_fields(
        &A_OPS.replace(',', " "),
        "0100110;0010000;0001001;0000010;0000010;0000001;0000000",
    )
    .unwrap()
}

#[test]
fn table_groups_runs_by_cell_and_budget() {
    let table = table();
    assert_eq!(table.cells().len(), 2);
    assert_eq!(table.epochs(), [4, 108]);
    let a = table.cell_of(&arch_a()).unwrap();
    assert_eq!(a.params, 100);
    assert_eq!(a.runs_at(108).len(), 3);
    assert_eq!(a.runs_at(12).len(), 0);
    assert_eq!(a.runs_at(4)[0].halfway_seconds, 31.5);
}

#[test]
fn evaluator_reports_a_run_or_the_mean_with_test_apart() {
    let table = table();
    let mean = Nb101FullTabular::new(table.clone(), Nb101Noise::Mean);
    let mut rng = rng_from_seed(1);
    let evaluation = mean
        .evaluate(&arch_a(), Fidelity::epochs(108), &mut rng)
        .unwrap();
    assert!((evaluation.observation.validation.unwrap() - 93.0).abs() < 1e-9);
    assert!((evaluation.test.unwrap() - 92.0).abs() < 1e-9);
    assert!((evaluation.observation.cost_seconds - 1710.0).abs() < 1e-9);
    assert_eq!(evaluation.observation.params, Some(100.0));

    let random = Nb101FullTabular::new(table.clone(), Nb101Noise::RandomRepeat);
    let draw = |seed| {
        let mut rng = rng_from_seed(seed);
        (0..60)
            .map(|_| {
                let e = random
                    .evaluate(&arch_a(), Fidelity::epochs(108), &mut rng)
                    .unwrap();
                // Validation, test and cost come from the same run.
                (
                    e.observation.validation.unwrap().round() as i64,
                    e.observation.cost_seconds as i64,
                )
            })
            .collect::<Vec<_>>()
    };
    let draws = draw(5);
    assert_eq!(draws, draw(5));
    for pair in [(93, 1700), (94, 1710), (92, 1720)] {
        assert!(draws.contains(&pair), "{pair:?} never drawn");
    }
    assert!(
        draws
            .iter()
            .all(|p| [(93, 1700), (94, 1710), (92, 1720)].contains(p))
    );

    let error = mean
        .evaluate(&arch_a(), Fidelity::epochs(12), &mut rng)
        .unwrap_err();
    assert!(
        error.to_string().contains("4 epochs, 108 epochs"),
        "{error}"
    );
    let other = Nb101Arch::from_csv_fields("input maxpool3x3 output", "011;001;000").unwrap();
    let error = mean
        .evaluate(&other, Fidelity::epochs(108), &mut rng)
        .unwrap_err();
    assert!(
        matches!(error, EvaluationError::UnknownArch { .. }),
        "{error}"
    );
}

#[test]
fn ground_truth_has_test_accuracy() {
    let table = table();
    let test = table
        .metric(&arch_a(), "cifar10/test@108")
        .unwrap()
        .unwrap();
    assert!((test - 92.0).abs() < 1e-9);
    assert_eq!(table.metric(&arch_a(), "params").unwrap(), Some(100.0));
    assert!(table.metric(&arch_a(), "cifar10/test@12").is_err());
    assert!(table.metric(&arch_a(), "cifar10/loss@108").is_err());
}

#[test]
fn inconsistent_records_name_the_record_and_field() {
    let cases = [
        (
            record(A_HASH, 108, B_ADJ, B_OPS, metrics(3, 0.9, 0.9, 1.0, 1)),
            "record 1, field `module_hash`",
        ),
        (
            record(A_HASH, 108, A_ADJ, A_OPS, metrics(2, 0.9, 0.9, 1.0, 1)),
            "record 1, field `metrics`: expected 3 evaluations",
        ),
        (
            record(A_HASH, 100, A_ADJ, A_OPS, metrics(3, 0.9, 0.9, 1.0, 1)),
            "record 1, field `epochs`",
        ),
    ];
    for (bad, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.tfrecord");
        let first = if expected.contains("module_hash") {
            // The key is new in the bad record, so its spec is checked.
            record(B_HASH, 108, B_ADJ, B_OPS, metrics(3, 0.9, 0.9, 1.0, 1))
        } else {
            good_records()[0].clone()
        };
        write(&path, &[first, bad]);
        let message = Nb101FullTable::from_tfrecord(&path)
            .unwrap_err()
            .to_string();
        assert!(message.contains(expected), "{expected}: {message}");
        assert!(message.contains(&path.display().to_string()), "{message}");
    }
}
