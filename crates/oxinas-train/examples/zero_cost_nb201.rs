//! Our zero-cost proxies against NASLib's published scores on NAS-Bench-201.
//!
//! `OXINAS_DATA=../shared/data cargo run --release -p oxinas-train --example zero_cost_nb201 -- [cells] [proxy ...]`
//! (defaults: 200 cells, every proxy). Cells are a spread-out sample of the
//! 725 in NASLib's file (sorted by code, every k-th); the network is NASLib's
//! CIFAR one (C=16, N=5, 32x32x3 input). SynFlow needs no data and runs in
//! f64 on one all-ones image, as NASLib does. The data-dependent proxies see
//! one seeded batch of 64 standard-normal images with labels 0..9 in turn,
//! not NASLib's CIFAR-10 batch (no CIFAR-10 images ship with oxinas), so
//! their correlations are a lower bound of what real data would give.
//! `params` and `flops` come from the network's layout.
//!
//! Prints Spearman's rho of each proxy with NASLib's score of the same name
//! and with NASLib's validation accuracy.

#![allow(clippy::print_stdout)]

use std::time::Instant;

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Tensor, TensorData};
use oxinas_core::seed::rng_from_seed;
use oxinas_core::{RngCore, data_root};
use oxinas_predictors::rank_correlation::spearman;
use oxinas_train::backend::CpuTrainBackend;
use oxinas_train::zero_cost::{fisher, grad_norm, grasp, jacov, naswot, snip, synflow};
use oxinas_train::{
    NASLIB_ZERO_COST_FILE, NaslibZeroCost, Nb201Network, Nb201NetworkConfig, read_naslib_zero_cost,
};

/// Every proxy, by NASLib's name.
const PROXIES: [&str; 9] = [
    "synflow",
    "snip",
    "grasp",
    "fisher",
    "grad_norm",
    "jacov",
    "nwot",
    "params",
    "flops",
];

/// Standard-normal values from a seeded generator (Box-Muller).
fn normal_values(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = rng_from_seed(seed);
    let mut uniform = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (0..n)
        .map(|_| {
            let (u, v) = (1.0 - uniform(), uniform());
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        })
        .collect()
}

fn score(proxy: &str, record: &NaslibZeroCost, index: usize, images: &[f32]) -> f64 {
    let config = Nb201NetworkConfig::CIFAR10;
    let arch = &record.arch;
    let seed = index as u64;
    match proxy {
        "params" => config.layout(arch).params() as f64 / 1e6,
        "flops" => config.macs(arch, 32, 32) as f64 / 1e6,
        "synflow" => {
            type B = Autodiff<NdArray<f64>>;
            let device = Default::default();
            let net = Nb201Network::<B>::new(&config, arch, &mut rng_from_seed(seed), &device)
                .expect("valid config");
            let s = synflow::<B, _>(&net, [1, 3, 32, 32], &device);
            // NASLib stores the logarithm.
            if s > 0.0 { s.ln() } else { 0.0 }
        }
        _ => {
            type B = CpuTrainBackend;
            let device = Default::default();
            let net = Nb201Network::<B>::new(&config, arch, &mut rng_from_seed(seed), &device)
                .expect("valid config");
            let batch = images.len() / (3 * 32 * 32);
            let x = Tensor::<B, 4>::from_data(
                TensorData::new(images.to_vec(), [batch, 3, 32, 32]),
                &device,
            );
            let targets: Vec<usize> = (0..batch).map(|i| i % 10).collect();
            match proxy {
                "snip" => snip(&net, x, &targets),
                "grasp" => grasp(&net, x, &targets),
                "fisher" => fisher(&net, x, &targets),
                "grad_norm" => grad_norm(&net, x, &targets),
                "jacov" => jacov(&net, x),
                "nwot" => naswot(&net, x),
                _ => unreachable!("proxy names are checked in main"),
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let cells: usize = args.next().map_or(Ok(200), |a| a.parse())?;
    let mut proxies: Vec<String> = args.collect();
    if proxies.is_empty() {
        proxies = PROXIES.iter().map(|p| (*p).to_owned()).collect();
    }
    if let Some(unknown) = proxies.iter().find(|p| !PROXIES.contains(&p.as_str())) {
        return Err(format!("unknown proxy `{unknown}`; expected some of {PROXIES:?}").into());
    }
    let records = read_naslib_zero_cost(&data_root().join(NASLIB_ZERO_COST_FILE), "cifar10")?;
    let step = (records.len() / cells.max(1)).max(1);
    let chosen: Vec<&NaslibZeroCost> = records.iter().step_by(step).take(cells).collect();
    let images = normal_values(64 * 3 * 32 * 32, 0);
    println!(
        "{} cells of NASLib's cifar10 zero-cost file (every {step}th by code)\n",
        chosen.len()
    );
    println!(
        "| proxy | cells | Spearman vs NASLib's score | Spearman vs NASLib val_accuracy | seconds |"
    );
    println!("|---|---:|---:|---:|---:|");
    for proxy in &proxies {
        let start = Instant::now();
        let (mut ours, mut theirs, mut ours_acc, mut accuracy) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, record) in chosen.iter().enumerate() {
            let value = score(proxy, record, i, &images);
            if let Some(&published) = record.scores.get(proxy.as_str()) {
                ours.push(value);
                theirs.push(published);
            }
            if let Some(acc) = record.val_accuracy {
                ours_acc.push(value);
                accuracy.push(acc);
            }
        }
        let show = |rho: Option<f64>| rho.map_or("n/a".to_owned(), |r| format!("{r:.3}"));
        println!(
            "| {proxy} | {} | {} | {} | {:.1} |",
            ours.len(),
            show(spearman(&ours, &theirs)),
            show(spearman(&ours_acc, &accuracy)),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
