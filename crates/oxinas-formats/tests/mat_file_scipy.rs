//! MAT-files written by `scipy.io.savemat` (scipy 1.17) read as scipy reads them.
//!
//! The fixtures were made with:
//! `python -c "import numpy as np, scipy.io as sio; d={'coeff': np.arange(24, dtype=np.float64).reshape(2,3,4)/4 - 1, 'u8': np.arange(6, dtype=np.uint8).reshape(2,3)*40, 'flag': np.array([[True, False, True]]), 'f32': np.array([[1.5, -2.25]], dtype=np.float32)}; [sio.savemat(f'scipy_{n}.mat', d, do_compression=c) for n, c in (('v5', False), ('v7', True))]"`

use std::path::PathBuf;

use oxinas_formats::mat_file::read_mat;
use oxinas_formats::{ArrayData, NdArray};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn check(name: &str) {
    let vars = read_mat(&fixture(name)).unwrap();
    let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["coeff", "u8", "flag", "f32"]);
    // coeff[i, j, k] = (12 i + 4 j + k) / 4 - 1, row-major as numpy holds it.
    let expected: Vec<f64> = (0..24).map(|v| f64::from(v) / 4.0 - 1.0).collect();
    assert_eq!(
        vars[0].1,
        NdArray {
            shape: vec![2, 3, 4],
            data: ArrayData::F64(expected)
        }
    );
    assert_eq!(
        vars[1].1,
        NdArray {
            shape: vec![2, 3],
            data: ArrayData::U8(vec![0, 40, 80, 120, 160, 200])
        }
    );
    assert_eq!(
        vars[2].1,
        NdArray {
            shape: vec![1, 3],
            data: ArrayData::Bool(vec![true, false, true])
        }
    );
    assert_eq!(
        vars[3].1,
        NdArray {
            shape: vec![1, 2],
            data: ArrayData::F32(vec![1.5, -2.25])
        }
    );
}

#[test]
fn reads_an_uncompressed_scipy_file() {
    check("scipy_v5.mat");
}

#[test]
fn reads_a_compressed_scipy_file() {
    check("scipy_v7.mat");
}
