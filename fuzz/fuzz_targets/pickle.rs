//! The pickle virtual machine (`oxinas_formats::numpy_pickle::decode_pickle`).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = oxinas_formats::numpy_pickle::decode_pickle(data, Path::new("fuzz.pickle"));
});
