//! Enumerates and hashes the whole NAS-Bench-101 space, and reports how long
//! it took. Run with `cargo run --release -p oxinas-spaces --example nb101_enumerate`
//! under `/usr/bin/time -v` to see the peak memory too.

#![allow(clippy::print_stdout)]

use std::collections::HashSet;
use std::time::Instant;

use oxinas_core::Enumerable;
use oxinas_spaces::Nb101Space;

fn main() {
    let space = Nb101Space::new();
    let start = Instant::now();
    let cells = space.enumerate().count();
    let listed = start.elapsed();
    let hashed = space.enumerate_hashed();
    let distinct: HashSet<_> = hashed.iter().map(|(_, hash)| *hash).collect();
    let total = start.elapsed();
    println!(
        "{cells} cells listed in {:.2} s; {} distinct hashes after {:.2} s in total ({} rayon threads)",
        listed.as_secs_f64(),
        distinct.len(),
        total.as_secs_f64(),
        rayon::current_num_threads()
    );
}
