//! Times Once-for-All training steps at the size a config file describes, on
//! the CPU backend, and extrapolates to one epoch: a few steps of the full
//! network (the first phase) and of progressive shrinking (a sampled
//! sub-network plus the teacher's forward pass), on random images of the
//! given shape.
//!
//! ```text
//! cargo run --profile test -p oxinas-oneshot --example ofa_epoch_timing -- \
//!     configs/oneshot/ofa_cifar10.toml 3 32 45000 [steps]
//! ```
//! (config, image channels, image side, training images per epoch, timed steps)

// A measuring tool: printing its figures is its job.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use burn::optim::{GradientsParams, Optimizer, SgdConfig};
use burn::tensor::Tensor;
use burn::tensor::activation::{log_softmax, softmax};

use oxinas_core::seed::rng_from_seed;
use oxinas_oneshot::{OfaForward, OfaPhase, OfaSettings, OfaSupernet, largest_arch};
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::init::normal;
use oxinas_train::smoothed_cross_entropy;

type B = CpuTrainBackend;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: ofa_epoch_timing CONFIG CHANNELS SIDE IMAGES_PER_EPOCH [STEPS]";
    let [config, channels, side, images, rest @ ..] = args.as_slice() else {
        return Err(usage.into());
    };
    let (channels, side, images): (usize, usize, usize) =
        (channels.parse()?, side.parse()?, images.parse()?);
    let steps: usize = rest.first().map_or(Ok(3), |s| s.parse())?;
    let text = std::fs::read_to_string(config)?;
    let value: toml::Value = toml::from_str(&text)?;
    let settings: OfaSettings = value
        .get("ofa")
        .ok_or("the config has no [ofa] table")?
        .clone()
        .try_into()?;
    settings.validate()?;
    let device = Default::default();
    let mut model = OfaSupernet::<B>::new(
        &settings.network,
        channels,
        10,
        &mut rng_from_seed(0),
        &device,
    )?;
    let teacher = model.clone();
    let teacher = burn::module::AutodiffModule::valid(&teacher);
    let mut optimizer = SgdConfig::new().init::<B, OfaSupernet<B>>();
    let batch = settings.batch_size;
    let x: Tensor<B, 4> = normal(
        [batch, channels, side, side],
        1.0,
        &mut rng_from_seed(2),
        &device,
    );
    let targets: Vec<usize> = (0..batch).map(|i| i % 10).collect();
    let steps_per_epoch = images.div_ceil(batch);
    let mut rng = rng_from_seed(1);
    for (label, phase) in [
        ("full network", OfaPhase::Full),
        (
            "progressive shrinking (elastic width 2)",
            OfaPhase::ElasticWidth2,
        ),
    ] {
        let mut seconds = 0.0;
        // One untimed warm-up step, then `steps` timed ones.
        for step in 0..=steps {
            let start = Instant::now();
            let mut loss = None;
            for _ in 0..settings.subnets_for(phase) {
                let arch = phase.sample(&mut rng);
                let logits = model.forward(x.clone(), &arch, &OfaForward::batch());
                let mut l = smoothed_cross_entropy(logits.clone(), &targets, 0.0);
                if phase != OfaPhase::Full {
                    let soft =
                        teacher.forward(x.clone().inner(), &largest_arch(), &OfaForward::batch());
                    let soft = Tensor::<B, 2>::from_inner(softmax(soft, 1));
                    l = l + (soft * log_softmax(logits, 1)).sum_dim(1).mean().neg();
                }
                loss = Some(match loss {
                    Some(t) => t + l,
                    None => l,
                });
            }
            let Some(loss) = loss else { continue };
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(0.01, model, grads);
            if step > 0 {
                seconds += start.elapsed().as_secs_f64();
            }
        }
        let per_step = seconds / steps as f64;
        println!(
            "{label}: {per_step:.2} s per step of {batch} images ({steps} steps timed); \
             one epoch of {images} images = {steps_per_epoch} steps ~ {:.0} s ({:.1} h)",
            per_step * steps_per_epoch as f64,
            per_step * steps_per_epoch as f64 / 3600.0
        );
    }
    Ok(())
}
