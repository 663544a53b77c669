//! Writes [`PyValue`]s as protocol 2 pickles the way Python 3 and NumPy write
//! them, so that fixtures our tests generate are the files the benchmark's
//! Python code reads (`pickle.load`, `np.load(allow_pickle=True)`).
//!
//! Arrays go through NumPy's `ndarray.__reduce__`:
//! `numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')` then
//! `BUILD` with `(1, shape, dtype, False, data)`, where `data` is the raw
//! little-endian bytes (as `_codecs.encode(latin-1 str, 'latin1')`, protocol
//! 2's spelling of `bytes`) or, for object arrays, a list of the elements.
//! The memo follows CPython's identity rules where they are fixed: globals,
//! dtypes, the `'latin1'` constant, and CPython's cached one-character
//! strings and zero/one-byte bytes are stored once and fetched again;
//! everything else is stored fresh. 0-d arrays are written as 0-d ndarrays
//! (NumPy scalars decode to them, so they do not round-trip to scalars).

use std::collections::HashMap;

use crate::py_value::{ArrayData, NdArray, PyValue};

/// Items per APPENDS / SETITEMS batch (pickle's `_BATCHSIZE`).
const BATCH: usize = 1000;

/// The protocol 2 pickle of `value`, as Python 3's `pickle.dumps(value, 2)`.
pub fn pickle_value(value: &PyValue) -> Vec<u8> {
    let mut w = Writer::default();
    w.out.extend_from_slice(&[0x80, 2]);
    w.value(value);
    w.out.push(b'.');
    w.out
}

/// Memo keys for objects CPython shares by identity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Shared {
    Global(&'static str),
    Dtype(&'static str),
    ShortStr(String),
    ShortBytes(Vec<u8>),
    Latin1,
}

#[derive(Default)]
struct Writer {
    out: Vec<u8>,
    memo_len: u32,
    shared: HashMap<Shared, u32>,
}

impl Writer {
    fn memoize(&mut self) -> u32 {
        let idx = self.memo_len;
        self.memo_len += 1;
        if let Ok(small) = u8::try_from(idx) {
            self.out.extend_from_slice(&[b'q', small]);
        } else {
            self.out.push(b'r');
            self.out.extend_from_slice(&idx.to_le_bytes());
        }
        idx
    }

    fn get(&mut self, idx: u32) {
        if let Ok(small) = u8::try_from(idx) {
            self.out.extend_from_slice(&[b'h', small]);
        } else {
            self.out.push(b'j');
            self.out.extend_from_slice(&idx.to_le_bytes());
        }
    }

    /// Writes a shared object once; later uses fetch it from the memo.
    fn shared(&mut self, key: Shared, write: impl FnOnce(&mut Self)) -> bool {
        if let Some(&idx) = self.shared.get(&key) {
            self.get(idx);
            return false;
        }
        write(self);
        let idx = self.memoize();
        self.shared.insert(key, idx);
        true
    }

    fn global(&mut self, module: &str, name: &'static str, key: &'static str) {
        self.shared(Shared::Global(key), |w| {
            w.out.push(b'c');
            w.out.extend_from_slice(module.as_bytes());
            w.out.push(b'\n');
            w.out.extend_from_slice(name.as_bytes());
            w.out.push(b'\n');
        });
    }

    fn int(&mut self, v: i64) {
        if (0..=0xff).contains(&v) {
            self.out.extend_from_slice(&[b'K', v as u8]);
        } else if (0..=0xffff).contains(&v) {
            self.out.push(b'M');
            self.out.extend_from_slice(&(v as u16).to_le_bytes());
        } else if let Ok(v32) = i32::try_from(v) {
            self.out.push(b'J');
            self.out.extend_from_slice(&v32.to_le_bytes());
        } else {
            // LONG1 with the shortest two's-complement encoding (pickle's encode_long).
            let bytes = v.to_le_bytes();
            let mut n = 8;
            while n > 1 {
                let top = bytes[n - 1];
                let next_sign = bytes[n - 2] & 0x80;
                if (top == 0 && next_sign == 0) || (top == 0xff && next_sign != 0) {
                    n -= 1;
                } else {
                    break;
                }
            }
            self.out.extend_from_slice(&[0x8a, n as u8]);
            self.out.extend_from_slice(&bytes[..n]);
        }
    }

    fn raw_str(&mut self, s: &str) {
        self.out.push(b'X');
        self.out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.out.extend_from_slice(s.as_bytes());
    }

    fn str(&mut self, s: &str) {
        let mut chars = s.chars();
        let short = match (chars.next(), chars.next()) {
            (None, _) => true,
            (Some(c), None) => u32::from(c) < 0x100,
            _ => false,
        };
        if short {
            self.shared(Shared::ShortStr(s.to_owned()), |w| w.raw_str(s));
        } else {
            self.raw_str(s);
            self.memoize();
        }
    }

    fn bytes(&mut self, b: &[u8]) {
        if b.len() <= 1 {
            self.shared(Shared::ShortBytes(b.to_vec()), |w| w.bytes_reduce(b));
        } else {
            self.bytes_reduce(b);
            self.memoize();
        }
    }

    /// Python 3 protocol 2 `bytes`: `bytes()` or `_codecs.encode(s, 'latin1')`.
    fn bytes_reduce(&mut self, b: &[u8]) {
        if b.is_empty() {
            self.global("__builtin__", "bytes", "bytes");
            self.out.extend_from_slice(b")R");
            return;
        }
        self.global("_codecs", "encode", "encode");
        let latin1: String = b.iter().map(|&c| char::from(c)).collect();
        self.raw_str(&latin1);
        self.memoize();
        self.shared(Shared::Latin1, |w| w.raw_str("latin1"));
        self.out.push(0x86);
        self.memoize();
        self.out.push(b'R');
    }

    fn tuple(&mut self, items: &[PyValue]) {
        self.tuple_with(items.len(), |w, i| w.value(&items[i]));
    }

    fn tuple_with(&mut self, n: usize, mut item: impl FnMut(&mut Self, usize)) {
        match n {
            0 => self.out.push(b')'),
            1..=3 => {
                (0..n).for_each(|i| item(self, i));
                self.out.push(0x84 + n as u8);
                self.memoize();
            }
            _ => {
                self.out.push(b'(');
                (0..n).for_each(|i| item(self, i));
                self.out.push(b't');
                self.memoize();
            }
        }
    }

    fn list(&mut self, items: &[PyValue]) {
        self.out.push(b']');
        self.memoize();
        for batch in items.chunks(BATCH) {
            if batch.len() == 1 {
                self.value(&batch[0]);
                self.out.push(b'a');
            } else {
                self.out.push(b'(');
                batch.iter().for_each(|v| self.value(v));
                self.out.push(b'e');
            }
        }
    }

    fn dict(&mut self, pairs: &[(PyValue, PyValue)]) {
        self.out.push(b'}');
        self.memoize();
        for batch in pairs.chunks(BATCH) {
            if batch.len() == 1 {
                self.value(&batch[0].0);
                self.value(&batch[0].1);
                self.out.push(b's');
            } else {
                self.out.push(b'(');
                for (k, v) in batch {
                    self.value(k);
                    self.value(v);
                }
                self.out.push(b'u');
            }
        }
    }

    fn dtype(&mut self, data: &ArrayData) {
        let (descr, order, flags): (&'static str, &str, i64) = match data {
            ArrayData::Bool(_) => ("b1", "|", 0),
            ArrayData::U8(_) => ("u1", "|", 0),
            ArrayData::I8(_) => ("i1", "|", 0),
            ArrayData::I16(_) => ("i2", "<", 0),
            ArrayData::I32(_) => ("i4", "<", 0),
            ArrayData::I64(_) => ("i8", "<", 0),
            ArrayData::F32(_) => ("f4", "<", 0),
            ArrayData::F64(_) => ("f8", "<", 0),
            ArrayData::Object(_) => ("O8", "|", 63),
        };
        if let Some(&idx) = self.shared.get(&Shared::Dtype(descr)) {
            self.get(idx);
            return;
        }
        self.global("numpy", "dtype", "dtype");
        self.raw_str(descr);
        self.memoize();
        self.out.extend_from_slice(&[0x89, 0x88, 0x87]);
        self.memoize();
        self.out.push(b'R');
        let idx = self.memoize();
        self.shared.insert(Shared::Dtype(descr), idx);
        // State (3, byteorder, None, None, None, -1, -1, flags).
        self.out.push(b'(');
        self.int(3);
        self.str(order);
        self.out.extend_from_slice(b"NNN");
        self.int(-1);
        self.int(-1);
        self.int(flags);
        self.out.push(b't');
        self.memoize();
        self.out.push(b'b');
    }

    fn array(&mut self, array: &NdArray) {
        self.global("numpy.core.multiarray", "_reconstruct", "_reconstruct");
        self.global("numpy", "ndarray", "ndarray");
        self.int(0);
        self.out.push(0x85);
        self.memoize();
        self.bytes(b"b");
        self.out.push(0x87);
        self.memoize();
        self.out.push(b'R');
        self.memoize();
        // State (1, shape, dtype, is_fortran=False, data).
        self.out.push(b'(');
        self.int(1);
        let shape = &array.shape;
        self.tuple_with(shape.len(), |w, i| w.int(shape[i] as i64));
        self.dtype(&array.data);
        self.out.push(0x89);
        match &array.data {
            ArrayData::Object(items) => self.list(items),
            data => self.bytes(&raw_le_bytes(data)),
        }
        self.out.push(b't');
        self.memoize();
        self.out.push(b'b');
    }

    fn value(&mut self, value: &PyValue) {
        match value {
            PyValue::None => self.out.push(b'N'),
            PyValue::Bool(true) => self.out.push(0x88),
            PyValue::Bool(false) => self.out.push(0x89),
            PyValue::Int(v) => self.int(*v),
            PyValue::Float(f) => {
                self.out.push(b'G');
                self.out.extend_from_slice(&f.to_be_bytes());
            }
            PyValue::Str(s) => self.str(s),
            PyValue::Bytes(b) => self.bytes(b),
            PyValue::List(items) => self.list(items),
            PyValue::Tuple(items) => self.tuple(items),
            PyValue::Dict(pairs) => self.dict(pairs),
            PyValue::Array(array) => self.array(array),
        }
    }
}

/// An array's elements as NumPy's `tobytes()` (little-endian, C order).
fn raw_le_bytes(data: &ArrayData) -> Vec<u8> {
    match data {
        ArrayData::Bool(v) => v.iter().map(|&b| u8::from(b)).collect(),
        ArrayData::U8(v) => v.clone(),
        ArrayData::I8(v) => v.iter().map(|&x| x as u8).collect(),
        ArrayData::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ArrayData::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ArrayData::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ArrayData::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ArrayData::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ArrayData::Object(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::numpy_pickle::decode_pickle;

    /// NumPy 2.4's `pickle.dumps(p2, protocol=2)` with `numpy._core.` spelt
    /// `numpy.core.` (see the script in `numpy_pickle`'s tests).
    const NUMPY_PROTOCOL2: &[u8] = include_bytes!("../tests/fixtures/numpy_protocol2.pickle");

    fn round_trip(value: &PyValue) -> PyValue {
        decode_pickle(&pickle_value(value), Path::new("written.pickle")).expect("decodes")
    }

    fn arr(shape: Vec<usize>, data: ArrayData) -> PyValue {
        PyValue::Array(NdArray { shape, data })
    }

    #[test]
    fn writer_reproduces_numpys_protocol2_bytes() {
        let value = decode_pickle(NUMPY_PROTOCOL2, Path::new("fixture")).expect("decodes");
        let written = pickle_value(&value);
        assert_eq!(written.len(), NUMPY_PROTOCOL2.len());
        let first_difference = written
            .iter()
            .zip(NUMPY_PROTOCOL2)
            .position(|(a, b)| a != b);
        assert_eq!(first_difference, None);
    }

    #[test]
    fn every_dtype_and_container_round_trips() {
        let value = PyValue::Dict(vec![
            (
                PyValue::Str("arrays".into()),
                PyValue::List(vec![
                    arr(vec![2, 2], ArrayData::Bool(vec![true, false, false, true])),
                    arr(vec![3], ArrayData::U8(vec![0, 128, 255])),
                    arr(vec![2], ArrayData::I8(vec![-128, 127])),
                    arr(vec![2], ArrayData::I16(vec![-30000, 30000])),
                    arr(vec![1, 2], ArrayData::I32(vec![i32::MIN, i32::MAX])),
                    arr(vec![2], ArrayData::I64(vec![i64::MIN, i64::MAX])),
                    arr(vec![2, 1, 1], ArrayData::F32(vec![f32::MIN_POSITIVE, -0.5])),
                    arr(vec![], ArrayData::F64(vec![std::f64::consts::PI])),
                    arr(vec![0, 3], ArrayData::F64(vec![])),
                    arr(
                        vec![2],
                        ArrayData::Object(vec![
                            PyValue::Str("N".into()),
                            arr(vec![2], ArrayData::F64(vec![1.0, 2.0])),
                        ]),
                    ),
                ]),
            ),
            (
                PyValue::Bytes(b"k".to_vec()),
                PyValue::Tuple(vec![
                    PyValue::Tuple(vec![]),
                    PyValue::Int(-300),
                    PyValue::Int(1 << 33),
                    PyValue::Int(-(1 << 40)),
                    PyValue::Bytes(vec![]),
                    PyValue::Bytes((0..=255).collect()),
                ]),
            ),
            (PyValue::Int(7), PyValue::Float(-1e300)),
            (PyValue::None, PyValue::Bool(false)),
        ]);
        assert_eq!(round_trip(&value), value);
    }

    #[test]
    fn long_lists_use_batches_and_long_memo_indices() {
        // 2500 distinct strings: three APPENDS batches and memo indices past 255.
        let items: Vec<PyValue> = (0..2500).map(|i| PyValue::Str(format!("s{i}"))).collect();
        let dict: Vec<(PyValue, PyValue)> = (0..1001)
            .map(|i| (PyValue::Int(i), PyValue::Str("N".into())))
            .collect();
        let value = PyValue::Tuple(vec![PyValue::List(items), PyValue::Dict(dict)]);
        let bytes = pickle_value(&value);
        assert!(bytes.contains(&b'r'), "LONG_BINPUT expected");
        assert_eq!(round_trip(&value), value);
    }

    #[test]
    fn integers_use_the_smallest_opcode_python_uses() {
        // Expected bytes from Python 3: `pickle.dumps(v, 2)[2:-1]`.
        let cases: [(i64, &[u8]); 6] = [
            (5, b"K\x05"),
            (256, b"M\x00\x01"),
            (-1, b"J\xff\xff\xff\xff"),
            (1 << 31, b"\x8a\x05\x00\x00\x00\x80\x00"),
            (-(1 << 31) - 1, b"\x8a\x05\xff\xff\xff\x7f\xff"),
            (i64::MIN, b"\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80"),
        ];
        for (v, expected) in cases {
            let bytes = pickle_value(&PyValue::Int(v));
            assert_eq!(&bytes[2..bytes.len() - 1], expected, "{v}");
        }
    }
}
