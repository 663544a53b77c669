//! The `.npy` reader (`oxinas_formats::npy::parse_npy`).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = oxinas_formats::npy::parse_npy(data, Path::new("fuzz.npy"));
});
