//! The result tables marked in README.md and docs/*.md are what their configs
//! produce: each block for a tabular benchmark is rerun here and compared
//! with the text (`cargo xtask readme` rewrites them). Blocks for training
//! runs depend on the CPU's floating-point paths and are not compared.

mod support;

use support::workspace_root;

use std::collections::BTreeMap;
use std::path::PathBuf;

use oxinas_experiment::{
    BenchmarkConfig, ExperimentConfig, NoProgress, RunOptions, config_data_files,
    find_generated_blocks, run_experiment,
};
use oxinas_testkit::data_file;

fn documents() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
}

#[test]
fn every_generated_table_is_what_its_config_produces() {
    let root = workspace_root();
    let mut tables: BTreeMap<PathBuf, Option<String>> = BTreeMap::new();
    let mut compared = 0;
    for file in documents() {
        let text = std::fs::read_to_string(&file).unwrap();
        for block in find_generated_blocks(&text, &file).unwrap() {
            let table = tables.entry(block.config.clone()).or_insert_with(|| {
                let path = root.join(&block.config);
                let (config, text) = ExperimentConfig::load(&path).unwrap();
                if matches!(
                    config.benchmark,
                    BenchmarkConfig::Train(_) | BenchmarkConfig::Nb360(_)
                ) {
                    return None;
                }
                let data = oxinas_core::data_root();
                for needed in config_data_files(&config, &path) {
                    let relative = needed.strip_prefix(&data).unwrap_or(&needed);
                    data_file(relative.to_str().unwrap())?;
                }
                let dir = tempfile::tempdir().unwrap();
                let mut options = RunOptions::new(&path, &dir.path().join("run"), &root);
                options.threads = Some(2);
                let report = run_experiment(&config, &text, &options, &NoProgress).unwrap();
                Some(report.comparison_markdown())
            });
            if let Some(table) = table {
                assert_eq!(
                    &block.body,
                    table,
                    "{} line {}: the table differs from what {} produces; run `cargo xtask readme`",
                    file.display(),
                    block.line,
                    block.config.display()
                );
                compared += 1;
            }
        }
    }
    // The README's Table 5 at least (unless its data is absent and the
    // test skipped above).
    if data_file("nb201/nb201_merged.csv").is_some() {
        assert!(compared >= 1, "no generated table was compared");
    }
}
