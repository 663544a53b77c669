//! Python values as NumPy files and pickles hold them: the common currency of
//! the pickle decoder ([`crate::numpy_pickle`]) and the `.npy`/`.npz` reader
//! ([`crate::npy`]).

use std::path::Path;

use crate::error::FormatError;

/// The element values of an array, by dtype.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrayData {
    /// `bool` / `|b1`.
    Bool(Vec<bool>),
    /// `uint8` / `|u1`.
    U8(Vec<u8>),
    /// `int8` / `|i1`.
    I8(Vec<i8>),
    /// `int16` / `<i2`.
    I16(Vec<i16>),
    /// `int32` / `<i4`.
    I32(Vec<i32>),
    /// `int64` / `<i8`.
    I64(Vec<i64>),
    /// `float32` / `<f4`.
    F32(Vec<f32>),
    /// `float64` / `<f8`.
    F64(Vec<f64>),
    /// `object` / `|O`: one Python value per element.
    Object(Vec<PyValue>),
}

impl ArrayData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            ArrayData::Bool(v) => v.len(),
            ArrayData::U8(v) => v.len(),
            ArrayData::I8(v) => v.len(),
            ArrayData::I16(v) => v.len(),
            ArrayData::I32(v) => v.len(),
            ArrayData::I64(v) => v.len(),
            ArrayData::F32(v) => v.len(),
            ArrayData::F64(v) => v.len(),
            ArrayData::Object(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dtype's NumPy name (`float32`, `object`, ...).
    pub fn dtype_name(&self) -> &'static str {
        match self {
            ArrayData::Bool(_) => "bool",
            ArrayData::U8(_) => "uint8",
            ArrayData::I8(_) => "int8",
            ArrayData::I16(_) => "int16",
            ArrayData::I32(_) => "int32",
            ArrayData::I64(_) => "int64",
            ArrayData::F32(_) => "float32",
            ArrayData::F64(_) => "float64",
            ArrayData::Object(_) => "object",
        }
    }
}

/// An n-dimensional array in C (row-major) order.
#[derive(Clone, Debug, PartialEq)]
pub struct NdArray {
    /// The shape; empty for a 0-d array.
    pub shape: Vec<usize>,
    /// The elements in row-major order (Fortran-ordered files are reordered on reading).
    pub data: ArrayData,
}

impl NdArray {
    /// Number of elements the shape holds.
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }

    /// The numeric elements as `f32` (booleans as 0/1); an error naming
    /// `path` and `what` for object arrays.
    pub fn to_f32(&self, path: &Path, what: &str) -> Result<Vec<f32>, FormatError> {
        Ok(match &self.data {
            ArrayData::Bool(v) => v.iter().map(|&b| f32::from(u8::from(b))).collect(),
            ArrayData::U8(v) => v.iter().map(|&x| f32::from(x)).collect(),
            ArrayData::I8(v) => v.iter().map(|&x| f32::from(x)).collect(),
            ArrayData::I16(v) => v.iter().map(|&x| f32::from(x)).collect(),
            ArrayData::I32(v) => v.iter().map(|&x| x as f32).collect(),
            ArrayData::I64(v) => v.iter().map(|&x| x as f32).collect(),
            ArrayData::F32(v) => v.clone(),
            ArrayData::F64(v) => v.iter().map(|&x| x as f32).collect(),
            ArrayData::Object(_) => {
                return Err(FormatError::malformed(
                    path,
                    format!("{what}: expected a numeric array, found an object array"),
                ));
            }
        })
    }

    /// Checks the number of dimensions, naming `path` and `what` in the error.
    pub fn expect_ndim(&self, ndim: usize, path: &Path, what: &str) -> Result<(), FormatError> {
        if self.shape.len() == ndim {
            Ok(())
        } else {
            Err(FormatError::malformed(
                path,
                format!(
                    "{what}: expected a {ndim}-d array, found shape {:?}",
                    self.shape
                ),
            ))
        }
    }
}

/// A Python value as decoded from a pickle.
#[derive(Clone, Debug, PartialEq)]
pub enum PyValue {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An `int` that fits 64 bits.
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str` (and Python 2 `str` read with `encoding="latin1"`).
    Str(String),
    /// `bytes` (and Python 2 `str` read with `encoding="bytes"`).
    Bytes(Vec<u8>),
    /// A `list`.
    List(Vec<PyValue>),
    /// A `tuple`.
    Tuple(Vec<PyValue>),
    /// A `dict`, in insertion order.
    Dict(Vec<(PyValue, PyValue)>),
    /// A NumPy array (or NumPy scalar, as a 0-d array).
    Array(NdArray),
}

impl PyValue {
    /// The value of `key` in a dict whose keys are `str` or `bytes`.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(items) => items.iter().find_map(|(k, v)| match k {
                PyValue::Str(s) if s == key => Some(v),
                PyValue::Bytes(b) if b == key.as_bytes() => Some(v),
                _ => None,
            }),
            _ => None,
        }
    }

    /// A short description of the value's type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            PyValue::None => "None",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str(_) => "str",
            PyValue::Bytes(_) => "bytes",
            PyValue::List(_) => "list",
            PyValue::Tuple(_) => "tuple",
            PyValue::Dict(_) => "dict",
            PyValue::Array(_) => "ndarray",
        }
    }
}
