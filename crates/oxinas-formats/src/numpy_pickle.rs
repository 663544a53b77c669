//! A pickle decoder for the pickles NAS benchmarks publish: NAS-Bench-360's
//! NumPy-holding ones (CIFAR-100's Python 2 batches, Spherical CIFAR-100,
//! ECG's `challenge2017.pkl`, object arrays inside `.npy` files) and the
//! NATS-Bench archive's dicts of `OrderedDict`s.
//!
//! It is a small pickle virtual machine for protocols 0 to 5 that only knows
//! plain Python containers and the handful of globals NumPy pickles use:
//! `_reconstruct` + `BUILD` (protocols 2-4), `_frombuffer` (protocol 5),
//! `numpy.dtype`, NumPy scalars, `_codecs.encode` (Python 3's protocol 2
//! bytes), `collections.OrderedDict`, `set`/`frozenset`, `bytes` and
//! `bytearray`. Any other global is refused with the byte offset and the
//! class name, so nothing outside that list is ever "called". A length an
//! opcode declares is checked against the bytes left before anything is
//! copied ([`FormatError::Truncated`]).
//!
//! Decoding follows `pickle.load(f, encoding="bytes")`: a Python 2 `str`
//! becomes [`PyValue::Bytes`]. NumPy scalars become 0-d arrays, sets become
//! lists, fixed-width string arrays (`U`/`S` dtypes) become object arrays of
//! `Str`/`Bytes`, and unsigned 16/32/64-bit and half-float arrays are widened
//! to the next signed/float type [`ArrayData`] has (a `uint64` value above
//! `i64::MAX` is an error). Fortran-ordered arrays are reordered to C order.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use crate::error::FormatError;
use crate::py_value::{ArrayData, NdArray, PyValue};

/// Deepest nesting of containers accepted (deeper input is an error rather
/// than a stack overflow).
const MAX_DEPTH: usize = 512;

/// Decodes a pickle (protocols 0-5) holding Python containers and NumPy
/// arrays; `path` only names the file in errors.
pub fn decode_pickle(bytes: &[u8], path: &Path) -> Result<PyValue, FormatError> {
    // A budget on the values produced guards against shared references
    // nested to blow up exponentially.
    let budget = bytes.len().saturating_mul(4).saturating_add(1024);
    let mut vm = Machine {
        input: bytes,
        pos: 0,
        path,
        nodes: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        refs: Vec::new(),
        entries_left: budget,
    };
    let root = vm.run()?;
    vm.memo.clear();
    vm.count_references();
    let mut budget = budget;
    vm.convert(root, 0, &mut budget)
}

/// Reads and decodes the pickle file at `path`.
pub fn read_pickle_file(path: &Path) -> Result<PyValue, FormatError> {
    let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
    decode_pickle(&bytes, path)
}

/// The value under `key` (a `str` or Python 2 `bytes` key) of a decoded
/// dict; the error names `path`, where the dict is (`context`) and the key.
pub fn dict_item<'v>(
    value: &'v PyValue,
    key: &str,
    path: &Path,
    context: &str,
) -> Result<&'v PyValue, FormatError> {
    match value {
        PyValue::Dict(_) => value
            .get(key)
            .ok_or_else(|| FormatError::malformed(path, format!("{context}: missing key '{key}'"))),
        other => Err(FormatError::malformed(
            path,
            format!("{context}: expected a dict, found {}", other.kind()),
        )),
    }
}

/// Moves the value under `key` out of a decoded dict (leaving `None`), so
/// that large arrays are not copied; errors as [`dict_item`].
pub fn take_dict_item(
    value: &mut PyValue,
    key: &str,
    path: &Path,
    context: &str,
) -> Result<PyValue, FormatError> {
    dict_item(value, key, path, context)?;
    let PyValue::Dict(items) = value else {
        return Err(FormatError::malformed(
            path,
            format!("{context}: expected a dict"),
        ));
    };
    let slot = items.iter_mut().find_map(|(k, v)| match k {
        PyValue::Str(s) if s == key => Some(v),
        PyValue::Bytes(b) if b == key.as_bytes() => Some(v),
        _ => None,
    });
    Ok(slot.map_or(PyValue::None, |v| std::mem::replace(v, PyValue::None)))
}

/// The items of a list, tuple or 1-d object array.
pub fn sequence_items<'v>(
    value: &'v PyValue,
    path: &Path,
    what: &str,
) -> Result<&'v [PyValue], FormatError> {
    match value {
        PyValue::List(items) | PyValue::Tuple(items) => Ok(items),
        PyValue::Array(NdArray {
            shape,
            data: ArrayData::Object(items),
        }) if shape.len() == 1 => Ok(items),
        other => Err(FormatError::malformed(
            path,
            format!(
                "{what}: expected a list or a 1-d object array, found {}",
                describe(other)
            ),
        )),
    }
}

/// Integers from a list of ints or a 1-d integer array (labels).
pub fn integer_sequence(value: &PyValue, path: &Path, what: &str) -> Result<Vec<i64>, FormatError> {
    let bad = |found: String| {
        FormatError::malformed(
            path,
            format!("{what}: expected a list of ints or a 1-d integer array, found {found}"),
        )
    };
    match value {
        PyValue::Array(a) => {
            if a.shape.len() != 1 {
                return Err(bad(describe(value)));
            }
            Ok(match &a.data {
                ArrayData::U8(v) => v.iter().map(|&x| i64::from(x)).collect(),
                ArrayData::I8(v) => v.iter().map(|&x| i64::from(x)).collect(),
                ArrayData::I16(v) => v.iter().map(|&x| i64::from(x)).collect(),
                ArrayData::I32(v) => v.iter().map(|&x| i64::from(x)).collect(),
                ArrayData::I64(v) => v.clone(),
                _ => return Err(bad(describe(value))),
            })
        }
        PyValue::List(items) | PyValue::Tuple(items) => items
            .iter()
            .map(|item| match item {
                PyValue::Int(i) => Ok(*i),
                PyValue::Array(a) if a.shape.is_empty() => match &a.data {
                    ArrayData::I64(v) if v.len() == 1 => Ok(v[0]),
                    ArrayData::I32(v) if v.len() == 1 => Ok(i64::from(v[0])),
                    _ => Err(bad(format!("an element {}", describe(item)))),
                },
                other => Err(bad(format!("an element {}", describe(other)))),
            })
            .collect(),
        other => Err(bad(describe(other))),
    }
}

/// A value's type, with dtype and shape for arrays, for error messages.
pub fn describe(value: &PyValue) -> String {
    match value {
        PyValue::Array(a) => format!("a {} array of shape {:?}", a.data.dtype_name(), a.shape),
        other => format!("a {}", other.kind()),
    }
}

type Id = usize;

/// A global the decoder accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Global {
    Reconstruct,
    NdarrayType,
    DtypeType,
    Scalar,
    CodecsEncode,
    FromBuffer,
    OrderedDict,
    SetType,
    BytesType,
    ByteArrayType,
}

impl Global {
    fn lookup(module: &str, name: &str) -> Option<Self> {
        Some(match (module, name) {
            ("numpy.core.multiarray" | "numpy._core.multiarray", "_reconstruct") => {
                Global::Reconstruct
            }
            ("numpy.core.multiarray" | "numpy._core.multiarray", "scalar") => Global::Scalar,
            ("numpy.core.numeric" | "numpy._core.numeric", "_frombuffer") => Global::FromBuffer,
            ("numpy", "ndarray") => Global::NdarrayType,
            ("numpy", "dtype") => Global::DtypeType,
            ("_codecs", "encode") => Global::CodecsEncode,
            ("collections", "OrderedDict") => Global::OrderedDict,
            ("builtins" | "__builtin__", "set" | "frozenset") => Global::SetType,
            ("builtins" | "__builtin__", "bytes") => Global::BytesType,
            ("builtins" | "__builtin__", "bytearray") => Global::ByteArrayType,
            _ => return None,
        })
    }
}

/// Element type and byte order of a NumPy dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dtype {
    kind: u8,
    size: usize,
    big_endian: bool,
}

impl Dtype {
    pub(crate) fn is_object(&self) -> bool {
        self.kind == b'O'
    }

    /// Bytes per element (`U` strings hold 4 bytes per character).
    pub(crate) fn itemsize(&self) -> usize {
        match self.kind {
            b'U' => self.size * 4,
            b'O' => 8,
            _ => self.size,
        }
    }
}

/// Array elements while decoding: object arrays keep node ids.
#[derive(Clone, Debug)]
enum Elements {
    Plain(ArrayData),
    Object(Vec<Id>),
}

/// A value on the machine's stack or in its memo.
#[derive(Clone, Debug)]
enum Node<'a> {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Bytes(Cow<'a, [u8]>),
    List(Vec<Id>),
    Tuple(Vec<Id>),
    Dict(Vec<(Id, Id)>),
    Global(Global),
    Dtype(Dtype),
    /// An ndarray made by `_reconstruct`, waiting for its `BUILD` state.
    PendingArray,
    Array {
        shape: Vec<usize>,
        elements: Elements,
    },
}

impl Node<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Node::None => "None",
            Node::Bool(_) => "bool",
            Node::Int(_) => "int",
            Node::Float(_) => "float",
            Node::Str(_) => "str",
            Node::Bytes(_) => "bytes",
            Node::List(_) => "list",
            Node::Tuple(_) => "tuple",
            Node::Dict(_) => "dict",
            Node::Global(_) => "global",
            Node::Dtype(_) => "numpy.dtype",
            Node::PendingArray => "ndarray without state",
            Node::Array { .. } => "ndarray",
        }
    }
}

struct Machine<'a, 'p> {
    input: &'a [u8],
    pos: usize,
    path: &'p Path,
    /// Every value made, addressed by id (an arena: no reference cycles to leak).
    nodes: Vec<Node<'a>>,
    stack: Vec<Id>,
    /// Stack heights at each MARK.
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
    /// How many containers reference each node (filled after STOP).
    refs: Vec<u32>,
    /// How many more entries lists and dicts may receive: BUILD copies a
    /// dict's items into another (or the same) dict, so a few bytes can
    /// double a dict again and again.
    entries_left: usize,
}

impl<'a> Machine<'a, '_> {
    fn err(&self, offset: usize, message: impl std::fmt::Display) -> FormatError {
        FormatError::malformed_at(
            self.path,
            offset as u64,
            format!("pickle byte {offset}: {message}"),
        )
    }

    /// The next `n` bytes; a length past the end is an error before anything
    /// is copied, whatever `n` a corrupt opcode declares.
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], FormatError> {
        let start = self.pos;
        let end = start
            .checked_add(n)
            .filter(|&e| e <= self.input.len())
            .ok_or_else(|| FormatError::Truncated {
                path: self.path.to_owned(),
                format: "pickle",
                offset: start as u64,
                what: what.to_owned(),
                needed: n as u64,
                available: (self.input.len() - start) as u64,
            })?;
        self.pos = end;
        Ok(&self.input[start..end])
    }

    fn u8(&mut self, what: &str) -> Result<u8, FormatError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, FormatError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, FormatError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64, FormatError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn len64(&mut self, what: &str) -> Result<usize, FormatError> {
        let n = self.u64(what)?;
        // A length that does not fit `usize` cannot fit the input either.
        usize::try_from(n).map_err(|_| FormatError::Truncated {
            path: self.path.to_owned(),
            format: "pickle",
            offset: self.pos as u64,
            what: what.to_owned(),
            needed: n,
            available: (self.input.len() - self.pos) as u64,
        })
    }

    /// A newline-terminated text argument (protocol 0 opcodes and GLOBAL).
    fn line(&mut self, what: &str) -> Result<&'a str, FormatError> {
        let start = self.pos;
        let rest = &self.input[start..];
        let n = rest.iter().position(|&b| b == b'\n').ok_or_else(|| {
            self.err(
                start,
                format!("truncated pickle: {what} has no terminating newline"),
            )
        })?;
        self.pos = start + n + 1;
        let text = &rest[..n];
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        std::str::from_utf8(text).map_err(|_| self.err(start, format!("{what} is not text")))
    }

    fn utf8(&self, at: usize, raw: &'a [u8]) -> Result<Cow<'a, str>, FormatError> {
        std::str::from_utf8(raw)
            .map(Cow::Borrowed)
            .map_err(|e| self.err(at, format!("string is not valid UTF-8 ({e})")))
    }

    fn push(&mut self, node: Node<'a>) {
        self.nodes.push(node);
        self.stack.push(self.nodes.len() - 1);
    }

    fn pop(&mut self, at: usize) -> Result<Id, FormatError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.err(at, "stack underflow (corrupted pickle)"));
        }
        self.stack
            .pop()
            .ok_or_else(|| self.err(at, "stack underflow (corrupted pickle)"))
    }

    fn top(&self, at: usize) -> Result<Id, FormatError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(self.err(at, "stack underflow (corrupted pickle)"));
        }
        self.stack
            .last()
            .copied()
            .ok_or_else(|| self.err(at, "empty stack"))
    }

    /// Pops everything above the latest MARK, and the mark.
    fn pop_mark(&mut self, at: usize) -> Result<Vec<Id>, FormatError> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| self.err(at, "no MARK on the stack (corrupted pickle)"))?;
        Ok(self.stack.split_off(mark))
    }

    fn memo_put(&mut self, at: usize, key: u64) -> Result<(), FormatError> {
        let id = self.top(at)?;
        self.memo.insert(key, id);
        Ok(())
    }

    fn memo_get(&mut self, at: usize, key: u64) -> Result<(), FormatError> {
        let id = *self
            .memo
            .get(&key)
            .ok_or_else(|| self.err(at, format!("memo entry {key} was never stored")))?;
        self.stack.push(id);
        Ok(())
    }

    fn pairs(&self, at: usize, items: &[Id]) -> Result<Vec<(Id, Id)>, FormatError> {
        if !items.len().is_multiple_of(2) {
            return Err(self.err(at, "odd number of items for dict keys and values"));
        }
        Ok(items.chunks_exact(2).map(|p| (p[0], p[1])).collect())
    }

    fn global(&mut self, at: usize, module: &str, name: &str) -> Result<(), FormatError> {
        match Global::lookup(module, name) {
            Some(g) => {
                self.push(Node::Global(g));
                Ok(())
            }
            None => Err(self.err(
                at,
                format!(
                    "unsupported class {module}.{name} (only NumPy arrays, dtypes and \
                     scalars, OrderedDict, set, bytes and Python containers are)"
                ),
            )),
        }
    }

    /// Runs to STOP and returns the id of the unpickled value.
    fn run(&mut self) -> Result<Id, FormatError> {
        loop {
            let at = self.pos;
            let op = self.u8("opcode")?;
            match op {
                b'.' => {
                    let id = self.pop(at)?;
                    return Ok(id);
                }
                0x80 => {
                    let proto = self.u8("PROTO")?;
                    if proto > 5 {
                        return Err(self.err(at, format!("unsupported pickle protocol {proto}")));
                    }
                }
                0x95 => {
                    // FRAME: only a length hint; the opcodes follow inline.
                    self.u64("FRAME")?;
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    if self.marks.last() == Some(&self.stack.len()) {
                        self.marks.pop();
                    } else {
                        self.pop(at)?;
                    }
                }
                b'1' => {
                    self.pop_mark(at)?;
                }
                b'2' => {
                    let id = self.top(at)?;
                    self.stack.push(id);
                }
                b'N' => self.push(Node::None),
                0x88 => self.push(Node::Bool(true)),
                0x89 => self.push(Node::Bool(false)),
                b'K' => {
                    let v = self.u8("BININT1")?;
                    self.push(Node::Int(i64::from(v)));
                }
                b'M' => {
                    let v = self.u16("BININT2")?;
                    self.push(Node::Int(i64::from(v)));
                }
                b'J' => {
                    let v = self.u32("BININT")? as i32;
                    self.push(Node::Int(i64::from(v)));
                }
                0x8a | 0x8b => {
                    let n = if op == 0x8a {
                        usize::from(self.u8("LONG1")?)
                    } else {
                        self.u32("LONG4")? as usize
                    };
                    let raw = self.take(n, "LONG")?;
                    let v = long_from_le(raw).ok_or_else(|| {
                        self.err(at, format!("integer of {n} bytes does not fit 64 bits"))
                    })?;
                    self.push(Node::Int(v));
                }
                b'I' => {
                    let text = self.line("INT")?;
                    let node = match text {
                        "00" => Node::Bool(false),
                        "01" => Node::Bool(true),
                        t => Node::Int(
                            t.parse()
                                .map_err(|_| self.err(at, format!("bad INT `{t}`")))?,
                        ),
                    };
                    self.push(node);
                }
                b'L' => {
                    let text = self.line("LONG")?;
                    let t = text.strip_suffix('L').unwrap_or(text);
                    let v = t
                        .parse()
                        .map_err(|_| self.err(at, format!("bad or too large LONG `{text}`")))?;
                    self.push(Node::Int(v));
                }
                b'G' => {
                    let b = self.take(8, "BINFLOAT")?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(b);
                    self.push(Node::Float(f64::from_be_bytes(a)));
                }
                b'F' => {
                    let text = self.line("FLOAT")?;
                    let v = text
                        .parse()
                        .map_err(|_| self.err(at, format!("bad FLOAT `{text}`")))?;
                    self.push(Node::Float(v));
                }
                b'X' | 0x8c | 0x8d => {
                    let n = match op {
                        b'X' => self.u32("BINUNICODE")? as usize,
                        0x8c => usize::from(self.u8("SHORT_BINUNICODE")?),
                        _ => self.len64("BINUNICODE8")?,
                    };
                    let raw = self.take(n, "string")?;
                    let s = self.utf8(at, raw)?;
                    self.push(Node::Str(s));
                }
                b'V' => {
                    let text = self.line("UNICODE")?;
                    let s = raw_unicode_escape(text)
                        .ok_or_else(|| self.err(at, "bad escape in UNICODE"))?;
                    self.push(Node::Str(Cow::Owned(s)));
                }
                b'T' | b'U' | b'B' | b'C' | 0x8e | 0x96 => {
                    let n = match op {
                        b'T' | b'B' => self.u32("BINSTRING/BINBYTES")? as usize,
                        b'U' | b'C' => usize::from(self.u8("SHORT_BINSTRING/BINBYTES")?),
                        _ => self.len64("BINBYTES8/BYTEARRAY8")?,
                    };
                    let raw = self.take(n, "bytes")?;
                    self.push(Node::Bytes(Cow::Borrowed(raw)));
                }
                b'S' => {
                    let text = self.line("STRING")?;
                    let raw = python2_string_literal(text)
                        .ok_or_else(|| self.err(at, format!("bad STRING literal {text:?}")))?;
                    self.push(Node::Bytes(Cow::Owned(raw)));
                }
                0x98 => {
                    // READONLY_BUFFER: a no-op for in-band buffers.
                    self.top(at)?;
                }
                0x97 => {
                    return Err(self.err(
                        at,
                        "out-of-band buffer (NEXT_BUFFER) not supported; pickle in-band",
                    ));
                }
                b')' => self.push(Node::Tuple(Vec::new())),
                b't' => {
                    let items = self.pop_mark(at)?;
                    self.push(Node::Tuple(items));
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop(at)?);
                    }
                    items.reverse();
                    self.push(Node::Tuple(items));
                }
                b']' | 0x8f => self.push(Node::List(Vec::new())),
                b'l' => {
                    let items = self.pop_mark(at)?;
                    self.push(Node::List(items));
                }
                0x91 => {
                    let items = self.pop_mark(at)?;
                    self.push(Node::List(items));
                }
                b'}' => self.push(Node::Dict(Vec::new())),
                b'd' => {
                    let items = self.pop_mark(at)?;
                    let pairs = self.pairs(at, &items)?;
                    self.push(Node::Dict(pairs));
                }
                b'a' => {
                    let item = self.pop(at)?;
                    self.extend_list(at, &[item])?;
                }
                b'e' | 0x90 => {
                    let items = self.pop_mark(at)?;
                    self.extend_list(at, &items)?;
                }
                b's' => {
                    let value = self.pop(at)?;
                    let key = self.pop(at)?;
                    self.extend_dict(at, &[(key, value)])?;
                }
                b'u' => {
                    let items = self.pop_mark(at)?;
                    let pairs = self.pairs(at, &items)?;
                    self.extend_dict(at, &pairs)?;
                }
                b'p' => {
                    let text = self.line("PUT")?;
                    let key = text
                        .parse()
                        .map_err(|_| self.err(at, format!("bad PUT index `{text}`")))?;
                    self.memo_put(at, key)?;
                }
                b'q' => {
                    let key = u64::from(self.u8("BINPUT")?);
                    self.memo_put(at, key)?;
                }
                b'r' => {
                    let key = u64::from(self.u32("LONG_BINPUT")?);
                    self.memo_put(at, key)?;
                }
                0x94 => {
                    let key = self.memo.len() as u64;
                    self.memo_put(at, key)?;
                }
                b'g' => {
                    let text = self.line("GET")?;
                    let key = text
                        .parse()
                        .map_err(|_| self.err(at, format!("bad GET index `{text}`")))?;
                    self.memo_get(at, key)?;
                }
                b'h' => {
                    let key = u64::from(self.u8("BINGET")?);
                    self.memo_get(at, key)?;
                }
                b'j' => {
                    let key = u64::from(self.u32("LONG_BINGET")?);
                    self.memo_get(at, key)?;
                }
                b'c' => {
                    let module = self.line("GLOBAL module")?;
                    let name = self.line("GLOBAL name")?;
                    self.global(at, module, name)?;
                }
                0x93 => {
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
                    match (&self.nodes[module], &self.nodes[name]) {
                        (Node::Str(m), Node::Str(n)) => {
                            let (m, n) = (m.to_string(), n.to_string());
                            self.global(at, &m, &n)?;
                        }
                        _ => return Err(self.err(at, "STACK_GLOBAL needs two strings")),
                    }
                }
                b'R' | 0x81 => {
                    let args = self.pop(at)?;
                    let callable = self.pop(at)?;
                    let node = self.call(at, callable, args, op == 0x81)?;
                    self.push(node);
                }
                0x92 => {
                    let kwargs = self.pop(at)?;
                    let args = self.pop(at)?;
                    let callable = self.pop(at)?;
                    if !matches!(&self.nodes[kwargs], Node::Dict(d) if d.is_empty()) {
                        return Err(self.err(at, "NEWOBJ_EX with keyword arguments"));
                    }
                    let node = self.call(at, callable, args, true)?;
                    self.push(node);
                }
                b'b' => {
                    let state = self.pop(at)?;
                    let target = self.top(at)?;
                    self.build(at, target, state)?;
                }
                b'P' | b'Q' => {
                    return Err(self.err(at, "persistent ids are not supported"));
                }
                0x82..=0x84 => {
                    return Err(self.err(at, "extension-registry globals are not supported"));
                }
                b'i' | b'o' => {
                    return Err(self.err(
                        at,
                        "instances of arbitrary classes (INST/OBJ) are not supported",
                    ));
                }
                other => {
                    return Err(self.err(at, format!("unknown opcode 0x{other:02x}")));
                }
            }
        }
    }

    /// Takes `n` entries from the budget of container entries.
    fn spend_entries(&mut self, at: usize, n: usize) -> Result<(), FormatError> {
        self.entries_left = self.entries_left.checked_sub(n).ok_or_else(|| {
            self.err(
                at,
                format!(
                    "containers receive more entries than a pickle of {} bytes can hold",
                    self.input.len()
                ),
            )
        })?;
        Ok(())
    }

    fn extend_list(&mut self, at: usize, items: &[Id]) -> Result<(), FormatError> {
        self.spend_entries(at, items.len())?;
        let target = self.top(at)?;
        match &mut self.nodes[target] {
            Node::List(list) => {
                list.extend_from_slice(items);
                Ok(())
            }
            other => {
                let kind = other.kind();
                Err(self.err(at, format!("APPEND(S)/ADDITEMS on a {kind}")))
            }
        }
    }

    fn extend_dict(&mut self, at: usize, pairs: &[(Id, Id)]) -> Result<(), FormatError> {
        self.spend_entries(at, pairs.len())?;
        let target = self.top(at)?;
        match &mut self.nodes[target] {
            Node::Dict(dict) => {
                for &(k, v) in pairs {
                    dict.push((k, v));
                }
                Ok(())
            }
            other => {
                let kind = other.kind();
                Err(self.err(at, format!("SETITEM(S) on a {kind}")))
            }
        }
    }

    fn tuple(&self, at: usize, id: Id, what: &str) -> Result<Vec<Id>, FormatError> {
        match &self.nodes[id] {
            Node::Tuple(items) => Ok(items.clone()),
            other => Err(self.err(
                at,
                format!("{what}: expected a tuple, found {}", other.kind()),
            )),
        }
    }

    fn text(&self, at: usize, id: Id, what: &str) -> Result<String, FormatError> {
        match &self.nodes[id] {
            Node::Str(s) => Ok(s.to_string()),
            Node::Bytes(b) => Ok(String::from_utf8_lossy(b).into_owned()),
            other => Err(self.err(
                at,
                format!("{what}: expected a string, found {}", other.kind()),
            )),
        }
    }

    fn raw_bytes(&self, at: usize, id: Id, what: &str) -> Result<&[u8], FormatError> {
        match &self.nodes[id] {
            Node::Bytes(b) => Ok(b),
            other => Err(self.err(
                at,
                format!("{what}: expected bytes, found {}", other.kind()),
            )),
        }
    }

    fn shape(&self, at: usize, id: Id) -> Result<Vec<usize>, FormatError> {
        let items = match &self.nodes[id] {
            Node::Tuple(items) | Node::List(items) => items,
            other => {
                return Err(self.err(
                    at,
                    format!("array shape: expected a tuple, found {}", other.kind()),
                ));
            }
        };
        let mut shape = Vec::with_capacity(items.len());
        for &d in items {
            match self.nodes[d] {
                Node::Int(n) if n >= 0 => shape.push(n as usize),
                _ => return Err(self.err(at, "array shape: expected non-negative ints")),
            }
        }
        Ok(shape)
    }

    fn dtype(&self, at: usize, id: Id) -> Result<Dtype, FormatError> {
        match &self.nodes[id] {
            Node::Dtype(d) => Ok(*d),
            other => Err(self.err(
                at,
                format!("expected a numpy.dtype, found {}", other.kind()),
            )),
        }
    }

    /// REDUCE / NEWOBJ: applies one of the accepted globals.
    fn call(
        &mut self,
        at: usize,
        callable: Id,
        args: Id,
        newobj: bool,
    ) -> Result<Node<'a>, FormatError> {
        let Node::Global(g) = self.nodes[callable] else {
            let kind = self.nodes[callable].kind();
            return Err(self.err(at, format!("cannot call a {kind}")));
        };
        let args = self.tuple(at, args, "call arguments")?;
        if newobj
            && !matches!(
                g,
                Global::OrderedDict | Global::SetType | Global::BytesType | Global::ByteArrayType
            )
        {
            return Err(self.err(at, format!("NEWOBJ of {g:?} is not supported")));
        }
        match g {
            Global::Reconstruct => {
                match args.first().map(|&a| &self.nodes[a]) {
                    Some(Node::Global(Global::NdarrayType)) => {}
                    _ => {
                        return Err(self.err(at, "_reconstruct: expected numpy.ndarray first"));
                    }
                }
                Ok(Node::PendingArray)
            }
            Global::DtypeType => {
                let descr = args
                    .first()
                    .ok_or_else(|| self.err(at, "numpy.dtype(): missing type string"))?;
                let descr = self.text(at, *descr, "numpy.dtype()")?;
                parse_descr(&descr)
                    .map(Node::Dtype)
                    .ok_or_else(|| self.err(at, format!("dtype `{descr}` is not supported")))
            }
            Global::Scalar => {
                if args.len() != 2 {
                    return Err(self.err(at, "numpy scalar: expected (dtype, bytes)"));
                }
                let dtype = self.dtype(at, args[0])?;
                if dtype.is_object() {
                    return Ok(Node::Array {
                        shape: Vec::new(),
                        elements: Elements::Object(vec![args[1]]),
                    });
                }
                let raw = self.raw_bytes(at, args[1], "numpy scalar data")?;
                let data = self.decode_elements(at, raw, dtype, 1)?;
                Ok(Node::Array {
                    shape: Vec::new(),
                    elements: Elements::Plain(data),
                })
            }
            Global::CodecsEncode => {
                if args.len() != 2 {
                    return Err(self.err(at, "_codecs.encode: expected (str, encoding)"));
                }
                let text = match &self.nodes[args[0]] {
                    Node::Str(s) => s.clone(),
                    _ => return Err(self.err(at, "_codecs.encode: expected a str")),
                };
                let encoding = self.text(at, args[1], "_codecs.encode encoding")?;
                Ok(Node::Bytes(Cow::Owned(self.encode(at, &text, &encoding)?)))
            }
            Global::BytesType | Global::ByteArrayType => match args.as_slice() {
                [] => Ok(Node::Bytes(Cow::Owned(Vec::new()))),
                [s, e] => {
                    let text = match &self.nodes[*s] {
                        Node::Str(s) => s.clone(),
                        _ => return Err(self.err(at, "bytes(): expected a str")),
                    };
                    let encoding = self.text(at, *e, "bytes() encoding")?;
                    Ok(Node::Bytes(Cow::Owned(self.encode(at, &text, &encoding)?)))
                }
                [b] => match &self.nodes[*b] {
                    Node::Bytes(b) => Ok(Node::Bytes(b.clone())),
                    Node::List(items) => {
                        let mut out = Vec::with_capacity(items.len());
                        for &i in items {
                            match self.nodes[i] {
                                Node::Int(v @ 0..=255) => out.push(v as u8),
                                _ => return Err(self.err(at, "bytes(): expected ints 0..255")),
                            }
                        }
                        Ok(Node::Bytes(Cow::Owned(out)))
                    }
                    other => Err(self.err(at, format!("bytes() of a {}", other.kind()))),
                },
                _ => Err(self.err(at, "bytes(): too many arguments")),
            },
            Global::SetType => match args.as_slice() {
                [] => Ok(Node::List(Vec::new())),
                [items] => match &self.nodes[*items] {
                    Node::List(v) | Node::Tuple(v) => Ok(Node::List(v.clone())),
                    other => Err(self.err(at, format!("set() of a {}", other.kind()))),
                },
                _ => Err(self.err(at, "set(): too many arguments")),
            },
            Global::OrderedDict => match args.as_slice() {
                [] => Ok(Node::Dict(Vec::new())),
                [items] => {
                    let items = match &self.nodes[*items] {
                        Node::List(v) | Node::Tuple(v) => v.clone(),
                        other => {
                            return Err(
                                self.err(at, format!("OrderedDict() of a {}", other.kind()))
                            );
                        }
                    };
                    let mut pairs = Vec::with_capacity(items.len());
                    for i in items {
                        match self.tuple(at, i, "OrderedDict item")?.as_slice() {
                            [k, v] => pairs.push((*k, *v)),
                            _ => return Err(self.err(at, "OrderedDict item: expected a pair")),
                        }
                    }
                    Ok(Node::Dict(pairs))
                }
                _ => Err(self.err(at, "OrderedDict(): too many arguments")),
            },
            Global::FromBuffer => {
                if args.len() != 4 {
                    return Err(self.err(at, "_frombuffer: expected (buffer, dtype, shape, order)"));
                }
                let dtype = self.dtype(at, args[1])?;
                let shape = self.shape(at, args[2])?;
                let order = self.text(at, args[3], "_frombuffer order")?;
                let size = self.element_count(at, &shape)?;
                let raw = self.raw_bytes(at, args[0], "_frombuffer buffer")?;
                let data = self.decode_elements(at, raw, dtype, size)?;
                let data = match order.as_str() {
                    "C" => data,
                    "F" => fortran_to_c(data, &shape),
                    o => return Err(self.err(at, format!("_frombuffer: unknown order `{o}`"))),
                };
                Ok(Node::Array {
                    shape,
                    elements: Elements::Plain(data),
                })
            }
            Global::NdarrayType => Err(self.err(at, "calling numpy.ndarray is not supported")),
        }
    }

    fn encode(&self, at: usize, text: &str, encoding: &str) -> Result<Vec<u8>, FormatError> {
        match encoding.to_ascii_lowercase().replace('_', "-").as_str() {
            "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).ok())
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(|| self.err(at, "latin-1 encoding of a character above U+00FF")),
            "utf8" | "utf-8" => Ok(text.as_bytes().to_vec()),
            other => Err(self.err(at, format!("encoding `{other}` is not supported"))),
        }
    }

    fn element_count(&self, at: usize, shape: &[usize]) -> Result<usize, FormatError> {
        shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| self.err(at, format!("array shape {shape:?} overflows")))
    }

    fn decode_elements(
        &self,
        at: usize,
        raw: &[u8],
        dtype: Dtype,
        count: usize,
    ) -> Result<ArrayData, FormatError> {
        let expected = count.checked_mul(dtype.itemsize());
        if expected != Some(raw.len()) {
            return Err(self.err(
                at,
                format!(
                    "array data has {} bytes, expected {count} elements of {} bytes",
                    raw.len(),
                    dtype.itemsize()
                ),
            ));
        }
        decode_raw(raw, dtype).map_err(|m| self.err(at, m))
    }

    /// BUILD: sets the state of an ndarray or a dtype.
    fn build(&mut self, at: usize, target: Id, state: Id) -> Result<(), FormatError> {
        match self.nodes[target] {
            Node::PendingArray => {
                let items = self.tuple(at, state, "ndarray state")?;
                // (version, shape, dtype, is_fortran, data); version 0 lacks the first item.
                let items = match items.len() {
                    5 => &items[1..],
                    4 => &items[..],
                    n => {
                        return Err(
                            self.err(at, format!("ndarray state: expected 5 items, found {n}"))
                        );
                    }
                };
                let shape = self.shape(at, items[0])?;
                let dtype = self.dtype(at, items[1])?;
                let fortran = match self.nodes[items[2]] {
                    Node::Bool(b) => b,
                    Node::Int(i) => i != 0,
                    _ => return Err(self.err(at, "ndarray state: is_fortran is not a bool")),
                };
                let count = self.element_count(at, &shape)?;
                let elements = if dtype.is_object() {
                    let values = match &self.nodes[items[3]] {
                        Node::List(v) | Node::Tuple(v) => v.clone(),
                        other => {
                            return Err(self.err(
                                at,
                                format!(
                                    "object array state: expected a list, found {}",
                                    other.kind()
                                ),
                            ));
                        }
                    };
                    if values.len() != count {
                        return Err(self.err(
                            at,
                            format!(
                                "object array of shape {shape:?} has {} values",
                                values.len()
                            ),
                        ));
                    }
                    // NumPy pickles an object array's items in logical (C)
                    // order whatever its memory layout: no reordering here.
                    Elements::Object(values)
                } else {
                    let raw = match &self.nodes[items[3]] {
                        Node::Bytes(b) => b.clone(),
                        Node::Str(s) => Cow::Owned(self.encode(at, s, "latin1")?),
                        other => {
                            return Err(self.err(
                                at,
                                format!("array state: expected raw bytes, found {}", other.kind()),
                            ));
                        }
                    };
                    let data = self.decode_elements(at, &raw, dtype, count)?;
                    Elements::Plain(if fortran {
                        fortran_to_c(data, &shape)
                    } else {
                        data
                    })
                };
                self.nodes[target] = Node::Array { shape, elements };
                Ok(())
            }
            Node::Dtype(mut dtype) => {
                let items = self.tuple(at, state, "dtype state")?;
                // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
                let (order, names) = match items.len() {
                    8 | 9 => (items[1], Some(items[3])),
                    5 | 6 => (items[1], Some(items[3])),
                    n => {
                        return Err(self.err(at, format!("dtype state with {n} items")));
                    }
                };
                if let Some(names) = names
                    && !matches!(self.nodes[names], Node::None)
                {
                    return Err(self.err(at, "structured dtypes are not supported"));
                }
                let order = self.text(at, order, "dtype byte order")?;
                dtype.big_endian = match order.as_str() {
                    ">" => true,
                    "<" | "=" | "|" => false,
                    o => return Err(self.err(at, format!("dtype byte order `{o}`"))),
                };
                self.nodes[target] = Node::Dtype(dtype);
                Ok(())
            }
            Node::Dict(_) => {
                // OrderedDict / dict state: extra items.
                let pairs = match &self.nodes[state] {
                    Node::Dict(p) => p.clone(),
                    Node::None => Vec::new(),
                    other => {
                        return Err(
                            self.err(at, format!("BUILD of a dict with a {}", other.kind()))
                        );
                    }
                };
                self.extend_dict(at, &pairs)
            }
            ref other => Err(self.err(
                at,
                format!(
                    "BUILD (setting state) of a {} is not supported",
                    other.kind()
                ),
            )),
        }
    }

    fn count_references(&mut self) {
        let mut refs = vec![0u32; self.nodes.len()];
        let mut bump = |i: Id| refs[i] = refs[i].saturating_add(1);
        for node in &self.nodes {
            match node {
                Node::List(items)
                | Node::Tuple(items)
                | Node::Array {
                    elements: Elements::Object(items),
                    ..
                } => items.iter().copied().for_each(&mut bump),
                Node::Dict(pairs) => pairs.iter().for_each(|&(k, v)| {
                    bump(k);
                    bump(v);
                }),
                _ => {}
            }
        }
        self.refs = refs;
    }

    /// Turns node `id` into a [`PyValue`].
    fn convert(
        &mut self,
        id: Id,
        depth: usize,
        budget: &mut usize,
    ) -> Result<PyValue, FormatError> {
        let at = self.input.len();
        if depth > MAX_DEPTH {
            return Err(self.err(
                at,
                format!("values nested deeper than {MAX_DEPTH} (or self-referential)"),
            ));
        }
        if *budget == 0 {
            return Err(self.err(at, "shared references expand to too many values"));
        }
        *budget -= 1;
        // A value referenced once is moved out (large arrays are not copied);
        // shared ones are copied.
        let node = if self.refs[id] <= 1 {
            std::mem::replace(&mut self.nodes[id], Node::None)
        } else {
            self.nodes[id].clone()
        };
        Ok(match node {
            Node::None => PyValue::None,
            Node::Bool(b) => PyValue::Bool(b),
            Node::Int(i) => PyValue::Int(i),
            Node::Float(f) => PyValue::Float(f),
            Node::Str(s) => PyValue::Str(s.into_owned()),
            Node::Bytes(b) => PyValue::Bytes(b.into_owned()),
            Node::List(items) => PyValue::List(self.convert_all(&items, depth, budget)?),
            Node::Tuple(items) => PyValue::Tuple(self.convert_all(&items, depth, budget)?),
            Node::Dict(pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    out.push((
                        self.convert(k, depth + 1, budget)?,
                        self.convert(v, depth + 1, budget)?,
                    ));
                }
                PyValue::Dict(out)
            }
            Node::Array { shape, elements } => {
                let data = match elements {
                    Elements::Plain(data) => data,
                    Elements::Object(items) => {
                        ArrayData::Object(self.convert_all(&items, depth, budget)?)
                    }
                };
                PyValue::Array(NdArray { shape, data })
            }
            Node::Global(g) => {
                return Err(self.err(at, format!("result holds the bare global {g:?}")));
            }
            Node::Dtype(_) => return Err(self.err(at, "result holds a bare numpy.dtype")),
            Node::PendingArray => {
                return Err(self.err(at, "an ndarray was never given its state (BUILD)"));
            }
        })
    }

    fn convert_all(
        &mut self,
        items: &[Id],
        depth: usize,
        budget: &mut usize,
    ) -> Result<Vec<PyValue>, FormatError> {
        items
            .iter()
            .map(|&i| self.convert(i, depth + 1, budget))
            .collect()
    }
}

/// A little-endian two's-complement integer (LONG1/LONG4) as `i64`.
fn long_from_le(raw: &[u8]) -> Option<i64> {
    if raw.is_empty() {
        return Some(0);
    }
    let negative = raw[raw.len() - 1] & 0x80 != 0;
    let fill = if negative { 0xff } else { 0x00 };
    if raw.len() > 8 && raw[8..].iter().any(|&b| b != fill) {
        return None;
    }
    let mut buf = [fill; 8];
    let n = raw.len().min(8);
    buf[..n].copy_from_slice(&raw[..n]);
    let v = i64::from_le_bytes(buf);
    // The 9th+ bytes were sign fill; the sign must agree with bit 63.
    if raw.len() > 8 && ((v < 0) != negative) {
        return None;
    }
    Some(v)
}

/// A dtype from its type string (`f8`, `<i4`, `|u1`, `O8`, `U5`, `S3`, ...).
pub(crate) fn parse_descr(descr: &str) -> Option<Dtype> {
    let (big_endian, rest) = match descr.as_bytes().first()? {
        b'>' => (true, &descr[1..]),
        b'<' | b'|' | b'=' => (false, &descr[1..]),
        _ => (false, descr),
    };
    let kind = *rest
        .as_bytes()
        .first()
        .filter(|k| k.is_ascii_alphabetic())?;
    let size: usize = rest.get(1..)?.parse().ok()?;
    let ok = match kind {
        b'b' => size == 1,
        b'u' | b'i' => matches!(size, 1 | 2 | 4 | 8),
        b'f' => matches!(size, 2 | 4 | 8),
        b'O' => matches!(size, 4 | 8),
        // Fixed-width strings up to a sane width (no zero-width elements).
        b'U' | b'S' => (1..=1 << 20).contains(&size),
        _ => false,
    };
    ok.then_some(Dtype {
        kind,
        size,
        big_endian,
    })
}

/// Decodes raw element bytes (length already checked) into typed data.
pub(crate) fn decode_raw(raw: &[u8], dtype: Dtype) -> Result<ArrayData, String> {
    fn words<const N: usize>(raw: &[u8], big: bool) -> impl Iterator<Item = [u8; N]> + '_ {
        raw.chunks_exact(N).map(move |c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            if big {
                a.reverse();
            }
            a
        })
    }
    let big = dtype.big_endian;
    Ok(match (dtype.kind, dtype.size) {
        (b'b', 1) => ArrayData::Bool(raw.iter().map(|&b| b != 0).collect()),
        (b'u', 1) => ArrayData::U8(raw.to_vec()),
        (b'i', 1) => ArrayData::I8(raw.iter().map(|&b| b as i8).collect()),
        (b'i', 2) => ArrayData::I16(words::<2>(raw, big).map(i16::from_le_bytes).collect()),
        (b'u', 2) => ArrayData::I32(
            words::<2>(raw, big)
                .map(|w| i32::from(u16::from_le_bytes(w)))
                .collect(),
        ),
        (b'i', 4) => ArrayData::I32(words::<4>(raw, big).map(i32::from_le_bytes).collect()),
        (b'u', 4) => ArrayData::I64(
            words::<4>(raw, big)
                .map(|w| i64::from(u32::from_le_bytes(w)))
                .collect(),
        ),
        (b'i', 8) => ArrayData::I64(words::<8>(raw, big).map(i64::from_le_bytes).collect()),
        (b'u', 8) => ArrayData::I64(
            words::<8>(raw, big)
                .map(|w| i64::try_from(u64::from_le_bytes(w)))
                .collect::<Result<_, _>>()
                .map_err(|_| "uint64 array value above i64::MAX".to_owned())?,
        ),
        (b'f', 2) => ArrayData::F32(
            words::<2>(raw, big)
                .map(|w| f16_to_f32(u16::from_le_bytes(w)))
                .collect(),
        ),
        (b'f', 4) => ArrayData::F32(words::<4>(raw, big).map(f32::from_le_bytes).collect()),
        (b'f', 8) => ArrayData::F64(words::<8>(raw, big).map(f64::from_le_bytes).collect()),
        (b'S', n) if n > 0 => ArrayData::Object(
            raw.chunks_exact(n)
                .map(|c| {
                    let end = c.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
                    PyValue::Bytes(c[..end].to_vec())
                })
                .collect(),
        ),
        (b'U', n) if n > 0 => {
            let mut out = Vec::with_capacity(raw.len() / (4 * n));
            for c in raw.chunks_exact(4 * n) {
                let mut s = String::with_capacity(n);
                for w in words::<4>(c, big) {
                    let code = u32::from_le_bytes(w);
                    if code == 0 {
                        break;
                    }
                    s.push(char::from_u32(code).ok_or("invalid character in a U array")?);
                }
                out.push(PyValue::Str(s));
            }
            ArrayData::Object(out)
        }
        (k, n) => return Err(format!("dtype {}{n} is not supported", k as char)),
    })
}

/// IEEE half to single precision.
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match (exp, frac) {
        (0, 0) => sign,
        (0, f) => {
            // Subnormal: normalise.
            let mut e = 127 - 15 + 1;
            let mut f = f;
            while f & 0x400 == 0 {
                f <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((f & 0x3ff) << 13)
        }
        (0x1f, f) => sign | 0x7f80_0000 | (f << 13),
        (e, f) => sign | ((e + 127 - 15) << 23) | (f << 13),
    };
    f32::from_bits(bits)
}

/// Reorders Fortran-ordered elements of `shape` into C order.
fn fortran_to_c(data: ArrayData, shape: &[usize]) -> ArrayData {
    match data {
        ArrayData::Bool(v) => ArrayData::Bool(fortran_to_c_vec(v, shape)),
        ArrayData::U8(v) => ArrayData::U8(fortran_to_c_vec(v, shape)),
        ArrayData::I8(v) => ArrayData::I8(fortran_to_c_vec(v, shape)),
        ArrayData::I16(v) => ArrayData::I16(fortran_to_c_vec(v, shape)),
        ArrayData::I32(v) => ArrayData::I32(fortran_to_c_vec(v, shape)),
        ArrayData::I64(v) => ArrayData::I64(fortran_to_c_vec(v, shape)),
        ArrayData::F32(v) => ArrayData::F32(fortran_to_c_vec(v, shape)),
        ArrayData::F64(v) => ArrayData::F64(fortran_to_c_vec(v, shape)),
        ArrayData::Object(v) => ArrayData::Object(fortran_to_c_vec(v, shape)),
    }
}

/// Element at C index (i0, .., ik) sits at Fortran offset i0 + s0*(i1 + s1*(...)).
fn fortran_to_c_vec<T: Clone>(data: Vec<T>, shape: &[usize]) -> Vec<T> {
    if shape.len() < 2 || data.len() < 2 {
        return data;
    }
    let mut strides = vec![1usize; shape.len()];
    for k in 1..shape.len() {
        strides[k] = strides[k - 1] * shape[k - 1];
    }
    let mut index = vec![0usize; shape.len()];
    let mut out = Vec::with_capacity(data.len());
    for _ in 0..data.len() {
        let offset: usize = index.iter().zip(&strides).map(|(i, s)| i * s).sum();
        out.push(data[offset].clone());
        // Odometer over C order: the last axis moves fastest.
        for k in (0..shape.len()).rev() {
            index[k] += 1;
            if index[k] < shape[k] {
                break;
            }
            index[k] = 0;
        }
    }
    out
}

/// Python 2 `repr` string literal (protocol 0 STRING), e.g. `'ab\x00'`.
fn python2_string_literal(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if bytes.len() < 2 {
        return None;
    }
    let quote = bytes[0];
    if !(quote == b'\'' || quote == b'"') || bytes[bytes.len() - 1] != quote {
        return None;
    }
    let body = &bytes[1..bytes.len() - 1];
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let e = *body.get(i)?;
        i += 1;
        match e {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'\\' | b'\'' | b'"' => out.push(e),
            b'x' => {
                let hex = std::str::from_utf8(body.get(i..i + 2)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                let mut k = 0;
                while k < 2 && i < body.len() && (b'0'..=b'7').contains(&body[i]) {
                    v = v * 8 + u32::from(body[i] - b'0');
                    i += 1;
                    k += 1;
                }
                out.push(u8::try_from(v).ok()?);
            }
            _ => {
                out.push(b'\\');
                out.push(e);
            }
        }
    }
    Some(out)
}

/// Protocol 0 UNICODE argument: raw-unicode-escape (`\uXXXX`, `\UXXXXXXXX`).
fn raw_unicode_escape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('u') | Some('U')) {
            let n = if chars.next() == Some('u') { 4 } else { 8 };
            let hex: String = chars.by_ref().take(n).collect();
            if hex.len() != n {
                return None;
            }
            out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    //! The fixtures under `tests/fixtures/` were written by NumPy 2.4 with
    //! `python /tmp/gen_pickle_fixtures.py crates/oxinas-formats/tests/fixtures`,
    //! the script being (abridged to what each file holds):
    //! ```python
    //! p2 = {'u8': np.arange(6, dtype=np.uint8).reshape(2, 3), 'f4': np.array([1.5, -2.25, 3.0], np.float32),
    //!       'f8': np.array([[0.1, 0.2], [0.3, 0.4]]), 'i2': np.array([-3, 4], np.int16),
    //!       'i4': np.array([70000, -70000], np.int32), 'i8': np.array([2**40, -1]), 'b1': np.array([True, False]),
    //!       'i1': np.array([-1, 2], np.int8), 'obj': np.array([np.arange(2.0), np.arange(3.0)], dtype=object),
    //!       'ints': [0, 255, 256, 65535, 65536, -1, 2**31, -2**31 - 1, 2**62], 'float': 2.5, 'text': 'h\u00e9llo',
    //!       'raw': b'\x00\xffab', 'empty': b'', 'labels': ['N', 'A', 'N', '~'], 'none': None, 'flag': True,
    //!       'pair': (1, 'xy'), 'nested': {'k': [1.0]}, 'zero_d': np.array(3.5)}
    //! # NumPy 2 names its module numpy._core; NumPy 1.x files (and our writer) say numpy.core.
    //! open('numpy_protocol2.pickle', 'wb').write(pickle.dumps(p2, protocol=2).replace(b'numpy._core.', b'numpy.core.'))
    //! p4 = {'fortran': np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)), 'scalar_f32': np.float32(2.5),
    //!       'scalar_i64': np.int64(-7), 'strings': np.array(['N', 'AO']), 'bytes_arr': np.array([b'ab', b'c']),
    //!       'big': np.array([1, -2], dtype='>i4'), 'ordered': collections.OrderedDict([('x', 1), ('y', 2)]),
    //!       'set': {3}, 'raw': b'xyz', 'empty': b'', 'u2': np.array([65535], np.uint16),
    //!       'f2': np.array([1.5, -0.25], np.float16)}
    //! open('numpy_protocol4.pickle', 'wb').write(pickle.dumps(p4, protocol=4))
    //! p5 = {'c': np.arange(6, dtype=np.float64).reshape(2, 3),
    //!       'f': np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
    //!       'obj': np.array([np.zeros(2), np.ones(1)], dtype=object)}
    //! open('numpy_protocol5.pickle', 'wb').write(pickle.dumps(p5, protocol=5))
    //! # Python 2's cPickle writes str as (SHORT_)BINSTRING; a pure-Python pickler does the same here:
    //! class Py2Pickler(pickle._Pickler):
    //!     dispatch = pickle._Pickler.dispatch.copy()
    //!     def save_py2_str(self, obj):
    //!         data = obj.encode('latin1') if isinstance(obj, str) else obj
    //!         if len(data) < 256: self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
    //!         else: self.write(pickle.BINSTRING + struct.pack('<i', len(data)) + data)
    //!         self.memoize(obj)
    //!     dispatch[str] = save_py2_str
    //!     dispatch[bytes] = save_py2_str
    //! rng = np.random.default_rng(0)
    //! cifar = {'batch_label': 'training batch 1 of 1', 'fine_labels': [19, 29], 'coarse_labels': [11, 15],
    //!          'filenames': ['bos_taurus_s_000507.png', 'stegosaurus_s_000125.png'],
    //!          'data': rng.integers(0, 256, size=(2, 3072), dtype=np.uint8)}
    //! buf = io.BytesIO(); Py2Pickler(buf, protocol=2).dump(cifar)
    //! open('python2_cifar_style.pickle', 'wb').write(buf.getvalue().replace(b'numpy._core.', b'numpy.core.'))
    //! ```
    //! NumPy 2.4 reads all four back (the last with `encoding='bytes'` and `'latin1'`).
    use super::*;

    pub(crate) const PROTOCOL2: &[u8] = include_bytes!("../tests/fixtures/numpy_protocol2.pickle");
    const PROTOCOL4: &[u8] = include_bytes!("../tests/fixtures/numpy_protocol4.pickle");
    const PROTOCOL5: &[u8] = include_bytes!("../tests/fixtures/numpy_protocol5.pickle");
    const PYTHON2: &[u8] = include_bytes!("../tests/fixtures/python2_cifar_style.pickle");

    fn decode(bytes: &[u8]) -> PyValue {
        decode_pickle(bytes, Path::new("fixture.pickle")).expect("fixture decodes")
    }

    fn array<'v>(value: &'v PyValue, key: &str) -> &'v NdArray {
        match value.get(key) {
            Some(PyValue::Array(a)) => a,
            other => panic!("{key}: expected an array, found {other:?}"),
        }
    }

    fn message(err: FormatError) -> String {
        match err {
            FormatError::Malformed { .. } | FormatError::Truncated { .. } => {
                assert_eq!(err.path(), Path::new("bad.pickle"));
                err.message()
            }
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn numpy_protocol2_pickle_decodes_to_the_values_numpy_wrote() {
        let v = decode(PROTOCOL2);
        let u8s = array(&v, "u8");
        assert_eq!(u8s.shape, vec![2, 3]);
        assert_eq!(u8s.data, ArrayData::U8(vec![0, 1, 2, 3, 4, 5]));
        assert_eq!(array(&v, "f4").data, ArrayData::F32(vec![1.5, -2.25, 3.0]));
        assert_eq!(
            array(&v, "f8").data,
            ArrayData::F64(vec![0.1, 0.2, 0.3, 0.4])
        );
        assert_eq!(array(&v, "i2").data, ArrayData::I16(vec![-3, 4]));
        assert_eq!(array(&v, "i4").data, ArrayData::I32(vec![70000, -70000]));
        assert_eq!(array(&v, "i8").data, ArrayData::I64(vec![1 << 40, -1]));
        assert_eq!(array(&v, "b1").data, ArrayData::Bool(vec![true, false]));
        assert_eq!(array(&v, "i1").data, ArrayData::I8(vec![-1, 2]));
        let obj = array(&v, "obj");
        assert_eq!(obj.shape, vec![2]);
        let ArrayData::Object(items) = &obj.data else {
            panic!("object array expected")
        };
        assert_eq!(
            items[1],
            PyValue::Array(NdArray {
                shape: vec![3],
                data: ArrayData::F64(vec![0.0, 1.0, 2.0])
            })
        );
        let ints: Vec<PyValue> = [
            0,
            255,
            256,
            65535,
            65536,
            -1,
            1 << 31,
            -(1 << 31) - 1,
            1 << 62,
        ]
        .into_iter()
        .map(PyValue::Int)
        .collect();
        assert_eq!(v.get("ints"), Some(&PyValue::List(ints)));
        assert_eq!(v.get("float"), Some(&PyValue::Float(2.5)));
        assert_eq!(v.get("text"), Some(&PyValue::Str("h\u{e9}llo".into())));
        assert_eq!(
            v.get("raw"),
            Some(&PyValue::Bytes(vec![0, 255, b'a', b'b']))
        );
        assert_eq!(v.get("empty"), Some(&PyValue::Bytes(Vec::new())));
        let labels = ["N", "A", "N", "~"]
            .map(|s| PyValue::Str(s.into()))
            .to_vec();
        assert_eq!(v.get("labels"), Some(&PyValue::List(labels)));
        assert_eq!(v.get("none"), Some(&PyValue::None));
        assert_eq!(v.get("flag"), Some(&PyValue::Bool(true)));
        assert_eq!(
            v.get("pair"),
            Some(&PyValue::Tuple(vec![
                PyValue::Int(1),
                PyValue::Str("xy".into())
            ]))
        );
        assert_eq!(
            v.get("nested").and_then(|n| n.get("k")),
            Some(&PyValue::List(vec![PyValue::Float(1.0)]))
        );
        let zero_d = array(&v, "zero_d");
        assert!(zero_d.shape.is_empty());
        assert_eq!(zero_d.data, ArrayData::F64(vec![3.5]));
    }

    #[test]
    fn numpy_protocol4_pickle_reorders_fortran_and_decodes_scalars_strings_and_byte_order() {
        let v = decode(PROTOCOL4);
        let f = array(&v, "fortran");
        assert_eq!(f.shape, vec![2, 3]);
        assert_eq!(f.data, ArrayData::I32(vec![0, 1, 2, 3, 4, 5]));
        let s = array(&v, "scalar_f32");
        assert!(s.shape.is_empty());
        assert_eq!(s.data, ArrayData::F32(vec![2.5]));
        assert_eq!(array(&v, "scalar_i64").data, ArrayData::I64(vec![-7]));
        assert_eq!(
            array(&v, "strings").data,
            ArrayData::Object(vec![PyValue::Str("N".into()), PyValue::Str("AO".into())])
        );
        assert_eq!(
            array(&v, "bytes_arr").data,
            ArrayData::Object(vec![
                PyValue::Bytes(b"ab".to_vec()),
                PyValue::Bytes(b"c".to_vec())
            ])
        );
        assert_eq!(array(&v, "big").data, ArrayData::I32(vec![1, -2]));
        assert_eq!(
            v.get("ordered"),
            Some(&PyValue::Dict(vec![
                (PyValue::Str("x".into()), PyValue::Int(1)),
                (PyValue::Str("y".into()), PyValue::Int(2)),
            ]))
        );
        assert_eq!(v.get("set"), Some(&PyValue::List(vec![PyValue::Int(3)])));
        assert_eq!(v.get("raw"), Some(&PyValue::Bytes(b"xyz".to_vec())));
        assert_eq!(v.get("empty"), Some(&PyValue::Bytes(Vec::new())));
        assert_eq!(array(&v, "u2").data, ArrayData::I32(vec![65535]));
        assert_eq!(array(&v, "f2").data, ArrayData::F32(vec![1.5, -0.25]));
    }

    #[test]
    fn numpy_protocol5_pickle_decodes_frombuffer_arrays_in_c_order() {
        let v = decode(PROTOCOL5);
        let c = array(&v, "c");
        assert_eq!(c.shape, vec![2, 3]);
        assert_eq!(c.data, ArrayData::F64(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]));
        let f = array(&v, "f");
        assert_eq!(f.shape, vec![2, 3]);
        assert_eq!(f.data, ArrayData::F32(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]));
        let ArrayData::Object(items) = &array(&v, "obj").data else {
            panic!("object array expected")
        };
        assert_eq!(
            items,
            &vec![
                PyValue::Array(NdArray {
                    shape: vec![2],
                    data: ArrayData::F64(vec![0.0, 0.0])
                }),
                PyValue::Array(NdArray {
                    shape: vec![1],
                    data: ArrayData::F64(vec![1.0])
                }),
            ]
        );
    }

    #[test]
    fn python2_style_pickle_decodes_str_as_bytes() {
        let v = decode(PYTHON2);
        let PyValue::Dict(items) = &v else {
            panic!("dict expected")
        };
        assert!(matches!(&items[0].0, PyValue::Bytes(k) if k == b"batch_label"));
        let data = array(&v, "data");
        assert_eq!(data.shape, vec![2, 3072]);
        let ArrayData::U8(values) = &data.data else {
            panic!("uint8 expected")
        };
        // numpy: d[b'data'][0, :5] == [95, 130, 194, 217, 207]
        assert_eq!(&values[..5], &[95, 130, 194, 217, 207]);
        assert_eq!(
            v.get("fine_labels"),
            Some(&PyValue::List(vec![PyValue::Int(19), PyValue::Int(29)]))
        );
        assert_eq!(
            v.get("filenames"),
            Some(&PyValue::List(vec![
                PyValue::Bytes(b"bos_taurus_s_000507.png".to_vec()),
                PyValue::Bytes(b"stegosaurus_s_000125.png".to_vec()),
            ]))
        );
    }

    #[test]
    fn every_truncation_of_a_valid_pickle_is_an_error_not_a_panic() {
        for fixture in [PROTOCOL2, PROTOCOL4, PROTOCOL5, PYTHON2] {
            for cut in 0..fixture.len() {
                let result = decode_pickle(&fixture[..cut], Path::new("bad.pickle"));
                assert!(result.is_err(), "cut at {cut} decoded");
            }
        }
    }

    #[test]
    fn every_single_byte_corruption_is_handled_without_panic() {
        // Any outcome but a panic is fine; in the small protocol 5 file (no
        // bulk pixel data) most flips must be caught.
        for fixture in [PROTOCOL2, PROTOCOL4, PROTOCOL5, PYTHON2] {
            let mut errors = 0;
            for i in 0..fixture.len() {
                for flip in [0xa5u8, 0x01, 0x80] {
                    let mut bytes = fixture.to_vec();
                    bytes[i] ^= flip;
                    errors += usize::from(decode_pickle(&bytes, Path::new("bad.pickle")).is_err());
                }
            }
            if fixture == PROTOCOL5 {
                assert!(errors > fixture.len(), "only {errors} errors");
            }
        }
    }

    #[test]
    fn seeded_random_mutations_never_panic() {
        use rand::Rng;
        let mut rng = oxinas_core::seed::rng_from_seed(360);
        for fixture in [PROTOCOL2, PROTOCOL4, PROTOCOL5] {
            for _ in 0..3000 {
                let mut bytes = fixture.to_vec();
                for _ in 0..rng.random_range(1..6) {
                    let at = rng.random_range(0..bytes.len());
                    match rng.random_range(0..3) {
                        0 => bytes[at] = rng.random(),
                        1 => bytes.insert(at, rng.random()),
                        _ => {
                            bytes.remove(at);
                        }
                    }
                }
                // Only the absence of a panic is asserted: a mutation may still decode.
                let _ = decode_pickle(&bytes, Path::new("bad.pickle"));
            }
        }
    }

    #[test]
    fn unknown_globals_are_refused_with_offset_and_class() {
        let bytes = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00ls\x85R.";
        let msg = message(decode_pickle(bytes, Path::new("bad.pickle")).unwrap_err());
        assert!(msg.contains("byte 2"), "{msg}");
        assert!(msg.contains("os.system"), "{msg}");
        let stack = b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93.";
        let msg = message(decode_pickle(stack, Path::new("bad.pickle")).unwrap_err());
        assert!(
            msg.contains("builtins.eval") && msg.contains("byte 18"),
            "{msg}"
        );
    }

    #[test]
    fn malformed_streams_give_named_errors() {
        let cases: [(&[u8], &str); 8] = [
            (b"\x80\x02a.", "underflow"),
            (
                b"\x80\x02cnumpy\ndtype\nX\x03\x00\x00\x00c16\x89\x88\x87R.",
                "dtype `c16` is not supported",
            ),
            (
                b"\x80\x02cnumpy\ndtype\nX\x14\x00\x00\x00U4611686018427387904\x89\x88\x87R.",
                "is not supported",
            ),
            (b"\x80\x02h\x05.", "memo entry 5"),
            (b"\x80\x02\xff", "unknown opcode 0xff"),
            (
                b"\x80\x02\x8a\x09\x01\x01\x01\x01\x01\x01\x01\x01\x01.",
                "64 bits",
            ),
            (b"\x80\x09N.", "protocol 9"),
            (b"\x80\x02X\x09\x00\x00\x00ab", "truncated"),
        ];
        for (bytes, expected) in cases {
            let msg = message(decode_pickle(bytes, Path::new("bad.pickle")).unwrap_err());
            assert!(msg.contains(expected), "{msg} lacks {expected}");
        }
    }

    #[test]
    fn self_referential_and_deeply_nested_values_do_not_overflow() {
        // l = []; l.append(l)
        let cyclic = b"\x80\x02]q\x00h\x00a.";
        assert!(decode_pickle(cyclic, Path::new("bad.pickle")).is_ok());
        // l = []; l.append(l); l.append(l): shared twice, expands without end.
        let twice = b"\x80\x02]q\x00h\x00ah\x00a.";
        assert!(decode_pickle(twice, Path::new("bad.pickle")).is_err());
        let mut deep = b"\x80\x02N".to_vec();
        deep.extend(std::iter::repeat_n(0x85u8, 100_000));
        deep.push(b'.');
        assert!(decode_pickle(&deep, Path::new("bad.pickle")).is_err());
    }

    #[test]
    fn protocol0_text_opcodes_decode() {
        // pickle.dumps({'a': [1, 2.5, 'x', None, True]}, protocol=0) as Python 2 writes it.
        let bytes = b"(dp0\nS'a'\np1\n(lp2\nI1\naF2.5\naS'x\\n'\np3\naNaI01\nas.";
        let v = decode(bytes);
        assert_eq!(
            v.get("a"),
            Some(&PyValue::List(vec![
                PyValue::Int(1),
                PyValue::Float(2.5),
                PyValue::Bytes(b"x\n".to_vec()),
                PyValue::None,
                PyValue::Bool(true),
            ]))
        );
    }

    #[test]
    fn fortran_reordering_matches_c_indexing_in_three_dimensions() {
        // Shape (2, 3, 2); Fortran offset of (i, j, k) = i + 2 j + 6 k.
        let shape = [2, 3, 2];
        let fortran: Vec<usize> = (0..12).collect();
        let c = fortran_to_c_vec(fortran, &shape);
        let mut expected = Vec::new();
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..2 {
                    expected.push(i + 2 * j + 6 * k);
                }
            }
        }
        assert_eq!(c, expected);
    }
}
