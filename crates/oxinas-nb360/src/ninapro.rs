//! NinaPro DB5 hand gestures from surface EMG, as NAS-Bench-360 publishes
//! them: `ninapro_{train,val,test}.npy` hold float windows of shape
//! `(N, 52, 16)` (52 time steps of 16 electrodes) and `label_{train,val,test}.npy`
//! the gesture classes 0..17. The published split is the three file pairs.
//! As the reference code, windows are transposed to electrodes x time and
//! given one channel: inputs `[1, 16, 52]`.

use std::f32::consts::TAU;
use std::path::{Path, PathBuf};

use oxinas_core::seed::rng_from_seed;
use rand::Rng;

use crate::error::Nb360Error;
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, TaskData, TaskSplit};
use oxinas_formats::npy::{read_npy, write_npy};
use oxinas_formats::{ArrayData, NdArray};

/// The published splits, in file-name spelling.
const SPLITS: [&str; 3] = ["train", "val", "test"];
/// Time steps per window (as stored: axis 1).
const STEPS: usize = 52;
/// Electrodes (as stored: axis 2).
const ELECTRODES: usize = 16;
/// Gesture classes.
const CLASSES: usize = 18;

/// Loads the task from `dir` (the published layout).
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let train = load_split(dir, SPLITS[0], options.limit)?;
    let valid = load_split(dir, SPLITS[1], options.limit)?;
    let test = load_split(dir, SPLITS[2], options.limit)?;
    Ok(TaskData {
        spec: Nb360Task::NinaPro.spec(),
        train,
        valid,
        test,
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
            task: "ninapro",
            path,
            hint: "download ninapro.zip of NAS-Bench-360 and unpack its six .npy files here".into(),
        })
    }
}

/// One split: the windows transposed to `[1, electrodes, steps]`, the classes.
fn load_split(dir: &Path, split: &str, limit: Option<usize>) -> Result<TaskSplit, Nb360Error> {
    let data_path = require(dir, &format!("ninapro_{split}.npy"))?;
    let label_path = require(dir, &format!("label_{split}.npy"))?;
    let data = read_npy(&data_path)?;
    if data.shape.len() != 3 || data.shape[1..] != [STEPS, ELECTRODES] {
        return Err(Nb360Error::format(
            &data_path,
            format!(
                "expected windows of shape (N, {STEPS}, {ELECTRODES}) (time steps, electrodes), found {:?}",
                data.shape
            ),
        ));
    }
    let count = data.shape[0];
    let labels = read_npy(&label_path)?;
    if labels.shape != [count] {
        return Err(Nb360Error::format(
            &label_path,
            format!(
                "expected {count} labels (shape ({count},)) to match {}, found shape {:?}",
                data_path.display(),
                labels.shape
            ),
        ));
    }
    let n = limit.map_or(count, |l| l.min(count));
    let values = data.to_f32(&data_path, "windows")?;
    let window = STEPS * ELECTRODES;
    let mut split = TaskSplit::empty([1, ELECTRODES, STEPS], 1);
    split.inputs.reserve(n * window);
    for sample in values.chunks_exact(window).take(n) {
        for electrode in 0..ELECTRODES {
            split
                .inputs
                .extend((0..STEPS).map(|t| sample[t * ELECTRODES + electrode]));
        }
    }
    let classes = labels.to_f32(&label_path, "labels")?;
    for (i, &c) in classes.iter().take(n).enumerate() {
        if c.fract() != 0.0 || c < 0.0 || c >= CLASSES as f32 {
            return Err(Nb360Error::format(
                &label_path,
                format!("label {i}: expected a class 0..{}, found {c}", CLASSES - 1),
            ));
        }
        split.targets.push(c);
    }
    Ok(split)
}

/// Writes a small learnable data set in the published layout: per split,
/// `samples_per_split` float32 windows `(N, 52, 16)` and int64 labels. A
/// class is a sine frequency (1, 3, ..., 11 cycles per window) times an
/// amplitude level (0.5, 1, 1.5), on every electrode with a random phase,
/// plus uniform noise in ±0.3.
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    std::fs::create_dir_all(dir).map_err(|e| Nb360Error::io(dir, e))?;
    let mut rng = rng_from_seed(seed);
    for split in SPLITS {
        let mut windows = Vec::with_capacity(samples_per_split * STEPS * ELECTRODES);
        let mut labels = Vec::with_capacity(samples_per_split);
        for _ in 0..samples_per_split {
            let class = rng.random_range(0..CLASSES);
            let cycles = (1 + 2 * (class % 6)) as f32;
            let amplitude = 0.5 * (1 + class / 6) as f32;
            let phases: Vec<f32> = (0..ELECTRODES)
                .map(|_| rng.random_range(0.0..TAU))
                .collect();
            for t in 0..STEPS {
                for phase in &phases {
                    let wave = (TAU * cycles * t as f32 / STEPS as f32 + phase).sin();
                    windows.push(amplitude * wave + rng.random_range(-0.3..0.3));
                }
            }
            labels.push(class as i64);
        }
        write_npy(
            dir.join(format!("ninapro_{split}.npy")),
            &NdArray {
                shape: vec![samples_per_split, STEPS, ELECTRODES],
                data: ArrayData::F32(windows),
            },
        )?;
        write_npy(
            dir.join(format!("label_{split}.npy")),
            &NdArray {
                shape: vec![samples_per_split],
                data: ArrayData::I64(labels),
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixture_loads_with_published_shapes_and_transposed_windows() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 7, 3).unwrap();
        let data =
            crate::load_task(Nb360Task::NinaPro, dir.path(), &LoadOptions::default()).unwrap();
        for split in [&data.train, &data.valid, &data.test] {
            assert_eq!(split.len(), 7);
            assert_eq!(split.input_shape, [1, 16, 52]);
            assert!(split.targets.iter().all(|&c| (0.0..18.0).contains(&c)));
        }
        // Input (electrode e, step t) is stored value (t, e).
        let stored = read_npy(dir.path().join("ninapro_val.npy")).unwrap();
        let ArrayData::F32(values) = stored.data else {
            panic!("fixture writes float32");
        };
        let sample = 4;
        for (e, t) in [(0, 0), (3, 10), (15, 51), (7, 2)] {
            assert_eq!(
                data.valid.input(sample)[e * 52 + t],
                values[sample * 832 + t * 16 + e]
            );
        }
        let labels = read_npy(dir.path().join("label_test.npy")).unwrap();
        let ArrayData::I64(labels) = labels.data else {
            panic!("fixture writes int64");
        };
        let decoded: Vec<i64> = data.test.targets.iter().map(|&c| c as i64).collect();
        assert_eq!(decoded, labels);
        let limited = load(
            dir.path(),
            &LoadOptions {
                limit: Some(2),
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!(limited.train.len(), 2);
        assert_eq!(limited.train.input(1), data.train.input(1));
    }

    #[test]
    fn fixture_amplitude_levels_separate_the_classes() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 60, 9).unwrap();
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        // Mean |x| of a sine of amplitude a is about 2a/pi: ~0.32 for level
        // 0.5 and ~0.95 for level 1.5; the noise cannot close that gap.
        let mut low = f32::MIN;
        let mut high = f32::MAX;
        for i in 0..data.train.len() {
            let level = data.train.target(i)[0] as usize / 6;
            let mean_abs = data.train.input(i).iter().map(|x| x.abs()).sum::<f32>() / 832.0;
            match level {
                0 => low = low.max(mean_abs),
                2 => high = high.min(mean_abs),
                _ => {}
            }
        }
        assert!(low < 0.5 && high > 0.8, "{low} {high}");
    }

    #[test]
    fn wrong_shapes_and_missing_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 3, 1).unwrap();
        let wrong = NdArray {
            shape: vec![3, 16, 52],
            data: ArrayData::F32(vec![0.0; 3 * 832]),
        };
        write_npy(dir.path().join("ninapro_val.npy"), &wrong).unwrap();
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ninapro_val.npy") && err.contains("(N, 52, 16)"),
            "{err}"
        );
        write_fixture(dir.path(), 3, 1).unwrap();
        let labels = NdArray {
            shape: vec![3],
            data: ArrayData::I64(vec![0, 18, 1]),
        };
        write_npy(dir.path().join("label_test.npy"), &labels).unwrap();
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("label_test.npy") && err.contains("label 1"),
            "{err}"
        );
        std::fs::remove_file(dir.path().join("label_train.npy")).unwrap();
        assert!(matches!(
            load(dir.path(), &LoadOptions::default()),
            Err(Nb360Error::MissingFile { path, .. }) if path.ends_with("label_train.npy")
        ));
    }
}
