//! Our SynFlow on the NB201 network ranks architectures as NASLib's published scores do.

// The measured correlation is worth seeing next to the assertion.
#![allow(clippy::print_stderr)]

use std::collections::HashMap;

use burn::backend::{Autodiff, NdArray};
use oxinas_core::seed::rng_from_seed;
use oxinas_spaces::{Nb201Arch, Nb201Op};
use oxinas_train::zero_cost::synflow;
use oxinas_train::{Nb201Network, Nb201NetworkConfig};

/// NASLib's op order for its tuple encoding (MANIFEST §1).
const NASLIB_OPS: [Nb201Op; 5] = [
    Nb201Op::SkipConnect,
    Nb201Op::None,
    Nb201Op::NorConv3x3,
    Nb201Op::NorConv1x1,
    Nb201Op::AvgPool3x3,
];
/// Tuple position p holds the edge at arch-string position `[0, 1, 3, 2, 4, 5][p]`.
const NASLIB_EDGE: [usize; 6] = [0, 1, 3, 2, 4, 5];

fn arch_from_naslib_tuple(key: &str) -> Nb201Arch {
    let digits: Vec<usize> = key
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(|d| d.trim().parse().expect("tuple entry"))
        .collect();
    let mut ops = [Nb201Op::None; 6];
    for (p, &d) in digits.iter().enumerate() {
        ops[NASLIB_EDGE[p]] = NASLIB_OPS[d];
    }
    Nb201Arch { ops }
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0;
        for k in i..=j {
            ranks[order[k]] = mean;
        }
        i = j + 1;
    }
    ranks
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn synflow_ranks_200_nb201_cells_like_naslib() {
    let Some(path) = oxinas_testkit::data_file("nb201/original/naslib/zc_nasbench201.json") else {
        return;
    };
    // Python's json writes NaN and Infinity, which JSON does not have.
    let text = std::fs::read_to_string(&path)
        .expect("readable")
        .replace(": -Infinity", ": null")
        .replace(": Infinity", ": null")
        .replace(": NaN", ": null");
    let json: serde_json::Value = serde_json::from_str(&text).expect("json");
    let cifar10 = json["cifar10"].as_object().expect("cifar10 object");
    let mut published: Vec<(Nb201Arch, f64)> = cifar10
        .iter()
        .filter_map(|(key, entry)| {
            let score = entry.get("synflow")?.get("score")?.as_f64()?;
            Some((arch_from_naslib_tuple(key), score))
        })
        .collect();
    // A fixed, spread-out choice of 200: sorted by the tuple, every k-th.
    published.sort_by_key(|(arch, _)| arch.code());
    let step = published.len() / 200;
    let chosen: Vec<(Nb201Arch, f64)> = published.iter().step_by(step).take(200).cloned().collect();
    assert_eq!(chosen.len(), 200);
    let config = Nb201NetworkConfig::CIFAR10;
    let device = Default::default();
    type B = Autodiff<NdArray<f64>>;
    let mut ours = Vec::new();
    let mut cache: HashMap<u16, f64> = HashMap::new();
    for (i, (arch, _)) in chosen.iter().enumerate() {
        let score = *cache.entry(arch.code()).or_insert_with(|| {
            let net = Nb201Network::<B>::new(&config, arch, &mut rng_from_seed(i as u64), &device)
                .unwrap();
            synflow::<B, _>(&net, [1, 3, 32, 32], &device)
        });
        // NASLib stores the logarithm of the score.
        ours.push(if score > 0.0 { score.ln() } else { 0.0 });
    }
    let theirs: Vec<f64> = chosen.iter().map(|(_, s)| *s).collect();
    let rho = spearman(&ours, &theirs);
    eprintln!(
        "synflow Spearman vs NASLib on {} cells: {rho:.4}",
        chosen.len()
    );
    assert!(rho >= 0.9, "Spearman {rho:.4} < 0.9");
}
