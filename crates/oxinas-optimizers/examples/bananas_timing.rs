//! Wall time of BANANAS trials of 150 queries on NAS-Bench-201 cifar10-valid,
//! and the share spent fitting and querying the MLP ensemble.
//!
//! `OXINAS_DATA=... cargo run --release -p oxinas-optimizers --example bananas_timing [trials]`

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise, Nb201Table, Nb201Tabular};
use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_core::{Budget, Fidelity, data_root};
use oxinas_encodings::EncodableSpace;
use oxinas_optimizers::{ModelGuidedConfig, ModelGuidedSearch, run_search};
use oxinas_predictors::{EncodedPredictor, MlpEnsemble, MlpEnsembleConfig};
use oxinas_spaces::Nb201Space;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let trials: u64 = std::env::args()
        .nth(1)
        .map(|t| t.parse())
        .transpose()?
        .unwrap_or(3);
    let table = Arc::new(Nb201Table::from_csv(&Nb201Table::csv_path(&data_root()))?);
    let evaluator = Nb201Tabular::new(table, Nb201Dataset::Cifar10Valid, Nb201Noise::Mean);
    let space = Nb201Space::new();
    println!("| trial | wall s | model s | model share | fits |");
    println!("|---:|---:|---:|---:|---:|");
    for trial in 0..trials {
        let seed = derive_seed(0, &[trial]);
        let surrogate = EncodedPredictor::new(
            space.vector_encoding("trunc_path")?,
            MlpEnsemble::new(MlpEnsembleConfig::default(), seed)?,
        );
        let mut bananas = ModelGuidedSearch::new(
            "BANANAS",
            ModelGuidedConfig::bananas(),
            Box::new(surrogate),
            Fidelity::epochs(200),
            seed,
        )?;
        let started = Instant::now();
        run_search(
            &space,
            &evaluator,
            &mut bananas,
            Budget::queries(150),
            &mut rng_from_seed(seed),
        )?;
        let wall = started.elapsed().as_secs_f64();
        let (model, fits) = bananas.model_time();
        let model = model.as_secs_f64();
        println!(
            "| {trial} | {wall:.2} | {model:.2} | {:.1} % | {fits} |",
            100.0 * model / wall
        );
    }
    Ok(())
}
