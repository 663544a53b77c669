//! `cargo xtask ranks`' report and a run's statistics section on run
//! directories made here from synthetic CSV tables (no benchmark data
//! needed).

use std::path::{Path, PathBuf};

use oxinas_experiment::{
    ExperimentConfig, NoProgress, PairedValues, RankOrder, RankReport, RunOptions, run_experiment,
};

const OPS: [&str; 5] = [
    "none",
    "skip_connect",
    "nor_conv_1x1",
    "nor_conv_3x3",
    "avg_pool_3x3",
];

/// Every NAS-Bench-201 cell with a made-up validation and test accuracy:
/// convolutions help, `none` hurts, plus a fixed pseudo-random wobble.
fn write_table(path: &Path, salt: u64) {
    let mut csv = String::from("arch,val,test,seconds\n");
    for code in 0..5usize.pow(6) {
        let ops: Vec<usize> = (0..6).map(|e| code / 5usize.pow(e) % 5).collect();
        let arch = format!(
            "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|",
            OPS[ops[0]], OPS[ops[1]], OPS[ops[2]], OPS[ops[3]], OPS[ops[4]], OPS[ops[5]]
        );
        let score: f64 = ops
            .iter()
            .map(|&o| [-4.0, 1.0, 2.0, 3.0, 0.5][o])
            .sum::<f64>();
        let wobble = ((code as u64 * 2_654_435_761 + salt) % 1000) as f64 / 1000.0;
        let val = 60.0 + score + 2.0 * wobble;
        let test = val - 1.0 + wobble;
        csv.push_str(&format!("{arch},{val:.4},{test:.4},{}\n", 100 + code % 50));
    }
    std::fs::write(path, csv).unwrap();
}

fn config(name: &str, seed: u64) -> String {
    format!(
        r#"
name = "{name}"
seed = {seed}
trials = 10

[benchmark]
name = "csv"
path = "table.csv"
space = "nb201"
arch_column = "arch"
validation = {{ column = "val", goal = "maximize" }}
test = {{ column = "test", goal = "maximize" }}
cost_column = "seconds"
epochs = 200

[search]
fidelity = 200
budget = {{ queries = 30 }}

[[optimizer]]
kind = "random_search"
label = "RS"

[[optimizer]]
kind = "regularized_evolution"
label = "REA"
population = 8
tournament = 3

[[optimizer]]
kind = "local_search"
label = "LS"

[[report]]
label = "test regret"
metric = "test"
regret = true
"#
    )
}

/// Runs a synthetic benchmark into `dir/run` and returns that directory.
fn run(dir: &Path, name: &str, seed: u64) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    write_table(&dir.join("table.csv"), seed);
    let text = config(name, seed);
    let path = dir.join("config.toml");
    std::fs::write(&path, &text).unwrap();
    let parsed = ExperimentConfig::from_toml(&text, &path).unwrap();
    let out = dir.join("run");
    let mut options = RunOptions::new(&path, &out, Path::new(env!("CARGO_MANIFEST_DIR")));
    options.threads = Some(2);
    run_experiment(&parsed, &text, &options, &NoProgress).unwrap();
    out
}

fn assert_svg_and_png(stem: &Path) {
    let svg = std::fs::read_to_string(stem.with_extension("svg")).unwrap();
    assert!(
        svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
        "not an SVG"
    );
    assert!(
        svg.contains("CD = "),
        "the SVG lacks the critical difference"
    );
    let png = std::fs::read(stem.with_extension("png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    // IHDR: width and height as big-endian u32 at bytes 16..24.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!(width, 900);
    assert!(height > 150, "height {height}");
}

#[test]
fn ranks_report_has_friedman_p_value_cd_diagram_and_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let a = run(&dir.path().join("a"), "synthetic-a", 1);
    let b = run(&dir.path().join("b"), "synthetic-b", 2);
    let c = run(&dir.path().join("c"), "synthetic-c", 3);

    // Trials are paired by seed: every optimizer ran the same ten seeds.
    let paired = PairedValues::read(&a, "test regret").unwrap();
    assert_eq!(paired.labels, vec!["RS", "REA", "LS"]);
    assert_eq!(paired.seeds.len(), 10);
    assert!(paired.values.iter().flatten().all(Option::is_some));

    let report =
        RankReport::from_run_dirs("test regret", &[a, b, c], RankOrder::LowerIsBetter).unwrap();
    let across = report
        .across
        .as_ref()
        .expect("three runs, three optimizers");
    assert_eq!(across.friedman.blocks, 3);
    // Chi-square with k - 1 = 2 degrees of freedom: p = exp(-statistic / 2).
    let p = across.friedman.p_value;
    assert!((p - (-across.friedman.statistic / 2.0).exp()).abs() < 1e-12);
    let figures = dir.path().join("ranks");
    let stem = report.write_figures(&figures).unwrap().unwrap();
    assert_svg_and_png(&stem);
    let md = report.markdown(Some("cd_diagram"));
    let p_text = if p >= 1e-4 {
        format!("p = {p:.4}")
    } else {
        format!("p = {p:.1e}")
    };
    assert!(
        md.contains("Friedman test over 3 benchmarks (3 optimizers)"),
        "{md}"
    );
    assert!(md.contains(&p_text), "{p_text} missing:\n{md}");
    assert!(
        md.contains("![Critical-difference diagram](cd_diagram.png)"),
        "{md}"
    );
    for name in ["synthetic-a", "synthetic-b", "synthetic-c"] {
        assert!(md.contains(&format!("## {name}: paired seeds")), "{md}");
        // Every pair gets a verdict in words, significant or not.
        assert!(
            md.contains(&format!(" on {name} (Holm-adjusted"))
                || md.contains(&format!("at 0.05 on {name}")),
            "{md}"
        );
    }
    assert!(md.contains("| RS vs REA | 10 |"), "{md}");
    assert!(md.contains("95% CI"), "{md}");

    // The run's own summary carries the same statistics over its seeds.
    let summary = std::fs::read_to_string(dir.path().join("a/run/summary.md")).unwrap();
    assert!(summary.contains("## Statistics"), "{summary}");
    assert!(
        summary.contains("Friedman test over 10 paired seeds (3 optimizers)"),
        "{summary}"
    );
    assert!(summary.contains("| RS vs LS | 10 |"), "{summary}");
    assert_svg_and_png(&dir.path().join("a/run/plots/cd_diagram"));
}
