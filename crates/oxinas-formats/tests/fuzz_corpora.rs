//! Every input of the fuzz corpora (`fuzz/corpus/<target>/`, see
//! `fuzz/README.md`) through the reader its fuzz target calls, on the stable
//! toolchain: each may be accepted or rejected, none may panic.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use oxinas_formats::{mat_file, npy, numpy_pickle};

/// The files of `fuzz/corpus/<target>/`; fails when there are none.
fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable corpus folder").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: an empty corpus", dir.display());
    files
}

/// Runs `read` on every corpus file of `target`; fails naming each file whose
/// reading panicked.
fn no_panics(target: &str, read: impl Fn(&Path, &[u8])) {
    let panicked: Vec<String> = corpus(target)
        .into_iter()
        .filter(|file| {
            let bytes = std::fs::read(file).expect("a readable corpus file");
            catch_unwind(AssertUnwindSafe(|| read(file, &bytes))).is_err()
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(
        panicked.is_empty(),
        "{target}: reading panicked on {panicked:?}"
    );
}

#[test]
fn pickle_corpus_reads_without_panics() {
    no_panics("pickle", |file, bytes| {
        let _ = numpy_pickle::decode_pickle(bytes, file);
    });
}

#[test]
fn npy_corpus_reads_without_panics() {
    no_panics("npy", |file, bytes| {
        let _ = npy::parse_npy(bytes, file);
    });
}

#[test]
fn npz_corpus_reads_without_panics() {
    no_panics("npz", |file, _| {
        let _ = npy::read_npz(file);
    });
}

#[test]
fn mat_file_corpus_reads_without_panics() {
    no_panics("mat_file", |file, bytes| {
        let _ = mat_file::parse_mat(bytes, file);
    });
}
