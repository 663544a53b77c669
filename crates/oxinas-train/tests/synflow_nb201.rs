//! Our SynFlow on the NB201 network ranks architectures as NASLib's published scores do.
//!
//! The test uses a spread-out sample of 40 cells so that it runs in about a
//! minute in the test profile; the 200-cell figure (Spearman >= 0.9) comes from
//! `cargo run --release -p oxinas-train --example zero_cost_nb201 -- 200 synflow`.

use burn::backend::{Autodiff, NdArray};
use oxinas_core::seed::rng_from_seed;
use oxinas_predictors::rank_correlation::spearman;
use oxinas_train::zero_cost::synflow;
use oxinas_train::{
    NASLIB_ZERO_COST_FILE, Nb201Network, Nb201NetworkConfig, read_naslib_zero_cost,
};

#[test]
fn synflow_ranks_40_nb201_cells_like_naslib() {
    let Some(path) = oxinas_testkit::data_file(NASLIB_ZERO_COST_FILE) else {
        return;
    };
    let records = read_naslib_zero_cost(&path, "cifar10").unwrap();
    let published: Vec<_> = records
        .iter()
        .filter_map(|r| Some((r.arch, *r.scores.get("synflow")?)))
        .collect();
    // A fixed, spread-out choice: sorted by the cell's code, every k-th.
    let step = published.len() / 40;
    let chosen: Vec<_> = published.iter().step_by(step).take(40).collect();
    assert_eq!(chosen.len(), 40);
    // NASLib's SynFlow: the CIFAR network (C=16, N=5) in f64, one all-ones image.
    type B = Autodiff<NdArray<f64>>;
    let config = Nb201NetworkConfig::CIFAR10;
    let device = Default::default();
    let ours: Vec<f64> = chosen
        .iter()
        .enumerate()
        .map(|(i, (arch, _))| {
            let net = Nb201Network::<B>::new(&config, arch, &mut rng_from_seed(i as u64), &device)
                .unwrap();
            let score = synflow::<B, _>(&net, [1, 3, 32, 32], &device);
            // NASLib stores the logarithm of the score.
            if score > 0.0 { score.ln() } else { 0.0 }
        })
        .collect();
    let theirs: Vec<f64> = chosen.iter().map(|(_, s)| *s).collect();
    let rho = spearman(&ours, &theirs).unwrap();
    // A broken SynFlow (batch norm left in, signed weights, wrong layers) ranks
    // far worse; on 200 cells the figure is >= 0.9.
    assert!(rho >= 0.85, "Spearman {rho:.4} < 0.85 on 40 cells");
}
