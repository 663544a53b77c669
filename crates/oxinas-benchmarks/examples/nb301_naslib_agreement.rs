//! Prints the rank agreement between the NB301 surrogate's epoch-98
//! validation accuracy and the `val_accuracy` NASLib recorded for its 725
//! NB301 architectures (`nb301/original/naslib/zc_nasbench301.json`).
//!
//! `OXINAS_DATA=/path/to/data cargo run --release -p oxinas-benchmarks --example nb301_naslib_agreement`

#![allow(clippy::print_stdout)]

use anyhow::Context;
use oxinas_benchmarks::Nb301Benchmark;
use oxinas_core::{SearchSpace, data_root};
use oxinas_spaces::{DartsArch, DartsSpace};

/// Ranks with ties averaged.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            out[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    out
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

fn main() -> anyhow::Result<()> {
    let path = data_root().join("nb301/original/naslib/zc_nasbench301.json");
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let json: serde_json::Value = serde_json::from_str(&text)?;
    let space = DartsSpace::new();
    let mut archs: Vec<DartsArch> = Vec::new();
    let mut recorded = Vec::new();
    for (key, record) in json["cifar10"].as_object().context("no cifar10 table")? {
        archs.push(space.parse(key)?);
        recorded.push(record["val_accuracy"].as_f64().context("no val_accuracy")?);
    }
    let bench = Nb301Benchmark::from_data_root()?;
    let predicted: Vec<f64> = bench
        .predict_batch(&archs, 98)?
        .iter()
        .map(|p| p.val_accuracy)
        .collect();
    println!(
        "{} archs: Spearman {:.4}, Pearson {:.4}",
        archs.len(),
        pearson(&ranks(&predicted), &ranks(&recorded)),
        pearson(&predicted, &recorded)
    );
    Ok(())
}
