//! Every input of the WAV fuzz corpus (`fuzz/corpus/wav/`, see
//! `fuzz/README.md`) through `read_wav`, as the fuzz target calls it, on the
//! stable toolchain: each may be accepted or rejected, none may panic.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use oxinas_nb360::fsd50k::read_wav;

#[test]
fn wav_corpus_reads_without_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/wav");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable corpus folder").path())
        .filter(|path| path.is_file())
        .collect();
    assert!(!files.is_empty(), "{}: an empty corpus", dir.display());
    let panicked: Vec<&PathBuf> = files
        .iter()
        .filter(|file| catch_unwind(AssertUnwindSafe(|| read_wav(file))).is_err())
        .collect();
    assert!(panicked.is_empty(), "read_wav panicked on {panicked:?}");
}
