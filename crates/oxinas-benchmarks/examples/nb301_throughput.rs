//! Measures NB301 surrogate throughput: one-by-one `predict` and batched
//! `predict_batch` on random DARTS architectures at epoch 98.
//!
//! `OXINAS_DATA=/path/to/data cargo run --release -p oxinas-benchmarks --example nb301_throughput [n]`

#![allow(clippy::print_stdout)]

use std::time::Instant;

use anyhow::Context;
use oxinas_benchmarks::Nb301Benchmark;
use oxinas_core::SearchSpace;
use oxinas_core::seed::rng_from_seed;
use oxinas_spaces::{DartsArch, DartsSpace};

fn main() -> anyhow::Result<()> {
    let n: usize = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .context("the argument is the number of architectures")?,
        None => 5000,
    };
    let start = Instant::now();
    let bench = Nb301Benchmark::from_data_root()?;
    println!(
        "loaded in {:.2} s (batched model: {})",
        start.elapsed().as_secs_f64(),
        bench.surrogate().is_batched()
    );
    let space = DartsSpace::new();
    let mut rng = rng_from_seed(0);
    let archs: Vec<DartsArch> = (0..n).map(|_| space.sample(&mut rng)).collect();

    let start = Instant::now();
    let mut sum = 0.0;
    for arch in &archs {
        sum += bench.predict(arch, 98)?.val_accuracy;
    }
    let single = start.elapsed().as_secs_f64();
    println!(
        "predict       {n} archs: {single:.3} s, {:.0} predictions/s (mean acc {:.3})",
        n as f64 / single,
        sum / n as f64
    );

    let start = Instant::now();
    let batch = bench.predict_batch(&archs, 98)?;
    let batched = start.elapsed().as_secs_f64();
    let mean = batch.iter().map(|p| p.val_accuracy).sum::<f64>() / n as f64;
    println!(
        "predict_batch {n} archs: {batched:.3} s, {:.0} predictions/s (mean acc {mean:.3})",
        n as f64 / batched
    );
    Ok(())
}
