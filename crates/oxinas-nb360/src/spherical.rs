//! Spherical CIFAR-100: `s2_cifar100.gz`, a gzip-compressed pickle of
//! `{"train": {"images": (N, 3, 60, 60), "labels": (N,)}, "test": {...}}`
//! (CIFAR-100 images projected onto the sphere, sampled on a 60x60 grid).
//!
//! As NAS-Bench-360's reference code: images are cast to float32 as they are
//! (no further normalisation), labels to integers, the last 20% of `train`
//! is the validation split (`int(0.8 N)` training images) and `test` is the
//! test split.

use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use rand::Rng;

use crate::error::Nb360Error;
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, TaskData, TaskSplit};
use oxinas_formats::numpy_pickle::{
    decode_pickle, describe, dict_item, integer_sequence, take_dict_item,
};
use oxinas_formats::pickle_writer::pickle_value;
use oxinas_formats::{ArrayData, NdArray, PyValue};

const FILE: &str = "s2_cifar100.gz";
const SHAPE: [usize; 3] = [3, 60, 60];
const CLASSES: i64 = 100;

/// Images and labels of one part (`train` or `test`) of the file.
struct Part {
    images: Vec<f32>,
    labels: Vec<i64>,
}

fn read_part(root: &mut PyValue, name: &str, path: &Path) -> Result<Part, Nb360Error> {
    let mut part = take_dict_item(root, name, path, "top-level dict")?;
    let context = format!("'{name}' dict");
    let images = take_dict_item(&mut part, "images", path, &context)?;
    let PyValue::Array(array) = images else {
        return Err(Nb360Error::format(
            path,
            format!(
                "'{name}'/'images': expected a float array, found {}",
                describe(&images)
            ),
        ));
    };
    if array.shape.len() != 4 || array.shape[1..] != SHAPE {
        return Err(Nb360Error::format(
            path,
            format!(
                "'{name}'/'images': expected shape (N, 3, 60, 60), found {:?}",
                array.shape
            ),
        ));
    }
    let n = array.shape[0];
    let images = match array.data {
        // Moved, not copied: the published file holds 2 GB of pixels.
        ArrayData::F32(values) => values,
        _ => array.to_f32(path, &format!("'{name}'/'images'"))?,
    };
    let labels = integer_sequence(
        dict_item(&part, "labels", path, &context)?,
        path,
        &format!("'{name}'/'labels'"),
    )?;
    if labels.len() != n {
        return Err(Nb360Error::format(
            path,
            format!(
                "'{name}'/'labels' has {} labels for {n} images",
                labels.len()
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
            format!("'{name}'/'labels'[{i}] = {l}, expected 0..{}", CLASSES - 1),
        ));
    }
    Ok(Part { images, labels })
}

fn split(part: &Part, range: std::ops::Range<usize>, limit: Option<usize>) -> TaskSplit {
    let per = SHAPE.iter().product::<usize>();
    let end = limit.map_or(range.end, |l| range.end.min(range.start + l));
    let mut out = TaskSplit::empty(SHAPE, 1);
    out.inputs = part.images[range.start * per..end * per].to_vec();
    out.targets = part.labels[range.start..end]
        .iter()
        .map(|&l| l as f32)
        .collect();
    out
}

/// Loads Spherical CIFAR-100 from `dir/s2_cifar100.gz`.
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let path = dir.join(FILE);
    if !path.is_file() {
        return Err(Nb360Error::MissingFile {
            task: "spherical",
            path,
            hint: "download s2_cifar100.gz from the NAS-Bench-360 data page \
                   (https://nb360.ml.cmu.edu/) into the task directory"
                .into(),
        });
    }
    let file = std::fs::File::open(&path).map_err(|e| Nb360Error::io(&path, e))?;
    let mut bytes = Vec::new();
    MultiGzDecoder::new(file)
        .read_to_end(&mut bytes)
        .map_err(|e| Nb360Error::format(&path, format!("not a valid gzip file: {e}")))?;
    let mut root = decode_pickle(&bytes, &path)?;
    drop(bytes);
    let train = read_part(&mut root, "train", &path)?;
    let test = read_part(&mut root, "test", &path)?;
    drop(root);
    let n = train.labels.len();
    let n_train = n * 4 / 5;
    Ok(TaskData {
        spec: Nb360Task::Spherical.spec(),
        train: split(&train, 0..n_train, options.limit),
        valid: split(&train, n_train..n, options.limit),
        test: split(&test, 0..test.labels.len(), options.limit),
        target_normalizer: None,
    })
}

/// Classes the fixture uses; each puts a bright cap at its own place on the grid.
const FIXTURE_CLASSES: [i64; 4] = [5, 33, 64, 97];

fn fixture_part(n: usize, seed: u64) -> PyValue {
    let mut rng = oxinas_core::seed::rng_from_seed(seed);
    let mut images = Vec::with_capacity(n * 3 * 60 * 60);
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let class = rng.random_range(0..FIXTURE_CLASSES.len());
        let (cy, cx) = (15 + 30 * (class / 2), 15 + 30 * (class % 2));
        for _c in 0..3 {
            for y in 0..60usize {
                for x in 0..60usize {
                    let near = y.abs_diff(cy).max(x.abs_diff(cx)) < 10;
                    let base = if near { 0.8 } else { 0.1 };
                    images.push(base + rng.random_range(0.0..0.2f32));
                }
            }
        }
        labels.push(FIXTURE_CLASSES[class]);
    }
    PyValue::Dict(vec![
        (
            PyValue::Str("images".into()),
            PyValue::Array(NdArray {
                shape: vec![n, 3, 60, 60],
                data: ArrayData::F32(images),
            }),
        ),
        (
            PyValue::Str("labels".into()),
            PyValue::Array(NdArray {
                shape: vec![n],
                data: ArrayData::I64(labels),
            }),
        ),
    ])
}

/// Writes a learnable stand-in `s2_cifar100.gz` in the published structure:
/// `train` holds `5 * samples_per_split` images (4x for training, 1x for
/// validation after the 80/20 split), `test` holds `samples_per_split`;
/// images are float32 `(N, 3, 60, 60)` with a bright patch whose place on
/// the grid is given by the class, labels an int64 array. (The generator's
/// image dtype is not documented; the loader accepts any numeric dtype.)
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    use std::io::Write;
    std::fs::create_dir_all(dir).map_err(|e| Nb360Error::io(dir, e))?;
    let value = PyValue::Dict(vec![
        (
            PyValue::Str("train".into()),
            fixture_part(
                5 * samples_per_split,
                oxinas_core::seed::derive_seed(seed, &[0]),
            ),
        ),
        (
            PyValue::Str("test".into()),
            fixture_part(
                samples_per_split,
                oxinas_core::seed::derive_seed(seed, &[1]),
            ),
        ),
    ]);
    let path = dir.join(FILE);
    let file = std::fs::File::create(&path).map_err(|e| Nb360Error::io(&path, e))?;
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    gz.write_all(&pickle_value(&value))
        .and_then(|()| gz.finish().map(|_| ()))
        .map_err(|e| Nb360Error::io(&path, e))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn part(images: ArrayData, shape: Vec<usize>, labels: PyValue) -> PyValue {
        PyValue::Dict(vec![
            (
                PyValue::Str("images".into()),
                PyValue::Array(NdArray {
                    shape,
                    data: images,
                }),
            ),
            (PyValue::Str("labels".into()), labels),
        ])
    }

    fn write(dir: &Path, value: &PyValue) {
        let file = std::fs::File::create(dir.join(FILE)).unwrap();
        let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        gz.write_all(&pickle_value(value)).unwrap();
        gz.finish().unwrap();
    }

    fn labels(v: &[i64]) -> PyValue {
        PyValue::Array(NdArray {
            shape: vec![v.len()],
            data: ArrayData::I64(v.to_vec()),
        })
    }

    #[test]
    fn loads_float64_images_unchanged_and_splits_last_fifth() {
        let dir = tempfile::tempdir().unwrap();
        let per = 3 * 60 * 60;
        // Five training images: image i holds i + 0.25 everywhere except value 1e3 at its last pixel.
        let train: Vec<f64> = (0..5 * per)
            .map(|k| {
                if k % per == per - 1 {
                    1e3
                } else {
                    (k / per) as f64 + 0.25
                }
            })
            .collect();
        let value = PyValue::Dict(vec![
            (
                PyValue::Str("train".into()),
                part(
                    ArrayData::F64(train),
                    vec![5, 3, 60, 60],
                    labels(&[0, 1, 2, 3, 99]),
                ),
            ),
            (
                PyValue::Str("test".into()),
                part(
                    ArrayData::U8(vec![7; 2 * per]),
                    vec![2, 3, 60, 60],
                    PyValue::List(vec![PyValue::Int(42), PyValue::Int(0)]),
                ),
            ),
        ]);
        write(dir.path(), &value);
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        data.check().unwrap();
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (4, 1, 2)
        );
        assert_eq!(data.valid.targets, vec![99.0]);
        assert_eq!(data.test.targets, vec![42.0, 0.0]);
        assert_eq!(data.train.input(2)[0], 2.25);
        assert_eq!(data.valid.input(0)[0], 4.25);
        assert_eq!(data.valid.input(0)[per - 1], 1000.0);
        assert!(data.test.inputs.iter().all(|&v| v == 7.0));
        let limited = load(
            dir.path(),
            &LoadOptions {
                limit: Some(1),
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!(limited.train.len(), 1);
        assert_eq!(limited.test.targets, vec![42.0]);
    }

    #[test]
    fn bad_files_give_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(dir.path(), &LoadOptions::default()),
            Err(Nb360Error::MissingFile {
                task: "spherical",
                ..
            })
        ));
        let per = 3 * 60 * 60;
        let good = || {
            part(
                ArrayData::F32(vec![0.0; per]),
                vec![1, 3, 60, 60],
                labels(&[1]),
            )
        };
        let cases: [(PyValue, &str); 4] = [
            (
                PyValue::Dict(vec![(PyValue::Str("train".into()), good())]),
                "top-level dict: missing key 'test'",
            ),
            (
                PyValue::Dict(vec![
                    (
                        PyValue::Str("train".into()),
                        part(
                            ArrayData::F32(vec![0.0; per]),
                            vec![1, 60, 60, 3],
                            labels(&[1]),
                        ),
                    ),
                    (PyValue::Str("test".into()), good()),
                ]),
                "'train'/'images': expected shape (N, 3, 60, 60), found [1, 60, 60, 3]",
            ),
            (
                PyValue::Dict(vec![
                    (PyValue::Str("train".into()), good()),
                    (
                        PyValue::Str("test".into()),
                        part(
                            ArrayData::F32(vec![0.0; per]),
                            vec![1, 3, 60, 60],
                            labels(&[100]),
                        ),
                    ),
                ]),
                "'test'/'labels'[0] = 100",
            ),
            (
                PyValue::Dict(vec![
                    (PyValue::Str("train".into()), good()),
                    (
                        PyValue::Str("test".into()),
                        part(
                            ArrayData::F32(vec![0.0; per]),
                            vec![1, 3, 60, 60],
                            PyValue::Float(1.0),
                        ),
                    ),
                ]),
                "'test'/'labels': expected a list of ints",
            ),
        ];
        for (value, expected) in cases {
            write(dir.path(), &value);
            let text = load(dir.path(), &LoadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(text.contains("s2_cifar100.gz"), "{text}");
            assert!(text.contains(expected), "{text} lacks {expected}");
        }
        std::fs::write(dir.path().join(FILE), b"not gzip").unwrap();
        let text = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(text.contains("gzip"), "{text}");
    }

    #[test]
    fn fixture_has_published_structure_and_class_dependent_patches() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 3, 5).unwrap();
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        data.check().unwrap();
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (12, 3, 3)
        );
        for split in [&data.train, &data.valid, &data.test] {
            for i in 0..split.len() {
                let class = FIXTURE_CLASSES
                    .iter()
                    .position(|&c| c as f32 == split.target(i)[0])
                    .unwrap();
                let (cy, cx) = (15 + 30 * (class / 2), 15 + 30 * (class % 2));
                let image = split.input(i);
                assert!(image[cy * 60 + cx] > 0.75);
                assert!(image[(59 - cy) * 60 + (59 - cx)] < 0.35);
            }
        }
    }
}
