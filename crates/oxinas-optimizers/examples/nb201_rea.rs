//! Regularized evolution on NAS-Bench-201, driven from Rust rather than a config.
//!
//! `OXINAS_DATA=/path/to/data cargo run --release -p oxinas-optimizers --example nb201_rea`

#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise, Nb201Table, Nb201Tabular};
use oxinas_core::{Budget, Fidelity, GroundTruth, SearchSpace, data_root, seed::rng_from_seed};
use oxinas_optimizers::{RegularizedEvolution, run_search};
use oxinas_spaces::Nb201Space;

fn main() -> Result<(), Box<dyn Error>> {
    let table = Arc::new(Nb201Table::from_csv(&Nb201Table::csv_path(&data_root()))?);
    let evaluator = Nb201Tabular::new(table.clone(), Nb201Dataset::Cifar10Valid, Nb201Noise::Mean);
    let space = Nb201Space::new();
    let mut rea = RegularizedEvolution::new(10, 3, Fidelity::epochs(12), 42)?;
    let outcome = run_search(
        &space,
        &evaluator,
        &mut rea,
        Budget::simulated_seconds(12_000.0),
        &mut rng_from_seed(7),
    )?;
    let best = outcome.incumbent().ok_or("the budget allowed no query")?;
    println!("queries: {}", outcome.history.len());
    println!("returned: {}", space.format(&best.proposal.arch));
    println!(
        "12-epoch validation accuracy: {:.2}",
        best.evaluation.observation.validation.unwrap_or(f64::NAN)
    );
    println!(
        "200-epoch CIFAR-10 test accuracy: {:.2}",
        table
            .metric(&best.proposal.arch, "cifar10/test@200")?
            .unwrap_or(f64::NAN)
    );
    Ok(())
}
