//! FSD50K's WAV reader (`oxinas_nb360::fsd50k::read_wav`), which reads a file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = oxinas_fuzz::input_file("fuzz.wav", data);
    let _ = oxinas_nb360::fsd50k::read_wav(&path);
});
