//! Wall time of NPENAS-BO (GIN predictor) or BONAS (GCN with a Bayesian
//! sigmoid-regression head) trials of 150 queries on NAS-Bench-201
//! cifar10-valid, and the share spent fitting and querying the predictor.
//! One thread: the black-box comparisons run one trial per core.
//!
//! `OXINAS_DATA=... cargo run --release -p oxinas-optimizers --example graph_search_timing npenas|bonas [trials]`

#![allow(clippy::print_stdout)]

use std::sync::Arc;
use std::time::Instant;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise, Nb201Table, Nb201Tabular};
use oxinas_core::seed::{derive_seed, rng_from_seed};
use oxinas_core::{Budget, Fidelity, data_root};
use oxinas_encodings::EncodableSpace;
use oxinas_optimizers::{ModelGuidedConfig, ModelGuidedSearch, run_search};
use oxinas_predictors::{Gcn, GcnConfig, Gin, GinConfig, GraphEncodedPredictor};
use oxinas_spaces::{Nb201Arch, Nb201Space};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let method = std::env::args().nth(1).unwrap_or_else(|| "npenas".into());
    let trials: u64 = std::env::args()
        .nth(2)
        .map(|t| t.parse())
        .transpose()?
        .unwrap_or(1);
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()?;
    let table = Arc::new(Nb201Table::from_csv(&Nb201Table::csv_path(&data_root()))?);
    let evaluator = Nb201Tabular::new(table, Nb201Dataset::Cifar10Valid, Nb201Noise::Mean);
    let space = Nb201Space::new();
    println!("| {method} trial | wall s | model s | model share | fits | incumbent's test |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for trial in 0..trials {
        let seed = derive_seed(0, &[trial]);
        let mut search: ModelGuidedSearch<Nb201Arch> = match method.as_str() {
            "bonas" => ModelGuidedSearch::new(
                "BONAS",
                ModelGuidedConfig::bonas(),
                Box::new(GraphEncodedPredictor::new(
                    space.graph_encoding("gcn_bonas")?,
                    Gcn::new(GcnConfig::bonas(), seed)?,
                )),
                Fidelity::epochs(200),
                seed,
            )?,
            "npenas" => ModelGuidedSearch::new(
                "NPENAS",
                ModelGuidedConfig::npenas(true),
                Box::new(GraphEncodedPredictor::new(
                    space.graph_encoding("gcn_raw")?,
                    Gin::new(GinConfig::npenas_bo(), seed)?,
                )),
                Fidelity::epochs(200),
                seed,
            )?,
            other => return Err(format!("method `{other}`: npenas or bonas").into()),
        };
        let started = Instant::now();
        let outcome = run_search(
            &space,
            &evaluator,
            &mut search,
            Budget::queries(150),
            &mut rng_from_seed(seed),
        )?;
        let wall = started.elapsed().as_secs_f64();
        let (model, fits) = search.model_time();
        let model = model.as_secs_f64();
        println!(
            "| {trial} | {wall:.2} | {model:.2} | {:.1} % | {fits} | {:?} |",
            100.0 * model / wall,
            outcome.incumbent().and_then(|r| r.evaluation.test)
        );
    }
    Ok(())
}
