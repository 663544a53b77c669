//! Every NAS-Bench-360 task through the trainer's side: its data written in
//! the published layout, loaded, fed to both task networks (the WRN backbone
//! and NB201 cells in the task's skeleton): outputs of the task's shape, a
//! finite task loss, a metric the task's scorer accepts.

use burn::tensor::{Tensor, TensorData};
use oxinas_core::seed::rng_from_seed;
use oxinas_nb360::{LoadOptions, Nb360Task, load_task, metrics, write_task_fixture};
use oxinas_spaces::Nb201Arch;
use oxinas_train::backend::CpuBackend;
use oxinas_train::{
    TaskCellConfig, TaskCellNetwork, TaskModel, TaskShape, TaskWideResNet, WideResNetConfig,
    task_batch, task_loss,
};

type B = CpuBackend;

/// Outputs decoded by the task's target normaliser, as trainers score them.
fn decoded(data: &oxinas_nb360::TaskData, outputs: Tensor<B, 2>) -> Tensor<B, 2> {
    match &data.target_normalizer {
        None => outputs,
        Some(n) => {
            let device = outputs.device();
            let len = n.mean.len();
            let mean =
                Tensor::<B, 2>::from_data(TensorData::new(n.mean.clone(), [1, len]), &device);
            let std = Tensor::<B, 2>::from_data(TensorData::new(n.std.clone(), [1, len]), &device);
            outputs * std + mean
        }
    }
}

fn check(task: Nb360Task, model: &impl TaskModel<B>, data: &oxinas_nb360::TaskData, what: &str) {
    let spec = task.spec();
    let device = Default::default();
    let n = data.test.len().min(2);
    let indices: Vec<usize> = (0..n).collect();
    let batch = task_batch::<B>(&data.test, &indices, &device);
    let outputs = model.forward_task(batch.inputs);
    assert_eq!(outputs.dims(), [n, spec.output_len()], "{task} {what}");
    let outputs = decoded(data, outputs);
    let loss = task_loss(spec.loss, outputs.clone(), batch.targets, &batch.classes);
    let loss: f32 = loss.into_data().to_vec::<f32>().unwrap()[0];
    assert!(
        loss.is_finite() && loss >= 0.0,
        "{task} {what}: loss {loss}"
    );
    let values = outputs.into_data().to_vec::<f32>().unwrap();
    let subset = data.test.select(&indices);
    match metrics::score(spec, &values, &subset) {
        Ok(score) => assert!(score.is_finite() && score >= 0.0, "{task} {what}: {score}"),
        // Two samples may hold no positive label or pair to score (mAP,
        // AUROC, MAE8): that must be said, not scored as a number.
        Err(e) => assert!(
            e.to_string().contains("no ") || e.to_string().contains("none"),
            "{task} {what}: {e}"
        ),
    }
}

#[test]
fn every_task_runs_through_both_networks_with_its_shape_loss_and_metric() {
    let device = Default::default();
    for task in Nb360Task::ALL {
        let dir = tempfile::tempdir().unwrap();
        write_task_fixture(task, dir.path(), 2, 3).unwrap();
        let data = load_task(task, dir.path(), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{task}: {e}"));
        let shape = TaskShape::of(task.spec());
        let wrn = TaskWideResNet::<B>::new(
            &WideResNetConfig {
                depth: 10,
                widen_factor: 1,
            },
            &shape,
            &mut rng_from_seed(0),
            &device,
        )
        .unwrap();
        check(task, &wrn, &data, "WRN-10-1");
        let arch = Nb201Arch::from_op_digits("314120").unwrap();
        let cells = TaskCellNetwork::<B>::new(
            &TaskCellConfig {
                channels: 2,
                cells_per_stage: 1,
            },
            &arch,
            &shape,
            &mut rng_from_seed(0),
            &device,
        )
        .unwrap();
        check(task, &cells, &data, "NB201 cells");
    }
}
