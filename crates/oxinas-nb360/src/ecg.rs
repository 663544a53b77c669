//! ECG (PhysioNet/CinC Challenge 2017, atrial-fibrillation detection):
//! `challenge2017.pkl`, a pickled dict with `data` (one 1-D signal per record,
//! of varying length: an object ndarray or a list) and `label` (one of
//! `N`, `A`, `O`, `~` per record, as `str` or bytes, in a list or array).
//!
//! As NAS-Bench-360's reference code: each record is standardised by its own
//! mean and (population) standard deviation; records are split 80/10/10
//! into train, validation and test *before* windowing, by scikit-learn's
//! `train_test_split(test_size=0.2)` followed by
//! `train_test_split(test_size=0.5)` on the held-out fifth; each record is cut
//! into windows of 1000 samples with a class-dependent stride (`N` 500, `A`
//! 500/6, `O` 500/2, `~` 500/20, integer division; starts `0, s, ..` below
//! `len - 1000`), so rare classes give more windows; training windows are
//! shuffled. Labels are 0..3 in the order N, A, O, ~. `groups` holds each
//! window's record (its position within its split), over which the metric
//! votes.
//!
//! The split is the reference's own, record for record: `train_test_split`
//! with `random_state=0` draws NumPy's legacy Mersenne-Twister permutation,
//! which [`crate::numpy_random_state`] reproduces. `LoadOptions::seed` only
//! orders the training windows (the reference shuffles them unseeded).

use std::path::Path;

use rand::Rng;
use rand::seq::SliceRandom;

use crate::error::Nb360Error;
use crate::numpy_random_state::train_test_split;
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, TaskData, TaskSplit};
use oxinas_formats::numpy_pickle::{describe, dict_item, read_pickle_file, sequence_items};
use oxinas_formats::pickle_writer::pickle_value;
use oxinas_formats::{ArrayData, NdArray, PyValue};

const FILE: &str = "challenge2017.pkl";
/// Samples per window.
pub const WINDOW: usize = 1000;
/// The reference's base stride.
const STRIDE: usize = 500;
/// Class names in label order.
pub const CLASS_NAMES: [&str; 4] = ["N", "A", "O", "~"];

/// The window stride of class `label` (the reference's `slide_and_cut`).
pub fn class_stride(label: usize) -> usize {
    match label {
        0 => STRIDE,
        1 => STRIDE / 6,
        2 => STRIDE / 2,
        _ => STRIDE / 20,
    }
}

/// Window starts of a record of `len` samples and class `label`.
pub fn window_starts(len: usize, label: usize) -> impl Iterator<Item = usize> {
    (0..len.saturating_sub(WINDOW)).step_by(class_stride(label))
}

/// One standardised record.
struct Record {
    signal: Vec<f32>,
    label: usize,
}

fn numeric_f64(array: &NdArray) -> Option<Vec<f64>> {
    Some(match &array.data {
        ArrayData::Bool(v) => v.iter().map(|&b| f64::from(u8::from(b))).collect(),
        ArrayData::U8(v) => v.iter().map(|&x| f64::from(x)).collect(),
        ArrayData::I8(v) => v.iter().map(|&x| f64::from(x)).collect(),
        ArrayData::I16(v) => v.iter().map(|&x| f64::from(x)).collect(),
        ArrayData::I32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        ArrayData::I64(v) => v.iter().map(|&x| x as f64).collect(),
        ArrayData::F32(v) => v.iter().map(|&x| f64::from(x)).collect(),
        ArrayData::F64(v) => v.clone(),
        ArrayData::Object(_) => return None,
    })
}

/// The records' raw signals: an object array / list of 1-d arrays or lists,
/// or a 2-d numeric array when all records have the same length.
fn signals(value: &PyValue, path: &Path) -> Result<Vec<Vec<f64>>, Nb360Error> {
    if let PyValue::Array(a) = value
        && a.shape.len() == 2
        && let Some(all) = numeric_f64(a)
    {
        let len = a.shape[1];
        return Ok(if len == 0 {
            vec![Vec::new(); a.shape[0]]
        } else {
            all.chunks_exact(len).map(<[f64]>::to_vec).collect()
        });
    }
    let items = sequence_items(value, path, "'data'")?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let bad = || {
                Nb360Error::format(
                    path,
                    format!(
                        "'data'[{i}]: expected a 1-d numeric array, found {}",
                        describe(item)
                    ),
                )
            };
            match item {
                PyValue::Array(a) if a.shape.len() == 1 => numeric_f64(a).ok_or_else(bad),
                PyValue::List(values) => values
                    .iter()
                    .map(|v| match v {
                        PyValue::Float(f) => Some(*f),
                        PyValue::Int(i) => Some(*i as f64),
                        _ => None,
                    })
                    .collect::<Option<Vec<f64>>>()
                    .ok_or_else(bad),
                _ => Err(bad()),
            }
        })
        .collect()
}

fn labels(value: &PyValue, path: &Path) -> Result<Vec<usize>, Nb360Error> {
    sequence_items(value, path, "'label'")?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let text = match item {
                PyValue::Str(s) => Some(s.as_bytes()),
                PyValue::Bytes(b) => Some(b.as_slice()),
                _ => None,
            };
            text.and_then(|t| CLASS_NAMES.iter().position(|c| c.as_bytes() == t))
                .ok_or_else(|| {
                    let found = match text {
                        Some(t) => format!("'{}'", String::from_utf8_lossy(t)),
                        None => describe(item),
                    };
                    Nb360Error::format(
                        path,
                        format!("'label'[{i}] = {found}, expected one of 'N', 'A', 'O', '~'"),
                    )
                })
        })
        .collect()
}

fn read_records(path: &Path) -> Result<Vec<Record>, Nb360Error> {
    let root = read_pickle_file(path)?;
    let signals = signals(dict_item(&root, "data", path, "top-level dict")?, path)?;
    let labels = labels(dict_item(&root, "label", path, "top-level dict")?, path)?;
    if signals.len() != labels.len() {
        return Err(Nb360Error::format(
            path,
            format!(
                "'data' has {} records but 'label' has {} labels",
                signals.len(),
                labels.len()
            ),
        ));
    }
    signals
        .into_iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (signal, label))| {
            let n = signal.len() as f64;
            let mean = signal.iter().sum::<f64>() / n;
            let std = (signal.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            if !(std.is_finite() && std > 0.0) {
                return Err(Nb360Error::format(
                    path,
                    format!(
                        "'data'[{i}]: {} samples with standard deviation {std}; cannot standardise",
                        signal.len()
                    ),
                ));
            }
            Ok(Record {
                signal: signal.iter().map(|v| ((v - mean) / std) as f32).collect(),
                label,
            })
        })
        .collect()
}

/// Record indices of train, validation and test, as the reference's
/// `train_test_split(test_size=0.2, random_state=0)` followed by
/// `train_test_split(test_size=0.5, random_state=0)` on the held-out fifth
/// (validation is that second call's train part).
fn split_records(n: usize) -> [Vec<usize>; 3] {
    let (train, held_out) = train_test_split(n, 0.2, 0);
    let (valid, test) = train_test_split(held_out.len(), 0.5, 0);
    [
        train,
        valid.iter().map(|&i| held_out[i]).collect(),
        test.iter().map(|&i| held_out[i]).collect(),
    ]
}

/// Windows of the records `ids`: (record position in the split, start).
fn windows(records: &[Record], ids: &[usize]) -> Vec<(usize, usize)> {
    ids.iter()
        .enumerate()
        .flat_map(|(pos, &id)| {
            let r = &records[id];
            window_starts(r.signal.len(), r.label).map(move |start| (pos, start))
        })
        .collect()
}

fn build_split(
    records: &[Record],
    ids: &[usize],
    cuts: &[(usize, usize)],
    limit: Option<usize>,
) -> TaskSplit {
    let cuts = &cuts[..limit.map_or(cuts.len(), |l| l.min(cuts.len()))];
    let mut out = TaskSplit::empty([1, 1, WINDOW], 1);
    out.inputs.reserve(cuts.len() * WINDOW);
    let mut groups = Vec::with_capacity(cuts.len());
    for &(pos, start) in cuts {
        let r = &records[ids[pos]];
        out.inputs
            .extend_from_slice(&r.signal[start..start + WINDOW]);
        out.targets.push(r.label as f32);
        groups.push(pos as u32);
    }
    out.groups = Some(groups);
    out
}

/// Loads ECG from `dir/challenge2017.pkl`.
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let path = dir.join(FILE);
    if !path.is_file() {
        return Err(Nb360Error::MissingFile {
            task: "ecg",
            path,
            hint: "download challenge2017.pkl from the NAS-Bench-360 data page \
                   (https://nb360.ml.cmu.edu/) into the task directory"
                .into(),
        });
    }
    let records = read_records(&path)?;
    let [train_ids, valid_ids, test_ids] = split_records(records.len());
    let mut train_cuts = windows(&records, &train_ids);
    // The reference shuffles the training windows once after cutting.
    train_cuts.shuffle(&mut oxinas_core::seed::rng_from_seed(
        oxinas_core::seed::derive_seed(options.seed, &[2]),
    ));
    let valid_cuts = windows(&records, &valid_ids);
    let test_cuts = windows(&records, &test_ids);
    Ok(TaskData {
        spec: Nb360Task::Ecg.spec(),
        train: build_split(&records, &train_ids, &train_cuts, options.limit),
        valid: build_split(&records, &valid_ids, &valid_cuts, options.limit),
        test: build_split(&records, &test_ids, &test_cuts, options.limit),
        target_normalizer: None,
    })
}

/// Period in samples of each class's oscillation in the fixture.
const FIXTURE_PERIODS: [f64; 4] = [90.0, 37.0, 16.0, 6.0];

/// Writes a learnable stand-in `challenge2017.pkl` in the published
/// structure: `data` an object ndarray of float64 records of 1,200-2,400
/// samples, `label` an object ndarray of `'N'`/`'A'`/`'O'`/`'~'` strings
/// (as pandas' `.values` gives). It holds `10 * samples_per_split` records,
/// so validation and test get about `samples_per_split` records each (each
/// record gives several windows). A record is a sine whose period is given
/// by its class, at a random amplitude, offset and phase, plus noise.
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    std::fs::create_dir_all(dir).map_err(|e| Nb360Error::io(dir, e))?;
    let mut rng = oxinas_core::seed::rng_from_seed(seed);
    let n = 10 * samples_per_split;
    let mut data = Vec::with_capacity(n);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let class = rng.random_range(0..4usize);
        let len = rng.random_range(1200..2400usize);
        let amplitude = rng.random_range(100.0..1000.0f64);
        let offset = rng.random_range(-200.0..200.0f64);
        let phase = rng.random_range(0.0..std::f64::consts::TAU);
        let signal = (0..len)
            .map(|t| {
                let wave =
                    (std::f64::consts::TAU * t as f64 / FIXTURE_PERIODS[class] + phase).sin();
                offset + amplitude * (wave + rng.random_range(-0.3..0.3))
            })
            .collect();
        data.push(PyValue::Array(NdArray {
            shape: vec![len],
            data: ArrayData::F64(signal),
        }));
        labels.push(PyValue::Str(CLASS_NAMES[class].into()));
    }
    let value = PyValue::Dict(vec![
        (
            PyValue::Str("data".into()),
            PyValue::Array(NdArray {
                shape: vec![n],
                data: ArrayData::Object(data),
            }),
        ),
        (
            PyValue::Str("label".into()),
            PyValue::Array(NdArray {
                shape: vec![n],
                data: ArrayData::Object(labels),
            }),
        ),
    ]);
    let path = dir.join(FILE);
    std::fs::write(&path, pickle_value(&value)).map_err(|e| Nb360Error::io(&path, e))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A record alternating 1, 3 (mean 2, population std 1): standardised to -1, +1.
    fn alternating(len: usize) -> PyValue {
        PyValue::Array(NdArray {
            shape: vec![len],
            data: ArrayData::I16((0..len).map(|t| if t % 2 == 0 { 1 } else { 3 }).collect()),
        })
    }

    fn write(dir: &Path, data: PyValue, label: PyValue) {
        let value = PyValue::Dict(vec![
            (PyValue::Str("data".into()), data),
            (PyValue::Str("label".into()), label),
        ]);
        std::fs::write(dir.join(FILE), pickle_value(&value)).unwrap();
    }

    fn object_array(items: Vec<PyValue>) -> PyValue {
        PyValue::Array(NdArray {
            shape: vec![items.len()],
            data: ArrayData::Object(items),
        })
    }

    #[test]
    fn strides_follow_the_reference_integer_division() {
        assert_eq!(
            (0..4).map(class_stride).collect::<Vec<_>>(),
            vec![500, 83, 250, 25]
        );
        // range(0, len - 1000, stride): a record of exactly 1000 samples gives none.
        assert_eq!(window_starts(1000, 0).count(), 0);
        assert_eq!(window_starts(1001, 0).collect::<Vec<_>>(), vec![0]);
        assert_eq!(window_starts(1600, 0).collect::<Vec<_>>(), vec![0, 500]);
        assert_eq!(window_starts(1100, 1).collect::<Vec<_>>(), vec![0, 83]);
    }

    #[test]
    fn split_is_scikit_learns_train_test_split_with_random_state_0() {
        // Printed by scikit-learn 1.9.1 / NumPy 2.4.6:
        //   tr, te = train_test_split(np.arange(n), test_size=0.2, random_state=0)
        //   va, te = train_test_split(te, test_size=0.5, random_state=0)
        let [train, valid, test] = split_records(37);
        assert_eq!(
            train,
            [
                2, 25, 30, 32, 36, 34, 29, 33, 8, 13, 5, 17, 14, 7, 27, 1, 12, 26, 24, 6, 23, 4,
                18, 21, 19, 9, 35, 3, 0
            ]
        );
        assert_eq!(valid, [10, 22, 28, 31]);
        assert_eq!(test, [15, 16, 20, 11]);
        // The 8,528 records of the published file: sizes, first indices and sums.
        let [train, valid, test] = split_records(8528);
        assert_eq!((train.len(), valid.len(), test.len()), (6822, 853, 853));
        assert_eq!(train[..5], [6692, 3768, 1352, 2434, 4431]);
        assert_eq!(valid[..5], [7757, 6966, 5341, 1912, 2938]);
        assert_eq!(test[..5], [4773, 3424, 3338, 4089, 2990]);
        let sum = |v: &[usize]| v.iter().sum::<usize>();
        assert_eq!(
            (sum(&train), sum(&valid), sum(&test)),
            (29_134_062, 3_689_987, 3_535_079)
        );
    }

    #[test]
    fn records_are_standardised_split_and_cut_by_class_stride() {
        let dir = tempfile::tempdir().unwrap();
        // Ten records; the length depends on the class so the window count is known:
        // N 1600 -> 2 windows, A 1100 -> 2, O 1600 -> 3 (0, 250, 500), ~ 1060 -> 3 (0, 25, 50).
        let classes = ["N", "A", "O", "~", "N", "N", "A", "O", "~", "O"];
        let lens = |c: &str| match c {
            "N" => 1600,
            "A" => 1100,
            "O" => 1600,
            _ => 1060,
        };
        let windows_of = |c: usize| [2usize, 2, 3, 3][c];
        let data = object_array(classes.iter().map(|c| alternating(lens(c))).collect());
        // Labels as Python 2 byte strings in a list, one as str.
        let mut label: Vec<PyValue> = classes
            .iter()
            .map(|c| PyValue::Bytes(c.as_bytes().to_vec()))
            .collect();
        label[0] = PyValue::Str("N".into());
        write(dir.path(), data, PyValue::List(label));
        let data = load(
            dir.path(),
            &LoadOptions {
                limit: None,
                seed: 9,
            },
        )
        .unwrap();
        data.check().unwrap();
        let mut total = 0;
        let mut records_per_split = Vec::new();
        for split in [&data.train, &data.valid, &data.test] {
            assert!(split.inputs.iter().all(|v| (v.abs() - 1.0).abs() < 1e-6));
            let groups = split.groups.as_ref().unwrap();
            let mut per_record: BTreeMap<u32, (usize, f32)> = BTreeMap::new();
            for (i, &g) in groups.iter().enumerate() {
                let entry = per_record.entry(g).or_insert((0, split.target(i)[0]));
                entry.0 += 1;
                assert_eq!(entry.1, split.target(i)[0], "one label per record");
            }
            for (count, label) in per_record.values() {
                assert_eq!(*count, windows_of(*label as usize));
            }
            records_per_split.push(per_record.len());
            total += split.len();
        }
        // ceil(0.2 * 10) = 2 held out, split 1 / 1.
        assert_eq!(records_per_split, vec![8, 1, 1]);
        // 3 N + 2 A + 3 O + 2 ~ records: 6 + 4 + 9 + 6 windows.
        assert_eq!(total, 25);
        let again = load(
            dir.path(),
            &LoadOptions {
                limit: None,
                seed: 9,
            },
        )
        .unwrap();
        assert_eq!(again.train, data.train);
        let limited = load(
            dir.path(),
            &LoadOptions {
                limit: Some(4),
                seed: 9,
            },
        )
        .unwrap();
        assert_eq!(limited.train.len(), 4);
        assert_eq!(
            limited.train.inputs,
            data.train.inputs[..4 * WINDOW].to_vec()
        );
    }

    #[test]
    fn bad_files_give_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(dir.path(), &LoadOptions::default()),
            Err(Nb360Error::MissingFile { task: "ecg", .. })
        ));
        let two = || object_array(vec![alternating(1200), alternating(1300)]);
        let labels =
            |a: &str, b: &str| PyValue::List(vec![PyValue::Str(a.into()), PyValue::Str(b.into())]);
        let cases: [(PyValue, PyValue, &str); 4] = [
            (two(), labels("N", "X"), "'label'[1] = 'X', expected one of"),
            (
                two(),
                PyValue::List(vec![PyValue::Str("N".into())]),
                "2 records but 'label' has 1",
            ),
            (
                object_array(vec![alternating(1200), PyValue::Str("x".into())]),
                labels("N", "A"),
                "'data'[1]: expected a 1-d numeric array, found a str",
            ),
            (
                object_array(vec![
                    alternating(1200),
                    PyValue::Array(NdArray {
                        shape: vec![2],
                        data: ArrayData::F64(vec![5.0, 5.0]),
                    }),
                ]),
                labels("N", "A"),
                "'data'[1]: 2 samples with standard deviation 0",
            ),
        ];
        for (data, label, expected) in cases {
            write(dir.path(), data, label);
            let text = load(dir.path(), &LoadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(text.contains(FILE), "{text}");
            assert!(text.contains(expected), "{text} lacks {expected}");
        }
        let value = PyValue::Dict(vec![(PyValue::Str("data".into()), two())]);
        std::fs::write(dir.path().join(FILE), pickle_value(&value)).unwrap();
        let text = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(text.contains("missing key 'label'"), "{text}");
    }

    #[test]
    fn fixture_has_published_structure_and_class_dependent_periods() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 4, 21).unwrap();
        let raw = read_pickle_file(&dir.path().join(FILE)).unwrap();
        let Some(PyValue::Array(records)) = raw.get("data") else {
            panic!("object array expected")
        };
        assert_eq!(records.shape, vec![40]);
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        data.check().unwrap();
        assert!(data.valid.len() >= 4 && data.test.len() >= 4);
        // Zero crossings per window grow with the class's frequency.
        let crossings = |w: &[f32]| {
            w.windows(2)
                .filter(|p| (p[0] < 0.0) != (p[1] < 0.0))
                .count()
        };
        for i in 0..data.train.len() {
            let class = data.train.target(i)[0] as usize;
            let expected = 2.0 * WINDOW as f64 / FIXTURE_PERIODS[class];
            let found = crossings(data.train.input(i)) as f64;
            assert!(
                found > 0.6 * expected,
                "class {class}: {found} crossings, expected ~{expected}"
            );
        }
    }
}
