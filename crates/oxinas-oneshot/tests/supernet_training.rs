//! Uniform-sampling training of the NB201 supernet on the digits fixture:
//! the loss falls and cells measured with the shared weights beat chance.

use burn::module::AutodiffModule;
use oxinas_oneshot::{SupernetSettings, supernet_accuracy, train_supernet_uniform};
use oxinas_spaces::Nb201Arch;
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::{DataSettings, DatasetName, ImageBatcher, Normalization};

#[test]
fn the_loss_falls_and_shared_weights_rank_cells_above_chance() {
    let splits = DataSettings {
        dataset: DatasetName::Digits,
        subset: None,
        seed: 0,
        downsample: None,
        validation_size: Some(300),
        test_size: None,
        data_dir: None,
    }
    .load()
    .unwrap();
    let settings = SupernetSettings {
        channels: 4,
        cells_per_stage: 1,
        epochs: 10,
        batch_size: 64,
        lr: 0.1,
        steps_per_epoch: Some(18),
        ..SupernetSettings::default()
    };
    let device = Default::default();
    let mut reports = Vec::new();
    let (supernet, epochs) =
        train_supernet_uniform::<CpuTrainBackend>(&splits, &settings, 4, &device, &mut |e| {
            reports.push(e.train_loss)
        })
        .unwrap();
    assert_eq!(epochs.len(), 10);
    assert_eq!(reports.len(), 10);
    assert!(
        epochs[9].train_loss < epochs[0].train_loss * 0.8,
        "losses {reports:?}"
    );
    let batcher = ImageBatcher {
        normalization: Normalization::fit(&splits.train),
        augmentation: None,
    };
    let inference = supernet.valid();
    let accuracy = |digits: &str| {
        supernet_accuracy(
            &inference,
            &Nb201Arch::from_op_digits(digits).unwrap(),
            &splits.validation,
            &batcher,
            300,
            &device,
        )
    };
    // A cell of 3x3 convolutions beats chance (0.1); the all-zero cell,
    // which passes nothing through, stays at chance.
    let convs = accuracy("333333");
    let empty = accuracy("000000");
    assert!(convs > 0.3, "333333: {convs}");
    assert!(empty < 0.2, "000000: {empty}");
}
