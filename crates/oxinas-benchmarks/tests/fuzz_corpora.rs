//! Every input of the benchmark readers' fuzz corpora (`fuzz/corpus/<target>/`,
//! see `fuzz/README.md`) through the reader its fuzz target calls, prepared the
//! same way (selector byte, compression, TFRecord framing), on the stable
//! toolchain: each may be accepted or rejected, none may panic.

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use oxinas_benchmarks::{
    Nb101Table, Nb101TfRecordReader, Nb201Table, TableBenchmark, TableConfig, TableObjective,
    TfRecordWriter, read_nats_arch_file, read_nlp_logs,
};
use oxinas_core::Goal;
use oxinas_spaces::Nb201Space;

/// Runs `read` on the bytes of every file of `fuzz/corpus/<target>/`, with a
/// scratch folder; fails when the corpus is empty, and names each file whose
/// reading panicked.
fn no_panics(target: &str, read: impl Fn(&[u8], &Path)) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable corpus folder").path())
        .filter(|path| path.is_file())
        .collect();
    assert!(!files.is_empty(), "{}: an empty corpus", dir.display());
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let panicked: Vec<&PathBuf> = files
        .iter()
        .filter(|file| {
            let bytes = std::fs::read(file).expect("a readable corpus file");
            catch_unwind(AssertUnwindSafe(|| read(&bytes, scratch.path()))).is_err()
        })
        .collect();
    assert!(
        panicked.is_empty(),
        "{target}: reading panicked on {panicked:?}"
    );
}

/// Writes `bytes` as `name` in `dir`.
fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("a writable temporary folder");
    path
}

#[test]
fn csv_table_corpus_reads_without_panics() {
    no_panics("csv_tables", |input, dir| {
        let Some((&selector, rest)) = input.split_first() else {
            return;
        };
        let path = file(dir, "table.csv", rest);
        match selector % 3 {
            0 => {
                let mut config = TableConfig::new(
                    path,
                    "nb201",
                    "arch",
                    TableObjective::column("valid", Goal::Maximize),
                );
                config.test = Some(TableObjective::column("test", Goal::Maximize));
                config.cost_column = Some("cost".into());
                config.params_column = Some("params".into());
                config.epochs = 200;
                let _ = TableBenchmark::load(Nb201Space::new(), config);
            }
            1 => {
                let _ = Nb201Table::from_csv(&path);
            }
            _ => {
                let _ = Nb101Table::from_csv(&path);
            }
        }
    });
}

#[test]
fn nb101_tfrecord_corpus_reads_without_panics() {
    no_panics("nb101_tfrecord", |input, dir| {
        let Some((&mode, rest)) = input.split_first() else {
            return;
        };
        let bytes = if mode % 2 == 0 {
            rest.to_vec()
        } else {
            let mut writer = TfRecordWriter::new(Vec::new());
            for record in rest.split(|&b| b == b'\n') {
                writer.write_record(record).expect("writing to memory");
            }
            writer.finish().expect("writing to memory")
        };
        let _ = Nb101TfRecordReader::read_all(&file(dir, "runs.tfrecord", &bytes));
    });
}

#[test]
fn nlp_log_corpus_reads_without_panics() {
    no_panics("nlp_logs", |input, dir| {
        let Some((&mode, rest)) = input.split_first() else {
            return;
        };
        let bytes = if mode % 2 == 0 {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(rest).expect("writing to memory");
            encoder.finish().expect("writing to memory")
        } else {
            rest.to_vec()
        };
        let _ = read_nlp_logs(&file(dir, "logs.jsonl.gz", &bytes));
    });
}

#[test]
fn nats_archive_corpus_reads_without_panics() {
    no_panics("nats_archive", |input, dir| {
        let Some((&mode, rest)) = input.split_first() else {
            return;
        };
        let bytes = if mode % 2 == 0 {
            let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            encoder.write_all(rest).expect("writing to memory");
            encoder.finish().expect("writing to memory")
        } else {
            rest.to_vec()
        };
        let _ = read_nats_arch_file(&file(dir, "000000.pickle.pbz2", &bytes));
    });
}
