//! NATS-Bench's per-architecture archive files, bzip2-compressed pickles
//! (`read_nats_arch_file`). With an even first byte the rest is compressed
//! before it is written, so the fuzzer works on the pickle and the record
//! structure; with an odd one it is the file as it is.
#![no_main]

use std::io::Write;

use bzip2::Compression;
use bzip2::write::BzEncoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode % 2 == 0 {
        let mut encoder = BzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(rest).expect("writing to memory");
        encoder.finish().expect("writing to memory")
    } else {
        rest.to_vec()
    };
    let path = oxinas_fuzz::input_file("fuzz.pickle.pbz2", &file);
    let _ = oxinas_benchmarks::read_nats_arch_file(&path);
});
