//! Darcy flow (NAS-Bench-360's PDE task): the FNO data set's MAT-files
//! `piececonst_r421_N1024_smooth1.mat` (training and validation) and
//! `piececonst_r421_N1024_smooth2.mat` (test), each holding `coeff` (the
//! piecewise-constant permeability) and `sol` (the pressure) of shape
//! `(N, 421, 421)`.
//!
//! As the benchmark's reference (`backbone/model_grid_new.py` with
//! `utils_grid.py`, `sub = 5`): fields are subsampled every 5th pixel,
//! `x[:, ::5, ::5][:, :s, :s]` with `s = (R - 1) / 5 + 1` (85 for R = 421).
//! Train = the first 900 samples of smooth1, validation = samples 900..1000
//! of smooth1, test = the first 100 of smooth2. Inputs are 3 channels: the
//! coefficient normalised pointwise (mean and std per pixel over the training
//! split, the reference's `UnitGaussianNormalizer`), then the grid of
//! `create_grid`: channel 1 is the column coordinate `j / (s - 1)`, channel 2
//! the row coordinate `i / (s - 1)`. Targets are the raw solution (`s * s`
//! values); [`TaskData::target_normalizer`] is the pointwise normaliser of
//! the training solutions (networks predict the normalised field, which is
//! decoded before the relative-L2 loss and metric).
//!
//! Files with fewer samples (fixtures) split the same way scaled down: of
//! smooth1's `N1` samples the first `used = min(1000, N1)` are taken, the
//! last `min(100, used / 2)` of those are validation and the rest training;
//! test is the first `min(100, N2)` of smooth2. The published files give
//! 900 / 100 / 100. Both normalisers are fitted on the whole training split;
//! `options.limit` then keeps the first samples of each split.

use std::path::{Path, PathBuf};

use rand::Rng;

use crate::error::Nb360Error;
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, PointwiseNormalizer, TaskData, TaskSplit};
use oxinas_formats::mat_file::{MatError, MatVariable, visit_mat};
use oxinas_formats::{ArrayData, NdArray};

/// The training and validation file.
pub const TRAIN_FILE: &str = "piececonst_r421_N1024_smooth1.mat";
/// The test file.
pub const TEST_FILE: &str = "piececonst_r421_N1024_smooth2.mat";
/// The reference's subsampling step (`sub`).
pub const SUBSAMPLE: usize = 5;
/// The published resolution of the files.
pub const PUBLISHED_RESOLUTION: usize = 421;

/// Samples of smooth1 the reference uses (`ntrain`).
const USED_TRAIN_FILE: usize = 1000;
/// Validation and test samples the reference uses (`ntest`).
const HELD_OUT: usize = 100;

/// Subsampled `coeff` and `sol` of one file's first samples.
struct Fields {
    /// Samples read.
    n: usize,
    /// Side of the subsampled grid.
    s: usize,
    coeff: Vec<f32>,
    sol: Vec<f32>,
}

/// The side of the subsampled grid for resolution `r`, if `r` fits the
/// reference's grid (`r = 5 (s - 1) + 1`).
fn subsampled_side(r: usize) -> Option<usize> {
    (r >= 1 && (r - 1).is_multiple_of(SUBSAMPLE)).then(|| (r - 1) / SUBSAMPLE + 1)
}

/// Reads `coeff` and `sol` from `path`, keeping the first `take(N)` samples
/// subsampled; one variable at a time, so a published file's 1.4 GB
/// variables are never both held.
fn read_fields(path: &Path, take: impl Fn(usize) -> usize) -> Result<Fields, Nb360Error> {
    let mut coeff: Option<(Vec<usize>, Vec<f32>)> = None;
    let mut sol: Option<(Vec<usize>, Vec<f32>)> = None;
    let mut found = Vec::new();
    visit_mat(path, |variable: MatVariable| {
        found.push(variable.name.clone());
        let slot = match variable.name.as_str() {
            "coeff" => &mut coeff,
            "sol" => &mut sol,
            _ => return Ok(()),
        };
        let shape_error = || MatError::Unsupported {
            path: path.to_owned(),
            name: variable.name.clone(),
            message: format!(
                "expected shape (N, R, R) with R = 5 (s - 1) + 1 (published: (1024, 421, 421)), found {:?}",
                variable.dims
            ),
        };
        let [n, r, r2] = variable.dims[..] else {
            return Err(shape_error());
        };
        let s = match subsampled_side(r) {
            Some(s) if r == r2 => s,
            _ => return Err(shape_error()),
        };
        let keep = take(n);
        // Element [k, a, b] of an (n, r, r) array sits at k + n (a + r b).
        let mut indices = Vec::with_capacity(keep * s * s);
        for k in 0..keep {
            for i in 0..s {
                for j in 0..s {
                    let (a, b) = (i * SUBSAMPLE, j * SUBSAMPLE);
                    indices.push(k + n * (a + r * b));
                }
            }
        }
        let values = variable.gather_f64(&indices)?;
        *slot = Some((vec![n, r], values.into_iter().map(|v| v as f32).collect()));
        Ok(())
    })?;
    let missing = |name: &str| {
        Nb360Error::from(MatError::MissingVariable {
            path: path.to_owned(),
            name: name.to_owned(),
            found: found.clone(),
        })
    };
    let (coeff_dims, coeff) = coeff.ok_or_else(|| missing("coeff"))?;
    let (sol_dims, sol) = sol.ok_or_else(|| missing("sol"))?;
    if coeff_dims != sol_dims {
        return Err(Nb360Error::format(
            path,
            format!(
                "`coeff` has {} samples at resolution {}, `sol` {} at {}; expected the same",
                coeff_dims[0], coeff_dims[1], sol_dims[0], sol_dims[1]
            ),
        ));
    }
    let s = subsampled_side(coeff_dims[1]).unwrap_or(0);
    Ok(Fields {
        n: take(coeff_dims[0]),
        s,
        coeff,
        sol,
    })
}

/// The grid channels of `create_grid`: `(column j / (s - 1), row i / (s - 1))` per pixel.
fn grid(s: usize) -> (Vec<f32>, Vec<f32>) {
    let step = if s > 1 { (s - 1) as f64 } else { 1.0 };
    let mut across = Vec::with_capacity(s * s);
    let mut down = Vec::with_capacity(s * s);
    for i in 0..s {
        for j in 0..s {
            across.push((j as f64 / step) as f32);
            down.push((i as f64 / step) as f32);
        }
    }
    (across, down)
}

/// Builds a split from samples `range` of `fields`: normalised coefficient
/// and grid as inputs, raw solution as targets.
fn split(
    fields: &Fields,
    range: std::ops::Range<usize>,
    x_normalizer: &PointwiseNormalizer,
) -> TaskSplit {
    let s = fields.s;
    let pixels = s * s;
    let (across, down) = grid(s);
    let mut out = TaskSplit::empty([3, s, s], pixels);
    out.inputs.reserve(range.len() * 3 * pixels);
    for k in range.clone() {
        let mut coeff = fields.coeff[k * pixels..(k + 1) * pixels].to_vec();
        x_normalizer.encode(&mut coeff);
        out.inputs.extend_from_slice(&coeff);
        out.inputs.extend_from_slice(&across);
        out.inputs.extend_from_slice(&down);
    }
    out.targets = fields.sol[range.start * pixels..range.end * pixels].to_vec();
    out
}

fn missing_file(path: PathBuf) -> Nb360Error {
    Nb360Error::MissingFile {
        task: "darcy-flow",
        path,
        hint: format!(
            "download {TRAIN_FILE} and {TEST_FILE} (the FNO Darcy flow data NAS-Bench-360 uses) into this directory"
        ),
    }
}

/// Loads the task from `dir` (the published layout).
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let train_path = dir.join(TRAIN_FILE);
    let test_path = dir.join(TEST_FILE);
    for path in [&train_path, &test_path] {
        if !path.is_file() {
            return Err(missing_file(path.clone()));
        }
    }
    let first = read_fields(&train_path, |n| n.min(USED_TRAIN_FILE))?;
    let n_valid = HELD_OUT.min(first.n / 2);
    if n_valid == 0 {
        return Err(Nb360Error::format(
            &train_path,
            format!(
                "{} samples; at least 2 are needed for training and validation",
                first.n
            ),
        ));
    }
    let n_train = first.n - n_valid;
    let second = read_fields(&test_path, |n| n.min(HELD_OUT))?;
    if second.n == 0 {
        return Err(Nb360Error::format(
            &test_path,
            "no samples; at least 1 is needed for the test split",
        ));
    }
    if second.s != first.s {
        return Err(Nb360Error::format(
            &test_path,
            format!(
                "a {0}x{0} grid after subsampling, {TRAIN_FILE} gives {1}x{1}; expected the same resolution",
                second.s, first.s
            ),
        ));
    }
    let pixels = first.s * first.s;
    let x_normalizer = PointwiseNormalizer::fit(&first.coeff[..n_train * pixels], pixels);
    let y_normalizer = PointwiseNormalizer::fit(&first.sol[..n_train * pixels], pixels);
    let limit = |n: usize| options.limit.map_or(n, |l| l.min(n));
    let train = split(&first, 0..limit(n_train), &x_normalizer);
    let valid = split(&first, n_train..n_train + limit(n_valid), &x_normalizer);
    let test = split(&second, 0..limit(second.n), &x_normalizer);
    Ok(TaskData {
        spec: Nb360Task::DarcyFlow.spec(),
        train,
        valid,
        test,
        target_normalizer: Some(y_normalizer),
    })
}

/// A synthetic coefficient field on the subsampled `s x s` grid: 12 where a
/// random smooth field is positive, 3 elsewhere (the published fields take
/// the same two values).
fn synthetic_coeff(s: usize, rng: &mut impl Rng) -> Vec<f64> {
    let waves: Vec<(f64, f64, f64, f64)> = (0..6)
        .map(|_| {
            (
                f64::from(rng.random_range(1..4u8)),
                f64::from(rng.random_range(1..4u8)),
                rng.random_range(0.0..std::f64::consts::TAU),
                rng.random_range(0.5..1.0),
            )
        })
        .collect();
    let step = (s - 1).max(1) as f64;
    let mut out = Vec::with_capacity(s * s);
    for i in 0..s {
        for j in 0..s {
            let (y, x) = (i as f64 / step, j as f64 / step);
            let field: f64 = waves
                .iter()
                .map(|&(kx, ky, phase, amp)| {
                    amp * (std::f64::consts::PI * (kx * x + ky * y) + phase).cos()
                })
                .sum();
            out.push(if field >= 0.0 { 12.0 } else { 3.0 });
        }
    }
    out
}

/// A learnable stand-in for the pressure: zero on the boundary like the
/// PDE's solution, larger where the neighbourhood is less permeable.
fn synthetic_sol(coeff: &[f64], s: usize) -> Vec<f64> {
    let step = (s - 1).max(1) as f64;
    let mut out = Vec::with_capacity(s * s);
    for i in 0..s {
        for j in 0..s {
            let mut sum = 0.0;
            let mut count = 0.0;
            for a in i.saturating_sub(2)..(i + 3).min(s) {
                for b in j.saturating_sub(2)..(j + 3).min(s) {
                    sum += 12.0 / coeff[a * s + b];
                    count += 1.0;
                }
            }
            let (y, x) = (i as f64 / step, j as f64 / step);
            out.push(0.1 * x * (1.0 - x) * y * (1.0 - y) * sum / count);
        }
    }
    out
}

/// Expands fields of `n` samples on the `s x s` grid to `(n, r, r)` with
/// `r = 5 (s - 1) + 1`, each fine pixel taking its nearest grid value (so
/// subsampling every 5th pixel gives the grid values back).
fn upsample(values: &[f64], n: usize, s: usize) -> NdArray {
    let r = SUBSAMPLE * (s - 1) + 1;
    let mut out = Vec::with_capacity(n * r * r);
    for k in 0..n {
        for a in 0..r {
            let i = ((a + SUBSAMPLE / 2) / SUBSAMPLE).min(s - 1);
            for b in 0..r {
                let j = ((b + SUBSAMPLE / 2) / SUBSAMPLE).min(s - 1);
                out.push(values[(k * s + i) * s + j]);
            }
        }
    }
    NdArray {
        shape: vec![n, r, r],
        data: ArrayData::F64(out),
    }
}

/// Writes a small learnable data set in the published layout: both files at
/// the published resolution 421 (`coeff`, `sol` as compressed double
/// arrays), smooth1 with `2 * samples_per_split` samples (so that training
/// and validation get `samples_per_split` each, for up to 100) and smooth2
/// with `samples_per_split`. The solution is a local function of the
/// coefficient and the position, so a small convolutional network can learn it.
/// Use at least 2 samples per split: the normalisers' pointwise standard
/// deviation over a single training sample is 0 (the reference's
/// `torch.std` gives NaN), which blows the normalised inputs up.
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    if samples_per_split == 0 {
        return Err(Nb360Error::Setting {
            field: "samples_per_split".into(),
            message: "expected at least 1".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| Nb360Error::io(dir, e))?;
    let s = subsampled_side(PUBLISHED_RESOLUTION).unwrap_or(85);
    let mut rng = oxinas_core::seed::rng_from_seed(seed);
    for (file, n) in [
        (TRAIN_FILE, 2 * samples_per_split),
        (TEST_FILE, samples_per_split),
    ] {
        let mut coeff = Vec::with_capacity(n * s * s);
        let mut sol = Vec::with_capacity(n * s * s);
        for _ in 0..n {
            let c = synthetic_coeff(s, &mut rng);
            sol.extend(synthetic_sol(&c, s));
            coeff.extend(c);
        }
        let coeff = upsample(&coeff, n, s);
        let sol = upsample(&sol, n, s);
        let path = dir.join(file);
        oxinas_formats::mat_file::write_mat(&path, &[("coeff", &coeff), ("sol", &sol)], true)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxinas_formats::mat_file::write_mat;

    /// Writes `(n, r, r)` fields where `coeff[k, a, b] = (1 + k)(1 + a) + b / 2`
    /// and `sol[k, a, b] = 100 k + 10 a + b`.
    fn write_numbered(path: &Path, n: usize, r: usize, offset: usize, with_sol: bool) {
        let mut coeff = Vec::new();
        let mut sol = Vec::new();
        for k in offset..offset + n {
            for a in 0..r {
                for b in 0..r {
                    coeff.push((1 + k) as f64 * (1 + a) as f64 + b as f64 / 2.0);
                    sol.push((100 * k + 10 * a + b) as f64);
                }
            }
        }
        let coeff = NdArray {
            shape: vec![n, r, r],
            data: ArrayData::F64(coeff),
        };
        let sol = NdArray {
            shape: vec![n, r, r],
            data: ArrayData::F64(sol),
        };
        let mut vars = vec![("coeff", &coeff)];
        if with_sol {
            vars.push(("sol", &sol));
        }
        write_mat(path, &vars, false).unwrap();
    }

    #[test]
    fn subsamples_normalises_and_adds_the_grid_as_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        // R = 11 -> s = 3 picks fine pixels 0, 5, 10.
        write_numbered(&dir.path().join(TRAIN_FILE), 4, 11, 0, true);
        write_numbered(&dir.path().join(TEST_FILE), 2, 11, 10, true);
        let data = load(dir.path(), &LoadOptions::default()).unwrap();
        // 4 samples: 2 validation (min(100, 4 / 2)), 2 training; test 2.
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (2, 2, 2)
        );
        assert_eq!(data.train.input_shape, [3, 3, 3]);
        assert_eq!(data.train.target_len, 9);
        // Targets: raw sol at fine (5i, 5j): 100 k + 50 i + 5 j.
        let expect = |k: usize| -> Vec<f32> {
            (0..3)
                .flat_map(|i| (0..3).map(move |j| (100 * k + 50 * i + 5 * j) as f32))
                .collect()
        };
        assert_eq!(data.train.target(1), expect(1).as_slice());
        assert_eq!(data.valid.target(0), expect(2).as_slice());
        assert_eq!(data.test.target(1), expect(11).as_slice());
        // Channel 0: training coefficients (1 + a) + b/2 and 2 (1 + a) + b/2
        // have mean 1.5 (1 + a) + b/2 and unbiased std (1 + a) / sqrt(2), so
        // they encode to -/+ sqrt(2)/2 and validation's 3 (1 + a) + b/2 to 1.5 sqrt(2).
        let half_sqrt2 = std::f32::consts::SQRT_2 / 2.0;
        for (input, want) in [
            (data.train.input(0), -half_sqrt2),
            (data.train.input(1), half_sqrt2),
            (data.valid.input(0), 3.0 * half_sqrt2),
        ] {
            for &v in &input[..9] {
                assert!((v - want).abs() < 1e-3, "{v} vs {want}");
            }
        }
        // Channels 1 and 2: create_grid's column and row coordinates.
        let input = data.test.input(0);
        assert_eq!(
            &input[9..18],
            &[0.0, 0.5, 1.0, 0.0, 0.5, 1.0, 0.0, 0.5, 1.0]
        );
        assert_eq!(
            &input[18..27],
            &[0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0]
        );
        // The target normaliser is fitted on the training solutions and round-trips.
        let norm = data.target_normalizer.as_ref().unwrap();
        assert!((norm.mean[4] - 105.0).abs() < 1e-4);
        let mut values = data.valid.target(1).to_vec();
        norm.encode(&mut values);
        assert!((values[0] - (300.0 - 50.0) / (100.0 / 2f32.sqrt())).abs() < 1e-3);
        norm.decode(&mut values);
        for (a, b) in values.iter().zip(data.valid.target(1)) {
            assert!((a - b).abs() < 1e-3);
        }
        // The limit keeps the first samples of each split after splitting.
        let limited = load(
            dir.path(),
            &LoadOptions {
                limit: Some(1),
                seed: 0,
            },
        )
        .unwrap();
        assert_eq!(limited.valid.len(), 1);
        assert_eq!(limited.valid.target(0), expect(2).as_slice());
        assert_eq!(limited.train.input(0), data.train.input(0));
    }

    #[test]
    fn missing_variables_files_and_wrong_shapes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(dir.path(), &LoadOptions::default()).unwrap_err();
        assert!(matches!(err, Nb360Error::MissingFile { .. }), "{err}");
        write_numbered(&dir.path().join(TRAIN_FILE), 4, 11, 0, false);
        write_numbered(&dir.path().join(TEST_FILE), 2, 11, 0, true);
        let text = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains(TRAIN_FILE) && text.contains("`sol`"),
            "{text}"
        );
        // 12 is not 5 (s - 1) + 1.
        write_numbered(&dir.path().join(TRAIN_FILE), 4, 12, 0, true);
        let text = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains(TRAIN_FILE) && text.contains("coeff") && text.contains("(N, R, R)"),
            "{text}"
        );
        // A test file at another resolution.
        write_numbered(&dir.path().join(TRAIN_FILE), 4, 11, 0, true);
        write_numbered(&dir.path().join(TEST_FILE), 2, 16, 0, true);
        let text = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains(TEST_FILE) && text.contains("resolution"),
            "{text}"
        );
    }

    #[test]
    fn the_fixture_loads_at_the_published_shape_and_is_learnable() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 3, 7).unwrap();
        let size: u64 = [TRAIN_FILE, TEST_FILE]
            .iter()
            .map(|f| std::fs::metadata(dir.path().join(f)).unwrap().len())
            .sum();
        assert!(size < 4_000_000, "fixture of {size} bytes");
        let data =
            crate::load_task(Nb360Task::DarcyFlow, dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (3, 3, 3)
        );
        assert_eq!(data.train.input_shape, [3, 85, 85]);
        // Coefficients take the published two values, 3 and 12, before normalising.
        let mut raw = data.valid.input(0)[..85 * 85].to_vec();
        let first = read_fields(&dir.path().join(TRAIN_FILE), |n| n).unwrap();
        let x_norm = PointwiseNormalizer::fit(&first.coeff[..3 * 85 * 85], 85 * 85);
        x_norm.decode(&mut raw);
        assert!(
            raw.iter()
                .all(|&v| (v - 3.0).abs() < 1e-3 || (v - 12.0).abs() < 1e-3)
        );
        // The solution is the one `synthetic_sol` gives for the coefficient:
        // zero on the boundary, positive inside.
        let target = data.valid.target(0);
        assert_eq!(target[0], 0.0);
        assert!(target[42 * 85 + 42] > 0.0);
        let coeff: Vec<f64> = raw
            .iter()
            .map(|&v| if v > 7.5 { 12.0 } else { 3.0 })
            .collect();
        let want = synthetic_sol(&coeff, 85);
        for (t, w) in target.iter().zip(&want) {
            assert!((f64::from(*t) - w).abs() < 1e-6);
        }
        // Same seed, same files.
        let again = tempfile::tempdir().unwrap();
        write_fixture(again.path(), 3, 7).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join(TEST_FILE)).unwrap(),
            std::fs::read(again.path().join(TEST_FILE)).unwrap()
        );
    }
}
