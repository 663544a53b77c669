//! Every input of the `arch_strings` fuzz corpus (`fuzz/corpus/arch_strings/`,
//! see `fuzz/README.md`) through the check its fuzz target makes, on the
//! stable toolchain: the first byte picks the space (modulo 9, in the order of
//! `SPACES`), the rest is the text. Parsing may succeed or fail but not panic,
//! and a string that parses survives a round trip through the official format.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use oxinas_core::SearchSpace;
use oxinas_spaces::{
    AsrSpace, DartsSpace, Nb101Space, Nb201Space, NbMacroSpace, NlpSpace, OfaSpace,
    TransNasMacroSpace, TransNasMicroSpace,
};

/// The spaces in selector order, as the fuzz target numbers them.
const SPACES: [&str; 9] = [
    "asr",
    "darts",
    "nb_macro",
    "nb101",
    "nb201",
    "nlp",
    "ofa",
    "transnas_macro",
    "transnas_micro",
];

/// Parses `text`; when it parses, formats it, parses that again and checks
/// that the canonical key and the formatted string are unchanged. Returns
/// whether `text` parsed.
fn round_trip<S: SearchSpace>(space: &S, text: &str) -> bool {
    let Ok(arch) = space.parse(text) else {
        return false;
    };
    let written = space.format(&arch);
    let again = space.parse(&written).unwrap_or_else(|e| {
        panic!(
            "{}: `{written}`, formatted from `{text}`, does not parse: {e}",
            space.name()
        )
    });
    assert_eq!(space.canonical(&again), space.canonical(&arch));
    assert_eq!(space.format(&again), written);
    true
}

fn check(input: &[u8]) -> bool {
    let Some((&selector, rest)) = input.split_first() else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return false;
    };
    match selector % 9 {
        0 => round_trip(&AsrSpace::new(), text),
        1 => round_trip(&DartsSpace::new(), text),
        2 => round_trip(&NbMacroSpace::new(), text),
        3 => round_trip(&Nb101Space::new(), text),
        4 => round_trip(&Nb201Space::new(), text),
        5 => round_trip(&NlpSpace::new(), text),
        6 => round_trip(&OfaSpace::new(), text),
        7 => round_trip(&TransNasMacroSpace::new(), text),
        _ => round_trip(&TransNasMicroSpace::new(), text),
    }
}

#[test]
fn arch_string_corpus_parses_without_panics_and_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/arch_strings");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable corpus folder").path())
        .filter(|path| path.is_file())
        .collect();
    assert!(!files.is_empty(), "{}: an empty corpus", dir.display());
    let mut parsed = [0usize; 9];
    let mut panicked = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("a readable corpus file");
        match catch_unwind(AssertUnwindSafe(|| check(&bytes))) {
            Ok(true) => parsed[usize::from(bytes[0] % 9)] += 1,
            Ok(false) => {}
            Err(_) => panicked.push(file.display().to_string()),
        }
    }
    assert!(panicked.is_empty(), "panicked on {panicked:?}");
    // The corpus holds valid strings of every space, so each parser's accepting
    // path is exercised too, not only its errors.
    for (space, count) in SPACES.iter().zip(parsed) {
        assert!(count > 0, "no corpus string of `{space}` parses");
    }
}
