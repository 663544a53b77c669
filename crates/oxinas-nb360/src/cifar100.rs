//! CIFAR-100 in the `cifar-100-python/` layout torchvision reads: `train` and
//! `test` are pickled dicts with `data` (uint8, `N x 3072`, each row the red,
//! green and blue 32x32 planes), `fine_labels` (ints 0-99), `coarse_labels`,
//! `filenames` and `batch_label`. The published files are Python 2 pickles,
//! so their keys decode as bytes; `str` keys (a Python 3 re-pickle) work too.
//!
//! As NAS-Bench-360's reference code: the last 20% of `train` is the
//! validation split (40,000 / 10,000), `test` is the test split, and pixels
//! are scaled to [0, 1] then normalised per channel with the CIFAR-100 mean
//! (0.5071, 0.4867, 0.4408) and std (0.2675, 0.2565, 0.2761). The reference's
//! training augmentation (random crop, flip, cutout) belongs to the trainer,
//! not to the loader.

use std::path::{Path, PathBuf};

use rand::Rng;

use crate::error::Nb360Error;
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, TaskData, TaskSplit};
use oxinas_formats::numpy_pickle::{
    describe, dict_item, integer_sequence, read_pickle_file, take_dict_item,
};
use oxinas_formats::pickle_writer::pickle_value;
use oxinas_formats::{ArrayData, NdArray, PyValue};

/// Per-channel mean of CIFAR-100 pixels in [0, 1] (the reference's constants).
pub const CIFAR100_MEAN: [f32; 3] = [0.5071, 0.4867, 0.4408];
/// Per-channel standard deviation of CIFAR-100 pixels in [0, 1].
pub const CIFAR100_STD: [f32; 3] = [0.2675, 0.2565, 0.2761];

const FOLDER: &str = "cifar-100-python";
const PIXELS: usize = 3 * 32 * 32;
const CLASSES: i64 = 100;

/// One decoded batch file: uint8 rows and fine labels.
struct Batch {
    pixels: Vec<u8>,
    labels: Vec<i64>,
}

fn missing(path: PathBuf) -> Nb360Error {
    Nb360Error::MissingFile {
        task: "cifar100",
        path,
        hint: "download cifar-100-python.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html \
               and extract it into the task directory"
            .into(),
    }
}

fn read_batch(path: &Path) -> Result<Batch, Nb360Error> {
    if !path.is_file() {
        return Err(missing(path.to_path_buf()));
    }
    let mut value = read_pickle_file(path)?;
    let data = take_dict_item(&mut value, "data", path, "batch dict")?;
    let PyValue::Array(NdArray { shape, data }) = data else {
        return Err(Nb360Error::format(
            path,
            format!("'data': expected a uint8 array, found {}", describe(&data)),
        ));
    };
    let ArrayData::U8(pixels) = data else {
        return Err(Nb360Error::format(
            path,
            format!("'data': expected dtype uint8, found {}", data.dtype_name()),
        ));
    };
    if shape.len() != 2 || shape[1] != PIXELS {
        return Err(Nb360Error::format(
            path,
            format!("'data': expected shape (N, {PIXELS}), found {shape:?}"),
        ));
    }
    let labels = integer_sequence(
        dict_item(&value, "fine_labels", path, "batch dict")?,
        path,
        "'fine_labels'",
    )?;
    if labels.len() != shape[0] {
        return Err(Nb360Error::format(
            path,
            format!(
                "'fine_labels' has {} labels for {} images",
                labels.len(),
                shape[0]
            ),
        ));
    }
    if let Some((i, l)) = labels
        .iter()
        .enumerate()
        .find(|(_, l)| !(0..CLASSES).contains(*l))
    {
        return Err(Nb360Error::format(
            path,
            format!("'fine_labels'[{i}] = {l}, expected 0..{}", CLASSES - 1),
        ));
    }
    Ok(Batch { pixels, labels })
}

/// Rows `range` of a batch as a normalised split.
fn split(batch: &Batch, range: std::ops::Range<usize>, limit: Option<usize>) -> TaskSplit {
    let end = limit.map_or(range.end, |l| range.end.min(range.start + l));
    let mut out = TaskSplit::empty([3, 32, 32], 1);
    out.inputs.reserve((end - range.start) * PIXELS);
    for row in range.start..end {
        let pixels = &batch.pixels[row * PIXELS..(row + 1) * PIXELS];
        for (c, plane) in pixels.chunks_exact(1024).enumerate() {
            out.inputs.extend(
                plane
                    .iter()
                    .map(|&p| (f32::from(p) / 255.0 - CIFAR100_MEAN[c]) / CIFAR100_STD[c]),
            );
        }
        out.targets.push(batch.labels[row] as f32);
    }
    out
}

/// Loads CIFAR-100 from `dir/cifar-100-python/{train,test}`.
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let folder = dir.join(FOLDER);
    let train = read_batch(&folder.join("train"))?;
    let test = read_batch(&folder.join("test"))?;
    // int((1 - 0.2) * N) as the reference.
    let n = train.labels.len();
    let n_train = n * 4 / 5;
    Ok(TaskData {
        spec: Nb360Task::Cifar100.spec(),
        train: split(&train, 0..n_train, options.limit),
        valid: split(&train, n_train..n, options.limit),
        test: split(&test, 0..test.labels.len(), options.limit),
        target_normalizer: None,
    })
}

/// Fine classes the fixture uses: each has its own bright quadrant and channel.
const FIXTURE_CLASSES: [i64; 4] = [3, 27, 58, 91];

fn fixture_batch(n: usize, seed: u64, label: &str) -> PyValue {
    let mut rng = oxinas_core::seed::rng_from_seed(seed);
    let mut pixels = Vec::with_capacity(n * PIXELS);
    let mut fine = Vec::with_capacity(n);
    for _ in 0..n {
        let class = rng.random_range(0..FIXTURE_CLASSES.len());
        let (qy, qx) = (class / 2, class % 2);
        for c in 0..3 {
            for y in 0..32 {
                for x in 0..32 {
                    let inside = y / 16 == qy && x / 16 == qx && c == class % 3;
                    let base: u8 = if inside { 170 } else { 40 };
                    pixels.push(base + rng.random_range(0..60u8));
                }
            }
        }
        fine.push(PyValue::Int(FIXTURE_CLASSES[class]));
    }
    let coarse: Vec<PyValue> = fine
        .iter()
        .map(|f| match f {
            PyValue::Int(v) => PyValue::Int(v / 5),
            other => other.clone(),
        })
        .collect();
    let names = (0..n)
        .map(|i| PyValue::Str(format!("fixture_{label}_{i:05}.png")))
        .collect();
    PyValue::Dict(vec![
        (PyValue::Str("filenames".into()), PyValue::List(names)),
        (
            PyValue::Str("batch_label".into()),
            PyValue::Str(format!("{label} batch 1 of 1")),
        ),
        (PyValue::Str("fine_labels".into()), PyValue::List(fine)),
        (PyValue::Str("coarse_labels".into()), PyValue::List(coarse)),
        (
            PyValue::Str("data".into()),
            PyValue::Array(NdArray {
                shape: vec![n, PIXELS],
                data: ArrayData::U8(pixels),
            }),
        ),
    ])
}

/// Writes a learnable CIFAR-100 stand-in in the published layout:
/// `cifar-100-python/{train,test,meta}` pickles with the published keys and
/// dtypes. `train` holds `5 * samples_per_split` images (so the 80/20 split
/// gives `4 *` and `1 *` that), `test` holds `samples_per_split`. Each image
/// is noise with one bright quadrant in one channel, both given by its class
/// (four of the hundred fine labels are used). The pickles are protocol 2
/// with `str` keys, as Python 3 writes them; torchvision's loader reads them
/// (it does not accept them as the real data, whose MD5 it checks).
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    let folder = dir.join(FOLDER);
    std::fs::create_dir_all(&folder).map_err(|e| Nb360Error::io(&folder, e))?;
    let train = fixture_batch(
        5 * samples_per_split,
        oxinas_core::seed::derive_seed(seed, &[0]),
        "training",
    );
    let test = fixture_batch(
        samples_per_split,
        oxinas_core::seed::derive_seed(seed, &[1]),
        "testing",
    );
    let names = |prefix: &str, n: usize| {
        PyValue::List(
            (0..n)
                .map(|i| PyValue::Str(format!("{prefix}_{i:02}")))
                .collect(),
        )
    };
    let meta = PyValue::Dict(vec![
        (PyValue::Str("fine_label_names".into()), names("fine", 100)),
        (
            PyValue::Str("coarse_label_names".into()),
            names("coarse", 20),
        ),
    ]);
    for (name, value) in [("train", train), ("test", test), ("meta", meta)] {
        let path = folder.join(name);
        std::fs::write(&path, pickle_value(&value)).map_err(|e| Nb360Error::io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(labels: &[i64], pixel: impl Fn(usize, usize) -> u8, bytes_keys: bool) -> Vec<u8> {
        let key = |k: &str| {
            if bytes_keys {
                PyValue::Bytes(k.as_bytes().to_vec())
            } else {
                PyValue::Str(k.into())
            }
        };
        let n = labels.len();
        let pixels = (0..n * PIXELS)
            .map(|i| pixel(i / PIXELS, i % PIXELS))
            .collect();
        pickle_value(&PyValue::Dict(vec![
            (
                key("fine_labels"),
                PyValue::List(labels.iter().map(|&l| PyValue::Int(l)).collect()),
            ),
            (
                key("data"),
                PyValue::Array(NdArray {
                    shape: vec![n, PIXELS],
                    data: ArrayData::U8(pixels),
                }),
            ),
        ]))
    }

    fn write(dir: &Path, train: &[u8], test: &[u8]) {
        let folder = dir.join(FOLDER);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("train"), train).unwrap();
        std::fs::write(folder.join("test"), test).unwrap();
    }

    #[test]
    fn splits_last_fifth_of_train_for_validation_and_normalises_per_channel() {
        let dir = tempfile::tempdir().unwrap();
        // Ten training images: image i has label i and every pixel of channel c = 100 c + i.
        let labels: Vec<i64> = (0..10).collect();
        let train = batch(&labels, |i, p| (100 * (p / 1024) + i) as u8, true);
        let test = batch(&[99], |_, p| if p == 0 { 255 } else { 0 }, false);
        write(dir.path(), &train, &test);
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        data.check().unwrap();
        assert_eq!(data.train.len(), 8);
        assert_eq!(data.valid.len(), 2);
        assert_eq!(data.test.len(), 1);
        assert_eq!(data.valid.targets, vec![8.0, 9.0]);
        assert_eq!(data.test.targets, vec![99.0]);
        // Validation image 0 is image 8: channel 1 pixels are 108 -> (108/255 - 0.4867) / 0.2565.
        let v = data.valid.input(0);
        assert!((v[1024] - (108.0 / 255.0 - 0.4867) / 0.2565).abs() < 1e-5);
        assert!((v[2048 + 5] - (208.0 / 255.0 - 0.4408) / 0.2761).abs() < 1e-5);
        // Test pixel 0 of the red plane is 255 -> (1 - 0.5071) / 0.2675; the rest 0.
        let t = data.test.input(0);
        assert!((t[0] - 1.842_617).abs() < 1e-4);
        assert!((t[1] - (-0.5071 / 0.2675)).abs() < 1e-5);
        let limited = load(
            dir.path(),
            &LoadOptions {
                limit: Some(3),
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!(limited.train.targets, vec![0.0, 1.0, 2.0]);
        assert_eq!(limited.valid.len(), 2);
    }

    #[test]
    fn reads_a_python2_style_batch_with_bytes_keys() {
        // tests/fixtures/python2_cifar_style.pickle: two rows, labels 19 and 29,
        // row 0 starting with pixels 95, 130 (a copy of the oxinas-formats fixture;
        // the script that made it is in oxinas_formats::numpy_pickle's tests).
        let bytes = include_bytes!("../tests/fixtures/python2_cifar_style.pickle");
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), bytes, bytes);
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(data.train.targets, vec![19.0]);
        assert_eq!(data.valid.targets, vec![29.0]);
        assert_eq!(data.test.len(), 2);
        assert!((data.train.inputs[0] - (95.0 / 255.0 - 0.5071) / 0.2675).abs() < 1e-5);
        assert!((data.train.inputs[1] - (130.0 / 255.0 - 0.5071) / 0.2675).abs() < 1e-5);
    }

    #[test]
    fn bad_files_give_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(dir.path(), &LoadOptions::default()),
            Err(Nb360Error::MissingFile {
                task: "cifar100",
                ..
            })
        ));
        let good = batch(&[1], |_, _| 0, false);
        let cases: [(Vec<u8>, &str); 4] = [
            (
                pickle_value(&PyValue::Dict(vec![(
                    PyValue::Str("data".into()),
                    PyValue::None,
                )])),
                "'data': expected a uint8 array",
            ),
            (batch(&[100], |_, _| 0, false), "'fine_labels'[0] = 100"),
            (
                pickle_value(&PyValue::Dict(vec![(
                    PyValue::Str("data".into()),
                    PyValue::Array(NdArray {
                        shape: vec![1, PIXELS],
                        data: ArrayData::U8(vec![0; PIXELS]),
                    }),
                )])),
                "missing key 'fine_labels'",
            ),
            (good[..good.len() - 40].to_vec(), "truncated"),
        ];
        for (train, expected) in cases {
            write(dir.path(), &train, &good);
            let err = load(dir.path(), &LoadOptions::default()).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("cifar-100-python/train"), "{text}");
            assert!(text.contains(expected), "{text} lacks {expected}");
        }
    }

    #[test]
    fn fixture_has_published_layout_and_class_dependent_pixels() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 6, 11).unwrap();
        let raw = read_pickle_file(&dir.path().join(FOLDER).join("train")).unwrap();
        for key in [
            "filenames",
            "batch_label",
            "fine_labels",
            "coarse_labels",
            "data",
        ] {
            assert!(raw.get(key).is_some(), "{key}");
        }
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        data.check().unwrap();
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (24, 6, 6)
        );
        // The class's quadrant in its channel is brighter than the opposite quadrant.
        for split in [&data.train, &data.test] {
            for i in 0..split.len() {
                let class = FIXTURE_CLASSES
                    .iter()
                    .position(|&c| c as f32 == split.target(i)[0])
                    .unwrap();
                let (qy, qx) = (class / 2, class % 2);
                let plane = &split.input(i)[(class % 3) * 1024..(class % 3 + 1) * 1024];
                let at = |y: usize, x: usize| plane[y * 32 + x];
                assert!(at(qy * 16 + 8, qx * 16 + 8) > at((1 - qy) * 16 + 8, (1 - qx) * 16 + 8));
            }
        }
        let again = tempfile::tempdir().unwrap();
        write_fixture(again.path(), 6, 11).unwrap();
        let twin = load(again.path(), &LoadOptions::default()).unwrap();
        assert_eq!(twin.train, data.train);
    }
}
