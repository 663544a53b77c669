//! The architecture-string parsers of every search space. The first byte
//! picks the space (its value modulo 9, in the order of `SPACES` in
//! `crates/oxinas-spaces/tests/fuzz_corpora.rs`); the rest is the text.
//!
//! Beyond "no panic", a string that parses must survive a round trip: its
//! official format parses again to an architecture with the same canonical
//! key, and formatting that gives the same string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxinas_core::SearchSpace;
use oxinas_spaces::{
    AsrSpace, DartsSpace, Nb101Space, Nb201Space, NbMacroSpace, NlpSpace, OfaSpace,
    TransNasMacroSpace, TransNasMicroSpace,
};

fn round_trip<S: SearchSpace>(space: &S, text: &str) {
    let Ok(arch) = space.parse(text) else { return };
    let written = space.format(&arch);
    let again = space.parse(&written).unwrap_or_else(|e| {
        panic!(
            "{}: `{written}`, formatted from `{text}`, does not parse: {e}",
            space.name()
        )
    });
    assert_eq!(
        space.canonical(&again),
        space.canonical(&arch),
        "{}: `{text}` -> `{written}`",
        space.name()
    );
    assert_eq!(space.format(&again), written, "{}: `{text}`", space.name());
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
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
});
