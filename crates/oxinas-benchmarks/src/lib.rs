//! Benchmark adapters.
