//! NAS-Bench-NLP's gzipped JSON-lines logs (`read_nlp_logs`). With an even
//! first byte the rest is gzipped before it is written, so the fuzzer works
//! on the JSON lines; with an odd one it is the file as it is.
#![no_main]

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode % 2 == 0 {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(rest).expect("writing to memory");
        encoder.finish().expect("writing to memory")
    } else {
        rest.to_vec()
    };
    let path = oxinas_fuzz::input_file("fuzz.jsonl.gz", &file);
    let _ = oxinas_benchmarks::read_nlp_logs(&path);
});
