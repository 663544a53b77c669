//! Files written by real NumPy (2.x), read back. The fixtures were made in
//! `tests/fixtures/` with:
//!
//! ```text
//! python -c "import numpy as np; \
//!   np.save('fortran_big_endian.npy', np.asfortranarray((np.arange(6).reshape(2, 3) / 4).astype('>f8'))); \
//!   np.savez_compressed('mixed_deflated.npz', a=np.arange(-3, 3, dtype=np.int16).reshape(2, 3), \
//!     b=np.array([True, False, True]), c=np.float32(2.5)); \
//!   np.save('object_dict.npy', np.array({'data': np.arange(6.0).reshape(2, 3), \
//!     'label': np.array([1, 24])}, dtype=object))"
//! ```

use std::path::PathBuf;

use oxinas_formats::npy::{read_npy, read_npz};
use oxinas_formats::{ArrayData, NdArray, PyValue};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn big_endian_fortran_array_from_numpy_is_read_in_c_order() {
    let a = read_npy(fixture("fortran_big_endian.npy")).unwrap();
    assert_eq!(a.shape, vec![2, 3]);
    assert_eq!(
        a.data,
        ArrayData::F64(vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25])
    );
}

#[test]
fn deflated_npz_from_numpy_is_read_with_its_keys() {
    let arrays = read_npz(fixture("mixed_deflated.npz")).unwrap();
    let keys: Vec<&str> = arrays.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["a", "b", "c"]);
    assert_eq!(
        arrays[0].1,
        NdArray {
            shape: vec![2, 3],
            data: ArrayData::I16(vec![-3, -2, -1, 0, 1, 2]),
        }
    );
    assert_eq!(arrays[1].1.data, ArrayData::Bool(vec![true, false, true]));
    assert_eq!(
        arrays[2].1,
        NdArray {
            shape: vec![],
            data: ArrayData::F32(vec![2.5]),
        }
    );
}

#[test]
fn zero_d_object_array_from_numpy_holds_its_dict() {
    let a = read_npy(fixture("object_dict.npy")).unwrap();
    assert!(a.shape.is_empty());
    let ArrayData::Object(items) = &a.data else {
        panic!("expected an object array, found {}", a.data.dtype_name());
    };
    assert_eq!(items.len(), 1);
    let Some(PyValue::Array(data)) = items[0].get("data") else {
        panic!("no `data` array in {:?}", items[0]);
    };
    assert_eq!(data.shape, vec![2, 3]);
    assert_eq!(
        data.data,
        ArrayData::F64(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    );
    let Some(PyValue::Array(label)) = items[0].get("label") else {
        panic!("no `label` array in {:?}", items[0]);
    };
    assert_eq!(label.data, ArrayData::I64(vec![1, 24]));
}
