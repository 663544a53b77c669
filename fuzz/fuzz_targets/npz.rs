//! The `.npz` reader (`oxinas_formats::npy::read_npz`), which reads a file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = oxinas_fuzz::input_file("fuzz.npz", data);
    let _ = oxinas_formats::npy::read_npz(&path);
});
