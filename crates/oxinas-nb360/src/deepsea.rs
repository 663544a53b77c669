//! DeepSEA chromatin profiles as NAS-Bench-360 publishes them:
//! `deepsea_filtered.npz` with one-hot DNA `x_{train,val,test}` of shape
//! `(N, 1000, 4)` and 0/1 labels `y_{train,val,test}` of shape `(N, 36)`.
//! As the reference code, sequences are permuted to bases x positions:
//! inputs `[4, 1, 1000]`; targets are the 36 labels per sample.

use std::path::{Path, PathBuf};

use oxinas_core::seed::rng_from_seed;
use rand::Rng;
use rand::seq::SliceRandom;

use crate::error::Nb360Error;
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, TaskData, TaskSplit};
use oxinas_formats::npy::{read_npz, write_npz};
use oxinas_formats::{ArrayData, NdArray};

/// The published file.
const FILE: &str = "deepsea_filtered.npz";
/// The published splits, in key spelling.
const SPLITS: [&str; 3] = ["train", "val", "test"];
/// Bases per sequence.
const LENGTH: usize = 1000;
/// One-hot channels (A, C, G, T).
const BASES: usize = 4;
/// Chromatin-profile labels.
const LABELS: usize = 36;

/// Loads the task from `dir` (the published layout).
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let path = dir.join(FILE);
    if !path.is_file() {
        return Err(Nb360Error::MissingFile {
            task: "deepsea",
            path,
            hint: "download deepsea_filtered.npz of NAS-Bench-360 into this directory".into(),
        });
    }
    let mut arrays = read_npz(&path)?;
    let mut split = |name: &str| -> Result<TaskSplit, Nb360Error> {
        let x = take_key(&mut arrays, &format!("x_{name}"), &path)?;
        let y = take_key(&mut arrays, &format!("y_{name}"), &path)?;
        decode_split(&x, &y, name, &path, options.limit)
    };
    let train = split(SPLITS[0])?;
    let valid = split(SPLITS[1])?;
    let test = split(SPLITS[2])?;
    Ok(TaskData {
        spec: Nb360Task::DeepSea.spec(),
        train,
        valid,
        test,
        target_normalizer: None,
    })
}

/// Removes and returns member `key`, or an error listing what the archive has.
fn take_key(
    arrays: &mut Vec<(String, NdArray)>,
    key: &str,
    path: &Path,
) -> Result<NdArray, Nb360Error> {
    match arrays.iter().position(|(k, _)| k == key) {
        Some(i) => Ok(arrays.swap_remove(i).1),
        None => Err(Nb360Error::format(
            path,
            format!(
                "missing key `{key}`; expected x_train, y_train, x_val, y_val, x_test, y_test, found {:?}",
                arrays.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()
            ),
        )),
    }
}

/// One split: sequences permuted to `[4, 1, 1000]`, labels checked to be 0/1.
fn decode_split(
    x: &NdArray,
    y: &NdArray,
    split: &str,
    path: &Path,
    limit: Option<usize>,
) -> Result<TaskSplit, Nb360Error> {
    if x.shape.len() != 3 || x.shape[1..] != [LENGTH, BASES] {
        return Err(Nb360Error::format(
            path,
            format!(
                "key `x_{split}`: expected shape (N, {LENGTH}, {BASES}) (sequences, positions, one-hot bases), found {:?}",
                x.shape
            ),
        ));
    }
    let count = x.shape[0];
    if y.shape != [count, LABELS] {
        return Err(Nb360Error::format(
            path,
            format!(
                "key `y_{split}`: expected shape ({count}, {LABELS}) to match x_{split}, found {:?}",
                y.shape
            ),
        ));
    }
    let n = limit.map_or(count, |l| l.min(count));
    let sequence = LENGTH * BASES;
    let values = leading_f32(x, n * sequence, path, &format!("x_{split}"))?;
    let mut out = TaskSplit::empty([BASES, 1, LENGTH], LABELS);
    out.inputs.reserve(n * sequence);
    for sample in values.chunks_exact(sequence) {
        for base in 0..BASES {
            out.inputs
                .extend((0..LENGTH).map(|p| sample[p * BASES + base]));
        }
    }
    let labels = leading_f32(y, n * LABELS, path, &format!("y_{split}"))?;
    if let Some(i) = labels.iter().position(|&v| v != 0.0 && v != 1.0) {
        return Err(Nb360Error::format(
            path,
            format!(
                "key `y_{split}`: sample {}, label {}: expected 0 or 1, found {}",
                i / LABELS,
                i % LABELS,
                labels[i]
            ),
        ));
    }
    out.targets = labels;
    Ok(out)
}

/// The first `len` elements as `f32`, without converting the rest (the full
/// test split holds 600 million values).
fn leading_f32(
    array: &NdArray,
    len: usize,
    path: &Path,
    key: &str,
) -> Result<Vec<f32>, Nb360Error> {
    fn head<T: Copy>(values: &[T], len: usize, convert: impl Fn(T) -> f32) -> Vec<f32> {
        values[..len.min(values.len())]
            .iter()
            .map(|&v| convert(v))
            .collect()
    }
    Ok(match &array.data {
        ArrayData::Bool(v) => head(v, len, |b| f32::from(u8::from(b))),
        ArrayData::U8(v) => head(v, len, f32::from),
        ArrayData::I8(v) => head(v, len, f32::from),
        ArrayData::I16(v) => head(v, len, f32::from),
        ArrayData::I32(v) => head(v, len, |x| x as f32),
        ArrayData::I64(v) => head(v, len, |x| x as f32),
        ArrayData::F32(v) => head(v, len, |x| x),
        ArrayData::F64(v) => head(v, len, |x| x as f32),
        ArrayData::Object(_) => {
            return Err(Nb360Error::format(
                path,
                format!("key `{key}`: expected a numeric array, found an object array"),
            ));
        }
    })
}

/// The motif whose presence sets a label in the fixture.
const MOTIF_LENGTH: usize = 8;
/// How many copies of a present label's motif a fixture sequence holds.
const MOTIF_COPIES: usize = 4;

/// Writes a small learnable data set in the published layout: one
/// `deepsea_filtered.npz` whose splits hold `samples_per_split` uint8
/// one-hot sequences `(N, 1000, 4)` and uint8 labels `(N, 36)`. Each label
/// has a fixed random 8-base motif; a sample's label is 1 (probability 1/4)
/// exactly when its otherwise random sequence carries four copies of it
/// (in distinct slots; 125 copies fit, far above the 36 expected).
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    std::fs::create_dir_all(dir).map_err(|e| Nb360Error::io(dir, e))?;
    let mut rng = rng_from_seed(seed);
    let motifs: Vec<Vec<usize>> = (0..LABELS)
        .map(|_| {
            (0..MOTIF_LENGTH)
                .map(|_| rng.random_range(0..BASES))
                .collect()
        })
        .collect();
    let mut arrays = Vec::new();
    for split in SPLITS {
        let mut x = Vec::with_capacity(samples_per_split * LENGTH * BASES);
        let mut y = Vec::with_capacity(samples_per_split * LABELS);
        for _ in 0..samples_per_split {
            let mut bases: Vec<usize> = (0..LENGTH).map(|_| rng.random_range(0..BASES)).collect();
            // Copies go to distinct motif-sized slots so that none overwrites another.
            let mut slots: Vec<usize> = (0..LENGTH / MOTIF_LENGTH).collect();
            slots.shuffle(&mut rng);
            let mut free = slots.into_iter();
            for motif in &motifs {
                let present = rng.random_range(0..4) == 0 && free.len() >= MOTIF_COPIES;
                if present {
                    for slot in free.by_ref().take(MOTIF_COPIES) {
                        let at = slot * MOTIF_LENGTH;
                        bases[at..at + MOTIF_LENGTH].copy_from_slice(motif);
                    }
                }
                y.push(u8::from(present));
            }
            for base in bases {
                x.extend((0..BASES).map(|b| u8::from(b == base)));
            }
        }
        arrays.push((
            format!("x_{split}"),
            NdArray {
                shape: vec![samples_per_split, LENGTH, BASES],
                data: ArrayData::U8(x),
            },
        ));
        arrays.push((
            format!("y_{split}"),
            NdArray {
                shape: vec![samples_per_split, LABELS],
                data: ArrayData::U8(y),
            },
        ));
    }
    let members: Vec<(&str, &NdArray)> = arrays.iter().map(|(k, a)| (k.as_str(), a)).collect();
    Ok(write_npz(fixture_path(dir), &members)?)
}

fn fixture_path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(path: &Path, key: &str) -> NdArray {
        read_npz(path)
            .unwrap()
            .into_iter()
            .find(|(k, _)| k == key)
            .unwrap()
            .1
    }

    #[test]
    fn fixture_loads_permuted_with_published_shapes() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 5, 11).unwrap();
        let data =
            crate::load_task(Nb360Task::DeepSea, dir.path(), &LoadOptions::default()).unwrap();
        for split in [&data.train, &data.valid, &data.test] {
            assert_eq!(split.len(), 5);
            assert_eq!(split.input_shape, [4, 1, 1000]);
            assert_eq!(split.target_len, 36);
        }
        let path = dir.path().join(FILE);
        let ArrayData::U8(x) = member(&path, "x_test").data else {
            panic!("fixture writes uint8");
        };
        // Input (base b, position p) of sample s is stored value (s, p, b).
        for (s, b, p) in [(0, 0, 0), (2, 3, 999), (4, 1, 517)] {
            assert_eq!(
                data.test.input(s)[b * 1000 + p],
                f32::from(x[s * 4000 + p * 4 + b])
            );
        }
        // Each position is one-hot: the four channels sum to 1.
        let sample = data.valid.input(3);
        for p in 0..1000 {
            let sum: f32 = (0..4).map(|b| sample[b * 1000 + p]).sum();
            assert_eq!(sum, 1.0);
        }
        let ArrayData::U8(y) = member(&path, "y_train").data else {
            panic!("fixture writes uint8");
        };
        let y: Vec<f32> = y.into_iter().map(f32::from).collect();
        assert_eq!(data.train.targets, y);
        let limited = load(
            dir.path(),
            &LoadOptions {
                limit: Some(2),
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!((limited.train.len(), limited.test.len()), (2, 2));
        assert_eq!(limited.test.input(1), data.test.input(1));
    }

    #[test]
    fn missing_keys_and_wrong_shapes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let x = NdArray {
            shape: vec![1, 1000, 4],
            data: ArrayData::U8(vec![0; 4000]),
        };
        let y = NdArray {
            shape: vec![1, 36],
            data: ArrayData::U8(vec![0; 36]),
        };
        let wrong_x = NdArray {
            shape: vec![1, 4, 1000],
            data: ArrayData::U8(vec![0; 4000]),
        };
        write_npz(&path, &[("x_train", &x), ("y_train", &y), ("x_val", &x)]).unwrap();
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(FILE) && err.contains("missing key `y_val`"),
            "{err}"
        );
        let all = [
            ("x_train", &x),
            ("y_train", &y),
            ("x_val", &wrong_x),
            ("y_val", &y),
            ("x_test", &x),
            ("y_test", &y),
        ];
        write_npz(&path, &all).unwrap();
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`x_val`") && err.contains("(N, 1000, 4)"),
            "{err}"
        );
        let two = NdArray {
            shape: vec![1, 36],
            data: ArrayData::U8([vec![2], vec![0; 35]].concat()),
        };
        let mut all = all;
        all[2].1 = &x;
        all[5].1 = &two;
        write_npz(&path, &all).unwrap();
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`y_test`") && err.contains("expected 0 or 1"),
            "{err}"
        );
        all[5].1 = &y;
        write_npz(&path, &all).unwrap();
        assert!(load(dir.path(), &LoadOptions::default()).is_ok());
    }

    #[test]
    fn fixture_labels_mark_their_motifs() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 20, 5).unwrap();
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        // The motifs are not stored: recover label 0's motif as the most
        // common 8-mer among positive samples, then check it is (almost)
        // absent from negatives.
        let decode = |s: &[f32]| -> Vec<usize> {
            (0..1000)
                .map(|p| (0..4).find(|&b| s[b * 1000 + p] == 1.0).unwrap())
                .collect()
        };
        let split = &data.train;
        let positives: Vec<usize> = (0..split.len())
            .filter(|&i| split.target(i)[0] == 1.0)
            .collect();
        assert!(!positives.is_empty());
        let mut counts = std::collections::HashMap::new();
        for &i in &positives {
            let bases = decode(split.input(i));
            for w in bases.windows(8) {
                *counts.entry(w.to_vec()).or_insert(0usize) += 1;
            }
        }
        let (motif, &count) = counts.iter().max_by_key(|(_, c)| **c).unwrap();
        assert_eq!(count, 4 * positives.len());
        for i in (0..split.len()).filter(|&i| split.target(i)[0] == 0.0) {
            let bases = decode(split.input(i));
            let hits = bases.windows(8).filter(|w| w == &motif.as_slice()).count();
            assert!(
                hits <= 1,
                "negative sample {i} holds the motif {hits} times"
            );
        }
    }
}
