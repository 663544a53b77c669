//! The NB301 surrogate under tract against the reference runtime: 200 seeded
//! architectures encoded and predicted by onnxruntime
//! (`benchmarks/reference/nb301_onnxruntime.py`, which encodes them from
//! NB301's ConfigSpace and YAHPO Gym's input order, not from oxinas), with the
//! outputs committed in `tests/fixtures/nb301_onnxruntime.json`.

use oxinas_benchmarks::{NB301_CATEGORICAL_INPUTS, NB301_YAHPO_DIR, Nb301Benchmark};
use oxinas_spaces::DartsArch;
use serde::Deserialize;

/// Largest difference allowed in validation accuracy (percentage points).
/// Measured over the 400 predictions, one at a time and batched alike: about
/// half are onnxruntime's float32 value exactly, the rest one or two float32
/// steps away (a step is 3.8e-6 or 7.6e-6 here), largest 1.5e-5. With
/// tract-onnx's own defaults for the model's attribute-less `Selu` nodes
/// (1.67326 and 1.0507 instead of ONNX's 1.6732632 and 1.050701) the largest
/// is 1.45e-4, 3 of the 400 above this tolerance (docs/TESTING.md).
const ACCURACY_TOLERANCE: f64 = 1e-4;
/// Largest relative difference allowed in runtime (seconds in the thousands,
/// where one float32 step is already 5e-4 s). Measured: largest 4.4e-6.
const RUNTIME_RELATIVE_TOLERANCE: f64 = 1e-4;

#[derive(Deserialize)]
struct Fixture {
    seed: u64,
    rows: Vec<Row>,
}

#[derive(Deserialize)]
struct Row {
    arch: String,
    x_cat: Vec<i32>,
    /// `[epoch, val_accuracy, runtime]`.
    predictions: Vec<(u32, f64, f64)>,
}

fn fixture() -> Fixture {
    let text = include_str!("fixtures/nb301_onnxruntime.json");
    let fixture: Fixture = serde_json::from_str(text).unwrap();
    assert_eq!(fixture.seed, 301);
    assert_eq!(fixture.rows.len(), 200);
    fixture
}

fn benchmark() -> Option<Nb301Benchmark> {
    let dir = oxinas_testkit::data_file(NB301_YAHPO_DIR)?;
    Some(Nb301Benchmark::load(dir).unwrap_or_else(|e| panic!("{e}")))
}

/// Panics unless `(accuracy, runtime)` equals the reference within tolerance.
fn assert_matches(what: &str, got: (f64, f64), want: (f64, f64)) {
    let (acc, runtime) = got;
    let (ref_acc, ref_runtime) = want;
    assert!(
        (acc - ref_acc).abs() <= ACCURACY_TOLERANCE,
        "{what}: val_accuracy {acc} vs onnxruntime {ref_acc}"
    );
    assert!(
        (runtime - ref_runtime).abs() <= RUNTIME_RELATIVE_TOLERANCE * ref_runtime.abs(),
        "{what}: runtime {runtime} vs onnxruntime {ref_runtime}"
    );
}

#[test]
fn oxinas_encodes_like_the_reference_script() {
    let Some(bench) = benchmark() else { return };
    for row in fixture().rows {
        let arch = DartsArch::from_compact(&row.arch).unwrap();
        assert_eq!(row.x_cat.len(), NB301_CATEGORICAL_INPUTS);
        assert_eq!(
            bench.encoding().encode(&arch).to_vec(),
            row.x_cat,
            "{}",
            row.arch
        );
    }
}

#[test]
fn predictions_one_at_a_time_equal_onnxruntime() {
    let Some(bench) = benchmark() else { return };
    let mut checked = 0;
    for row in fixture().rows {
        let arch = DartsArch::from_compact(&row.arch).unwrap();
        for &(epoch, acc, runtime) in &row.predictions {
            let p = bench.predict(&arch, epoch).unwrap();
            let what = format!("{} at epoch {epoch}", row.arch);
            assert_matches(&what, (p.val_accuracy, p.runtime_seconds), (acc, runtime));
            checked += 1;
        }
    }
    assert_eq!(checked, 400);
}

#[test]
fn batched_predictions_equal_onnxruntime() {
    let Some(bench) = benchmark() else { return };
    // The batch-capable plan, not the one-by-one fallback, runs the batches below.
    assert!(bench.surrogate().is_batched());
    let rows = fixture().rows;
    let archs: Vec<DartsArch> = rows
        .iter()
        .map(|r| DartsArch::from_compact(&r.arch).unwrap())
        .collect();
    // Every architecture at epoch 98, through the benchmark's batch path.
    let batch = bench.predict_batch(&archs, 98).unwrap();
    for ((row, p), arch) in rows.iter().zip(&batch).zip(&archs) {
        let (epoch, acc, runtime) = row.predictions[0];
        assert_eq!(epoch, 98);
        let what = format!("{} at epoch 98, batched", arch.to_compact());
        assert_matches(&what, (p.val_accuracy, p.runtime_seconds), (acc, runtime));
    }
    // Every (architecture, epoch) pair in one batch of mixed epochs.
    let (mut x_cat, mut epochs, mut want) = (Vec::new(), Vec::new(), Vec::new());
    for (row, arch) in rows.iter().zip(&archs) {
        for &(epoch, acc, runtime) in &row.predictions {
            x_cat.push(bench.encoding().encode(arch));
            epochs.push(epoch);
            want.push((acc, runtime));
        }
    }
    let batch = bench.surrogate().predict_batch(&x_cat, &epochs).unwrap();
    assert_eq!(batch.len(), 400);
    for (i, (p, &w)) in batch.iter().zip(&want).enumerate() {
        let what = format!("row {i} (epoch {}), mixed batch", epochs[i]);
        assert_matches(&what, (p.val_accuracy, p.runtime_seconds), w);
    }
}
