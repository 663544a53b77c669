//! Once-for-All end to end on the 8x8 digits fixture: progressive shrinking
//! makes sub-networks of every size accurate, the constrained search stays
//! within its FLOPs budget, and the extracted sub-network computes what the
//! supernet computes for it.

use burn::module::AutodiffModule;

use oxinas_oneshot::{
    OfaEvaluator, OfaPhase, OfaProgress, OfaSettings, OfaSupernet, largest_arch, ofa_mflops,
    run_ofa, smallest_arch, train_phase,
};
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::{DataSettings, DatasetName, accuracy};

#[test]
fn progressive_shrinking_on_digits_then_search_within_budget() {
    let data = DataSettings {
        dataset: DatasetName::Digits,
        subset: Some(800),
        seed: 0,
        downsample: None,
        validation_size: None,
        test_size: None,
        data_dir: None,
    };
    // The tiny settings on 800 of the 1,197 training images, to keep the test short.
    let splits = data.load().unwrap();
    let mut settings = OfaSettings::tiny();
    let image = splits.train.shape();
    let low = ofa_mflops(&settings.network, image, 10, &smallest_arch());
    let high = ofa_mflops(&settings.network, image, 10, &largest_arch());
    settings.search.max_mflops = low + 0.3 * (high - low);
    let device = Default::default();
    let mut epochs = 0;
    let outcome = run_ofa::<CpuTrainBackend>(&splits, &settings, 0, &device, None, &mut |p| {
        if let OfaProgress::Epoch(_) = p {
            epochs += 1;
        }
    })
    .unwrap();
    let report = &outcome.report;
    // 3 full + 1 kernel + 2 x 1 depth + 2 x 1 width epochs.
    assert_eq!(epochs, 8);

    // Every size far above chance (0.1) after progressive shrinking (seed 0
    // measured 0.51, 0.74 and 0.74 for smallest, middle and largest).
    let labels: Vec<&str> = report.sizes.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["smallest", "middle", "largest"]);
    for size in &report.sizes {
        assert!(
            size.validation_accuracy > 0.35,
            "{}: validation accuracy {}",
            size.label,
            size.validation_accuracy
        );
    }
    assert!(report.sizes[0].mflops < report.sizes[1].mflops);
    assert!(report.sizes[1].mflops < report.sizes[2].mflops);

    // The search's answer is within budget, measured independently.
    let budget = settings.search.max_mflops;
    let chosen = &report.search.arch;
    assert!(ofa_mflops(&settings.network, image, 10, chosen) <= budget);
    assert!(report.chosen.mflops <= budget);
    assert!(report.chosen.validation_accuracy > 0.35);

    // The extracted network agrees with the supernet, and evaluated on its
    // own (batch norm's running statistics) it scores what the supernet scored.
    assert!(
        report.extraction_max_abs_diff < 1e-5,
        "{}",
        report.extraction_max_abs_diff
    );
    let evaluator = OfaEvaluator::new(&splits, settings.calibration_images, 512, 0);
    let standalone = accuracy(
        &outcome.subnet,
        &splits.validation,
        evaluator.batcher(),
        512,
        &device,
    );
    assert!(
        (standalone - report.chosen.validation_accuracy).abs() < 1e-9,
        "{standalone} vs {}",
        report.chosen.validation_accuracy
    );
}

#[test]
fn the_same_seed_trains_the_same_supernet_on_any_thread_count() {
    let data = DataSettings {
        dataset: DatasetName::Digits,
        subset: Some(96),
        seed: 1,
        downsample: None,
        validation_size: None,
        test_size: None,
        data_dir: None,
    };
    let splits = data.load().unwrap();
    let mut settings = OfaSettings::tiny();
    settings.epochs.kernel = 1;
    let device = Default::default();
    let train = |seed: u64| {
        let mut rng = oxinas_core::seed::rng_from_seed(seed);
        let model =
            OfaSupernet::<CpuTrainBackend>::new(&settings.network, 1, 10, &mut rng, &device)
                .unwrap();
        let teacher = model.valid();
        let (model, reports, failure) = train_phase(
            model,
            Some(&teacher),
            OfaPhase::ElasticKernel,
            &splits,
            &settings,
            seed,
            &device,
            &mut |_| {},
        );
        assert!(failure.is_none());
        let weights: Vec<f32> = model.classifier.val().into_data().to_vec().unwrap();
        (reports[0].train_loss, weights)
    };
    let first = train(4);
    assert_eq!(first, train(4));
    assert_ne!(first, train(5));
    // Whatever the thread count.
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| train(4));
    assert_eq!(first, single);
}
