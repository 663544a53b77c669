//! Satellite image time series land-cover classification, as NAS-Bench-360
//! publishes it: `satellite_train.npy` and `satellite_test.npy`, each a 0-d
//! object array holding a dict `{'data': (N, 46) array, 'label': (N,) ints
//! 1..24}` (read in the reference with `np.load(f, allow_pickle=True)[()]`).
//!
//! As the reference code: labels become 0..23; each series is standardised
//! by its own mean and population standard deviation (numpy's default
//! `ddof=0`); the last `len(test)` training series validate, the others
//! train. Inputs are `[1, 1, 46]`. A constant series (standard deviation 0,
//! where the reference would divide by zero) becomes all zeros.

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};

use oxinas_core::seed::rng_from_seed;
use rand::Rng;

use crate::error::Nb360Error;
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, TaskData, TaskSplit};
use oxinas_formats::npy::{read_npy, write_npy};
use oxinas_formats::{ArrayData, NdArray, PyValue};

/// Values per series.
const LENGTH: usize = 46;
/// Land-cover classes.
const CLASSES: usize = 24;
/// The published files.
const TRAIN_FILE: &str = "satellite_train.npy";
const TEST_FILE: &str = "satellite_test.npy";

/// Loads the task from `dir` (the published layout).
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let all_train = read_series(&require(dir, TRAIN_FILE)?)?;
    let test = read_series(&require(dir, TEST_FILE)?)?;
    let (n_all, n_test) = (all_train.len(), test.len());
    if n_test >= n_all {
        return Err(Nb360Error::format(
            dir.join(TRAIN_FILE),
            format!(
                "expected more series than the {n_test} of {TEST_FILE} (its last {n_test} validate), found {n_all}"
            ),
        ));
    }
    let limit = |n: usize| options.limit.map_or(n, |l| l.min(n));
    let n_train = n_all - n_test;
    let train_idx: Vec<usize> = (0..limit(n_train)).collect();
    let valid_idx: Vec<usize> = (n_train..n_train + limit(n_test)).collect();
    Ok(TaskData {
        spec: Nb360Task::Satellite.spec(),
        train: all_train.select(&train_idx),
        valid: all_train.select(&valid_idx),
        test: test.truncate(limit(n_test)),
        target_normalizer: None,
    })
}

/// The path of a published file, or the error saying where it comes from.
fn require(dir: &Path, name: &str) -> Result<PathBuf, Nb360Error> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Nb360Error::MissingFile {
            task: "satellite",
            path,
            hint: "download satellite_train.npy and satellite_test.npy of NAS-Bench-360 into this directory".into(),
        })
    }
}

/// One file's series, standardised, with labels 0..23.
fn read_series(path: &Path) -> Result<TaskSplit, Nb360Error> {
    let file = read_npy(path)?;
    let dict = match (&file.shape[..], &file.data) {
        ([], ArrayData::Object(items)) if items.len() == 1 => &items[0],
        _ => {
            return Err(Nb360Error::format(
                path,
                format!(
                    "expected a 0-d object array holding a dict with keys 'data' and 'label', found a {} array of shape {:?}",
                    file.data.dtype_name(),
                    file.shape
                ),
            ));
        }
    };
    let field = |key: &str| match dict.get(key) {
        Some(PyValue::Array(array)) => Ok(array),
        Some(other) => Err(Nb360Error::format(
            path,
            format!("key '{key}': expected an ndarray, found a {}", other.kind()),
        )),
        None => Err(Nb360Error::format(
            path,
            format!(
                "missing key '{key}' in the dict (a {}); expected keys 'data' and 'label'",
                dict.kind()
            ),
        )),
    };
    let data = field("data")?;
    if data.shape.len() != 2 || data.shape[1] != LENGTH {
        return Err(Nb360Error::format(
            path,
            format!(
                "key 'data': expected shape (N, {LENGTH}), found {:?}",
                data.shape
            ),
        ));
    }
    let n = data.shape[0];
    let labels = field("label")?;
    if labels.shape != [n] {
        return Err(Nb360Error::format(
            path,
            format!(
                "key 'label': expected shape ({n},) to match 'data', found {:?}",
                labels.shape
            ),
        ));
    }
    // Standardise in double precision, as numpy does on float64 data.
    let values: Vec<f64> = match &data.data {
        ArrayData::F64(v) => v.clone(),
        _ => data
            .to_f32(path, "key 'data'")?
            .into_iter()
            .map(f64::from)
            .collect(),
    };
    let mut split = TaskSplit::empty([1, 1, LENGTH], 1);
    split.inputs.reserve(values.len());
    for series in values.chunks_exact(LENGTH) {
        let mean = series.iter().sum::<f64>() / LENGTH as f64;
        let var = series.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / LENGTH as f64;
        let std = var.sqrt();
        split.inputs.extend(series.iter().map(|&v| {
            if std > 0.0 {
                ((v - mean) / std) as f32
            } else {
                0.0
            }
        }));
    }
    for (i, label) in labels.to_f32(path, "key 'label'")?.into_iter().enumerate() {
        if label.fract() != 0.0 || !(1.0..=CLASSES as f32).contains(&label) {
            return Err(Nb360Error::format(
                path,
                format!("key 'label', series {i}: expected a class 1..{CLASSES}, found {label}"),
            ));
        }
        split.targets.push(label - 1.0);
    }
    Ok(split)
}

/// Writes a small learnable data set in the published layout:
/// `satellite_train.npy` with `2 * samples_per_split` series (the last half
/// validates) and `satellite_test.npy` with `samples_per_split`, each a 0-d
/// object array of a dict with float64 `data` `(N, 46)` and int64 `label`
/// `(N,)` in 1..24. Class `c` (label `c + 1`) is wave shape `c / 6` (sine,
/// square, sawtooth, triangle) with `1 + c % 6` cycles per series, a random
/// phase, random offset and scale (which the standardisation removes) and
/// uniform noise of ±0.2 times the scale.
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    std::fs::create_dir_all(dir).map_err(|e| Nb360Error::io(dir, e))?;
    let mut rng = rng_from_seed(seed);
    for (file, count) in [
        (TRAIN_FILE, 2 * samples_per_split),
        (TEST_FILE, samples_per_split),
    ] {
        let mut data = Vec::with_capacity(count * LENGTH);
        let mut labels = Vec::with_capacity(count);
        for _ in 0..count {
            let class = rng.random_range(0..CLASSES);
            let cycles = (1 + class % 6) as f64;
            let phase = rng.random_range(0.0..1.0);
            let offset = rng.random_range(1000.0..5000.0);
            let scale = rng.random_range(200.0..800.0);
            for t in 0..LENGTH {
                let x = (cycles * t as f64 / LENGTH as f64 + phase).fract();
                let wave = match class / 6 {
                    0 => (TAU * x).sin(),
                    1 => {
                        if x < 0.5 {
                            1.0
                        } else {
                            -1.0
                        }
                    }
                    2 => 2.0 * x - 1.0,
                    _ => 1.0 - 4.0 * (x - 0.5).abs(),
                };
                data.push(offset + scale * (wave + rng.random_range(-0.2..0.2)));
            }
            labels.push(class as i64 + 1);
        }
        let dict = PyValue::Dict(vec![
            (
                PyValue::Str("data".into()),
                PyValue::Array(NdArray {
                    shape: vec![count, LENGTH],
                    data: ArrayData::F64(data),
                }),
            ),
            (
                PyValue::Str("label".into()),
                PyValue::Array(NdArray {
                    shape: vec![count],
                    data: ArrayData::I64(labels),
                }),
            ),
        ]);
        let file_array = NdArray {
            shape: vec![],
            data: ArrayData::Object(vec![dict]),
        };
        write_npy(dir.join(file), &file_array)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(path: &Path) -> (Vec<f64>, Vec<i64>) {
        let file = read_npy(path).unwrap();
        let ArrayData::Object(items) = file.data else {
            panic!("object array expected");
        };
        let Some(PyValue::Array(data)) = items[0].get("data") else {
            panic!("data");
        };
        let Some(PyValue::Array(label)) = items[0].get("label") else {
            panic!("label");
        };
        let (ArrayData::F64(d), ArrayData::I64(l)) = (&data.data, &label.data) else {
            panic!("fixture dtypes");
        };
        (d.clone(), l.clone())
    }

    fn write_dict(path: &Path, items: Vec<(&str, PyValue)>) {
        let dict = PyValue::Dict(
            items
                .into_iter()
                .map(|(k, v)| (PyValue::Str(k.into()), v))
                .collect(),
        );
        let array = NdArray {
            shape: vec![],
            data: ArrayData::Object(vec![dict]),
        };
        write_npy(path, &array).unwrap();
    }

    #[test]
    fn fixture_loads_split_standardised_with_labels_shifted() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 6, 4).unwrap();
        let data =
            crate::load_task(Nb360Task::Satellite, dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (6, 6, 6)
        );
        assert_eq!(data.train.input_shape, [1, 1, 46]);
        let (raw, labels) = stored(&dir.path().join(TRAIN_FILE));
        // Validation is the last 6 training series: series 8 is valid[2].
        let series = &raw[8 * 46..9 * 46];
        let mean = series.iter().sum::<f64>() / 46.0;
        let std = (series.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 46.0).sqrt();
        for t in [0, 17, 45] {
            let expected = (series[t] - mean) / std;
            assert!((f64::from(data.valid.input(2)[t]) - expected).abs() < 1e-5);
        }
        assert_eq!(data.valid.target(2)[0], (labels[8] - 1) as f32);
        assert_eq!(data.train.target(0)[0], (labels[0] - 1) as f32);
        // Every standardised series has mean 0 and population std 1.
        for i in 0..6 {
            let x = data.test.input(i);
            let m = x.iter().sum::<f32>() / 46.0;
            let v = x.iter().map(|v| (v - m).powi(2)).sum::<f32>() / 46.0;
            assert!(m.abs() < 1e-5 && (v - 1.0).abs() < 1e-4, "{m} {v}");
        }
        let limited = load(
            dir.path(),
            &LoadOptions {
                limit: Some(2),
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!(limited.valid.len(), 2);
        assert_eq!(limited.valid.input(1), data.valid.input(1));
    }

    #[test]
    fn hand_computed_standardisation_and_constant_series() {
        let dir = tempfile::tempdir().unwrap();
        // Series 0: 0, 2, 0, 2, ... : mean 1, population std 1 -> -1, 1, ...
        // Series 1: constant 5 -> zeros. Series 2 (the validation one): 0..46.
        let mut data: Vec<f64> = (0..46).map(|t| f64::from(2 * (t % 2))).collect();
        data.extend([5.0; 46]);
        data.extend((0..46).map(f64::from));
        let array = |shape: Vec<usize>, data: ArrayData| PyValue::Array(NdArray { shape, data });
        write_dict(
            &dir.path().join(TRAIN_FILE),
            vec![
                ("data", array(vec![3, 46], ArrayData::F64(data))),
                ("label", array(vec![3], ArrayData::U8(vec![1, 24, 7]))),
            ],
        );
        write_dict(
            &dir.path().join(TEST_FILE),
            vec![
                ("data", array(vec![1, 46], ArrayData::I16(vec![3; 46]))),
                ("label", array(vec![1], ArrayData::I64(vec![2]))),
            ],
        );
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(&data.train.input(0)[..4], &[-1.0, 1.0, -1.0, 1.0]);
        assert!(data.train.input(1).iter().all(|&v| v == 0.0));
        assert_eq!(data.train.targets, vec![0.0, 23.0]);
        assert_eq!(data.valid.targets, vec![6.0]);
        assert_eq!(data.test.targets, vec![1.0]);
        // 0..45: mean 22.5, population variance (46^2 - 1) / 12.
        let std = ((46.0f64 * 46.0 - 1.0) / 12.0).sqrt();
        assert!((f64::from(data.valid.input(0)[0]) + 22.5 / std).abs() < 1e-6);
    }

    #[test]
    fn missing_keys_wrong_shapes_and_bad_labels_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 2, 1).unwrap();
        let test = dir.path().join(TEST_FILE);
        let array = |shape: Vec<usize>, data: ArrayData| PyValue::Array(NdArray { shape, data });
        write_dict(
            &test,
            vec![("data", array(vec![1, 46], ArrayData::F32(vec![0.0; 46])))],
        );
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(TEST_FILE) && err.contains("missing key 'label'"),
            "{err}"
        );
        write_dict(
            &test,
            vec![
                ("data", array(vec![1, 45], ArrayData::F32(vec![0.0; 45]))),
                ("label", array(vec![1], ArrayData::I64(vec![1]))),
            ],
        );
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("key 'data'") && err.contains("(N, 46)"),
            "{err}"
        );
        write_dict(
            &test,
            vec![
                ("data", array(vec![1, 46], ArrayData::F32(vec![0.0; 46]))),
                ("label", array(vec![1], ArrayData::I64(vec![0]))),
            ],
        );
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a class 1..24, found 0"), "{err}");
        let plain = NdArray {
            shape: vec![2, 46],
            data: ArrayData::F64(vec![0.0; 92]),
        };
        write_npy(&test, &plain).unwrap();
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("0-d object array"), "{err}");
        std::fs::remove_file(&test).unwrap();
        assert!(matches!(
            load(dir.path(), &LoadOptions::default()),
            Err(Nb360Error::MissingFile { .. })
        ));
    }
}
