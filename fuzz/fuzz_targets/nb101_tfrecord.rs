//! NAS-Bench-101's TFRecord files (`Nb101TfRecordReader::read_all`): TFRecord
//! framing, the JSON array of each record, and its base64 `ModelMetrics`
//! protocol buffer. With an even first byte the rest is the file as it is;
//! with an odd one every line of the rest becomes one record, framed with
//! correct lengths and checksums, so the fuzzer gets past the CRCs to the
//! JSON and protobuf decoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxinas_benchmarks::{Nb101TfRecordReader, TfRecordWriter};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let file = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut writer = TfRecordWriter::new(Vec::new());
        for record in rest.split(|&b| b == b'\n') {
            writer.write_record(record).expect("writing to memory");
        }
        writer.finish().expect("writing to memory")
    };
    let path = oxinas_fuzz::input_file("fuzz.tfrecord", &file);
    let _ = Nb101TfRecordReader::read_all(&path);
});
