//! NumPy `.npy` and `.npz` files: reading (format versions 1.0, 2.0 and 3.0,
//! little- and big-endian numeric dtypes, booleans, object arrays, Fortran
//! order, 0-d arrays) and writing (version 1.0 as `numpy.save` writes it,
//! 2.0 when the header needs it; `.npz` as `numpy.savez`, members stored).
//!
//! Object arrays hold a pickle of the array after the header; they go
//! through [`crate::numpy_pickle::decode_pickle`] and
//! [`crate::pickle_writer::pickle_value`].

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::error::FormatError;
use crate::numpy_pickle::{Dtype, decode_pickle, decode_raw, parse_descr};
use crate::pickle_writer::pickle_value;
use crate::py_value::{ArrayData, NdArray, PyValue};

/// The six bytes every `.npy` file starts with.
const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// Deflate's largest expansion (bytes out per byte in), bounding what a
/// compressed `.npz` member can really hold.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// `numpy.save` pads the header so the data starts at a multiple of this.
const ALIGN: usize = 64;

/// Parses the bytes of a `.npy` file; `path` names the file in errors.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<NdArray, FormatError> {
    let header = parse_header(bytes, path)?;
    let payload = &bytes[header.data_offset..];
    let size = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            FormatError::malformed(path, format!("shape {:?} overflows", header.shape))
        })?;
    let Some(dtype) = header.dtype else {
        return parse_object_payload(payload, &header.shape, path);
    };
    let itemsize = dtype.itemsize();
    let expected = size.checked_mul(itemsize).ok_or_else(|| {
        FormatError::malformed(path, format!("shape {:?} overflows", header.shape))
    })?;
    if payload.len() != expected {
        return Err(FormatError::malformed(
            path,
            format!(
                "data: expected {expected} bytes for shape {:?} of dtype {} after the {}-byte header, found {}{}",
                header.shape,
                header.descr,
                header.data_offset,
                payload.len(),
                if payload.len() < expected {
                    " (truncated file)"
                } else {
                    " (extra bytes)"
                }
            ),
        ));
    }
    let mut data = decode_raw(payload, dtype).map_err(|m| {
        FormatError::malformed_at(path, header.data_offset as u64, format!("data: {m}"))
    })?;
    if header.fortran_order && header.shape.len() > 1 {
        data = reorder_fortran(data, &header.shape);
    }
    Ok(NdArray {
        shape: header.shape,
        data,
    })
}

/// Reads a `.npy` file.
pub fn read_npy(path: impl AsRef<Path>) -> Result<NdArray, FormatError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
    parse_npy(&bytes, path)
}

/// The bytes of `array` as `numpy.save` writes them (C order, little-endian,
/// version 1.0 unless the header is too long for it). The shape must hold
/// exactly the array's elements; [`write_npy`] checks that.
pub fn npy_bytes(array: &NdArray) -> Vec<u8> {
    let shape = match array.shape.as_slice() {
        [] => "()".to_owned(),
        [n] => format!("({n},)"),
        dims => format!(
            "({})",
            dims.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        descr_of(&array.data)
    );
    // Version 1.0 stores the header length in 2 bytes, 2.0 in 4.
    let (version, prefix) = if dict.len() + 1 + 10 + ALIGN <= usize::from(u16::MAX) {
        (1u8, 10)
    } else {
        (2u8, 12)
    };
    let unpadded = prefix + dict.len() + 1;
    let pad = (ALIGN - unpadded % ALIGN) % ALIGN;
    let header_len = dict.len() + pad + 1;
    let mut out = Vec::with_capacity(prefix + header_len + array.data.len() * 8);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    if version == 1 {
        // Fits: checked above.
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
    } else {
        out.extend_from_slice(&(header_len as u32).to_le_bytes());
    }
    out.extend_from_slice(dict.as_bytes());
    out.extend(std::iter::repeat_n(b' ', pad));
    out.push(b'\n');
    encode_data(array, &mut out);
    out
}

/// Writes `array` as a `.npy` file (see [`npy_bytes`]).
pub fn write_npy(path: impl AsRef<Path>, array: &NdArray) -> Result<(), FormatError> {
    let path = path.as_ref();
    check_writable(array, path)?;
    std::fs::write(path, npy_bytes(array)).map_err(|e| FormatError::io(path, e))
}

/// Reads every member of a `.npz` archive (stored or deflated), as
/// `(key, array)` in archive order; the key is the member name without
/// `.npy`, as `numpy.load` names them.
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, NdArray)>, FormatError> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| FormatError::io(path, e))?;
    let archive_len = file.metadata().map_err(|e| FormatError::io(path, e))?.len();
    let mut archive = ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| zip_error(path, "expected a zip archive (.npz)", e))?;
    let mut arrays = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut member = archive
            .by_index(index)
            .map_err(|e| zip_error(path, &format!("member {index}"), e))?;
        let name = member.name().to_owned();
        let Some(key) = name.strip_suffix(".npy") else {
            return Err(FormatError::malformed(
                path,
                format!("member `{name}`: expected only `<key>.npy` members in a .npz archive"),
            ));
        };
        let key = key.to_owned();
        // The declared size is only trusted as far as the member's bytes can
        // hold it (deflate expands at most 1032-fold), so a corrupt size is
        // an error before anything is reserved for it.
        let declared = member.size();
        let packed = member.compressed_size().min(archive_len);
        let possible = packed.saturating_mul(MAX_DEFLATE_RATIO).saturating_add(64);
        if declared > possible {
            return Err(FormatError::Truncated {
                path: path.join(&name),
                format: ".npz",
                offset: member.header_start(),
                what: format!("member `{name}` of {packed} compressed bytes"),
                needed: declared,
                available: possible,
            });
        }
        let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
        (&mut member)
            .take(declared.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| {
                FormatError::malformed(path, format!("member `{name}`: cannot be read: {e}"))
            })?;
        let member_path: PathBuf = path.join(&name);
        arrays.push((key, parse_npy(&bytes, &member_path)?));
    }
    Ok(arrays)
}

/// Writes `arrays` as a `.npz` archive of `<key>.npy` members, stored
/// uncompressed as `numpy.savez` does.
pub fn write_npz(path: impl AsRef<Path>, arrays: &[(&str, &NdArray)]) -> Result<(), FormatError> {
    let path = path.as_ref();
    let file = std::fs::File::create(path).map_err(|e| FormatError::io(path, e))?;
    let mut zip = ZipWriter::new(std::io::BufWriter::new(file));
    for (key, array) in arrays {
        let member_path = path.join(format!("{key}.npy"));
        check_writable(array, &member_path)?;
        let bytes = npy_bytes(array);
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(bytes.len() >= u32::MAX as usize);
        zip.start_file(format!("{key}.npy"), options)
            .map_err(|e| zip_error(path, &format!("member `{key}.npy`"), e))?;
        zip.write_all(&bytes)
            .map_err(|e| FormatError::io(path, e))?;
    }
    let mut inner = zip
        .finish()
        .map_err(|e| zip_error(path, "finishing the archive", e))?;
    inner.flush().map_err(|e| FormatError::io(path, e))
}

/// A zip-level failure as a format error (or the I/O error beneath it).
fn zip_error(path: &Path, what: &str, error: zip::result::ZipError) -> FormatError {
    match error {
        zip::result::ZipError::Io(e) => FormatError::io(path, e),
        other => FormatError::malformed(path, format!("{what}: {other}")),
    }
}

/// Refuses arrays whose shape does not hold their elements.
fn check_writable(array: &NdArray, path: &Path) -> Result<(), FormatError> {
    let size = array
        .shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if size == Some(array.data.len()) {
        Ok(())
    } else {
        Err(FormatError::malformed(
            path,
            format!(
                "cannot write: shape {:?} does not hold the {} elements given",
                array.shape,
                array.data.len()
            ),
        ))
    }
}

/// The element type a `.npy` header names: `|O` (pickled objects) or one
/// the pickle decoder's dtypes covers (booleans, integers and floats of
/// either byte order, fixed-width strings; unsigned 16-64-bit and half
/// floats widen as [`crate::numpy_pickle`] documents).
fn parse_dtype(descr: &str) -> Option<Option<Dtype>> {
    if matches!(descr, "|O" | "O" | "|O8" | "O8") {
        return Some(None);
    }
    parse_descr(descr).filter(|d| !d.is_object()).map(Some)
}

/// The `descr` `numpy.save` writes for `data`.
fn descr_of(data: &ArrayData) -> &'static str {
    match data {
        ArrayData::Bool(_) => "|b1",
        ArrayData::U8(_) => "|u1",
        ArrayData::I8(_) => "|i1",
        ArrayData::I16(_) => "<i2",
        ArrayData::I32(_) => "<i4",
        ArrayData::I64(_) => "<i8",
        ArrayData::F32(_) => "<f4",
        ArrayData::F64(_) => "<f8",
        ArrayData::Object(_) => "|O",
    }
}

/// Appends the elements little-endian (object arrays: their pickle).
fn encode_data(array: &NdArray, out: &mut Vec<u8>) {
    match &array.data {
        ArrayData::Bool(v) => out.extend(v.iter().map(|&b| u8::from(b))),
        ArrayData::U8(v) => out.extend_from_slice(v),
        ArrayData::I8(v) => out.extend(v.iter().map(|x| x.to_le_bytes()[0])),
        ArrayData::I16(v) => v.iter().for_each(|x| out.extend(x.to_le_bytes())),
        ArrayData::I32(v) => v.iter().for_each(|x| out.extend(x.to_le_bytes())),
        ArrayData::I64(v) => v.iter().for_each(|x| out.extend(x.to_le_bytes())),
        ArrayData::F32(v) => v.iter().for_each(|x| out.extend(x.to_le_bytes())),
        ArrayData::F64(v) => v.iter().for_each(|x| out.extend(x.to_le_bytes())),
        ArrayData::Object(_) => out.extend(pickle_value(&PyValue::Array(array.clone()))),
    }
}

/// What a `.npy` header says.
#[derive(Debug)]
struct Header {
    descr: String,
    /// `None` for object arrays.
    dtype: Option<Dtype>,
    fortran_order: bool,
    shape: Vec<usize>,
    /// Where the data starts.
    data_offset: usize,
}

/// Reads magic, version, header length and the header dictionary.
fn parse_header(bytes: &[u8], path: &Path) -> Result<Header, FormatError> {
    if bytes.len() < 8 {
        return Err(FormatError::malformed(
            path,
            format!(
                "expected the 8-byte .npy magic and version, found {} bytes (truncated or not a .npy file)",
                bytes.len()
            ),
        ));
    }
    if &bytes[..6] != MAGIC {
        return Err(FormatError::malformed(
            path,
            format!(
                "expected the .npy magic \\x93NUMPY, found {:?} (not a .npy file)",
                String::from_utf8_lossy(&bytes[..6])
            ),
        ));
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let len_bytes = match (major, minor) {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        _ => {
            return Err(FormatError::malformed(
                path,
                format!(
                    "unsupported .npy format version {major}.{minor}; expected 1.0, 2.0 or 3.0"
                ),
            ));
        }
    };
    let start = 8 + len_bytes;
    if bytes.len() < start {
        return Err(FormatError::malformed(
            path,
            format!(
                "expected a {len_bytes}-byte header length at offset 8, found {} bytes in all (truncated file)",
                bytes.len()
            ),
        ));
    }
    let header_len = if len_bytes == 2 {
        usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))
    } else {
        u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize
    };
    let end = start.checked_add(header_len).filter(|&e| e <= bytes.len());
    let Some(end) = end else {
        return Err(FormatError::malformed(
            path,
            format!(
                "expected a {header_len}-byte header after offset {start}, found {} bytes in all (truncated file)",
                bytes.len()
            ),
        ));
    };
    let raw = &bytes[start..end];
    // Versions 1 and 2 are latin-1, version 3 is UTF-8.
    let text: String = if major == 3 {
        std::str::from_utf8(raw)
            .map_err(|e| FormatError::malformed(path, format!("header: expected UTF-8 text: {e}")))?
            .to_owned()
    } else {
        raw.iter().map(|&b| char::from(b)).collect()
    };
    let literal = LiteralParser::new(&text)
        .parse_all()
        .map_err(|e| FormatError::malformed(path, format!("header {:?}: {e}", text.trim_end())))?;
    let Literal::Dict(items) = literal else {
        return Err(FormatError::malformed(
            path,
            format!(
                "header {:?}: expected a dict with keys descr, fortran_order, shape",
                text.trim_end()
            ),
        ));
    };
    let field = |key: &str| {
        items
            .iter()
            .find(|(k, _)| matches!(k, Literal::Str(s) if s == key))
            .map(|(_, v)| v)
            .ok_or_else(|| {
                FormatError::malformed(
                    path,
                    format!("header {:?}: missing key `{key}`", text.trim_end()),
                )
            })
    };
    let descr = match field("descr")? {
        Literal::Str(s) => s.clone(),
        other => {
            return Err(FormatError::malformed(
                path,
                format!(
                    "header `descr`: expected a dtype string such as '<f4', found {other:?} (structured dtypes are not supported)"
                ),
            ));
        }
    };
    let dtype = parse_dtype(&descr).ok_or_else(|| {
        FormatError::malformed(
            path,
            format!(
                "header `descr`: unsupported dtype '{descr}'; expected a bool, integer, float (f2, f4, f8), fixed-width string (U, S) or object (|O) dtype, of either byte order"
            ),
        )
    })?;
    let fortran_order = match field("fortran_order")? {
        Literal::Bool(b) => *b,
        other => {
            return Err(FormatError::malformed(
                path,
                format!("header `fortran_order`: expected True or False, found {other:?}"),
            ));
        }
    };
    let shape = match field("shape")? {
        Literal::Tuple(dims) => dims
            .iter()
            .map(|d| match d {
                Literal::Int(n) => usize::try_from(*n).ok(),
                _ => None,
            })
            .collect::<Option<Vec<usize>>>(),
        _ => None,
    }
    .ok_or_else(|| {
        FormatError::malformed(
            path,
            format!(
                "header `shape`: expected a tuple of non-negative ints, found {:?}",
                field("shape").ok()
            ),
        )
    })?;
    Ok(Header {
        descr,
        dtype,
        fortran_order,
        shape,
        data_offset: end,
    })
}

/// Decodes an object array's pickled payload and checks its shape.
fn parse_object_payload(
    payload: &[u8],
    shape: &[usize],
    path: &Path,
) -> Result<NdArray, FormatError> {
    match decode_pickle(payload, path)? {
        // The pickle keeps the logical (C) order whatever the memory order.
        PyValue::Array(array) if array.shape == shape => Ok(array),
        PyValue::Array(array) => Err(FormatError::malformed(
            path,
            format!(
                "object array: header says shape {shape:?}, the pickled array has shape {:?}",
                array.shape
            ),
        )),
        other => Err(FormatError::malformed(
            path,
            format!(
                "object array: expected a pickled ndarray after the header, found a {}",
                other.kind()
            ),
        )),
    }
}

/// Reorders column-major (Fortran) elements into row-major (C) order.
fn reorder_fortran(data: ArrayData, shape: &[usize]) -> ArrayData {
    fn reorder<T: Clone>(values: Vec<T>, shape: &[usize]) -> Vec<T> {
        let n = shape.len();
        if values.is_empty() || n < 2 {
            return values;
        }
        // Fortran strides: the first axis varies fastest.
        let mut strides = vec![1usize; n];
        for k in 1..n {
            strides[k] = strides[k - 1] * shape[k - 1];
        }
        let mut out = Vec::with_capacity(values.len());
        let mut index = vec![0usize; n];
        let mut offset = 0usize;
        for _ in 0..values.len() {
            out.push(values[offset].clone());
            // Advance the C-order multi-index, last axis fastest.
            for k in (0..n).rev() {
                index[k] += 1;
                offset += strides[k];
                if index[k] < shape[k] {
                    break;
                }
                offset -= strides[k] * shape[k];
                index[k] = 0;
            }
        }
        out
    }
    match data {
        ArrayData::Bool(v) => ArrayData::Bool(reorder(v, shape)),
        ArrayData::U8(v) => ArrayData::U8(reorder(v, shape)),
        ArrayData::I8(v) => ArrayData::I8(reorder(v, shape)),
        ArrayData::I16(v) => ArrayData::I16(reorder(v, shape)),
        ArrayData::I32(v) => ArrayData::I32(reorder(v, shape)),
        ArrayData::I64(v) => ArrayData::I64(reorder(v, shape)),
        ArrayData::F32(v) => ArrayData::F32(reorder(v, shape)),
        ArrayData::F64(v) => ArrayData::F64(reorder(v, shape)),
        ArrayData::Object(v) => ArrayData::Object(reorder(v, shape)),
    }
}

/// A Python literal as `.npy` headers write them.
#[derive(Clone, Debug, PartialEq)]
enum Literal {
    Str(String),
    Bool(bool),
    Int(i64),
    None,
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

/// A small recursive-descent parser of Python literals (`ast.literal_eval`'s
/// subset that `.npy` headers use).
struct LiteralParser<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
}

impl<'a> LiteralParser<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            chars: text.char_indices().peekable(),
        }
    }

    /// One literal, then only whitespace.
    fn parse_all(mut self) -> Result<Literal, String> {
        let value = self.value(0)?;
        self.skip_space();
        match self.chars.next() {
            None => Ok(value),
            Some((at, c)) => Err(format!("unexpected {c:?} at offset {at} after the dict")),
        }
    }

    fn skip_space(&mut self) {
        while self.chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    }

    fn value(&mut self, depth: usize) -> Result<Literal, String> {
        // Headers nest at most a few levels; refuse pathological input.
        if depth > 32 {
            return Err("nesting deeper than 32 levels".into());
        }
        self.skip_space();
        let Some(&(at, c)) = self.chars.peek() else {
            return Err("expected a value, found the end of the header".into());
        };
        match c {
            '\'' | '"' => self.string(),
            '{' => {
                self.chars.next();
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    if self.chars.next_if(|&(_, c)| c == '}').is_some() {
                        return Ok(Literal::Dict(items));
                    }
                    let key = self.value(depth + 1)?;
                    self.skip_space();
                    self.expect(':')?;
                    let value = self.value(depth + 1)?;
                    items.push((key, value));
                    self.skip_space();
                    if self.chars.next_if(|&(_, c)| c == ',').is_none() {
                        self.skip_space();
                        self.expect('}')?;
                        return Ok(Literal::Dict(items));
                    }
                }
            }
            '(' | '[' => {
                self.chars.next();
                let close = if c == '(' { ')' } else { ']' };
                let mut items = Vec::new();
                let mut trailing_comma = false;
                loop {
                    self.skip_space();
                    if self.chars.next_if(|&(_, ch)| ch == close).is_some() {
                        break;
                    }
                    items.push(self.value(depth + 1)?);
                    self.skip_space();
                    trailing_comma = self.chars.next_if(|&(_, ch)| ch == ',').is_some();
                    if !trailing_comma {
                        self.skip_space();
                        self.expect(close)?;
                        break;
                    }
                }
                if c == '[' {
                    Ok(Literal::List(items))
                } else if items.len() == 1 && !trailing_comma {
                    // `(3)` is a parenthesised int, not a tuple.
                    Ok(items.pop().unwrap_or(Literal::None))
                } else {
                    Ok(Literal::Tuple(items))
                }
            }
            '-' | '+' | '0'..='9' => self.int(),
            c if c.is_alphabetic() => {
                let mut word = String::new();
                while let Some((_, c)) = self.chars.next_if(|(_, c)| c.is_alphanumeric()) {
                    word.push(c);
                }
                match word.as_str() {
                    "True" => Ok(Literal::Bool(true)),
                    "False" => Ok(Literal::Bool(false)),
                    "None" => Ok(Literal::None),
                    _ => Err(format!("unexpected name `{word}` at offset {at}")),
                }
            }
            _ => Err(format!("unexpected {c:?} at offset {at}")),
        }
    }

    fn expect(&mut self, want: char) -> Result<(), String> {
        match self.chars.next() {
            Some((_, c)) if c == want => Ok(()),
            Some((at, c)) => Err(format!("expected {want:?} at offset {at}, found {c:?}")),
            None => Err(format!("expected {want:?}, found the end of the header")),
        }
    }

    fn string(&mut self) -> Result<Literal, String> {
        let Some((_, quote)) = self.chars.next() else {
            return Err("expected a string".into());
        };
        let mut out = String::new();
        loop {
            match self.chars.next() {
                None => return Err("unterminated string".into()),
                Some((_, c)) if c == quote => return Ok(Literal::Str(out)),
                Some((_, '\\')) => match self.chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, c)) => out.push(c),
                    None => return Err("unterminated string".into()),
                },
                Some((_, c)) => out.push(c),
            }
        }
    }

    fn int(&mut self) -> Result<Literal, String> {
        let mut digits = String::new();
        if let Some((_, sign)) = self.chars.next_if(|&(_, c)| c == '-' || c == '+') {
            digits.push(sign);
        }
        while let Some((_, c)) = self.chars.next_if(|(_, c)| c.is_ascii_digit()) {
            digits.push(c);
        }
        // Python 2 wrote long ints as `3L`.
        self.chars.next_if(|&(_, c)| c == 'L' || c == 'l');
        digits
            .parse::<i64>()
            .map(Literal::Int)
            .map_err(|_| format!("expected an integer, found `{digits}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(shape: &[usize], data: ArrayData) -> NdArray {
        NdArray {
            shape: shape.to_vec(),
            data,
        }
    }

    /// A `.npy` file with a hand-written header and payload.
    fn raw_npy(version: u8, header: &str, payload: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn message(result: Result<NdArray, FormatError>) -> String {
        match result {
            Err(err @ (FormatError::Malformed { .. } | FormatError::Truncated { .. })) => {
                format!("{}: {}", err.path().display(), err.message())
            }
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    fn numeric_examples() -> Vec<NdArray> {
        vec![
            arr(&[3], ArrayData::Bool(vec![true, false, true])),
            arr(&[2, 2], ArrayData::U8(vec![0, 1, 254, 255])),
            arr(&[2], ArrayData::I8(vec![-128, 127])),
            arr(&[3], ArrayData::I16(vec![-300, 0, 300])),
            arr(&[1, 3], ArrayData::I32(vec![-70_000, 1, 70_000])),
            arr(&[2], ArrayData::I64(vec![i64::MIN, 1 << 40])),
            arr(&[2, 1, 2], ArrayData::F32(vec![0.5, -1.25, 3.0e7, -0.0])),
            arr(&[], ArrayData::F64(vec![std::f64::consts::PI])),
            arr(&[0, 3], ArrayData::F64(vec![])),
        ]
    }

    #[test]
    fn numeric_arrays_round_trip_with_aligned_version_1_headers() {
        for array in numeric_examples() {
            let bytes = npy_bytes(&array);
            assert_eq!(&bytes[..8], b"\x93NUMPY\x01\x00");
            let header_len = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
            assert_eq!((10 + header_len) % 64, 0, "{array:?}");
            assert_eq!(bytes[10 + header_len - 1], b'\n');
            let back = parse_npy(&bytes, Path::new("x.npy")).unwrap();
            assert_eq!(back, array);
        }
    }

    #[test]
    fn header_text_is_what_numpy_writes() {
        let bytes = npy_bytes(&arr(&[2, 3], ArrayData::F32(vec![0.0; 6])));
        let text = String::from_utf8_lossy(&bytes[10..]).into_owned();
        assert!(text.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
        let one = npy_bytes(&arr(&[5], ArrayData::I64(vec![0; 5])));
        assert!(String::from_utf8_lossy(&one).contains("'shape': (5,), }"));
        let zero_d = npy_bytes(&arr(&[], ArrayData::Bool(vec![true])));
        assert!(String::from_utf8_lossy(&zero_d).contains("'descr': '|b1'"));
        assert!(String::from_utf8_lossy(&zero_d).contains("'shape': (), }"));
    }

    #[test]
    fn version_2_and_3_headers_and_big_endian_data_are_read() {
        let payload: Vec<u8> = [1i32, -2].iter().flat_map(|x| x.to_be_bytes()).collect();
        let v2 = raw_npy(
            2,
            "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }\n",
            &payload,
        );
        let a = parse_npy(&v2, Path::new("v2.npy")).unwrap();
        assert_eq!(a.data, ArrayData::I32(vec![1, -2]));
        let payload: Vec<u8> = [1.5f64].iter().flat_map(|x| x.to_le_bytes()).collect();
        let v3 = raw_npy(
            3,
            "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (1L,)}  \n",
            &payload,
        );
        let a = parse_npy(&v3, Path::new("v3.npy")).unwrap();
        assert_eq!((a.shape, a.data), (vec![1], ArrayData::F64(vec![1.5])));
    }

    #[test]
    fn fortran_order_is_reordered_to_c_order() {
        // The 2x3 matrix [[0, 1, 2], [3, 4, 5]] stored column by column.
        let column_major = [0i16, 3, 1, 4, 2, 5];
        let payload: Vec<u8> = column_major.iter().flat_map(|x| x.to_le_bytes()).collect();
        let bytes = raw_npy(
            1,
            "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }\n",
            &payload,
        );
        let a = parse_npy(&bytes, Path::new("f.npy")).unwrap();
        assert_eq!(a.data, ArrayData::I16(vec![0, 1, 2, 3, 4, 5]));
        // 2x2x2: element (i, j, k) sits at i + 2j + 4k in Fortran order.
        let payload: Vec<u8> = (0u8..8).collect();
        let bytes = raw_npy(
            1,
            "{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2, 2), }\n",
            &payload,
        );
        let a = parse_npy(&bytes, Path::new("f.npy")).unwrap();
        assert_eq!(a.data, ArrayData::U8(vec![0, 4, 2, 6, 1, 5, 3, 7]));
    }

    #[test]
    fn every_truncation_of_a_valid_file_is_a_named_error() {
        let bytes = npy_bytes(&arr(&[2, 3], ArrayData::F64(vec![1.0; 6])));
        for cut in 0..bytes.len() {
            let text = message(parse_npy(&bytes[..cut], Path::new("cut.npy")));
            assert!(text.starts_with("cut.npy: "), "{text}");
            assert!(text.contains("expected"), "{text}");
        }
        let text = message(parse_npy(&bytes[..bytes.len() - 3], Path::new("cut.npy")));
        assert!(
            text.contains("expected 48 bytes") && text.contains("truncated"),
            "{text}"
        );
    }

    #[test]
    fn malformed_headers_say_what_was_expected() {
        let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n";
        let four = [0u8; 4];
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"\x93NUMPX\x01\x00\x00\x00".to_vec(), "magic"),
            (raw_npy(1, good, &four)[..].to_vec(), ""),
            (
                {
                    let mut b = raw_npy(1, good, &four);
                    b[6] = 4;
                    b
                },
                "version 4.0",
            ),
            (raw_npy(1, "[1, 2]\n", &four), "expected a dict"),
            (
                raw_npy(1, "{'descr': '<f4', 'shape': (1,), }\n", &four),
                "missing key `fortran_order`",
            ),
            (
                raw_npy(
                    1,
                    "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n",
                    &four,
                ),
                "unsupported dtype '<c8'",
            ),
            (
                raw_npy(
                    1,
                    "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n",
                    &four,
                ),
                "structured",
            ),
            (
                raw_npy(
                    1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n",
                    &four,
                ),
                "non-negative",
            ),
            (
                raw_npy(
                    1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), \n",
                    &four,
                ),
                "found the end of the header",
            ),
            (
                raw_npy(
                    1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
                    &four,
                ),
                "expected 8 bytes",
            ),
            (
                raw_npy(
                    1,
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n",
                    &[0u8; 6],
                ),
                "extra bytes",
            ),
        ];
        for (bytes, want) in cases {
            let result = parse_npy(&bytes, Path::new("bad.npy"));
            if want.is_empty() {
                assert!(result.is_ok());
                continue;
            }
            let text = message(result);
            assert!(text.starts_with("bad.npy: "), "{text}");
            assert!(text.contains(want), "{text} lacks {want}");
        }
    }

    #[test]
    fn object_arrays_round_trip_through_the_pickle() {
        let inner = arr(&[2, 2], ArrayData::F64(vec![1.0, 2.0, 3.0, 4.0]));
        let dict = PyValue::Dict(vec![
            (PyValue::Str("data".into()), PyValue::Array(inner.clone())),
            (PyValue::Str("label".into()), PyValue::Int(3)),
        ]);
        let zero_d = arr(&[], ArrayData::Object(vec![dict]));
        let bytes = npy_bytes(&zero_d);
        assert!(String::from_utf8_lossy(&bytes[..64]).contains("'descr': '|O'"));
        let back = parse_npy(&bytes, Path::new("o.npy")).unwrap();
        assert_eq!(back, zero_d);
        let ArrayData::Object(items) = &back.data else {
            panic!("object array expected");
        };
        assert_eq!(items[0].get("data"), Some(&PyValue::Array(inner)));
        // A header shape the pickled array does not have is refused.
        let mut lying = bytes.clone();
        let at = lying.windows(4).position(|w| w == b"(), ").unwrap();
        lying[at..at + 4].copy_from_slice(b"(1,)");
        let text = message(parse_npy(&lying, Path::new("o.npy")));
        assert!(text.contains("header says shape [1]"), "{text}");
        // A truncated pickle is an error, never a panic.
        for cut in 0..bytes.len() {
            assert!(parse_npy(&bytes[..cut], Path::new("o.npy")).is_err());
        }
    }

    #[test]
    fn npz_round_trips_keys_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.npz");
        let x = arr(&[2, 2], ArrayData::F32(vec![1.0, 2.0, 3.0, 4.0]));
        let y = arr(&[3], ArrayData::U8(vec![0, 1, 0]));
        write_npz(&path, &[("x_train", &x), ("y_train", &y)]).unwrap();
        let back = read_npz(&path).unwrap();
        assert_eq!(
            back,
            vec![("x_train".to_owned(), x), ("y_train".to_owned(), y)]
        );
    }

    #[test]
    fn inconsistent_arrays_and_non_archives_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bad = arr(&[2, 2], ArrayData::F32(vec![1.0]));
        assert!(write_npy(dir.path().join("bad.npy"), &bad).is_err());
        let not_zip = dir.path().join("not.npz");
        std::fs::write(&not_zip, b"hello").unwrap();
        match read_npz(&not_zip) {
            Err(FormatError::Malformed { path, message, .. }) => {
                assert_eq!(path, not_zip);
                assert!(message.contains("zip"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            read_npy(dir.path().join("absent.npy")),
            Err(FormatError::Io { .. })
        ));
    }
}
