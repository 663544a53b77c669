//! Loads each benchmark this crate reads from the data directory and prints
//! how long it took and what it holds.
//!
//! `OXINAS_DATA=/path/to/data cargo run --release -p oxinas-benchmarks --example load_times`

#![allow(clippy::print_stdout)]

use std::error::Error;
use std::time::Instant;

use oxinas_benchmarks::{NbMacroTabular, NlpDataset, NlpTabular, TransNasSubset, TransNasTask};

fn main() -> Result<(), Box<dyn Error>> {
    for dataset in [NlpDataset::Ptb, NlpDataset::WikiText2] {
        let start = Instant::now();
        let bench = NlpTabular::load(dataset)?;
        let complete = bench.runs().iter().filter(|r| r.is_complete()).count();
        println!(
            "nas-bench-nlp/{}: {} runs ({complete} complete, {} distinct cells) in {:.2?}",
            dataset.name(),
            bench.runs().len(),
            bench.distinct_cells(),
            start.elapsed()
        );
    }
    let start = Instant::now();
    let _macro_bench = NbMacroTabular::load()?;
    println!("nas-bench-macro: 6561 networks in {:.2?}", start.elapsed());
    let start = Instant::now();
    for task in TransNasTask::ALL {
        TransNasSubset::load_micro(task)?;
        TransNasSubset::load_macro(task)?;
    }
    println!(
        "transnas-bench-101 subsets: 7 tasks x 2 spaces in {:.2?}",
        start.elapsed()
    );
    Ok(())
}
