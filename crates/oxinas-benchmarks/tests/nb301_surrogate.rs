//! The NB301 surrogate against NASLib's recorded accuracies, and the
//! evaluator's contract.

use std::path::Path;

use oxinas_benchmarks::{NB301_YAHPO_DIR, Nb301Benchmark, Nb301Encoding, Nb301Surrogate};
use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Evaluator, Fidelity, GroundTruth, SearchSpace};
use oxinas_spaces::{DartsArch, DartsSpace};

fn benchmark() -> Option<Nb301Benchmark> {
    let dir = oxinas_testkit::data_file(NB301_YAHPO_DIR)?;
    Some(Nb301Benchmark::load(dir).unwrap_or_else(|e| panic!("{e}")))
}

/// NASLib's 725 NB301 architectures with their recorded validation accuracy.
fn naslib_archs() -> Option<Vec<(DartsArch, f64)>> {
    let path = oxinas_testkit::data_file("nb301/original/naslib/zc_nasbench301.json")?;
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let space = DartsSpace::new();
    Some(
        json["cifar10"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(key, record)| {
                (
                    space.parse(key).unwrap(),
                    record["val_accuracy"].as_f64().unwrap(),
                )
            })
            .collect(),
    )
}

/// Ranks with ties averaged (1-based).
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

#[test]
fn rank_helpers_are_right() {
    assert_eq!(ranks(&[3.0, 1.0, 2.0, 1.0]), vec![4.0, 1.5, 3.0, 1.5]);
    assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 15.0]) - 0.5).abs() < 1e-12);
    assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
}

#[test]
fn surrogate_ranks_naslib_archs_like_the_reference_runtime() {
    let (Some(bench), Some(archs)) = (benchmark(), naslib_archs()) else {
        return;
    };
    assert_eq!(archs.len(), 725);
    let (list, recorded): (Vec<DartsArch>, Vec<f64>) = archs.into_iter().unzip();
    let predicted: Vec<f64> = bench
        .predict_batch(&list, 98)
        .unwrap()
        .iter()
        .map(|p| p.val_accuracy)
        .collect();
    let rho = spearman(&predicted, &recorded);
    // The same model under onnxruntime scores 0.905 (data MANIFEST).
    assert!(rho >= 0.88, "Spearman {rho}");
    // Predictions are NB301-like CIFAR-10 validation accuracies.
    assert!(
        predicted.iter().all(|&p| (85.0..97.0).contains(&p)),
        "{predicted:?}"
    );
}

#[test]
fn batched_predictions_equal_one_by_one_predictions() {
    let Some(bench) = benchmark() else { return };
    let space = DartsSpace::new();
    let mut rng = rng_from_seed(4);
    let archs: Vec<DartsArch> = (0..40).map(|_| space.sample(&mut rng)).collect();
    for epoch in [1, 37, 98] {
        let batch = bench.predict_batch(&archs, epoch).unwrap();
        for (arch, b) in archs.iter().zip(&batch) {
            let single = bench.predict(arch, epoch).unwrap();
            assert!((single.val_accuracy - b.val_accuracy).abs() < 1e-4);
            assert!((single.runtime_seconds - b.runtime_seconds).abs() < 1e-2);
        }
    }
}

#[test]
fn evaluator_reports_accuracy_and_runtime_at_the_epoch() {
    let Some(bench) = benchmark() else { return };
    let space = DartsSpace::new();
    let mut rng = rng_from_seed(8);
    assert_eq!(bench.fidelities().len(), 98);
    assert_eq!(bench.fidelities()[0], Fidelity::epochs(1));
    for _ in 0..20 {
        let arch = space.sample(&mut rng);
        let full = bench
            .evaluate(&arch, Fidelity::epochs(98), &mut rng)
            .unwrap();
        let again = bench
            .evaluate(&arch, Fidelity::epochs(98), &mut rng)
            .unwrap();
        assert_eq!(full, again, "deterministic");
        assert_eq!(full.test, None);
        let obs = &full.observation;
        let acc = obs.validation.unwrap();
        assert!((85.0..97.0).contains(&acc), "{acc}");
        // Input order within a node does not matter to the surrogate.
        let canon = bench
            .evaluate(&arch.canonical(), Fidelity::epochs(98), &mut rng)
            .unwrap();
        assert_eq!(canon, full);
        // One epoch costs less than 98 and reaches a lower accuracy.
        let early = bench
            .evaluate(&arch, Fidelity::epochs(1), &mut rng)
            .unwrap();
        assert!(early.observation.cost_seconds < obs.cost_seconds);
        assert!(early.observation.validation.unwrap() < acc);
        assert!(obs.cost_seconds > 0.0);
        // GroundTruth answers the same numbers.
        assert_eq!(
            GroundTruth::metric(&bench, &arch, "val_accuracy").unwrap(),
            Some(acc)
        );
        assert_eq!(
            GroundTruth::metric(&bench, &arch, "runtime@98").unwrap(),
            Some(obs.cost_seconds)
        );
        assert_eq!(
            GroundTruth::metric(&bench, &arch, "val_accuracy@1").unwrap(),
            early.observation.validation
        );
    }
    let arch = space.sample(&mut rng);
    let curve = bench.learning_curve(&arch, 98).unwrap();
    assert_eq!(curve.len(), 98);
    // Batched and single runs may differ in the last float bits.
    assert!((curve[97] - bench.predict(&arch, 98).unwrap().val_accuracy).abs() < 1e-4);
    assert!(curve[0] < curve[97]);
    for bad in [0, 99] {
        let err = bench
            .evaluate(&arch, Fidelity::epochs(bad), &mut rng)
            .unwrap_err();
        assert!(err.to_string().contains("1..=98 epochs"), "{err}");
    }
    for bad in ["test_accuracy", "val_accuracy@x", "runtime@120"] {
        assert!(GroundTruth::metric(&bench, &arch, bad).is_err(), "{bad}");
    }
}

#[test]
fn damaged_encoding_files_name_the_file_and_place() {
    let Some(dir) = oxinas_testkit::data_file(NB301_YAHPO_DIR) else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("encoding.json")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let tmp = scratch.path();

    let truncated = tmp.join("truncated.json");
    std::fs::write(&truncated, &text[..text.len() / 3]).unwrap();
    let msg = Nb301Encoding::load(&truncated).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("{}: line 1 column ", truncated.display())),
        "{msg}"
    );

    let corrupt = tmp.join("corrupt.json");
    std::fs::write(
        &corrupt,
        text.replacen("\"sep_conv_3x3\": 5", "\"sep_conv_3x3\": five", 1),
    )
    .unwrap();
    let msg = Nb301Encoding::load(&corrupt).unwrap_err().to_string();
    assert!(
        msg.contains(&corrupt.display().to_string()) && msg.contains("line 1 column"),
        "{msg}"
    );

    let incomplete = tmp.join("incomplete.json");
    std::fs::write(
        &incomplete,
        text.replace("inputs_node_reduce_5", "inputs_node_reduce_6"),
    )
    .unwrap();
    let msg = Nb301Encoding::load(&incomplete).unwrap_err().to_string();
    assert!(msg.contains("inputs_node_reduce_5`: missing"), "{msg}");
}

#[test]
fn missing_or_damaged_models_name_the_file_and_place() {
    let Some(dir) = oxinas_testkit::data_file(NB301_YAHPO_DIR) else {
        return;
    };
    let bytes = std::fs::read(dir.join("new_model.onnx")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let tmp = scratch.path();

    let missing = tmp.join("absent.onnx");
    let msg = Nb301Surrogate::load(&missing).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("cannot read {}", missing.display())),
        "{msg}"
    );

    let truncated = tmp.join("truncated.onnx");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let msg = Nb301Surrogate::load(&truncated).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("{}: ONNX protobuf: ", truncated.display())),
        "{msg}"
    );
    // prost names the message field where decoding stopped.
    assert!(msg.contains("ModelProto.graph: buffer underflow"), "{msg}");

    let empty = tmp.join("empty.onnx");
    std::fs::write(&empty, b"").unwrap();
    let msg = Nb301Surrogate::load(&empty).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("{}: ONNX protobuf: ", empty.display()))
            && msg.contains("does not contain a graph"),
        "{msg}"
    );

    // A valid ONNX model of another shape: YAHPO's v2 model has 4 outputs.
    let v2 = dir.join("model_v2.onnx");
    let msg = Nb301Surrogate::load(&v2).unwrap_err().to_string();
    assert_eq!(
        msg,
        format!(
            "{}: model graph (probe run): expected an output of shape [1, 2], found [1, 4]",
            v2.display()
        )
    );

    let garbage = tmp.join("garbage.onnx");
    std::fs::write(&garbage, b"this is not an ONNX model").unwrap();
    let msg = Nb301Surrogate::load(&garbage).unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("{}: ONNX protobuf: ", garbage.display())),
        "{msg}"
    );

    // The encoding file given where the model belongs.
    let msg = Nb301Surrogate::load(dir.join("encoding.json"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("encoding.json: ONNX protobuf"), "{msg}");

    // A missing benchmark directory names the first file it needs.
    let msg = Nb301Benchmark::load(Path::new("/nonexistent"))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("/nonexistent/encoding.json"), "{msg}");
}
