//! `cargo xtask predictors configs/predictors-*.toml`: the predictor study
//! (White et al., 2021) on a tabular benchmark. Writes `summary.md`,
//! `trials.jsonl` (one line per trial, training size and predictor) and
//! `tau_vs_train_size.svg` into the run directory.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use oxinas_benchmarks::{Nb101Table, Nb201Table, NlpDataset, NlpTabular};
use oxinas_core::{SearchSpace, data_root};
use oxinas_encodings::{EncodableSpace, GraphEncoding, VectorEncoding};
use oxinas_predictors::predictor_study::{
    CurveSettings, PredictorKind, StudyArch, StudyConfig, StudyResult, TargetTransform, run_study,
};
use oxinas_spaces::{DartsArch, DartsSpace, Nb101Arch, Nb201Arch, Nb201Space};
use plotters::prelude::*;
use plotters::style::FontStyle;
use serde::Deserialize;

/// Arguments of `cargo xtask predictors`.
#[derive(Args)]
pub struct PredictorsArgs {
    /// The study config (TOML).
    config: PathBuf,
    /// Run directory (default: runs/NAME, NAME from the config).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the number of trials (quick checks).
    #[arg(long)]
    trials: Option<usize>,
    /// Worker threads (default: all cores). Correlations do not depend on it; timings do.
    #[arg(long)]
    threads: Option<usize>,
}

/// The study config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PredictorsConfig {
    /// Run name (run directory `runs/<name>`).
    name: String,
    /// `nb201`, `nb101`, `nb301`, `nlp`, or `table` (a table over a declared space).
    benchmark: String,
    /// NB201: `cifar10-valid`, `cifar100`, `ImageNet16-120`; NLP: `ptb`; NB101, NB301: `cifar10`;
    /// none for `table`.
    #[serde(default)]
    dataset: String,
    /// `benchmark = "table"`: the table, as `[benchmark]` of an experiment file
    /// (`path`, `space_file`, `validation`, ...; relative to this config). Its
    /// validation columns below the largest epoch count are the observed curve.
    #[serde(default)]
    table: Option<oxinas_benchmarks::TableConfig>,
    /// Vector encoding name (NB201, NB301: any of the space's; NB101: `adjacency`).
    #[serde(default = "default_encoding")]
    encoding: String,
    /// Graph encoding for the GCN predictors (NB201, NB301).
    #[serde(default)]
    graph_encoding: Option<String>,
    /// Restrict NB201 to the archs of NASLib's zero-cost file and read their proxies (OMNI).
    #[serde(default)]
    zero_cost: bool,
    /// NLP: epochs observed by the learning-curve predictors.
    #[serde(default = "default_observed_epochs")]
    observed_epochs: usize,
    /// Fit on `ln(bound - target)` instead of the target (e.g. 100 for accuracies in %).
    #[serde(default)]
    log_gap_bound: Option<f64>,
    /// SoTL-E's E.
    #[serde(default = "default_sotl_epochs")]
    sotl_epochs: usize,
    /// Test-set size.
    test_size: usize,
    /// Training-set sizes.
    train_sizes: Vec<usize>,
    /// Trials.
    trials: usize,
    /// Master seed.
    seed: u64,
    /// Predictor names.
    predictors: Vec<String>,
}

fn default_encoding() -> String {
    "path".into()
}
fn default_observed_epochs() -> usize {
    10
}
fn default_sotl_epochs() -> usize {
    1
}

pub fn run(args: PredictorsArgs) -> Result<()> {
    let text = fs::read_to_string(&args.config)
        .with_context(|| format!("reading {}", args.config.display()))?;
    let config: PredictorsConfig =
        toml::from_str(&text).with_context(|| format!("parsing {}", args.config.display()))?;
    let predictors = config
        .predictors
        .iter()
        .map(|p| p.parse::<PredictorKind>())
        .collect::<Result<Vec<_>, String>>()
        .map_err(anyhow::Error::msg)
        .context("field `predictors`")?;
    if let Some(threads) = args.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("building the thread pool")?;
    }
    let started = Instant::now();
    let (archs, target_epoch, description) = load(&config, &args.config)?;
    eprintln!(
        "{}: {} archs loaded in {:.1?}",
        config.name,
        archs.len(),
        started.elapsed()
    );
    let study = StudyConfig {
        test_size: config.test_size,
        train_sizes: config.train_sizes.clone(),
        trials: args.trials.unwrap_or(config.trials),
        seed: config.seed,
        predictors,
        curves: CurveSettings {
            target_epoch,
            sotl_epochs: config.sotl_epochs,
        },
        target_transform: match config.log_gap_bound {
            Some(bound) => TargetTransform::LogGap { bound },
            None => TargetTransform::Identity,
        },
    };
    let started = Instant::now();
    let result = run_study(&archs, &study)?;
    let elapsed = started.elapsed();
    let out = args
        .out
        .unwrap_or_else(|| PathBuf::from("runs").join(&config.name));
    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut jsonl = String::new();
    for t in &result.trials {
        jsonl.push_str(&serde_json::to_string(t)?);
        jsonl.push('\n');
    }
    fs::write(out.join("trials.jsonl"), jsonl)?;
    let mut md = format!(
        "# Predictor study: {}\n\nConfig `{}`; {description}; {} archs; test set {}, {} trials, seed {}; study wall time {:.1} s.\n",
        config.name,
        args.config.display(),
        archs.len(),
        study.test_size,
        study.trials,
        study.seed,
        elapsed.as_secs_f64()
    );
    md.push_str(&result.markdown(&study));
    fs::write(out.join("summary.md"), &md)?;
    plot(
        &result,
        &study,
        &config.name,
        &out.join("tau_vs_train_size.svg"),
    )?;
    println!("{md}");
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// The study's archs, the target epoch of LCE and a one-line description.
fn load(config: &PredictorsConfig, path: &Path) -> Result<(Vec<StudyArch>, usize, String)> {
    match config.benchmark.as_str() {
        "nb201" => load_nb201(config),
        "nb101" => load_nb101(config),
        "nb301" => load_nb301(config),
        "nlp" => load_nlp(config),
        "table" => {
            let table = config
                .table
                .as_ref()
                .context("field `table`: a [table] like an experiment's [benchmark] is needed with benchmark = \"table\"")?;
            let (archs, target_epoch) = oxinas_experiment::table_study_archs(
                table,
                path,
                &config.encoding,
                config.graph_encoding.as_deref(),
            )?;
            let description = format!(
                "table {}, target = its validation at the largest epoch count, encoding `{}`",
                table.path.display(),
                config.encoding
            );
            Ok((archs, target_epoch, description))
        }
        other => {
            bail!("field `benchmark`: unknown `{other}`; valid: nb201, nb101, nb301, nlp, table")
        }
    }
}

fn load_nb201(config: &PredictorsConfig) -> Result<(Vec<StudyArch>, usize, String)> {
    let root = data_root();
    let table = Nb201Table::from_csv(&Nb201Table::csv_path(&root))?;
    let space = Nb201Space::new();
    let encoding = space.vector_encoding(&config.encoding)?;
    let graph: Option<Box<dyn GraphEncoding<Nb201Arch>>> = config
        .graph_encoding
        .as_deref()
        .map(|g| space.graph_encoding(g))
        .transpose()?;
    let (pick, valid12): (
        fn(&oxinas_benchmarks::Nb201Record) -> &oxinas_benchmarks::Nb201TrainResult,
        usize,
    ) = match config.dataset.as_str() {
        "cifar10-valid" => (|r| &r.cifar10_valid, 0),
        "cifar100" => (|r| &r.cifar100, 1),
        "ImageNet16-120" => (|r| &r.imagenet16, 2),
        other => bail!(
            "field `dataset`: unknown NB201 dataset `{other}`; valid: cifar10-valid, cifar100, ImageNet16-120"
        ),
    };
    let zero_cost = if config.zero_cost {
        Some(read_nb201_zero_cost(&root, config.dataset.as_str())?)
    } else {
        None
    };
    let mut archs = Vec::new();
    for (index, record) in table.records().iter().enumerate() {
        let arch = space.arch_at(index).context("NB201 index out of range")?;
        let zc = match &zero_cost {
            Some(map) => match map.get(&arch.op_digits()) {
                Some(v) => v.clone(),
                None => continue,
            },
            None => Vec::new(),
        };
        let result = pick(record);
        archs.push(StudyArch {
            encoding: encoding.encode(&arch),
            graph: graph.as_ref().map(|g| g.encode(&arch)).transpose()?,
            params: Some(result.params_m),
            // The 12-epoch schedule's final validation accuracy: the cheap
            // fidelity the learning-curve predictors and OMNI see.
            validation_curve: record.valid12[valid12].into_iter().collect(),
            training_losses: Vec::new(),
            zero_cost: zc,
            target: result.valid_mean(),
        });
    }
    let description = format!(
        "NAS-Bench-201 {}, target = 200-epoch validation accuracy (mean over seeds), encoding `{}`{}",
        config.dataset,
        config.encoding,
        if config.zero_cost {
            ", archs of NASLib's zero-cost file"
        } else {
            ""
        }
    );
    Ok((archs, 200, description))
}

/// NASLib's zero-cost scores per NB201 cell (official op digits), in a fixed proxy order.
fn read_nb201_zero_cost(root: &Path, dataset: &str) -> Result<HashMap<String, Vec<f64>>> {
    const PROXIES: [&str; 12] = [
        "epe_nas",
        "fisher",
        "flops",
        "grad_norm",
        "grasp",
        "jacov",
        "l2_norm",
        "nwot",
        "params",
        "plain",
        "snip",
        "synflow",
    ];
    // NASLib op order -> official digit; NASLib edge position -> arch-string position.
    const OP: [u8; 5] = [1, 0, 3, 2, 4];
    const EDGE: [usize; 6] = [0, 1, 3, 2, 4, 5];
    let path = root.join("nb201/original/naslib/zc_nasbench201.json");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    // NASLib wrote a few diverged scores as bare `-Infinity`, which is not
    // JSON; read them as missing (non-finite below).
    let text = text
        .replace("-Infinity", "null")
        .replace("Infinity", "null")
        .replace("NaN", "null");
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let key = match dataset {
        "cifar10-valid" => "cifar10",
        "cifar100" => "cifar100",
        _ => "ImageNet16-120",
    };
    let table = json
        .get(key)
        .and_then(|v| v.as_object())
        .with_context(|| format!("{}: no object `{key}`", path.display()))?;
    let mut out = HashMap::new();
    for (tuple, entry) in table {
        let ops: Vec<usize> = tuple
            .trim_matches(|c| c == '(' || c == ')')
            .split(',')
            .map(|t| t.trim().parse::<usize>())
            .collect::<Result<_, _>>()
            .with_context(|| {
                format!(
                    "{}: key `{tuple}` is not a tuple of op indices",
                    path.display()
                )
            })?;
        if ops.len() != 6 || ops.iter().any(|&o| o >= 5) {
            bail!(
                "{}: key `{tuple}`: expected 6 op indices in 0..5",
                path.display()
            );
        }
        let mut digits = [b'0'; 6];
        for (p, &o) in ops.iter().enumerate() {
            digits[EDGE[p]] = b'0' + OP[o];
        }
        let scores = PROXIES
            .iter()
            .map(|name| {
                entry
                    .get(name)
                    .and_then(|s| s.get("score"))
                    .and_then(|s| s.as_f64())
                    // A few cells lack a proxy or have a diverged score: left
                    // non-finite, which OMNI scores -1e8 as NASLib does.
                    .unwrap_or(f64::NAN)
            })
            .collect::<Vec<_>>();
        out.insert(String::from_utf8_lossy(&digits).into_owned(), scores);
    }
    Ok(out)
}

/// BANANAS's adjacency one-hot of an NB101 cell, padded to 7 vertices: the
/// 21 upper-triangular edges, then a one-hot op (3 ops) per interior vertex.
fn nb101_adjacency(arch: &Nb101Arch) -> Vec<f64> {
    let n = arch.num_vertices();
    let mut v = Vec::with_capacity(21 + 15);
    // Pad by moving the output vertex to position 6, as NB101 padding does.
    let position = |i: usize| if i == n - 1 { 6 } else { i };
    let mut adj = [[0.0; 7]; 7];
    for i in 0..n {
        for j in i + 1..n {
            if arch.has_edge(i, j) {
                adj[position(i)][position(j)] = 1.0;
            }
        }
    }
    for (i, row) in adj.iter().enumerate() {
        v.extend_from_slice(&row[i + 1..]);
    }
    for vertex in 1..6 {
        let mut block = [0.0; 3];
        if vertex < n - 1
            && let Some(op) = arch.op(vertex)
        {
            block[op as usize] = 1.0;
        }
        v.extend_from_slice(&block);
    }
    v
}

fn load_nb101(config: &PredictorsConfig) -> Result<(Vec<StudyArch>, usize, String)> {
    if config.encoding != "adjacency" {
        bail!(
            "field `encoding`: NB101 offers `adjacency` here, found `{}`",
            config.encoding
        );
    }
    let table = Nb101Table::from_csv(&Nb101Table::csv_path(&data_root()))?;
    let archs = table
        .records()
        .iter()
        .map(|r| StudyArch {
            encoding: nb101_adjacency(&r.arch),
            params: Some(r.params as f64),
            validation_curve: vec![r.valid[0], r.valid[1], r.valid[2]],
            target: r.valid[3],
            ..StudyArch::default()
        })
        .collect();
    Ok((
        archs,
        108,
        "NAS-Bench-101 30k subset, target = 108-epoch validation accuracy, encoding `adjacency` (21 edges + 5x3 ops)".into(),
    ))
}

/// The 725 NB301 (DARTS) archs NASLib recorded in `zc_nasbench301.json`,
/// with their `val_accuracy` as the target and `params` as the baseline.
fn load_nb301(config: &PredictorsConfig) -> Result<(Vec<StudyArch>, usize, String)> {
    if config.dataset != "cifar10" {
        bail!(
            "field `dataset`: NB301 offers `cifar10`, found `{}`",
            config.dataset
        );
    }
    let space = DartsSpace::new();
    let encoding = space.vector_encoding(&config.encoding)?;
    let graph: Option<Box<dyn GraphEncoding<DartsArch>>> = config
        .graph_encoding
        .as_deref()
        .map(|g| space.graph_encoding(g))
        .transpose()?;
    let path = data_root().join("nb301/original/naslib/zc_nasbench301.json");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let table = json
        .get("cifar10")
        .and_then(|v| v.as_object())
        .with_context(|| format!("{}: no object `cifar10`", path.display()))?;
    let mut archs = Vec::with_capacity(table.len());
    for (key, entry) in table {
        let arch = space
            .parse(key)
            .with_context(|| format!("{}: key `{key}`", path.display()))?;
        let target = entry
            .get("val_accuracy")
            .and_then(|v| v.as_f64())
            .with_context(|| {
                format!("{}: `{key}` has no numeric `val_accuracy`", path.display())
            })?;
        let params = entry
            .get("params")
            .and_then(|v| v.get("score"))
            .and_then(|v| v.as_f64());
        archs.push(StudyArch {
            encoding: encoding.encode(&arch),
            graph: graph.as_ref().map(|g| g.encode(&arch)).transpose()?,
            params,
            target,
            ..StudyArch::default()
        });
    }
    Ok((
        archs,
        98,
        format!(
            "NAS-Bench-301, the 725 archs of NASLib's zc_nasbench301.json, target = their recorded `val_accuracy`, encoding `{}`",
            config.encoding
        ),
    ))
}

fn load_nlp(config: &PredictorsConfig) -> Result<(Vec<StudyArch>, usize, String)> {
    let dataset = match config.dataset.as_str() {
        "ptb" => NlpDataset::Ptb,
        "wikitext2" => NlpDataset::WikiText2,
        other => {
            bail!("field `dataset`: unknown NAS-Bench-NLP dataset `{other}`; valid: ptb, wikitext2")
        }
    };
    let k = config.observed_epochs;
    let tabular = NlpTabular::load(dataset)?;
    let mut archs = Vec::new();
    for run in tabular.runs().iter().filter(|r| r.is_complete()) {
        let val: Vec<f64> = run.val_losses.iter().flatten().copied().collect();
        let train: Vec<f64> = run.train_losses.iter().flatten().copied().collect();
        if val.len() < run.epochs as usize || train.len() < k || k == 0 {
            continue;
        }
        archs.push(StudyArch {
            params: Some(run.num_params as f64),
            validation_curve: val[..k].to_vec(),
            training_losses: train[..k].to_vec(),
            target: val[val.len() - 1],
            ..StudyArch::default()
        });
    }
    Ok((
        archs,
        oxinas_benchmarks::NLP_EPOCHS as usize,
        format!(
            "NAS-Bench-NLP {}, complete runs, target = final (epoch 50) validation loss, learning curves observed for {k} epochs",
            config.dataset
        ),
    ))
}

/// The font bundled with `oxinas-experiment` (DejaVu Sans); plotters draws
/// text only with registered fonts, never system ones.
static FONT: &[u8] = include_bytes!("../../crates/oxinas-experiment/fonts/DejaVuSans.ttf");

/// Kendall tau against training size, one line per predictor, log-scaled x.
fn plot(result: &StudyResult, study: &StudyConfig, title: &str, path: &Path) -> Result<()> {
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| anyhow::anyhow!("the bundled font DejaVuSans.ttf does not parse"))?;
    let sizes = &study.train_sizes;
    let (lo, hi) = (
        *sizes.iter().min().unwrap_or(&1) as f64,
        *sizes.iter().max().unwrap_or(&2) as f64,
    );
    let taus: Vec<f64> = result.summary.iter().map(|r| r.kendall_tau.mean).collect();
    let y_lo = taus.iter().copied().fold(0.0f64, f64::min).min(0.0) - 0.05;
    let y_hi = taus.iter().copied().fold(0.0f64, f64::max).max(0.1) + 0.05;
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{title}: Kendall tau vs training size"),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d((lo.max(1.0)..hi * 1.1).log_scale(), y_lo..y_hi)?;
    chart
        .configure_mesh()
        .x_desc("training archs")
        .y_desc("Kendall tau (mean over trials)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .draw()?;
    for (i, kind) in study.predictors.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let points: Vec<(f64, f64)> = sizes
            .iter()
            .filter_map(|&n| {
                result
                    .row(kind.name(), n)
                    .map(|r| (n as f64, r.kendall_tau.mean))
            })
            .collect();
        let style = ShapeStyle::from(color).stroke_width(2);
        chart
            .draw_series(LineSeries::new(points.clone(), style))?
            .label(kind.name())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        chart.draw_series(
            points
                .into_iter()
                .map(|p| Circle::new(p, 3, color.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
