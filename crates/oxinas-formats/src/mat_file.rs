//! MATLAB level-5 MAT-files (the format of MATLAB's `save -v6` and
//! `save -v7`, and of `scipy.io.savemat`): reading numeric and logical
//! variables into [`NdArray`]s, and writing them.
//!
//! A file is a 128-byte header (descriptive text, subsystem offset, version
//! `0x0100`, endian indicator `IM`/`MI`) followed by data elements, each an
//! 8-byte tag (type, byte count) and its data padded to 8 bytes, or a
//! "small element" (type and count packed in 4 bytes, data in the next 4).
//! A variable is an `miMATRIX` element holding array flags (class, logical
//! bit, complex bit), dimensions, name and real part; `-v7` wraps each
//! variable in an `miCOMPRESSED` (zlib) element. MATLAB often stores numbers
//! in a smaller type than their class (a double array of small integers as
//! `miUINT8`), so values are converted to the class on reading. Data is
//! column-major in the file; arrays come back row-major with the file's
//! dimensions as shape (what `scipy.io.loadmat` returns).
//!
//! MAT v7.3 files are HDF5 containers; they are recognised and rejected with
//! [`MatError::Hdf5`], which says how to re-save them.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use thiserror::Error;

use crate::py_value::{ArrayData, NdArray};

/// Why a MAT-file could not be read or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MatError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// A MAT v7.3 file (HDF5), which this reader does not parse.
    #[error(
        "{path}: a MATLAB v7.3 (HDF5) MAT-file; re-save it as level 5 with `save(file, '-v7')` in MATLAB or `scipy.io.savemat` (which writes v5)"
    )]
    Hdf5 {
        /// The file.
        path: PathBuf,
    },
    /// The file ends inside the header or a data element.
    #[error("{path}: truncated at byte {offset}: expected {what}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Byte offset (in the file, or inside a decompressed element) where data ran out.
        offset: u64,
        /// What was being read.
        what: String,
    },
    /// The bytes are not a well-formed level-5 MAT-file.
    #[error("{path}: byte {offset}: {message}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Byte offset of the offending element.
        offset: u64,
        /// What was found and what was expected.
        message: String,
    },
    /// A variable is present but of a kind this reader does not convert.
    #[error("{path}: variable `{name}`: {message}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The variable.
        name: String,
        /// What it is and what is supported.
        message: String,
    },
    /// A requested variable is absent.
    #[error("{path}: no variable `{name}`; the file holds {found:?}")]
    MissingVariable {
        /// The file.
        path: PathBuf,
        /// The variable looked for.
        name: String,
        /// The variables the file holds.
        found: Vec<String>,
    },
}

// Data types of elements (MATLAB's "MAT-File Format", table 1-1).
const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_INT16: u32 = 3;
const MI_UINT16: u32 = 4;
const MI_INT32: u32 = 5;
const MI_UINT32: u32 = 6;
const MI_SINGLE: u32 = 7;
const MI_DOUBLE: u32 = 9;
const MI_INT64: u32 = 12;
const MI_UINT64: u32 = 13;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const MI_UTF8: u32 = 16;

// Array-flag bits.
const FLAG_COMPLEX: u32 = 0x0800;
const FLAG_LOGICAL: u32 = 0x0200;

/// The MATLAB class of a variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatClass {
    /// `double`.
    Double,
    /// `single`.
    Single,
    /// `int8`.
    Int8,
    /// `uint8`.
    Uint8,
    /// `int16`.
    Int16,
    /// `uint16`.
    Uint16,
    /// `int32`.
    Int32,
    /// `uint32`.
    Uint32,
    /// `int64`.
    Int64,
    /// `uint64`.
    Uint64,
    /// `logical` (a numeric class with the logical flag set).
    Logical,
    /// Cell, struct, object, char, sparse or function handle: not converted.
    Other(u8),
}

impl MatClass {
    fn from_flags(flags: u32) -> Self {
        let class = (flags & 0xff) as u8;
        if flags & FLAG_LOGICAL != 0 && (6..=15).contains(&class) {
            return MatClass::Logical;
        }
        match class {
            6 => MatClass::Double,
            7 => MatClass::Single,
            8 => MatClass::Int8,
            9 => MatClass::Uint8,
            10 => MatClass::Int16,
            11 => MatClass::Uint16,
            12 => MatClass::Int32,
            13 => MatClass::Uint32,
            14 => MatClass::Int64,
            15 => MatClass::Uint64,
            other => MatClass::Other(other),
        }
    }

    /// The class's MATLAB name.
    pub fn name(self) -> &'static str {
        match self {
            MatClass::Double => "double",
            MatClass::Single => "single",
            MatClass::Int8 => "int8",
            MatClass::Uint8 => "uint8",
            MatClass::Int16 => "int16",
            MatClass::Uint16 => "uint16",
            MatClass::Int32 => "int32",
            MatClass::Uint32 => "uint32",
            MatClass::Int64 => "int64",
            MatClass::Uint64 => "uint64",
            MatClass::Logical => "logical",
            MatClass::Other(1) => "cell",
            MatClass::Other(2) => "struct",
            MatClass::Other(3) => "object",
            MatClass::Other(4) => "char",
            MatClass::Other(5) => "sparse",
            MatClass::Other(16) => "function handle",
            MatClass::Other(_) => "unknown class",
        }
    }
}

/// Byte size of one value of a numeric element type, `None` for others.
fn type_size(mi: u32) -> Option<usize> {
    match mi {
        MI_INT8 | MI_UINT8 | MI_UTF8 => Some(1),
        MI_INT16 | MI_UINT16 => Some(2),
        MI_INT32 | MI_UINT32 | MI_SINGLE => Some(4),
        MI_DOUBLE | MI_INT64 | MI_UINT64 => Some(8),
        _ => None,
    }
}

/// One value as stored, before conversion to the variable's class.
#[derive(Clone, Copy)]
enum Stored {
    Int(i64),
    Uint(u64),
    Float(f64),
}

/// One variable of a MAT-file: its name, class and dimensions, and the real
/// part as stored (column-major, in the file's element type). Values are
/// converted on demand so that a caller can pick a few out of a large array
/// without converting all of it.
#[derive(Clone, Debug)]
pub struct MatVariable {
    /// The variable's name.
    pub name: String,
    /// Its class.
    pub class: MatClass,
    /// Dimensions as MATLAB lists them (at least two).
    pub dims: Vec<usize>,
    complex: bool,
    stored_type: u32,
    big_endian: bool,
    data: Vec<u8>,
    path: PathBuf,
}

impl MatVariable {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    /// Whether the variable has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn unsupported(&self, message: String) -> MatError {
        MatError::Unsupported {
            path: self.path.clone(),
            name: self.name.clone(),
            message,
        }
    }

    /// Checks that the variable is a real numeric or logical array whose data
    /// holds exactly one stored value per element.
    fn check_numeric(&self) -> Result<usize, MatError> {
        if let MatClass::Other(_) = self.class {
            return Err(self.unsupported(format!(
                "a {} array; only numeric and logical arrays are read",
                self.class.name()
            )));
        }
        if self.complex {
            return Err(self.unsupported("a complex array; only real arrays are read".into()));
        }
        let size = type_size(self.stored_type).ok_or_else(|| {
            self.unsupported(format!(
                "real part stored as element type {}, expected a numeric type",
                self.stored_type
            ))
        })?;
        let n = self.len();
        // The element count is at most usize::MAX (checked when the dimensions
        // were read), but its byte count need not be.
        if n.checked_mul(size) != Some(self.data.len()) {
            return Err(self.unsupported(format!(
                "dimensions {:?} need {} values of {size} bytes, the real part holds {} bytes",
                self.dims,
                n,
                self.data.len()
            )));
        }
        Ok(size)
    }

    fn stored(&self, index: usize) -> Stored {
        let bytes = |size: usize| -> [u8; 8] {
            let mut out = [0u8; 8];
            let src = &self.data[index * size..(index + 1) * size];
            if self.big_endian {
                for (o, s) in out[..size].iter_mut().zip(src.iter().rev()) {
                    *o = *s;
                }
            } else {
                out[..size].copy_from_slice(src);
            }
            out
        };
        match self.stored_type {
            MI_INT8 => Stored::Int(i64::from(bytes(1)[0] as i8)),
            MI_UINT8 | MI_UTF8 => Stored::Uint(u64::from(bytes(1)[0])),
            MI_INT16 => {
                let b = bytes(2);
                Stored::Int(i64::from(i16::from_le_bytes([b[0], b[1]])))
            }
            MI_UINT16 => {
                let b = bytes(2);
                Stored::Uint(u64::from(u16::from_le_bytes([b[0], b[1]])))
            }
            MI_INT32 => {
                let b = bytes(4);
                Stored::Int(i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            }
            MI_UINT32 => {
                let b = bytes(4);
                Stored::Uint(u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            }
            MI_SINGLE => {
                let b = bytes(4);
                Stored::Float(f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            }
            MI_INT64 => Stored::Int(i64::from_le_bytes(bytes(8))),
            MI_UINT64 => Stored::Uint(u64::from_le_bytes(bytes(8))),
            _ => Stored::Float(f64::from_le_bytes(bytes(8))),
        }
    }

    /// The values at `column_major_indices` (MATLAB's order: element
    /// `[i0, i1, i2]` of a `d0 x d1 x d2` array sits at `i0 + d0 (i1 + d1 i2)`)
    /// as `f64`, for a caller that picks part of a large variable without
    /// converting all of it.
    pub fn gather_f64(&self, column_major_indices: &[usize]) -> Result<Vec<f64>, MatError> {
        self.check_numeric()?;
        let n = self.len();
        column_major_indices
            .iter()
            .map(|&index| {
                if index >= n {
                    return Err(self.unsupported(format!("index {index} outside its {n} elements")));
                }
                Ok(match self.stored(index) {
                    Stored::Int(v) => v as f64,
                    Stored::Uint(v) => v as f64,
                    Stored::Float(v) => v,
                })
            })
            .collect()
    }

    /// The variable as a row-major array of its class's type, with the
    /// file's dimensions as shape (`uint16` widens to `int32`, `uint32` to
    /// `int64`; `uint64` values above `i64::MAX` are an error).
    pub fn to_ndarray(&self) -> Result<NdArray, MatError> {
        self.check_numeric()?;
        let order = column_major_order(&self.dims);
        let name = self.class.name();
        let int = |index: usize, min: i64, max: i64| -> Result<i64, MatError> {
            let value = match self.stored(index) {
                Stored::Int(v) => Some(v),
                Stored::Uint(v) => i64::try_from(v).ok(),
                Stored::Float(v) if v.fract() == 0.0 && v.abs() < 9.2e18 => Some(v as i64),
                Stored::Float(_) => None,
            };
            value.filter(|v| (min..=max).contains(v)).ok_or_else(|| {
                self.unsupported(format!("element {index} does not fit its class {name}"))
            })
        };
        let float = |index: usize| match self.stored(index) {
            Stored::Int(v) => v as f64,
            Stored::Uint(v) => v as f64,
            Stored::Float(v) => v,
        };
        macro_rules! ints {
            ($variant:ident, $ty:ty) => {{
                let mut out = Vec::with_capacity(order.len());
                for &i in &order {
                    out.push(int(i, <$ty>::MIN as i64, <$ty>::MAX as i64)? as $ty);
                }
                ArrayData::$variant(out)
            }};
        }
        let data = match self.class {
            MatClass::Double => ArrayData::F64(order.iter().map(|&i| float(i)).collect()),
            MatClass::Single => ArrayData::F32(order.iter().map(|&i| float(i) as f32).collect()),
            MatClass::Int8 => ints!(I8, i8),
            MatClass::Uint8 => ints!(U8, u8),
            MatClass::Int16 => ints!(I16, i16),
            MatClass::Uint16 => {
                let mut out = Vec::with_capacity(order.len());
                for &i in &order {
                    out.push(int(i, 0, i64::from(u16::MAX))? as i32);
                }
                ArrayData::I32(out)
            }
            MatClass::Int32 => ints!(I32, i32),
            MatClass::Uint32 => {
                let mut out = Vec::with_capacity(order.len());
                for &i in &order {
                    out.push(int(i, 0, i64::from(u32::MAX))?);
                }
                ArrayData::I64(out)
            }
            MatClass::Int64 => ints!(I64, i64),
            MatClass::Uint64 => {
                let mut out = Vec::with_capacity(order.len());
                for &i in &order {
                    out.push(int(i, 0, i64::MAX)?);
                }
                ArrayData::I64(out)
            }
            MatClass::Logical => ArrayData::Bool(order.iter().map(|&i| float(i) != 0.0).collect()),
            MatClass::Other(_) => unreachable!("rejected by check_numeric"),
        };
        Ok(NdArray {
            shape: self.dims.clone(),
            data,
        })
    }
}

/// For each row-major position of an array with `dims`, the index of its
/// value in column-major order.
fn column_major_order(dims: &[usize]) -> Vec<usize> {
    let n: usize = dims.iter().product();
    let mut strides = vec![1usize; dims.len()];
    for k in 1..dims.len() {
        strides[k] = strides[k - 1] * dims[k - 1];
    }
    let mut order = Vec::with_capacity(n);
    let mut index = vec![0usize; dims.len()];
    let mut offset = 0usize;
    for _ in 0..n {
        order.push(offset);
        // Advance the row-major multi-index (last axis fastest).
        for k in (0..dims.len()).rev() {
            index[k] += 1;
            offset += strides[k];
            if index[k] < dims[k] {
                break;
            }
            offset -= strides[k] * dims[k];
            index[k] = 0;
        }
    }
    order
}

/// A reader that counts the bytes it has handed out, for error offsets.
struct Counting<R> {
    inner: R,
    offset: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.offset += n as u64;
        Ok(n)
    }
}

/// An element's tag: type, byte count, and the data of a small element.
type Tag = (u32, u32, Option<[u8; 4]>);

/// Parses level-5 elements from a byte stream.
struct ElementReader<'a, R> {
    input: Counting<R>,
    path: &'a Path,
    big_endian: bool,
    /// The most bytes the stream can hold (offset of its end), where known:
    /// a declared count past it is refused before anything is reserved.
    end: Option<u64>,
}

impl<R: Read> ElementReader<'_, R> {
    fn malformed(&self, offset: u64, message: String) -> MatError {
        MatError::Malformed {
            path: self.path.to_owned(),
            offset,
            message,
        }
    }

    fn truncated(&self, what: &str) -> MatError {
        MatError::Truncated {
            path: self.path.to_owned(),
            offset: self.input.offset,
            what: what.to_owned(),
        }
    }

    fn read_io_error(&self, error: io::Error, what: &str) -> MatError {
        if error.kind() == io::ErrorKind::UnexpectedEof {
            self.truncated(what)
        } else {
            self.malformed(self.input.offset, format!("{what}: {error}"))
        }
    }

    fn u32_from(&self, b: [u8; 4]) -> u32 {
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    /// Reads exactly `buf.len()` bytes; `Ok(false)` if the stream ended before the first byte.
    fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<bool, MatError> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.input.read(&mut buf[filled..]) {
                Ok(0) if filled == 0 => return Ok(false),
                Ok(0) => return Err(self.truncated(what)),
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.read_io_error(e, what)),
            }
        }
        Ok(true)
    }

    /// Reads `n` bytes (at most 4 GiB: counts are 32-bit). A count past the
    /// stream's known end is an error before anything is reserved; otherwise
    /// the buffer is reserved once, so a published 1.4 GB variable is not
    /// copied through doubling buffers.
    /// Refuses a declared count of `n` bytes that runs past the stream's known end.
    fn check_declared(&self, n: u64, what: &str) -> Result<(), MatError> {
        match self.end {
            Some(end) if self.input.offset.saturating_add(n) > end => Err(MatError::Truncated {
                path: self.path.to_owned(),
                offset: self.input.offset,
                what: format!(
                    "{what}: {n} bytes declared, at most {} left",
                    end.saturating_sub(self.input.offset)
                ),
            }),
            _ => Ok(()),
        }
    }

    fn read_bytes(&mut self, n: u64, what: &str) -> Result<Vec<u8>, MatError> {
        self.check_declared(n, what)?;
        let mut out = Vec::new();
        match self.end {
            Some(_) => {
                if out.try_reserve_exact(n as usize).is_err() {
                    out.reserve(n.min(1 << 20) as usize);
                }
            }
            // A stream of unknown length: grow as the data arrives.
            None => out.reserve(n.min(1 << 26) as usize),
        }
        let got = (&mut self.input)
            .take(n)
            .read_to_end(&mut out)
            .map_err(|e| self.read_io_error(e, what))?;
        if (got as u64) < n {
            return Err(self.truncated(what));
        }
        Ok(out)
    }

    fn skip_padding(&mut self, n: u64, what: &str) -> Result<(), MatError> {
        let pad = (8 - n % 8) % 8;
        if pad > 0 {
            self.read_bytes(pad, what)?;
        }
        Ok(())
    }

    /// Reads one element's tag: `(type, byte count, small-element data)`, or
    /// `None` at the end of the stream.
    fn tag(&mut self, what: &str) -> Result<Option<Tag>, MatError> {
        let mut head = [0u8; 8];
        if !self.fill(&mut head, what)? {
            return Ok(None);
        }
        let first = self.u32_from([head[0], head[1], head[2], head[3]]);
        if first >> 16 != 0 {
            // Small element: type in the low half, count in the high half.
            let (mi, n) = (first & 0xffff, first >> 16);
            if n > 4 {
                return Err(self.malformed(
                    self.input.offset - 8,
                    format!("{what}: small element claims {n} bytes, at most 4 fit"),
                ));
            }
            return Ok(Some((mi, n, Some([head[4], head[5], head[6], head[7]]))));
        }
        let n = self.u32_from([head[4], head[5], head[6], head[7]]);
        Ok(Some((first, n, None)))
    }

    /// Reads a whole sub-element of a matrix: `(type, data)`.
    fn sub_element(&mut self, what: &str) -> Result<(u32, Vec<u8>), MatError> {
        let (mi, n, small) = self.tag(what)?.ok_or_else(|| self.truncated(what))?;
        if let Some(bytes) = small {
            return Ok((mi, bytes[..n as usize].to_vec()));
        }
        let data = self.read_bytes(u64::from(n), what)?;
        self.skip_padding(u64::from(n), what)?;
        Ok((mi, data))
    }

    /// Parses the contents of an `miMATRIX` element of `n` bytes starting at `start`.
    fn matrix(&mut self, start: u64, n: u32) -> Result<Option<MatVariable>, MatError> {
        if n == 0 {
            // An empty matrix element (MATLAB writes these for [] in cells).
            return Ok(None);
        }
        self.check_declared(u64::from(n), "a matrix element")?;
        let end = self.input.offset + u64::from(n);
        let (mi, flags) = self.sub_element("array flags")?;
        if mi != MI_UINT32 || flags.len() != 8 {
            return Err(self.malformed(
                start,
                format!(
                    "array flags: expected 8 bytes of miUINT32, found type {mi} with {} bytes",
                    flags.len()
                ),
            ));
        }
        let flags = self.u32_from([flags[0], flags[1], flags[2], flags[3]]);
        let class = MatClass::from_flags(flags);
        let (mi, dims_bytes) = self.sub_element("dimensions")?;
        if mi != MI_INT32 || dims_bytes.len() % 4 != 0 || dims_bytes.len() < 8 {
            return Err(self.malformed(
                start,
                format!(
                    "dimensions: expected at least two miINT32 values, found type {mi} with {} bytes",
                    dims_bytes.len()
                ),
            ));
        }
        let mut dims = Vec::with_capacity(dims_bytes.len() / 4);
        for chunk in dims_bytes.chunks_exact(4) {
            let d = self.u32_from([chunk[0], chunk[1], chunk[2], chunk[3]]) as i32;
            let d = usize::try_from(d)
                .map_err(|_| self.malformed(start, format!("dimensions: negative extent {d}")))?;
            dims.push(d);
        }
        if dims
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .is_none()
        {
            return Err(self.malformed(start, format!("dimensions {dims:?} overflow")));
        }
        let (mi, name_bytes) = self.sub_element("array name")?;
        if mi != MI_INT8 && mi != MI_UINT8 && mi != MI_UTF8 {
            return Err(self.malformed(
                start,
                format!("array name: expected miINT8 text, found type {mi}"),
            ));
        }
        let name = String::from_utf8(name_bytes)
            .map_err(|_| self.malformed(start, "array name is not UTF-8".into()))?;
        let mut variable = MatVariable {
            name,
            class,
            dims,
            complex: flags & FLAG_COMPLEX != 0,
            stored_type: MI_DOUBLE,
            big_endian: self.big_endian,
            data: Vec::new(),
            path: self.path.to_owned(),
        };
        let is_numeric = !matches!(class, MatClass::Other(_));
        if is_numeric && self.input.offset < end {
            let (mi, data) = self.sub_element("real part")?;
            variable.stored_type = mi;
            variable.data = data;
        }
        // Skip what is left (imaginary part, or the contents of cells,
        // structs and other classes this reader does not convert).
        if self.input.offset > end {
            return Err(self.malformed(
                start,
                format!(
                    "variable `{}`: its parts run {} bytes past the element's {n}",
                    variable.name,
                    self.input.offset - end
                ),
            ));
        }
        let rest = end - self.input.offset;
        self.read_bytes(rest, "rest of the matrix element")?;
        Ok(Some(variable))
    }
}

/// Reads the header; errors for HDF5 (v7.3) files and bad endian indicators.
fn read_header<R: Read>(input: &mut Counting<R>, path: &Path) -> Result<bool, MatError> {
    const HDF5_SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";
    let mut header = [0u8; 128];
    let mut filled = 0;
    while filled < header.len() {
        match input.read(&mut header[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(MatError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        }
    }
    if header[..filled].starts_with(HDF5_SIGNATURE) || header[..filled].starts_with(b"MATLAB 7.3") {
        return Err(MatError::Hdf5 {
            path: path.to_owned(),
        });
    }
    if filled < 128 {
        return Err(MatError::Truncated {
            path: path.to_owned(),
            offset: filled as u64,
            what: "a 128-byte MAT-file header".into(),
        });
    }
    let big_endian = match &header[126..128] {
        b"IM" => false,
        b"MI" => true,
        other => {
            let text = String::from_utf8_lossy(&header[..header.len().min(40)]).into_owned();
            return Err(MatError::Malformed {
                path: path.to_owned(),
                offset: 126,
                message: format!(
                    "endian indicator {other:?}, expected \"IM\" or \"MI\" (is this a MAT-file? it starts {text:?})"
                ),
            });
        }
    };
    // MAT v4 files have no such header; level-5 files carry version 0x0100.
    let version = if big_endian {
        u16::from_be_bytes([header[124], header[125]])
    } else {
        u16::from_le_bytes([header[124], header[125]])
    };
    if version != 0x0100 {
        return Err(MatError::Malformed {
            path: path.to_owned(),
            offset: 124,
            message: format!("version {version:#06x}, expected 0x0100 (level 5)"),
        });
    }
    Ok(big_endian)
}

/// Calls `visit` with each variable of the MAT-file read from `input`, in
/// file order, one at a time (so that large variables need not all be held
/// at once). `path` names the file in errors.
pub fn visit_mat_reader<R: Read>(
    input: R,
    path: &Path,
    visit: impl FnMut(MatVariable) -> Result<(), MatError>,
) -> Result<(), MatError> {
    visit_mat_bounded(input, None, path, visit)
}

/// [`visit_mat_reader`] on an input of `len` bytes, when known.
fn visit_mat_bounded<R: Read>(
    input: R,
    len: Option<u64>,
    path: &Path,
    mut visit: impl FnMut(MatVariable) -> Result<(), MatError>,
) -> Result<(), MatError> {
    let mut counting = Counting {
        inner: input,
        offset: 0,
    };
    let big_endian = read_header(&mut counting, path)?;
    let mut reader = ElementReader {
        input: counting,
        path,
        big_endian,
        end: len,
    };
    loop {
        let start = reader.input.offset;
        let Some((mi, n, small)) = reader.tag("a data element tag")? else {
            return Ok(());
        };
        match (mi, small) {
            (MI_MATRIX, None) => {
                if let Some(variable) = reader.matrix(start, n)? {
                    visit(variable)?;
                }
                reader.skip_padding(u64::from(n), "padding after a matrix")?;
            }
            (MI_COMPRESSED, None) => {
                // The inner bound below trusts `n`, so `n` must fit the input first:
                // a corrupt count would otherwise let the decoded matrix declare
                // gigabytes that get reserved.
                reader.check_declared(u64::from(n), "a compressed element")?;
                // Compressed elements are not padded. The decoder reads ahead
                // through a buffer, but never past the element thanks to `take`.
                let compressed = (&mut reader.input).take(u64::from(n));
                let mut inner = ElementReader {
                    input: Counting {
                        inner: ZlibDecoder::new(compressed),
                        offset: 0,
                    },
                    path,
                    big_endian,
                    // zlib expands at most 1032-fold.
                    end: Some(u64::from(n).saturating_mul(1032).saturating_add(64)),
                };
                let result = match inner.tag("a compressed matrix tag") {
                    Ok(Some((MI_MATRIX, m, None))) => inner.matrix(0, m),
                    Ok(Some((other, _, _))) => Err(inner.malformed(
                        0,
                        format!("expected an miMATRIX element, found type {other}"),
                    )),
                    Ok(None) => Err(inner.truncated("a compressed matrix tag")),
                    Err(e) => Err(e),
                };
                let context = format!("in the compressed element at byte {start}: ");
                let variable = result.map_err(|e| with_context(e, &context))?;
                // Skip what the decoder left unread of the element.
                let rest = inner.input.inner.into_inner().limit();
                reader.read_bytes(rest, "end of a compressed element")?;
                if let Some(variable) = variable {
                    visit(variable)?;
                }
            }
            (_, Some(_)) => {}
            (_, None) => {
                // Other top-level elements carry no variable; skip them.
                reader.read_bytes(u64::from(n), "a data element")?;
                reader.skip_padding(u64::from(n), "padding after an element")?;
            }
        }
    }
}

/// Prefixes the location inside a compressed element to an error's description.
fn with_context(error: MatError, context: &str) -> MatError {
    match error {
        MatError::Truncated { path, offset, what } => MatError::Truncated {
            path,
            offset,
            what: format!("{context}{what}"),
        },
        MatError::Malformed {
            path,
            offset,
            message,
        } => MatError::Malformed {
            path,
            offset,
            message: format!("{context}{message}"),
        },
        other => other,
    }
}

/// Calls `visit` with each variable of the MAT-file at `path`, one at a time.
pub fn visit_mat(
    path: &Path,
    visit: impl FnMut(MatVariable) -> Result<(), MatError>,
) -> Result<(), MatError> {
    let file = File::open(path).map_err(|source| MatError::Io {
        path: path.to_owned(),
        source,
    })?;
    let len = file.metadata().ok().map(|m| m.len());
    visit_mat_bounded(BufReader::with_capacity(1 << 20, file), len, path, visit)
}

/// Parses a MAT-file held in memory; `path` names it in errors.
pub fn parse_mat(bytes: &[u8], path: &Path) -> Result<Vec<(String, NdArray)>, MatError> {
    let mut out = Vec::new();
    visit_mat_bounded(bytes, Some(bytes.len() as u64), path, |v| {
        out.push((v.name.clone(), v.to_ndarray()?));
        Ok(())
    })?;
    Ok(out)
}

/// Reads every variable of the MAT-file at `path` as a named array; an
/// error if one is not a real numeric or logical array.
pub fn read_mat(path: &Path) -> Result<Vec<(String, NdArray)>, MatError> {
    let mut out = Vec::new();
    visit_mat(path, |v| {
        out.push((v.name.clone(), v.to_ndarray()?));
        Ok(())
    })?;
    Ok(out)
}

/// Reads the variables named in `names` (others are skipped unconverted);
/// an error naming the file and the variables present if one is missing.
pub fn read_mat_variables(path: &Path, names: &[&str]) -> Result<Vec<MatVariable>, MatError> {
    let mut found = Vec::new();
    let mut picked: Vec<Option<MatVariable>> = vec![None; names.len()];
    visit_mat(path, |v| {
        found.push(v.name.clone());
        if let Some(k) = names.iter().position(|n| *n == v.name) {
            picked[k] = Some(v);
        }
        Ok(())
    })?;
    picked
        .into_iter()
        .zip(names)
        .map(|(v, name)| {
            v.ok_or_else(|| MatError::MissingVariable {
                path: path.to_owned(),
                name: (*name).to_owned(),
                found: found.clone(),
            })
        })
        .collect()
}

/// The class code, flags and element type under which an array is written.
fn class_of(data: &ArrayData) -> Option<(u32, u32, u32)> {
    Some(match data {
        ArrayData::F64(_) => (6, 0, MI_DOUBLE),
        ArrayData::F32(_) => (7, 0, MI_SINGLE),
        ArrayData::I8(_) => (8, 0, MI_INT8),
        ArrayData::U8(_) => (9, 0, MI_UINT8),
        ArrayData::I16(_) => (10, 0, MI_INT16),
        ArrayData::I32(_) => (12, 0, MI_INT32),
        ArrayData::I64(_) => (14, 0, MI_INT64),
        ArrayData::Bool(_) => (9, FLAG_LOGICAL, MI_UINT8),
        ArrayData::Object(_) => return None,
    })
}

fn push_element(out: &mut Vec<u8>, mi: u32, data: &[u8]) {
    if data.len() <= 4 && mi != MI_MATRIX {
        out.extend_from_slice(&(((data.len() as u32) << 16) | mi).to_le_bytes());
        let mut word = [0u8; 4];
        word[..data.len()].copy_from_slice(data);
        out.extend_from_slice(&word);
        return;
    }
    out.extend_from_slice(&mi.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(8), 0);
}

/// One variable as an uncompressed little-endian `miMATRIX` element.
fn matrix_element(path: &Path, name: &str, array: &NdArray) -> Result<Vec<u8>, MatError> {
    let (class, flags, mi) = class_of(&array.data).ok_or_else(|| MatError::Unsupported {
        path: path.to_owned(),
        name: name.to_owned(),
        message: "object arrays cannot be written to a MAT-file".into(),
    })?;
    if array.size() != array.data.len() {
        return Err(MatError::Unsupported {
            path: path.to_owned(),
            name: name.to_owned(),
            message: format!(
                "shape {:?} needs {} values, the array holds {}",
                array.shape,
                array.size(),
                array.data.len()
            ),
        });
    }
    // MATLAB arrays have at least two dimensions; 0-d and 1-d arrays become
    // 1x1 and 1xn (scipy's `oned_as="row"`).
    let dims: Vec<usize> = match array.shape.len() {
        0 => vec![1, 1],
        1 => vec![1, array.shape[0]],
        _ => array.shape.clone(),
    };
    if dims.iter().any(|&d| d > i32::MAX as usize) || name.len() > 63 || name.is_empty() {
        return Err(MatError::Unsupported {
            path: path.to_owned(),
            name: name.to_owned(),
            message: "names must be 1 to 63 bytes and extents fit 31 bits".into(),
        });
    }
    // `column_major_order` maps row-major positions to column-major
    // indices; the file wants values in column-major order, so invert it.
    let row_major_of = {
        let order = column_major_order(&dims);
        let mut inverse = vec![0usize; order.len()];
        for (row_major, &col_major) in order.iter().enumerate() {
            inverse[col_major] = row_major;
        }
        inverse
    };
    let mut real = Vec::with_capacity(row_major_of.len() * type_size(mi).unwrap_or(8));
    macro_rules! put {
        ($v:expr) => {
            for &i in &row_major_of {
                real.extend_from_slice(&$v[i].to_le_bytes());
            }
        };
    }
    match &array.data {
        ArrayData::F64(v) => put!(v),
        ArrayData::F32(v) => put!(v),
        ArrayData::I8(v) => put!(v),
        ArrayData::U8(v) => put!(v),
        ArrayData::I16(v) => put!(v),
        ArrayData::I32(v) => put!(v),
        ArrayData::I64(v) => put!(v),
        ArrayData::Bool(v) => {
            for &i in &row_major_of {
                real.push(u8::from(v[i]));
            }
        }
        ArrayData::Object(_) => unreachable!("rejected by class_of"),
    }
    let mut body = Vec::with_capacity(real.len() + 64);
    let mut flag_words = Vec::with_capacity(8);
    flag_words.extend_from_slice(&(class | flags).to_le_bytes());
    flag_words.extend_from_slice(&0u32.to_le_bytes());
    push_element(&mut body, MI_UINT32, &flag_words);
    let dim_bytes: Vec<u8> = dims
        .iter()
        .flat_map(|&d| (d as i32).to_le_bytes())
        .collect();
    push_element(&mut body, MI_INT32, &dim_bytes);
    push_element(&mut body, MI_INT8, name.as_bytes());
    push_element(&mut body, mi, &real);
    let too_big = || MatError::Unsupported {
        path: path.to_owned(),
        name: name.to_owned(),
        message: "a variable of 4 GiB or more does not fit a level-5 element".into(),
    };
    let size = u32::try_from(body.len()).map_err(|_| too_big())?;
    let mut element = Vec::with_capacity(body.len() + 8);
    element.extend_from_slice(&MI_MATRIX.to_le_bytes());
    element.extend_from_slice(&size.to_le_bytes());
    element.extend_from_slice(&body);
    Ok(element)
}

/// The bytes of a level-5 MAT-file holding `variables`, each compressed
/// (`-v7`) or not (`-v6`). `path` names the file in errors.
pub fn mat_bytes(
    variables: &[(&str, &NdArray)],
    compress: bool,
    path: &Path,
) -> Result<Vec<u8>, MatError> {
    let mut out = Vec::new();
    let mut text = format!(
        "MATLAB 5.0 MAT-file, Platform: oxinas, Created by: oxinas-formats ({})",
        if compress { "v7" } else { "v6" }
    )
    .into_bytes();
    text.resize(116, b' ');
    out.extend_from_slice(&text);
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(b"IM");
    for (name, array) in variables {
        let element = matrix_element(path, name, array)?;
        if compress {
            let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
            let compressed = encoder
                .write_all(&element)
                .and_then(|()| encoder.finish())
                .map_err(|source| MatError::Io {
                    path: path.to_owned(),
                    source,
                })?;
            let size = u32::try_from(compressed.len()).map_err(|_| MatError::Unsupported {
                path: path.to_owned(),
                name: (*name).to_owned(),
                message: "compressed to 4 GiB or more".into(),
            })?;
            out.extend_from_slice(&MI_COMPRESSED.to_le_bytes());
            out.extend_from_slice(&size.to_le_bytes());
            out.extend_from_slice(&compressed);
        } else {
            out.extend_from_slice(&element);
        }
    }
    Ok(out)
}

/// Writes `variables` to a level-5 MAT-file at `path` that MATLAB and
/// `scipy.io.loadmat` read; `compress` zlib-compresses each variable (`-v7`).
pub fn write_mat(
    path: &Path,
    variables: &[(&str, &NdArray)],
    compress: bool,
) -> Result<(), MatError> {
    let bytes = mat_bytes(variables, compress, path)?;
    let io_error = |source| MatError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = BufWriter::new(File::create(path).map_err(io_error)?);
    file.write_all(&bytes).map_err(io_error)?;
    file.flush().map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f64_array(shape: &[usize], values: Vec<f64>) -> NdArray {
        NdArray {
            shape: shape.to_vec(),
            data: ArrayData::F64(values),
        }
    }

    #[test]
    fn column_major_order_maps_row_major_positions() {
        // A 2x3 array: row-major (0,0),(0,1),(0,2),(1,0),... sit at
        // column-major indices 0,2,4,1,3,5.
        assert_eq!(column_major_order(&[2, 3]), vec![0, 2, 4, 1, 3, 5]);
        // 2x2x2: element [i,j,k] sits at i + 2j + 4k.
        assert_eq!(column_major_order(&[2, 2, 2]), vec![0, 4, 2, 6, 1, 5, 3, 7]);
    }

    #[test]
    fn writes_and_reads_back_both_compressed_and_not() {
        let a = f64_array(&[2, 3, 4], (0..24).map(|v| v as f64 * 0.5 - 3.0).collect());
        let b = NdArray {
            shape: vec![5],
            data: ArrayData::F32(vec![1.5, -2.0, 3.25, 0.0, 7.0]),
        };
        let c = NdArray {
            shape: vec![2, 2],
            data: ArrayData::Bool(vec![true, false, false, true]),
        };
        let d = NdArray {
            shape: vec![3, 1],
            data: ArrayData::I16(vec![-300, 0, 300]),
        };
        let path = Path::new("round.mat");
        for compress in [false, true] {
            let bytes = mat_bytes(
                &[("coeff", &a), ("b", &b), ("mask", &c), ("long_name_x", &d)],
                compress,
                path,
            )
            .unwrap();
            let back = parse_mat(&bytes, path).unwrap();
            let names: Vec<_> = back.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, ["coeff", "b", "mask", "long_name_x"]);
            assert_eq!(back[0].1, a);
            // 1-d arrays come back as 1xn rows, as from scipy.io.loadmat.
            assert_eq!(back[1].1.shape, vec![1, 5]);
            assert_eq!(back[1].1.data, b.data);
            assert_eq!(back[2].1, c);
            assert_eq!(back[3].1, d);
        }
    }

    /// A hand-built file (no writer involved): a 2x3 double array stored as
    /// miUINT8, as MATLAB stores small whole numbers, with a 1-byte name in a
    /// small element, then a 1x2 single array.
    fn hand_built() -> Vec<u8> {
        let mut out = vec![b' '; 116];
        out[..10].copy_from_slice(b"MATLAB 5.0");
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&[0x00, 0x01, b'I', b'M']);
        let mut body = Vec::new();
        // Array flags: class 6 (double).
        body.extend_from_slice(&[6, 0, 0, 0, 8, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
        // Dimensions 2 x 3.
        body.extend_from_slice(&[5, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
        // Name "x" as a small element: type 1, 1 byte.
        body.extend_from_slice(&[1, 0, 1, 0, b'x', 0, 0, 0]);
        // Real part: 6 miUINT8 values, column-major [[1,2,3],[4,5,6]] -> 1,4,2,5,3,6.
        body.extend_from_slice(&[2, 0, 0, 0, 6, 0, 0, 0, 1, 4, 2, 5, 3, 6, 0, 0]);
        out.extend_from_slice(&[14, 0, 0, 0]);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        let mut body = Vec::new();
        body.extend_from_slice(&[6, 0, 0, 0, 8, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
        body.extend_from_slice(&[5, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0]);
        body.extend_from_slice(&[1, 0, 2, 0, b'y', b'z', 0, 0]);
        // Real part as miINT16 small element: -1, 2.
        body.extend_from_slice(&[3, 0, 4, 0, 0xff, 0xff, 2, 0]);
        out.extend_from_slice(&[14, 0, 0, 0]);
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(&body);
        out
    }

    #[test]
    fn converts_values_stored_in_a_smaller_type_and_small_elements() {
        let back = parse_mat(&hand_built(), Path::new("hand.mat")).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].0, "x");
        assert_eq!(back[0].1, f64_array(&[2, 3], vec![1., 2., 3., 4., 5., 6.]));
        assert_eq!(back[1].0, "yz");
        assert_eq!(
            back[1].1,
            NdArray {
                shape: vec![1, 2],
                data: ArrayData::F32(vec![-1.0, 2.0])
            }
        );
    }

    #[test]
    fn big_endian_files_read_the_same() {
        // The same hand-built file with every multi-byte field byte-swapped.
        let mut out = vec![b' '; 116];
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&[0x01, 0x00, b'M', b'I']);
        let mut body = Vec::new();
        body.extend_from_slice(&[0, 0, 0, 6, 0, 0, 0, 8, 0, 0, 0, 6, 0, 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2]);
        body.extend_from_slice(&[0, 1, 0, 1, b'v', 0, 0, 0]);
        body.extend_from_slice(&[0, 0, 0, 9, 0, 0, 0, 16]);
        body.extend_from_slice(&1.5f64.to_be_bytes());
        body.extend_from_slice(&(-2.0f64).to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 14]);
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        out.extend_from_slice(&body);
        let back = parse_mat(&out, Path::new("be.mat")).unwrap();
        assert_eq!(back[0].1, f64_array(&[1, 2], vec![1.5, -2.0]));
    }

    #[test]
    fn truncation_anywhere_is_an_error_or_drops_whole_variables() {
        let a = f64_array(&[3, 4], (0..12).map(f64::from).collect());
        let b = f64_array(&[2, 2], vec![9.0, 8.0, 7.0, 6.0]);
        let path = Path::new("cut.mat");
        for compress in [false, true] {
            let bytes = mat_bytes(&[("a", &a), ("b", &b)], compress, path).unwrap();
            let first_end = 128 + matrix_len(&bytes[128..]);
            for cut in 0..bytes.len() {
                let result = parse_mat(&bytes[..cut], path);
                match cut {
                    128 => assert!(result.unwrap().is_empty()),
                    c if c == first_end => assert_eq!(result.unwrap().len(), 1),
                    _ => {
                        let err = result.expect_err(&format!("cut at {cut} should fail"));
                        assert!(
                            matches!(err, MatError::Truncated { .. } | MatError::Malformed { .. }),
                            "cut at {cut}: {err}"
                        );
                        assert!(err.to_string().contains("cut.mat"));
                    }
                }
            }
        }
    }

    /// Length of the first top-level element in `bytes` (tag included).
    fn matrix_len(bytes: &[u8]) -> usize {
        let mi = u32::from_le_bytes(bytes[0..4].try_into().unwrap());
        let n = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
        if mi == MI_COMPRESSED {
            8 + n
        } else {
            8 + n.next_multiple_of(8)
        }
    }

    #[test]
    fn corrupted_bytes_never_panic() {
        use rand::Rng;
        let a = f64_array(&[4, 5], (0..20).map(f64::from).collect());
        let path = Path::new("bad.mat");
        let mut rng = oxinas_core::seed::rng_from_seed(11);
        for compress in [false, true] {
            let bytes = mat_bytes(&[("a", &a), ("bb", &a)], compress, path).unwrap();
            for _ in 0..400 {
                let mut bad = bytes.clone();
                for _ in 0..rng.random_range(1..4) {
                    let at = rng.random_range(120..bad.len());
                    bad[at] = rng.random();
                }
                // Either outcome is fine; what matters is no panic and no huge allocation.
                let _ = parse_mat(&bad, path);
            }
        }
        // A tag claiming 4 GiB of data fails as truncated.
        let mut bytes = mat_bytes(&[("a", &a)], false, path).unwrap();
        bytes[132..136].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            parse_mat(&bytes, path),
            Err(MatError::Truncated { .. })
        ));
    }

    #[test]
    fn hdf5_files_get_a_re_save_hint() {
        let mut v73 = vec![b' '; 512];
        v73[..19].copy_from_slice(b"MATLAB 7.3 MAT-file");
        v73.extend_from_slice(b"\x89HDF\r\n\x1a\n");
        let err = parse_mat(&v73, Path::new("big.mat")).unwrap_err();
        assert!(matches!(err, MatError::Hdf5 { .. }));
        assert!(err.to_string().contains("-v7"), "{err}");
        let bare = b"\x89HDF\r\n\x1a\n and more".to_vec();
        assert!(matches!(
            parse_mat(&bare, Path::new("h.mat")),
            Err(MatError::Hdf5 { .. })
        ));
        assert!(err.to_string().starts_with("big.mat: "));
    }

    #[test]
    fn missing_variables_are_named_with_what_is_present() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.mat");
        let a = f64_array(&[1, 1], vec![1.0]);
        write_mat(&path, &[("coeff", &a)], true).unwrap();
        let err = read_mat_variables(&path, &["coeff", "sol"]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("`sol`") && text.contains("coeff"), "{text}");
        let got = read_mat_variables(&path, &["coeff"]).unwrap();
        assert_eq!(got[0].gather_f64(&[0]).unwrap(), vec![1.0]);
        assert!(got[0].gather_f64(&[1]).is_err());
    }
}
