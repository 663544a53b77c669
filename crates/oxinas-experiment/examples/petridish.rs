//! Runs a Petridish config and prints the gallery summary:
//! `cargo run -p oxinas-experiment --example petridish -- CONFIG [RUN_DIR] [THREADS]`.

// A command-line program: printing is its output.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use oxinas_experiment::{Progress, run_petridish_config};

/// Prints a line per trained model.
struct Lines {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Lines {
    fn start(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self, done: u64) {
        let done = self.done.fetch_add(done, Ordering::Relaxed) + done;
        eprintln!(
            "trained {done} of ~{} models",
            self.total.load(Ordering::Relaxed)
        );
    }
    fn finish(&self) {}
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(config) = args.first() else {
        eprintln!("usage: petridish CONFIG [RUN_DIR] [THREADS]");
        std::process::exit(2);
    };
    let run_dir = args.get(1).map(PathBuf::from);
    let threads = args.get(2).and_then(|t| t.parse().ok());
    let progress = Lines {
        total: AtomicU64::new(0),
        done: AtomicU64::new(0),
    };
    match run_petridish_config(
        &PathBuf::from(config),
        run_dir.as_deref(),
        threads,
        &progress,
    ) {
        Ok(summary) => print!("{summary}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
