//! Enumerating the NAS-Bench-101 space and computing every cell's official
//! module hash.

use std::collections::HashSet;

use oxinas_core::Enumerable;
use oxinas_spaces::Nb101Space;

use crate::{BenchError, Case, CaseReport, Check, Mode, Throughput, time_runs};

/// Cells (isomorphism classes) of NB101, as published.
const NB101_CELLS: usize = 423_624;

/// The case.
pub fn case() -> Case {
    Case::new(
        "nb101/enumerate-hash",
        "NB101: list one cell per isomorphism class and hash all of them (rayon), count distinct hashes",
        run,
    )
}

fn run(mode: Mode) -> Result<CaseReport, BenchError> {
    let space = Nb101Space::new();
    let (samples, counts) = time_runs(mode.runs(3), || {
        let cells = space.enumerate().count();
        let hashed = space.enumerate_hashed();
        let distinct = hashed.iter().map(|(_, h)| *h).collect::<HashSet<_>>().len();
        Ok((cells, hashed.len(), distinct))
    })?;
    let (cells, hashed, distinct) = counts[0];
    let mut check = Check::new(
        cells == NB101_CELLS && hashed == NB101_CELLS && distinct == NB101_CELLS,
        format!("{cells} cells, {distinct} distinct hashes (published: 423,624)"),
    );
    if counts.iter().any(|c| *c != counts[0]) {
        check = check.and(Check::new(false, "repeated runs differ"));
    }
    Ok(CaseReport {
        name: "nb101/enumerate-hash".into(),
        samples_s: samples,
        throughput: Some(Throughput {
            items: NB101_CELLS as f64,
            unit: "graph".into(),
        }),
        reference: None,
        check,
        peak_rss_kib: None,
        note: format!(
            "{} threads; the class list is built once per process, so only the first run pays the listing (~0.3 s)",
            std::thread::available_parallelism().map_or(1, |n| n.get())
        ),
    })
}
