//! Every task end to end on the Burn-free side: its fixture writer produces
//! the published layout, `load_task` reads it back with the task's shapes, and
//! the task's metric scores outputs of the task's size.

use oxinas_nb360::{
    LoadOptions, MetricKind, Nb360Task, TargetKind, load_task, metrics, write_task_fixture,
};

/// Outputs that predict every target exactly (class logits one-hot at the
/// class, multi-label and binary logits of the right sign, dense values equal
/// to the targets).
fn perfect_outputs(task: Nb360Task, targets: &[f32], n: usize) -> Vec<f32> {
    let spec = task.spec();
    match spec.target {
        TargetKind::Classes(classes) => {
            let mut out = vec![0.0; n * classes];
            for (i, &c) in targets.iter().enumerate() {
                out[i * classes + c as usize] = 10.0;
            }
            out
        }
        TargetKind::MultiLabel(_) | TargetKind::DenseBinary => targets
            .iter()
            .map(|&t| if t > 0.5 { 10.0 } else { -10.0 })
            .collect(),
        TargetKind::DenseRegression => targets.to_vec(),
    }
}

#[test]
fn every_task_loads_its_published_layout_and_scores_perfect_outputs_at_the_optimum() {
    for task in Nb360Task::ALL {
        let dir = tempfile::tempdir().unwrap();
        write_task_fixture(task, dir.path(), 4, 7)
            .unwrap_or_else(|e| panic!("{task}: fixture: {e}"));
        let data = load_task(task, dir.path(), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{task}: load: {e}"));
        let spec = task.spec();
        for (name, split) in [
            ("train", &data.train),
            ("valid", &data.valid),
            ("test", &data.test),
        ] {
            assert!(!split.is_empty(), "{task}: empty {name} split");
            assert_eq!(split.input_shape, spec.input_shape, "{task} {name}");
            assert_eq!(split.target_len, spec.target_len(), "{task} {name}");
            assert!(
                split.inputs.iter().all(|v| v.is_finite()),
                "{task}: non-finite {name} input"
            );
        }
        let test = &data.test;
        let outputs = perfect_outputs(task, &test.targets, test.len());
        assert_eq!(outputs.len(), test.len() * spec.output_len(), "{task}");
        let score = metrics::score(spec, &outputs, test).unwrap_or_else(|e| panic!("{task}: {e}"));
        // Every metric is an error: perfect outputs score its minimum, 0
        // (MAE8 clamps predictions at 0.01, so it may sit just above).
        let tolerance = if spec.metric == MetricKind::Mae8 {
            0.02
        } else {
            1e-6
        };
        assert!(
            score.abs() <= tolerance,
            "{task}: perfect outputs score {score}"
        );
        // Outputs of the wrong length are refused, not misread.
        assert!(metrics::score(spec, &outputs[1..], test).is_err(), "{task}");
    }
}

#[test]
fn a_limit_keeps_the_first_samples_of_each_split() {
    let dir = tempfile::tempdir().unwrap();
    write_task_fixture(Nb360Task::Satellite, dir.path(), 8, 1).unwrap();
    let full = load_task(Nb360Task::Satellite, dir.path(), &LoadOptions::default()).unwrap();
    let limited = load_task(
        Nb360Task::Satellite,
        dir.path(),
        &LoadOptions {
            limit: Some(3),
            seed: 0,
        },
    )
    .unwrap();
    assert_eq!(limited.train.len(), 3);
    assert_eq!(limited.train.inputs[..], full.train.inputs[..3 * 46]);
}

#[test]
fn a_missing_directory_names_the_file_it_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    for task in Nb360Task::ALL {
        let err = load_task(task, &dir.path().join("absent"), &LoadOptions::default())
            .expect_err("no data");
        assert!(err.to_string().contains("absent"), "{task}: {err}");
    }
}
