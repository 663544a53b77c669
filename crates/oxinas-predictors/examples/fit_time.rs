//! Fit and query time of every predictor on 150 NAS-Bench-201 cells (path
//! encoding, 155 features; GCN on the `gcn` graph encoding), at the
//! predictors' default (paper) settings. Targets are a fixed function of
//! the cell, so the timing is that of a real fit; no benchmark data needed.
//!
//! `cargo run --release -p oxinas-predictors --example fit_time [threads] [predictor...]`
//! (all predictors when none is named).

#![allow(clippy::print_stdout)]

use std::time::Instant;

use oxinas_core::SearchSpace;
use oxinas_core::seed::rng_from_seed;
use oxinas_encodings::EncodableSpace;
use oxinas_predictors::predictor_study::{
    CurveSettings, PredictorKind, StudyArch, build_predictor,
};
use oxinas_spaces::Nb201Space;

fn main() {
    let threads: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .expect("thread pool");
    let space = Nb201Space::new();
    let path = space.vector_encoding("path").expect("path encoding");
    let gcn = space.graph_encoding("gcn").expect("gcn encoding");
    let mut rng = rng_from_seed(0);
    let archs: Vec<StudyArch> = (0..350)
        .map(|_| {
            let arch = space.sample(&mut rng);
            let encoding = path.encode(&arch);
            let target = 80.0
                + encoding
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v * ((i % 7) as f64 - 3.0))
                    .sum::<f64>();
            StudyArch {
                graph: Some(gcn.encode(&arch).expect("graph")),
                encoding,
                params: Some(1.0),
                target,
                ..StudyArch::default()
            }
        })
        .collect();
    let (train, test) = archs.split_at(150);
    let targets: Vec<f64> = train.iter().map(|a| a.target).collect();
    println!("| predictor | fit on 150 (ms, best of 3) | query 200 (ms) |\n|---|---|---|");
    let kinds = [
        PredictorKind::MlpEnsemble,
        PredictorKind::Gp,
        PredictorKind::Blr,
        PredictorKind::Rf,
        PredictorKind::Gbdt,
        PredictorKind::Ngboost,
        PredictorKind::Gcn,
        PredictorKind::GcnBlr,
    ];
    let only: Vec<String> = std::env::args().skip(2).collect();
    for kind in kinds
        .into_iter()
        .filter(|k| only.is_empty() || only.iter().any(|o| o == k.name()))
    {
        let mut best_fit = f64::INFINITY;
        let mut query = 0.0;
        for rep in 0..3 {
            let mut p = build_predictor(kind, rep, CurveSettings::default()).expect("predictor");
            let t = Instant::now();
            p.fit(train, &targets).expect("fit");
            best_fit = best_fit.min(t.elapsed().as_secs_f64());
            let t = Instant::now();
            p.predict(test).expect("predict");
            query = t.elapsed().as_secs_f64();
        }
        println!(
            "| {} | {:.1} | {:.2} |",
            kind.name(),
            best_fit * 1e3,
            query * 1e3
        );
    }
}
