//! Fit and query time of the two graph-network predictors at their search
//! settings on 150 NAS-Bench-201 cells: NPENAS's GIN (`npenas_bo`, on the
//! `gcn_raw` encoding) and BONAS's GCN (`bonas`, on `gcn_bonas`). Targets
//! are a fixed function of the cell (no benchmark data needed), so the
//! timing is that of a real fit. One thread: these fits run one per core in
//! a search.
//!
//! `cargo run --release -p oxinas-predictors --example graph_fit_time [reps] [out.tsv] [epochs]`
//!
//! With `out.tsv`, the predictions (mean and deviation) for 200 held-out
//! cells are written there, one line per predictor and cell, to compare
//! builds; `epochs` overrides both configurations' epochs (a short fit
//! separates a change in the computed function from the drift that
//! summation order accumulates over a long one).

#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::time::Instant;

use oxinas_core::SearchSpace;
use oxinas_core::seed::rng_from_seed;
use oxinas_encodings::{EncodableSpace, GraphTensors};
use oxinas_predictors::rank_correlation::kendall_tau;
use oxinas_predictors::{Gcn, GcnConfig, Gin, GinConfig, Predictor};
use oxinas_spaces::Nb201Space;

fn main() {
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3);
    let out = std::env::args().nth(2);
    let epochs: Option<usize> = std::env::args().nth(3).and_then(|a| a.parse().ok());
    let space = Nb201Space::new();
    let path = space.vector_encoding("path").expect("path encoding");
    let raw = space.graph_encoding("gcn_raw").expect("gcn_raw encoding");
    let bonas = space
        .graph_encoding("gcn_bonas")
        .expect("gcn_bonas encoding");
    let mut rng = rng_from_seed(0);
    let archs: Vec<_> = (0..350).map(|_| space.sample(&mut rng)).collect();
    // A fixed, cell-dependent target: a weighted count of the cell's paths.
    let targets: Vec<f64> = archs
        .iter()
        .map(|a| {
            80.0 + path
                .encode(a)
                .iter()
                .enumerate()
                .map(|(i, v)| v * ((i % 7) as f64 - 3.0))
                .sum::<f64>()
        })
        .collect();
    let encode = |e: &dyn oxinas_encodings::GraphEncoding<_>| -> Vec<GraphTensors> {
        archs.iter().map(|a| e.encode(a).expect("graph")).collect()
    };
    let (raw_graphs, bonas_graphs) = (encode(raw.as_ref()), encode(bonas.as_ref()));
    let mut dump = String::new();
    println!(
        "| predictor | fit on 150 (s, best of {reps}) | query 200 (ms) | Kendall tau |\n|---|---|---|---|"
    );
    for (name, graphs) in [("gin-npenas-bo", &raw_graphs), ("gcn-bonas", &bonas_graphs)] {
        let (train, test) = graphs.split_at(150);
        let mut best_fit = f64::INFINITY;
        let mut query = f64::INFINITY;
        let mut predictions = Vec::new();
        for _ in 0..reps {
            let mut p: Box<dyn Predictor<GraphTensors>> = if name == "gcn-bonas" {
                let mut config = GcnConfig::bonas();
                config.epochs = epochs.unwrap_or(config.epochs);
                Box::new(Gcn::new(config, 1).expect("gcn"))
            } else {
                let mut config = GinConfig::npenas_bo();
                config.epochs = epochs.unwrap_or(config.epochs);
                Box::new(Gin::new(config, 1).expect("gin"))
            };
            let t = Instant::now();
            p.fit(train, &targets[..150]).expect("fit");
            best_fit = best_fit.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            predictions = p.predict(&test[..200]).expect("predict");
            query = query.min(t.elapsed().as_secs_f64());
        }
        let means: Vec<f64> = predictions.iter().map(|q| q.mean).collect();
        let tau = kendall_tau(&means, &targets[150..350]).unwrap_or(f64::NAN);
        println!("| {name} | {best_fit:.3} | {:.2} | {tau:.3} |", query * 1e3);
        for (i, q) in predictions.iter().enumerate() {
            writeln!(dump, "{name}\t{i}\t{:e}\t{:e}", q.mean, q.std).expect("string");
        }
    }
    if let Some(out) = out {
        std::fs::write(out, dump).expect("writing predictions");
    }
}
