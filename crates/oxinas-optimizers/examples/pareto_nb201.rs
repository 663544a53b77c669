//! Multi-objective regularized evolution against random search on
//! NAS-Bench-201 cifar10-valid: hypervolume of the Pareto front over
//! (validation error, parameters) after the same number of queries.
//!
//! `OXINAS_DATA=... cargo run --release -p oxinas-optimizers --example pareto_nb201 [trials] [queries]`
//!
//! Objectives: error = -(validation accuracy %), params in millions; the
//! reference point (accuracy 0 %, 1.6 M params) bounds every NB201 cell, so
//! the hypervolume is in % x M params.

#![allow(clippy::print_stdout)]

use std::sync::Arc;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise, Nb201Table, Nb201Tabular};
use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_core::{Budget, Fidelity, Optimizer, data_root};
use oxinas_optimizers::pareto::{CostObjective, history_front, hypervolume, objectives};
use oxinas_optimizers::{MultiObjectiveEvolution, RandomSearch, RegularizedEvolution, run_search};
use oxinas_spaces::Nb201Space;

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var.sqrt())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let trials: u64 = args.next().map(|t| t.parse()).transpose()?.unwrap_or(50);
    let queries: u64 = args.next().map(|t| t.parse()).transpose()?.unwrap_or(150);
    let table = Arc::new(Nb201Table::from_csv(&Nb201Table::csv_path(&data_root()))?);
    let evaluator = Nb201Tabular::new(table, Nb201Dataset::Cifar10Valid, Nb201Noise::Mean);
    let space = Nb201Space::new();
    let fidelity = Fidelity::epochs(200);
    let reference = [0.0, 1.6];
    let mut rows: Vec<(&str, Vec<f64>, Vec<f64>)> = Vec::new();
    for label in ["MO-REA", "RS", "REA"] {
        let mut volumes = Vec::new();
        let mut sizes = Vec::new();
        for trial in 0..trials {
            let seed = derive_seed(0, &[trial]);
            let mut optimizer: Box<dyn Optimizer<Nb201Space>> = match label {
                "MO-REA" => Box::new(MultiObjectiveEvolution::new(
                    10,
                    3,
                    CostObjective::Params,
                    fidelity,
                    seed,
                )?),
                "RS" => Box::new(RandomSearch::new(fidelity, seed)),
                _ => Box::new(RegularizedEvolution::new(10, 3, fidelity, seed)?),
            };
            let outcome = run_search(
                &space,
                &evaluator,
                optimizer.as_mut(),
                Budget::queries(queries),
                &mut rng_from_seed(derive_seed(seed, &[2])),
            )?;
            let front: Vec<[f64; 2]> = history_front(&outcome.history, CostObjective::Params)
                .into_iter()
                .filter_map(|i| {
                    objectives(
                        &outcome.history[i].evaluation.observation,
                        CostObjective::Params,
                    )
                })
                .map(|[e, p]| [e, p / 1e6])
                .collect();
            volumes.push(hypervolume(&front, reference));
            sizes.push(front.len() as f64);
        }
        rows.push((label, volumes, sizes));
    }
    println!(
        "{trials} trials x {queries} queries, NB201 cifar10-valid, (validation error, params)"
    );
    println!("| optimizer | hypervolume (% x M params) | front size |");
    println!("|---|---:|---:|");
    for (label, volumes, sizes) in &rows {
        let (m, s) = mean_std(volumes);
        let (fm, fs) = mean_std(sizes);
        println!("| {label} | {m:.3} ± {s:.3} | {fm:.1} ± {fs:.1} |");
    }
    Ok(())
}
