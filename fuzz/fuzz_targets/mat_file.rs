//! The level-5 MAT-file reader (`oxinas_formats::mat_file::parse_mat`).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = oxinas_formats::mat_file::parse_mat(data, Path::new("fuzz.mat"));
});
