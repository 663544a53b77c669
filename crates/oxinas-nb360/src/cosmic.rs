//! Cosmic-ray identification in Hubble ACS/WFC F435W images, as NAS-Bench-360
//! uses the deepCR ACS-WFC data set (Zhang & Bloom, 2020): the extracted
//! archives hold `data/npy_train/f435w/<prop_id>/<vis_num>/*.npy` and
//! `data/npy_test/f435w/...`, each file a float array `(3, H, W)` (image,
//! cosmic-ray mask, ignore mask) or `(2, H, W)` (no ignore mask); `sky.npy`
//! files hold sky levels and are skipped. Only galaxy fields are used.
//!
//! As the reference code: a fixed 128x128 crop at row 64, column 64; the
//! sorted train files are split into the first 90% for training and the
//! rest for validation (its `PairedDatasetImagePath`, `f_val = 0.1`); the test
//! files are the test split. Inputs are the image `[1, 128, 128]`; targets
//! are the cosmic-ray mask per pixel, 0 or 1, and [`IGNORED`] where the
//! ignore mask flags the pixel. Differences: files are taken in sorted order
//! (the reference lists directories in file-system order), and the
//! reference's random sky-level augmentation during training is left out.

use std::path::{Path, PathBuf};

use oxinas_core::seed::rng_from_seed;
use rand::Rng;

use crate::error::Nb360Error;
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, TaskData, TaskSplit};
use oxinas_formats::npy::{read_npy, write_npy};
use oxinas_formats::{ArrayData, NdArray};

/// Target value of a pixel the data set's ignore mask flags. Losses and
/// metrics skip pixels whose target is negative (the reference zeroes both
/// logit and target there, which removes them from the gradient).
pub const IGNORED: f32 = -1.0;

/// The filter the benchmark uses.
const FILTER: &str = "f435w";
/// Side of the square crop.
const CROP: usize = 128;
/// Row and column where the crop starts.
const OFFSET: usize = 64;
/// Fraction of the train files held out for validation.
const VALIDATION_FRACTION: f64 = 0.1;

/// Fields (`<prop_id>_<vis_num>`) the deepCR ACS-WFC data set classifies as
/// galaxy fields ("GAL"); the benchmark trains and tests on these only.
const GALAXY_FIELDS: [&str; 27] = [
    "10182_pb", "10182_pd", "10190_13", "10190_28", "10260_5", "10260_7", "10342_3", "10407_3",
    "10584_13", "10760_2", "10760_4", "12058_1", "12058_12", "12058_16", "12058_6", "12513_2",
    "12513_3", "13057_1", "13364_95", "13691_11", "13737_2", "13737_3", "13804_6", "14343_1",
    "14704_1", "9490_a2", "9490_a3",
];

/// The data set's other fields: globular clusters ("GC") and extragalactic
/// fields ("EX"), skipped.
const OTHER_FIELDS: [&str; 45] = [
    "10005_10", "10092_1", "10120_3", "10146_3", "10146_4", "10349_30", "10524_7", "10536_13",
    "10595_2", "10595_7", "10631_1", "10631_3", "10631_4", "10775_29", "10775_52", "10775_ab",
    "10775_ad", "11340_11", "11586_5", "12103_a3", "12438_1", "12602_1", "12602_2", "13375_4",
    "13375_7", "13389_10", "13498_b1", "13671_35", "13718_6", "14164_1", "14164_9", "15100_2",
    "15647_13", "9405_4b", "9405_6d", "9425_2", "9425_4", "9442_1", "9442_3", "9442_5", "9450_14",
    "9450_16", "9583_99", "9694_6", "9978_5e",
];

/// Loads the task from `dir` (the published layout).
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let train_files = galaxy_files(dir, "npy_train")?;
    let test_files = galaxy_files(dir, "npy_test")?;
    let (train_range, valid_range) = train_validation_ranges(train_files.len());
    let limited = |files: &[PathBuf]| -> Result<TaskSplit, Nb360Error> {
        let n = options.limit.map_or(files.len(), |l| l.min(files.len()));
        let mut split = TaskSplit::empty([1, CROP, CROP], CROP * CROP);
        for file in &files[..n] {
            read_crop(file, &mut split)?;
        }
        Ok(split)
    };
    Ok(TaskData {
        spec: Nb360Task::Cosmic.spec(),
        train: limited(&train_files[train_range])?,
        valid: limited(&train_files[valid_range])?,
        test: limited(&test_files)?,
        target_normalizer: None,
    })
}

/// The reference's split of `n` train files: the first `int(n * 0.9)` (at
/// least one) train, the files from there (at most the last one) validate.
fn train_validation_ranges(n: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let n_train = (n as f64 * (1.0 - VALIDATION_FRACTION)) as usize;
    (
        0..n_train.max(1).min(n),
        n_train.min(n.saturating_sub(1)).min(n)..n,
    )
}

/// Every `.npy` file but `sky.npy` of the galaxy fields under
/// `dir/data/<part>/f435w`, sorted.
fn galaxy_files(dir: &Path, part: &str) -> Result<Vec<PathBuf>, Nb360Error> {
    let base = dir.join("data").join(part).join(FILTER);
    if !base.is_dir() {
        return Err(Nb360Error::MissingFile {
            task: "cosmic",
            path: base,
            hint: "download deepCR.ACS-WFC.train.tar and deepCR.ACS-WFC.test.tar of NAS-Bench-360 and extract both into <dir>/data".into(),
        });
    }
    let mut files = Vec::new();
    for prop in sorted_dirs(&base)? {
        for vis in sorted_dirs(&prop)? {
            let field = format!("{}_{}", file_name(&prop), file_name(&vis));
            if OTHER_FIELDS.contains(&field.as_str()) {
                continue;
            }
            if !GALAXY_FIELDS.contains(&field.as_str()) {
                return Err(Nb360Error::format(
                    &vis,
                    format!(
                        "field `{field}` is not in the deepCR ACS-WFC field table; expected one of its {} fields",
                        GALAXY_FIELDS.len() + OTHER_FIELDS.len()
                    ),
                ));
            }
            let mut images: Vec<PathBuf> = read_dir(&vis)?
                .into_iter()
                .filter(|p| {
                    let name = file_name(p);
                    p.is_file() && name.contains(".npy") && name != "sky.npy"
                })
                .collect();
            images.sort();
            files.extend(images);
        }
    }
    Ok(files)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, Nb360Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Nb360Error::io(dir, e))?;
    entries
        .map(|e| e.map(|e| e.path()).map_err(|e| Nb360Error::io(dir, e)))
        .collect()
}

fn sorted_dirs(dir: &Path) -> Result<Vec<PathBuf>, Nb360Error> {
    let mut dirs: Vec<PathBuf> = read_dir(dir)?.into_iter().filter(|p| p.is_dir()).collect();
    dirs.sort();
    Ok(dirs)
}

/// Appends the crop of one file's image and its per-pixel targets.
fn read_crop(path: &Path, split: &mut TaskSplit) -> Result<(), Nb360Error> {
    let array = read_npy(path)?;
    let fits = matches!(array.shape.as_slice(), &[2 | 3, h, w] if h >= OFFSET + CROP && w >= OFFSET + CROP);
    if !fits {
        return Err(Nb360Error::format(
            path,
            format!(
                "expected (3, H, W) image, cosmic-ray mask, ignore mask (or (2, H, W) without the ignore mask) with H, W >= {} for the {CROP}x{CROP} crop at ({OFFSET}, {OFFSET}), found shape {:?}",
                OFFSET + CROP,
                array.shape
            ),
        ));
    }
    let (planes, height, width) = (array.shape[0], array.shape[1], array.shape[2]);
    let values = array.to_f32(path, "image")?;
    let plane = |p: usize| &values[p * height * width..(p + 1) * height * width];
    let rows = OFFSET..OFFSET + CROP;
    for r in rows.clone() {
        split
            .inputs
            .extend_from_slice(&plane(0)[r * width + OFFSET..r * width + OFFSET + CROP]);
    }
    for r in rows {
        for c in OFFSET..OFFSET + CROP {
            let mask = plane(1)[r * width + c];
            if mask != 0.0 && mask != 1.0 {
                return Err(Nb360Error::format(
                    path,
                    format!(
                        "cosmic-ray mask (plane 1) at row {r}, column {c}: expected 0 or 1, found {mask}"
                    ),
                ));
            }
            let ignored = planes == 3 && plane(2)[r * width + c] != 0.0;
            split.targets.push(if ignored { IGNORED } else { mask });
        }
    }
    Ok(())
}

/// Number of train files whose reference split gives `samples` training
/// files and at least one validation file.
fn train_file_count(samples: usize) -> usize {
    (1..)
        .find(|&n| {
            let (train, valid) = train_validation_ranges(n);
            train.len() >= samples && !valid.is_empty()
        })
        .unwrap_or(1)
}

/// Galaxy fields the fixture writes to (train, test), and a globular-cluster
/// field it also writes to, which loading must skip.
const FIXTURE_TRAIN_FIELDS: [(&str, &str); 2] = [("12058", "16"), ("10760", "2")];
const FIXTURE_TEST_FIELDS: [(&str, &str); 2] = [("13737", "3"), ("9490", "a2")];
const FIXTURE_SKIPPED_FIELD: (&str, &str) = ("10595", "7");

/// Writes a small learnable data set in the published layout: enough train
/// files for `samples_per_split` training samples after the 90/10 split (and
/// at least one validation sample), `samples_per_split` test files, spread
/// over two galaxy fields each, plus a `sky.npy` and a globular-cluster
/// field that loading skips. Files alternate between `(3, 200, 196)` float32
/// (with an ignore mask: a flat saturated square) and `(2, 192, 192)`. The
/// image is a smooth sky (level ~10, gradients, ±1 noise) with a smooth
/// galaxy; cosmic rays are single pixels 20 to 40 above the sky, marked 1
/// in the mask.
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    let mut rng = rng_from_seed(seed);
    let mut write_part = |part: &str, fields: &[(&str, &str)], count: usize| {
        for i in 0..count {
            let (prop, vis) = fields[i % fields.len()];
            let field_dir = dir
                .join("data")
                .join(part)
                .join(FILTER)
                .join(prop)
                .join(vis);
            std::fs::create_dir_all(&field_dir).map_err(|e| Nb360Error::io(&field_dir, e))?;
            let image = synthetic_exposure(&mut rng, i % 2 == 0);
            write_npy(field_dir.join(format!("1_{i:04}.npy")), &image)?;
            // Sky levels per exposure, as the data set ships them.
            let sky = NdArray {
                shape: vec![1],
                data: ArrayData::F32(vec![10.0]),
            };
            write_npy(field_dir.join("sky.npy"), &sky)?;
        }
        Ok::<(), Nb360Error>(())
    };
    write_part(
        "npy_train",
        &FIXTURE_TRAIN_FIELDS,
        train_file_count(samples_per_split),
    )?;
    write_part("npy_test", &FIXTURE_TEST_FIELDS, samples_per_split)?;
    write_part("npy_train", &[FIXTURE_SKIPPED_FIELD], 1)?;
    write_part("npy_test", &[FIXTURE_SKIPPED_FIELD], 1)
}

/// One synthetic exposure: `(3, 200, 196)` with an ignore mask or `(2, 192, 192)`.
fn synthetic_exposure(rng: &mut impl Rng, with_ignore: bool) -> NdArray {
    let (planes, height, width) = if with_ignore {
        (3, 200, 196)
    } else {
        (2, 192, 192)
    };
    let plane = height * width;
    let mut values = vec![0f32; planes * plane];
    let (gy, gx) = (
        rng.random_range(-0.01..0.01f32),
        rng.random_range(-0.01..0.01f32),
    );
    let (cy, cx) = (
        rng.random_range(64.0..192.0f32),
        rng.random_range(64.0..180.0f32),
    );
    let phase = rng.random_range(0.0..std::f32::consts::TAU);
    for r in 0..height {
        for c in 0..width {
            let (y, x) = (r as f32, c as f32);
            let sky = 10.0 + gy * y + gx * x + 0.5 * (0.05 * x + 0.03 * y + phase).sin();
            let galaxy = 15.0 * (-((y - cy).powi(2) + (x - cx).powi(2)) / 50.0).exp();
            values[r * width + c] = sky + galaxy + rng.random_range(-1.0..1.0);
        }
    }
    for _ in 0..60 {
        let (r, c) = (rng.random_range(0..height), rng.random_range(0..width));
        values[r * width + c] += rng.random_range(20.0..40.0);
        values[plane + r * width + c] = 1.0;
    }
    if with_ignore {
        // A saturated square, flat and flagged: no cosmic ray inside it.
        let (r0, c0) = (rng.random_range(64..184), rng.random_range(64..180));
        for r in r0..r0 + 8 {
            for c in c0..c0 + 8 {
                values[r * width + c] = 60.0;
                values[plane + r * width + c] = 0.0;
                values[2 * plane + r * width + c] = 1.0;
            }
        }
    }
    NdArray {
        shape: vec![planes, height, width],
        data: ArrayData::F32(values),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_split_sizes() {
        // int(n * 0.9) train, the rest validation; the published 4830 files
        // give 4347 and 483.
        let sizes = |n| {
            let (t, v) = train_validation_ranges(n);
            (t.len(), v.len())
        };
        assert_eq!(sizes(4830), (4347, 483));
        assert_eq!(sizes(10), (9, 1));
        assert_eq!(sizes(5), (4, 1));
        // Tiny sets: one file both trains and validates, as in the reference.
        assert_eq!(sizes(1), (1, 1));
        assert_eq!(train_file_count(4), 5);
        assert_eq!(train_file_count(9), 10);
    }

    #[test]
    fn fixture_loads_cropped_with_masks_and_ignored_pixels() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 4, 2).unwrap();
        let data =
            crate::load_task(Nb360Task::Cosmic, dir.path(), &LoadOptions::default()).unwrap();
        // 5 galaxy train files: 4 train, 1 validation; the GC field is skipped.
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (4, 1, 4)
        );
        // Sorted order: field 10760/2 (files 1 and 3) before 12058/16 (0, 2, 4).
        let field = |prop: &str, vis: &str, i: usize| {
            dir.path()
                .join(format!("data/npy_train/f435w/{prop}/{vis}/1_{i:04}.npy"))
        };
        let order = [
            field("10760", "2", 1),
            field("10760", "2", 3),
            field("12058", "16", 0),
            field("12058", "16", 2),
            field("12058", "16", 4),
        ];
        for (sample, path) in order.iter().enumerate() {
            let stored = read_npy(path).unwrap();
            let (planes, width) = (stored.shape[0], stored.shape[2]);
            let plane = stored.shape[1] * width;
            let ArrayData::F32(values) = stored.data else {
                panic!("fixture writes float32");
            };
            let (split, index) = if sample < 4 {
                (&data.train, sample)
            } else {
                (&data.valid, 0)
            };
            let mut ones = 0;
            for (r, c) in [(0, 0), (5, 100), (127, 127), (64, 3)] {
                let at = (64 + r) * width + 64 + c;
                assert_eq!(split.input(index)[r * 128 + c], values[at]);
            }
            for r in 0..128 {
                for c in 0..128 {
                    let at = (64 + r) * width + 64 + c;
                    let target = split.target(index)[r * 128 + c];
                    let ignored = planes == 3 && values[2 * plane + at] == 1.0;
                    let expected = if ignored { IGNORED } else { values[plane + at] };
                    assert_eq!(target, expected);
                    ones += usize::from(target == 1.0);
                }
            }
            // 60 rays over ~37,000 pixels: a crop of 16,384 holds some.
            assert!(ones > 5, "{ones}");
            if planes == 3 {
                assert!(split.target(index).contains(&IGNORED));
            }
        }
        let limited = load(
            dir.path(),
            &LoadOptions {
                limit: Some(1),
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!(
            (limited.train.len(), limited.valid.len(), limited.test.len()),
            (1, 1, 1)
        );
        assert_eq!(limited.test.input(0), data.test.input(0));
    }

    #[test]
    fn fixture_cosmic_rays_stand_out_from_the_sky() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 2, 8).unwrap();
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        for i in 0..data.test.len() {
            let (input, target) = (data.test.input(i), data.test.target(i));
            // Across a crop the smooth sky varies by under ~4.6 (gradients,
            // ripple) and the noise by 2; rays add at least 20 on top.
            let mut sorted = input.to_vec();
            sorted.sort_by(f32::total_cmp);
            let median = sorted[sorted.len() / 2];
            let min_ray = (0..input.len())
                .filter(|&p| target[p] == 1.0)
                .map(|p| input[p] - median)
                .fold(f32::MAX, f32::min);
            assert!(min_ray > 12.0, "{min_ray}");
        }
    }

    #[test]
    fn small_images_unknown_fields_and_missing_data_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            load(dir.path(), &LoadOptions::default()),
            Err(Nb360Error::MissingFile { .. })
        ));
        write_fixture(dir.path(), 1, 1).unwrap();
        let small = dir.path().join("data/npy_test/f435w/13737/3/1_0000.npy");
        let tiny = NdArray {
            shape: vec![3, 100, 100],
            data: ArrayData::F32(vec![0.0; 30_000]),
        };
        write_npy(&small, &tiny).unwrap();
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("1_0000.npy") && err.contains(">= 192"),
            "{err}"
        );
        std::fs::remove_file(&small).unwrap();
        std::fs::create_dir_all(dir.path().join("data/npy_train/f435w/99999/1")).unwrap();
        let err = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`99999_1`"), "{err}");
    }
}
