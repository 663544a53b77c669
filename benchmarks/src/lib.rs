//! Performance benchmarks of oxinas: each case times one piece of real work,
//! checks that the work's result is right (so a fast wrong answer cannot pass
//! as a speed-up), and, where a peer implementation runs here, times that
//! reference on the same work in the same run so the ratio means something on
//! a shared machine.
//!
//! `cargo xtask bench [NAME] [--quick]` runs the `benchmarks` binary, which
//! runs every selected case in a child process of its own (so the peak memory
//! it reports is that case's alone), prints a markdown table and, in a full
//! run, updates `benchmarks/RESULTS.md`. [`all_cases`] lists the cases;
//! adding a benchmark is adding one [`Case`] to it.
//!
//! Timing is a small in-house loop ([`time_runs`]): a case decides how many
//! runs it makes (one in [`Mode::Quick`]) and reports every run's wall time;
//! the table shows median, min and max. Whole-workload cases (seconds each)
//! gain nothing from a statistics framework's warm-up and outlier models, and
//! the loop keeps the work, its check and its reference in one place.

mod case;
mod cases;
mod error;
mod machine;
mod peak_memory;
mod python_reference;
mod results_markdown;
mod timing;

pub use case::{Case, CaseReport, Check, Mode, ReferenceTiming, Throughput};
pub use cases::all_cases;
pub use error::BenchError;
pub use machine::Machine;
pub use peak_memory::peak_rss_kib;
pub use results_markdown::{merge_results_file, table_markdown};
pub use timing::{Summary, time_runs};
