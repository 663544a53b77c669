//! Times encoding every architecture of an enumerable space (NAS-Bench-201:
//! 15,625 cells; NAS-Bench-101: 423,624; NAS-Bench-Macro: 6,561;
//! TransNAS-Bench-101 micro: 4,096, macro: 3,256; NAS-Bench-ASR: 13,824) with
//! each of its registered encodings.
//!
//! `cargo run --release -p oxinas-encodings --example encode_all [space] [repeats]`
//! with space one of nb201 (default), nb101, nb-macro, transnas-micro,
//! transnas-macro, asr.
//!
//! Vector encodings write the whole space into one preallocated matrix;
//! graph encodings reuse one set of buffers. Each encoding is timed `repeats`
//! times (default 20) and the fastest and median runs are reported, with the
//! one-off cost of building the encoding (the truncated path encoding ranks
//! paths over the whole space when built).

// A benchmark binary reports on stdout.
#![allow(clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use oxinas_core::Enumerable;
use oxinas_encodings::{EncodableSpace, Encoding, GraphBuffers};
use oxinas_spaces::{
    AsrSpace, Nb101Space, Nb201Space, NbMacroSpace, TransNasMacroSpace, TransNasMicroSpace,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let space = std::env::args().nth(1).unwrap_or_else(|| "nb201".into());
    let repeats: usize = match std::env::args().nth(2) {
        Some(arg) => arg.parse()?,
        None => 20,
    };
    match space.as_str() {
        "nb201" => time_all(&Nb201Space::new(), repeats),
        "nb101" => time_all(&Nb101Space::new(), repeats),
        "nb-macro" => time_all(&NbMacroSpace::new(), repeats),
        "transnas-micro" => time_all(&TransNasMicroSpace::new(), repeats),
        "transnas-macro" => time_all(&TransNasMacroSpace::new(), repeats),
        "asr" => time_all(&AsrSpace::new(), repeats),
        other => Err(format!(
            "unknown space `{other}`; expected nb201, nb101, nb-macro, transnas-micro, transnas-macro or asr"
        )
        .into()),
    }
}

/// Times every registered encoding of `space` over its whole enumeration.
fn time_all<S: EncodableSpace + Enumerable>(
    space: &S,
    repeats: usize,
) -> Result<(), Box<dyn std::error::Error>>
where
    S::Arch: 'static,
{
    let listed_at = Instant::now();
    let archs: Vec<_> = space.enumerate().collect();
    println!(
        "{} {} architectures (listed in {:.1} ms), {repeats} repeats per encoding",
        archs.len(),
        space.name(),
        ms(listed_at.elapsed())
    );
    println!(
        "{:<18} {:>6} {:>10} {:>10} {:>10} {:>11}",
        "encoding", "size", "build ms", "best ms", "median ms", "ns / cell"
    );
    let registry = space.encodings();
    for name in registry.names() {
        let built_at = Instant::now();
        let encoding = registry.get(name)?;
        let build = built_at.elapsed();
        let mut times = Vec::with_capacity(repeats);
        let size = match &encoding {
            Encoding::Vector(e) => {
                let mut matrix = vec![0.0; archs.len() * e.dim()];
                for _ in 0..repeats {
                    let start = Instant::now();
                    e.encode_batch_into(&archs, &mut matrix)?;
                    black_box(&matrix);
                    times.push(start.elapsed());
                }
                format!("{}", e.dim())
            }
            Encoding::Graph(e) => {
                let n = e.max_nodes();
                let mut features = vec![0.0; n * e.num_node_features()];
                let mut adjacency = vec![0.0; n * n];
                let mut graph_features = vec![0.0; e.num_graph_features()];
                for _ in 0..repeats {
                    let start = Instant::now();
                    for arch in &archs {
                        e.encode_into(
                            arch,
                            GraphBuffers {
                                node_features: &mut features,
                                adjacency: &mut adjacency,
                                graph_features: &mut graph_features,
                            },
                        )?;
                        black_box((&features, &adjacency));
                    }
                    times.push(start.elapsed());
                }
                format!("{n}x{}", e.num_node_features())
            }
        };
        times.sort();
        let best = times.first().copied().unwrap_or_default();
        let median = times.get(times.len() / 2).copied().unwrap_or_default();
        println!(
            "{name:<18} {size:>6} {:>10.3} {:>10.3} {:>10.3} {:>11.1}",
            ms(build),
            ms(best),
            ms(median),
            best.as_secs_f64() * 1e9 / archs.len() as f64
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
