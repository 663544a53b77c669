//! Loading each benchmark from the data directory: time, and (in the
//! `benchmarks` binary, which runs each case in a process of its own) peak
//! memory.

use oxinas_benchmarks::{
    NB_MACRO_FILE, NB301_YAHPO_DIR, Nb101Table, Nb301Benchmark, NbMacroTabular, NlpDataset,
    NlpTabular, TRANSNAS_MACRO_FILE, TRANSNAS_MICRO_FILE, TransNasSubset, TransNasTask,
};
use oxinas_core::seed::rng_from_seed;
use oxinas_core::{Enumerable, SearchSpace, data_root};
use oxinas_spaces::{DartsSpace, NbMacroSpace};

use super::load_nb201;
use crate::{BenchError, Case, CaseReport, Check, Mode, time_runs};

/// A loader: loads, and returns the number of entries read and what was
/// expected (from the data manifest, not from the code).
type Loader = fn() -> Result<(usize, usize, String), BenchError>;

/// One case per benchmark.
pub fn cases() -> Vec<Case> {
    let loaders: [(&str, &str, &'static str, Loader); 8] = [
        (
            "nb201",
            "NB201 merged CSV (15,625 cells)",
            super::NB201_CSV,
            load_nb201_count,
        ),
        (
            "nb101-subset",
            "NB101 30k subset CSV, specs hashed and checked",
            "nb101/nb101_subset30k.csv",
            load_nb101,
        ),
        (
            "nb301",
            "NB301 surrogate (YAHPO ONNX via tract, encoding), then 200 seeded random cells predicted",
            super::nb301_surrogate::NB301_MODEL,
            load_nb301,
        ),
        (
            "nlp-ptb",
            "NAS-Bench-NLP PTB logs (gzip JSONL)",
            "nasbench_nlp/ptb_single_run_logs.jsonl.gz",
            || load_nlp(NlpDataset::Ptb, 14_322),
        ),
        (
            "nlp-wikitext2",
            "NAS-Bench-NLP WikiText-2 logs",
            "nasbench_nlp/wikitext2_logs.jsonl.gz",
            || load_nlp(NlpDataset::WikiText2, 345),
        ),
        (
            "nb-macro",
            "NAS-Bench-Macro JSON (6,561 networks)",
            NB_MACRO_FILE,
            load_nb_macro,
        ),
        (
            "transnas-micro",
            "TransNAS-Bench-101 micro subset, all 7 tasks",
            TRANSNAS_MICRO_FILE,
            load_transnas_micro,
        ),
        (
            "transnas-macro",
            "TransNAS-Bench-101 macro subset, all 7 tasks",
            TRANSNAS_MACRO_FILE,
            load_transnas_macro,
        ),
    ];
    loaders
        .into_iter()
        .map(|(key, what, file, loader)| {
            Case::new(format!("load/{key}"), format!("load {what}"), move |mode| {
                run(mode, key, loader)
            })
            .with_data(&[file])
        })
        .collect()
}

fn run(mode: Mode, key: &'static str, loader: Loader) -> Result<CaseReport, BenchError> {
    let (samples, counts) = time_runs(mode.runs(5), loader)?;
    let (read, expected, unit) = counts[0].clone();
    let mut check = Check::new(
        read == expected,
        format!("{read} {unit} read (expected {expected})"),
    );
    if counts.iter().any(|c| *c != counts[0]) {
        check = check.and(Check::new(false, "repeated loads differ"));
    }
    Ok(CaseReport {
        name: format!("load/{key}"),
        samples_s: samples,
        throughput: None,
        reference: None,
        check,
        peak_rss_kib: None,
        note: if key == "nb101-subset" {
            // The max is the first load: joining the spec-less rows enumerates
            // and hashes the whole space once per process.
            "the first load in a process enumerates and hashes all of NB101 to join the rows without a spec (the max); later loads reuse that".into()
        } else {
            String::new()
        },
    })
}

fn setup(what: &str) -> impl Fn(oxinas_core::DataError) -> BenchError + '_ {
    move |e| BenchError::setup(format!("loading {what}"), e)
}

fn load_nb201_count() -> Result<(usize, usize, String), BenchError> {
    let table = load_nb201()?;
    Ok((table.records().len(), 15_625, "cells".into()))
}

fn load_nb101() -> Result<(usize, usize, String), BenchError> {
    let table =
        Nb101Table::from_csv(&Nb101Table::csv_path(&data_root())).map_err(setup("NB101"))?;
    Ok((table.len(), 30_001, "rows".into()))
}

fn load_nb301() -> Result<(usize, usize, String), BenchError> {
    let bench = Nb301Benchmark::load(data_root().join(NB301_YAHPO_DIR)).map_err(setup("NB301"))?;
    // A loaded model must answer like the one the manifest measured: 200
    // random cells at epoch 98 predicted 92.7-95.5 %; allow a margin for a
    // different sample.
    let mut rng = rng_from_seed(301);
    let space = DartsSpace::new();
    let archs: Vec<_> = (0..200).map(|_| space.sample(&mut rng)).collect();
    let predictions = bench
        .predict_batch(&archs, 98)
        .map_err(|e| BenchError::setup("predicting with the loaded NB301 surrogate", e))?;
    let plausible = predictions
        .iter()
        .filter(|p| (91.5..=96.5).contains(&p.val_accuracy))
        .count();
    Ok((
        plausible,
        200,
        "seeded random cells predicted by the loaded model within 91.5-96.5 % (manifest: 92.7-95.5); cells".into(),
    ))
}

fn load_nlp(dataset: NlpDataset, expected: usize) -> Result<(usize, usize, String), BenchError> {
    let bench = NlpTabular::load(dataset).map_err(setup("NAS-Bench-NLP"))?;
    Ok((bench.runs().len(), expected, "runs".into()))
}

fn load_nb_macro() -> Result<(usize, usize, String), BenchError> {
    let bench = NbMacroTabular::load().map_err(setup("NAS-Bench-Macro"))?;
    // Every network must answer; the best mean accuracy is the paper's 93.13.
    let best = NbMacroSpace::new()
        .enumerate()
        .map(|arch| bench.record(&arch).mean_acc)
        .fold(f64::NEG_INFINITY, f64::max);
    let count = NbMacroSpace::new().enumerate().count();
    let expected = if (best - 93.127).abs() < 1e-3 {
        6_561
    } else {
        usize::MAX
    };
    Ok((
        count,
        expected,
        format!("networks (best mean accuracy {best:.3}, published 93.13)"),
    ))
}

fn load_transnas_micro() -> Result<(usize, usize, String), BenchError> {
    let mut read = 0;
    for task in TransNasTask::ALL {
        read += TransNasSubset::load_micro(task)
            .map_err(setup("TransNAS micro"))?
            .records()
            .len();
    }
    // 711 cells per task.
    Ok((read, 7 * 711, "task x cell records".into()))
}

fn load_transnas_macro() -> Result<(usize, usize, String), BenchError> {
    let mut read = 0;
    for task in TransNasTask::ALL {
        read += TransNasSubset::load_macro(task)
            .map_err(setup("TransNAS macro"))?
            .records()
            .len();
    }
    // 725 networks per task, 662 for class_scene and class_object.
    Ok((read, 5 * 725 + 2 * 662, "task x network records".into()))
}
