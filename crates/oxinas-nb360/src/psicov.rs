//! PSICOV (NAS-Bench-360's protein distance task): the extracted
//! `protein.zip` of PDNet's data, with
//!
//! - `deepcov.lst`, `psicov.lst`: protein ids, one per line (first word);
//! - `deepcov/features/<id>.pkl`, `psicov/features/<id>.pkl`: pickled dicts
//!   with `seq` (the sequence, length `L`), `ss` (3 x L), `pssm` (L x 22),
//!   `sa` (L), `entropy` (L), `ccmpred`, `freecon`, `potential` (L x L each);
//! - `deepcov/distance/<id>-cb.npy`, `psicov/distance/<id>-cb.npy`: object
//!   arrays `(L, sequence, L x L Cβ distance map)`.
//!
//! As the benchmark's reference (`backbone/model_grid_original.py` with
//! `data_utils/protein_io.py` and `protein_gen.py`): validation is the first
//! 100 ids of `deepcov.lst`, training the rest (3,356), test all 150 ids of
//! `psicov.lst`. Each protein gives 57 input channels (`get_feature`): for
//! each of the 3 secondary-structure rows, each of the 22 PSSM columns, the
//! solvent accessibility and the entropy, a pair of channels holding the
//! residue's value along columns then along rows (`X[r, c] = v[c]`, then
//! `v[r]`), followed by the CCMpred, FreeContact and potential maps. Features
//! are padded by 5 residues on each side (`pad_size = 10`), distances with
//! 100.0, and placed in a 128 x 128 window (`OUTL`): proteins whose padded
//! length fits start at the top-left corner (features 0 and distances 100.0
//! beyond), longer ones are cropped. The distance map's diagonal and values
//! below 1 are fixed as `get_map` does, and training and validation
//! distances are capped at 16 (`label_engineering = "16.0"`); test distances
//! are not. NaNs become 0 (`np.nan_to_num`).
//!
//! Crops: the reference draws a new crop of each training and validation
//! protein per epoch from Python's global RNG. Here training crops are drawn
//! once, at loading, from a ChaCha generator seeded per protein from
//! `options.seed` and the protein's position in the list. Validation and
//! test use the top-left window, which keeps residue separations (and so
//! MAE₈'s 24-residue rule) equal to column minus row; the reference scores
//! test proteins on their whole map (up to 512 residues) by sliding windows,
//! which the fixed `[57, 128, 128]` input shape cannot hold, so long test
//! proteins are scored on their first 123 residues.
//!
//! Smaller lists (fixtures) split the same way scaled down: validation is the
//! first `min(100, n / 2)` ids of `deepcov.lst`. Each training protein takes
//! 57 x 128 x 128 floats (3.7 MB), so the full training split needs 12.5 GB;
//! `options.limit` keeps the first ids of each split.

use std::path::{Path, PathBuf};

use rand::Rng;

use crate::error::Nb360Error;
use crate::task::Nb360Task;
use crate::task_data::{LoadOptions, TaskData, TaskSplit};
use oxinas_formats::npy::{read_npy, write_npy};
use oxinas_formats::numpy_pickle::decode_pickle;
use oxinas_formats::pickle_writer::pickle_value;
use oxinas_formats::{ArrayData, NdArray, PyValue};

/// Input channels per residue pair (`expected_n_channels`).
pub const CHANNELS: usize = 57;
/// Side of the window fed to the network (`OUTL`).
pub const WINDOW: usize = 128;
/// Residues of padding in total, half on each side (`pad_size`).
pub const PAD: usize = 10;
/// Distance stored where there is no residue pair.
pub const PAD_DISTANCE: f32 = 100.0;
/// Training and validation distances are capped here (`label_engineering`).
pub const DISTANCE_CAP: f32 = 16.0;
/// The training and validation id list.
pub const DEEPCOV_LIST: &str = "deepcov.lst";
/// The test id list.
pub const PSICOV_LIST: &str = "psicov.lst";
/// Validation proteins in the published split.
const VALID_PROTEINS: usize = 100;
/// Where feature and distance files are looked for, in the reference's
/// order (the last directory holding a protein's file wins).
const SETS: [&str; 3] = ["deepcov", "psicov", "cameo"];

/// The per-protein feature set of one pickle.
#[derive(Clone, Debug, PartialEq)]
struct Features {
    len: usize,
    ss: Vec<f32>,
    pssm: Vec<f32>,
    sa: Vec<f32>,
    entropy: Vec<f32>,
    ccmpred: Vec<f32>,
    freecon: Vec<f32>,
    potential: Vec<f32>,
}

fn missing_file(path: PathBuf, what: &str) -> Nb360Error {
    Nb360Error::MissingFile {
        task: "psicov",
        path,
        hint: format!(
            "{what}; extract NAS-Bench-360's protein.zip here (deepcov.lst, psicov.lst, deepcov/ and psicov/ with features/<id>.pkl and distance/<id>-cb.npy)"
        ),
    }
}

/// Reads an id list as the reference's `load_list`: the first word of each line.
fn read_list(path: &Path) -> Result<Vec<String>, Nb360Error> {
    if !path.is_file() {
        return Err(missing_file(
            path.to_owned(),
            "the protein id list is missing",
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Nb360Error::io(path, e))?;
    Ok(text
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// The protein's file under `<set>/<kind>/`, the last set holding it winning.
fn find_file(dir: &Path, kind: &str, file: &str) -> Option<PathBuf> {
    SETS.iter()
        .rev()
        .map(|set| dir.join(set).join(kind).join(file))
        .find(|p| p.is_file())
}

/// The array under `key`, checked against `shape`, as `f32`.
fn array_field(
    dict: &PyValue,
    key: &str,
    shape: &[usize],
    path: &Path,
) -> Result<Vec<f32>, Nb360Error> {
    let what = format!("key `{key}`");
    match dict.get(key) {
        None => Err(Nb360Error::format(
            path,
            format!("no key `{key}`; expected an array of shape {shape:?}"),
        )),
        Some(PyValue::Array(array)) => {
            if array.shape != shape {
                return Err(Nb360Error::format(
                    path,
                    format!(
                        "key `{key}`: expected shape {shape:?} (L = len(seq)), found {:?}",
                        array.shape
                    ),
                ));
            }
            Ok(array.to_f32(path, &what)?)
        }
        Some(other) => Err(Nb360Error::format(
            path,
            format!(
                "key `{key}`: expected an array of shape {shape:?}, found a {}",
                other.kind()
            ),
        )),
    }
}

/// Reads one protein's feature pickle.
fn read_features(path: &Path) -> Result<Features, Nb360Error> {
    let bytes = std::fs::read(path).map_err(|e| Nb360Error::io(path, e))?;
    let dict = decode_pickle(&bytes, path)?;
    if !matches!(dict, PyValue::Dict(_)) {
        return Err(Nb360Error::format(
            path,
            format!("expected a dict of features, found a {}", dict.kind()),
        ));
    }
    let len = match dict.get("seq") {
        Some(PyValue::Str(s)) => s.chars().count(),
        Some(PyValue::Bytes(b)) => b.len(),
        Some(other) => {
            return Err(Nb360Error::format(
                path,
                format!(
                    "key `seq`: expected the sequence as a str, found a {}",
                    other.kind()
                ),
            ));
        }
        None => {
            return Err(Nb360Error::format(
                path,
                "no key `seq`; expected the sequence as a str",
            ));
        }
    };
    if len < 2 {
        return Err(Nb360Error::format(
            path,
            format!("key `seq`: {len} residues, expected at least 2"),
        ));
    }
    Ok(Features {
        len,
        ss: array_field(&dict, "ss", &[3, len], path)?,
        pssm: array_field(&dict, "pssm", &[len, 22], path)?,
        sa: array_field(&dict, "sa", &[len], path)?,
        entropy: array_field(&dict, "entropy", &[len], path)?,
        ccmpred: array_field(&dict, "ccmpred", &[len, len], path)?,
        freecon: array_field(&dict, "freecon", &[len, len], path)?,
        potential: array_field(&dict, "potential", &[len, len], path)?,
    })
}

/// Reads a `<id>-cb.npy` distance file and fixes it as the reference's
/// `get_map`: values below 1 become 1, and each diagonal entry becomes its
/// neighbours' mean (the ends copy their one neighbour).
fn read_distances(path: &Path, expected_len: usize) -> Result<Vec<f32>, Nb360Error> {
    let array = read_npy(path)?;
    let bad = |message: String| Nb360Error::format(path, message);
    let items = match &array.data {
        ArrayData::Object(items) if items.len() == 3 => items,
        _ => {
            return Err(bad(format!(
                "expected an object array (L, sequence, distance map) of 3 items, found {} of shape {:?}",
                array.data.dtype_name(),
                array.shape
            )));
        }
    };
    let len = match &items[0] {
        PyValue::Int(v) => usize::try_from(*v).ok(),
        PyValue::Array(a) if a.size() == 1 => {
            a.to_f32(path, "item 0 (L)")?.first().map(|&v| v as usize)
        }
        _ => None,
    }
    .ok_or_else(|| {
        bad(format!(
            "item 0: expected the length L as an int, found a {}",
            items[0].kind()
        ))
    })?;
    // The reference checks this for DeepCov and PSICOV (not CAMEO) proteins.
    if len != expected_len {
        return Err(bad(format!(
            "item 0: length {len}, the feature file's sequence has {expected_len}"
        )));
    }
    let map = match &items[2] {
        PyValue::Array(a) if a.shape == [len, len] => a.to_f32(path, "item 2 (distance map)")?,
        PyValue::Array(a) => {
            return Err(bad(format!(
                "item 2: expected a distance map of shape [{len}, {len}], found {:?}",
                a.shape
            )));
        }
        other => {
            return Err(bad(format!(
                "item 2: expected the distance map as an array, found a {}",
                other.kind()
            )));
        }
    };
    let mut y = map;
    for v in &mut y {
        if *v < 1.0 {
            *v = 1.0;
        }
    }
    let l = len;
    y[0] = y[1];
    y[(l - 1) * l + (l - 1)] = y[(l - 1) * l + (l - 2)];
    for q in 1..l - 1 {
        let at = q * l + q;
        if y[at].is_nan() {
            continue;
        }
        let (left, right) = (y[at - 1], y[at + 1]);
        y[at] = match (left.is_nan(), right.is_nan()) {
            (true, true) => 1.0,
            (true, false) => right,
            (false, true) => left,
            (false, false) => (left + right) / 2.0,
        };
    }
    Ok(y)
}

/// Fills one sample: the 57 channels and the distances of the padded
/// protein in the window whose top-left corner is `(row0, col0)` of the
/// padded map; `cap` caps distances (training and validation).
fn window(
    features: &Features,
    distances: &[f32],
    (row0, col0): (usize, usize),
    cap: Option<f32>,
    inputs: &mut Vec<f32>,
    targets: &mut Vec<f32>,
) {
    let l = features.len;
    let half = PAD / 2;
    // The residue at window position `u` (along rows or columns), if any.
    let residue = |u: usize, origin: usize| (u + origin).checked_sub(half).filter(|&r| r < l);
    let start = inputs.len();
    inputs.resize(start + CHANNELS * WINDOW * WINDOW, 0.0);
    let x = &mut inputs[start..];
    let plane = WINDOW * WINDOW;
    for u in 0..WINDOW {
        let Some(r) = residue(u, row0) else { continue };
        for v in 0..WINDOW {
            let Some(c) = residue(v, col0) else { continue };
            let at = u * WINDOW + v;
            let mut ch = 0;
            let mut pair = |x: &mut [f32], along_cols: f32, along_rows: f32| {
                x[ch * plane + at] = along_cols;
                x[(ch + 1) * plane + at] = along_rows;
                ch += 2;
            };
            for k in 0..3 {
                pair(x, features.ss[k * l + c], features.ss[k * l + r]);
            }
            for j in 0..22 {
                pair(x, features.pssm[c * 22 + j], features.pssm[r * 22 + j]);
            }
            pair(x, features.sa[c], features.sa[r]);
            pair(x, features.entropy[c], features.entropy[r]);
            // Channels 54, 55, 56: the pair maps.
            x[ch * plane + at] = features.ccmpred[r * l + c];
            x[(ch + 1) * plane + at] = features.freecon[r * l + c];
            x[(ch + 2) * plane + at] = features.potential[r * l + c];
        }
    }
    for value in x.iter_mut() {
        if value.is_nan() {
            *value = 0.0;
        }
    }
    for u in 0..WINDOW {
        for v in 0..WINDOW {
            let d = match (residue(u, row0), residue(v, col0)) {
                (Some(r), Some(c)) => distances[r * l + c],
                _ => PAD_DISTANCE,
            };
            let d = match cap {
                Some(cap) if d > cap => cap,
                _ => d,
            };
            targets.push(if d.is_nan() { 0.0 } else { d });
        }
    }
}

/// How a split places proteins in the window.
#[derive(Clone, Copy)]
enum Placement {
    /// Uniform crops of long proteins, seeded per protein (training).
    RandomCrop(u64),
    /// The top-left window (validation, test).
    TopLeft,
}

fn load_split(
    dir: &Path,
    ids: &[String],
    placement: Placement,
    cap: Option<f32>,
) -> Result<TaskSplit, Nb360Error> {
    let mut split = TaskSplit::empty([CHANNELS, WINDOW, WINDOW], WINDOW * WINDOW);
    split.inputs.reserve(ids.len() * CHANNELS * WINDOW * WINDOW);
    split.targets.reserve(ids.len() * WINDOW * WINDOW);
    for (k, id) in ids.iter().enumerate() {
        let feature_file = format!("{id}.pkl");
        let feature_path = find_file(dir, "features", &feature_file).ok_or_else(|| {
            missing_file(
                dir.join("deepcov/features").join(&feature_file),
                &format!("no feature file for protein {id} under */features/"),
            )
        })?;
        let distance_file = format!("{id}-cb.npy");
        let distance_path = find_file(dir, "distance", &distance_file).ok_or_else(|| {
            missing_file(
                dir.join("deepcov/distance").join(&distance_file),
                &format!("no distance file for protein {id} under */distance/"),
            )
        })?;
        let features = read_features(&feature_path)?;
        let distances = read_distances(&distance_path, features.len)?;
        let padded = features.len + PAD;
        let origin = match placement {
            Placement::RandomCrop(seed) if padded > WINDOW => {
                let index = k as u64;
                let mut rng = oxinas_core::seed::rng_from_seed(oxinas_core::seed::derive_seed(
                    seed,
                    &[index],
                ));
                (
                    rng.random_range(0..=padded - WINDOW),
                    rng.random_range(0..=padded - WINDOW),
                )
            }
            _ => (0, 0),
        };
        window(
            &features,
            &distances,
            origin,
            cap,
            &mut split.inputs,
            &mut split.targets,
        );
    }
    Ok(split)
}

/// Loads the task from `dir` (the published layout).
pub fn load(dir: &Path, options: &LoadOptions) -> Result<TaskData, Nb360Error> {
    let deepcov = read_list(&dir.join(DEEPCOV_LIST))?;
    let psicov = read_list(&dir.join(PSICOV_LIST))?;
    let n_valid = VALID_PROTEINS.min(deepcov.len() / 2);
    if n_valid == 0 {
        return Err(Nb360Error::format(
            dir.join(DEEPCOV_LIST),
            format!(
                "{} ids; at least 2 are needed for training and validation",
                deepcov.len()
            ),
        ));
    }
    if psicov.is_empty() {
        return Err(Nb360Error::format(
            dir.join(PSICOV_LIST),
            "no ids; at least 1 is needed for the test split",
        ));
    }
    let limit = |ids: &[String]| -> Vec<String> {
        let n = options.limit.map_or(ids.len(), |l| l.min(ids.len()));
        ids[..n].to_vec()
    };
    let train_ids = limit(&deepcov[n_valid..]);
    let valid_ids = limit(&deepcov[..n_valid]);
    let test_ids = limit(&psicov);
    let train = load_split(
        dir,
        &train_ids,
        Placement::RandomCrop(options.seed),
        Some(DISTANCE_CAP),
    )?;
    let valid = load_split(dir, &valid_ids, Placement::TopLeft, Some(DISTANCE_CAP))?;
    let test = load_split(dir, &test_ids, Placement::TopLeft, None)?;
    Ok(TaskData {
        spec: Nb360Task::Psicov.spec(),
        train,
        valid,
        test,
        target_normalizer: None,
    })
}

/// A compact random chain of `len` residues 3.8 Å apart (a stand-in fold,
/// so that some residues far apart in sequence come within 8 Å).
fn synthetic_chain(len: usize, rng: &mut impl Rng) -> Vec<[f64; 3]> {
    let radius = 4.0 * (len as f64).cbrt() + 2.0;
    let mut chain: Vec<[f64; 3]> = vec![[0.0; 3]];
    while chain.len() < len {
        let last = chain[chain.len() - 1];
        let mut next = last;
        for _ in 0..20 {
            let dir: [f64; 3] = std::array::from_fn(|_| rng.random_range(-1.0..1.0));
            let norm = dir.iter().map(|d| d * d).sum::<f64>().sqrt().max(1e-9);
            next = std::array::from_fn(|i| last[i] + 3.8 * dir[i] / norm);
            if next.iter().map(|v| v * v).sum::<f64>().sqrt() <= radius {
                break;
            }
        }
        chain.push(next);
    }
    chain
}

fn f64_array(shape: Vec<usize>, values: Vec<f64>) -> PyValue {
    PyValue::Array(NdArray {
        shape,
        data: ArrayData::F64(values),
    })
}

/// Writes one protein's feature pickle and distance file into `<set>/`.
fn write_protein(
    dir: &Path,
    set: &str,
    id: &str,
    len: usize,
    rng: &mut impl Rng,
) -> Result<(), Nb360Error> {
    let chain = synthetic_chain(len, rng);
    let mut distances = vec![0.0; len * len];
    for (r, a) in chain.iter().enumerate() {
        for (c, b) in chain.iter().enumerate() {
            distances[r * len + c] = (0..3).map(|i| (a[i] - b[i]).powi(2)).sum::<f64>().sqrt();
        }
    }
    const AMINO: &[u8] = b"ACDEFGHIKLMNPQRSTVWY";
    let seq: String = (0..len)
        .map(|_| AMINO[rng.random_range(0..AMINO.len())] as char)
        .collect();
    let mut ss = vec![0.0; 3 * len];
    for r in 0..len {
        ss[rng.random_range(0..3) * len + r] = 1.0;
    }
    let per_residue = |rng: &mut dyn rand::RngCore, n: usize| -> Vec<f64> {
        (0..n).map(|_| rng.random_range(0.0..1.0)).collect()
    };
    let pssm = per_residue(rng, len * 22);
    let sa = per_residue(rng, len);
    let entropy = per_residue(rng, len);
    // Pair features carry the distances (as coevolution signals do), so a
    // network can learn the map from them.
    let ccmpred: Vec<f64> = distances
        .iter()
        .map(|&d| (-d / 6.0).exp() + 0.05 * rng.random_range(-1.0..1.0))
        .collect();
    let freecon: Vec<f64> = distances
        .iter()
        .map(|&d| 1.0 / (1.0 + (d - 8.0).exp()))
        .collect();
    let potential: Vec<f64> = distances.iter().map(|&d| (d.max(1.0)).ln() / 4.0).collect();
    let features = PyValue::Dict(vec![
        (PyValue::Str("seq".into()), PyValue::Str(seq.clone())),
        (PyValue::Str("ss".into()), f64_array(vec![3, len], ss)),
        (PyValue::Str("pssm".into()), f64_array(vec![len, 22], pssm)),
        (PyValue::Str("sa".into()), f64_array(vec![len], sa)),
        (
            PyValue::Str("entropy".into()),
            f64_array(vec![len], entropy),
        ),
        (
            PyValue::Str("ccmpred".into()),
            f64_array(vec![len, len], ccmpred),
        ),
        (
            PyValue::Str("freecon".into()),
            f64_array(vec![len, len], freecon),
        ),
        (
            PyValue::Str("potential".into()),
            f64_array(vec![len, len], potential),
        ),
    ]);
    write_protein_files(dir, set, id, &features, len, &seq, distances)
}

/// Writes `<set>/features/<id>.pkl` and `<set>/distance/<id>-cb.npy`.
fn write_protein_files(
    dir: &Path,
    set: &str,
    id: &str,
    features: &PyValue,
    len: usize,
    seq: &str,
    distances: Vec<f64>,
) -> Result<(), Nb360Error> {
    let feature_dir = dir.join(set).join("features");
    let distance_dir = dir.join(set).join("distance");
    for d in [&feature_dir, &distance_dir] {
        std::fs::create_dir_all(d).map_err(|e| Nb360Error::io(d, e))?;
    }
    let path = feature_dir.join(format!("{id}.pkl"));
    std::fs::write(&path, pickle_value(features)).map_err(|e| Nb360Error::io(&path, e))?;
    let record = NdArray {
        shape: vec![3],
        data: ArrayData::Object(vec![
            PyValue::Int(len as i64),
            PyValue::Str(seq.to_owned()),
            f64_array(vec![len, len], distances),
        ]),
    };
    Ok(write_npy(
        distance_dir.join(format!("{id}-cb.npy")),
        &record,
    )?)
}

/// Writes a small learnable data set in the published layout: `deepcov.lst`
/// with `2 * samples_per_split` ids (the first half validation, up to 100),
/// `psicov.lst` with `samples_per_split`, and each protein's feature pickle
/// and distance file. Proteins are 20 to 60 residues long, except the first
/// training protein, 124 long, whose padded map is cropped. Distances come
/// from a compact random chain and the pair features are functions of them.
pub fn write_fixture(dir: &Path, samples_per_split: usize, seed: u64) -> Result<(), Nb360Error> {
    if samples_per_split == 0 {
        return Err(Nb360Error::Setting {
            field: "samples_per_split".into(),
            message: "expected at least 1".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| Nb360Error::io(dir, e))?;
    let mut rng = oxinas_core::seed::rng_from_seed(seed);
    let mut deepcov = String::new();
    for i in 0..2 * samples_per_split {
        let id = format!("d{i:03}A");
        let len = if i == samples_per_split.min(VALID_PROTEINS) {
            124
        } else {
            rng.random_range(20..=60)
        };
        write_protein(dir, "deepcov", &id, len, &mut rng)?;
        deepcov.push_str(&format!("{id} {len}\n"));
    }
    let mut psicov = String::new();
    for i in 0..samples_per_split {
        let id = format!("p{i:03}A");
        let len = rng.random_range(20..=60);
        write_protein(dir, "psicov", &id, len, &mut rng)?;
        psicov.push_str(&format!("{id}\n"));
    }
    for (file, text) in [(DEEPCOV_LIST, deepcov), (PSICOV_LIST, psicov)] {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| Nb360Error::io(&path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made 3-residue protein whose every feature value says where it belongs.
    fn tiny_protein(dir: &Path, set: &str, id: &str) {
        let l = 3;
        // ss[k][c] = 1 + 10 k + c; pssm[c][j] = 100 + 10 j + c; sa = 0.1 (c + 1),
        // entropy = 0.2 (c + 1); pair maps: 1000 + 10 r + c, 2000 + ..., 3000 + ....
        let ss = (0..3)
            .flat_map(|k| (0..l).map(move |c| (1 + 10 * k + c) as f64))
            .collect();
        let pssm = (0..l)
            .flat_map(|c| (0..22).map(move |j| (100 + 10 * j + c) as f64))
            .collect();
        let pairs = |base: usize| -> Vec<f64> {
            (0..l)
                .flat_map(|r| (0..l).map(move |c| (base + 10 * r + c) as f64))
                .collect()
        };
        let features = PyValue::Dict(vec![
            (PyValue::Str("seq".into()), PyValue::Str("MKV".into())),
            (PyValue::Str("ss".into()), f64_array(vec![3, l], ss)),
            (PyValue::Str("pssm".into()), f64_array(vec![l, 22], pssm)),
            (
                PyValue::Str("sa".into()),
                f64_array(vec![l], vec![0.1, 0.2, 0.3]),
            ),
            (
                PyValue::Str("entropy".into()),
                f64_array(vec![l], vec![0.2, 0.4, 0.6]),
            ),
            (
                PyValue::Str("ccmpred".into()),
                f64_array(vec![l, l], pairs(1000)),
            ),
            (
                PyValue::Str("freecon".into()),
                f64_array(vec![l, l], pairs(2000)),
            ),
            (
                PyValue::Str("potential".into()),
                f64_array(vec![l, l], pairs(3000)),
            ),
        ]);
        // Distances: zero diagonal (fixed by get_map), 0.5 (raised to 1), 30 (capped at 16).
        let distances = vec![0.0, 0.5, 7.0, 0.5, 0.0, 30.0, 7.0, 30.0, 0.0];
        write_protein_files(dir, set, id, &features, l, "MKV", distances).unwrap();
    }

    #[test]
    fn channels_padding_and_distances_follow_the_reference() {
        let dir = tempfile::tempdir().unwrap();
        for id in ["a", "b"] {
            tiny_protein(dir.path(), "deepcov", id);
        }
        tiny_protein(dir.path(), "psicov", "t");
        std::fs::write(dir.path().join(DEEPCOV_LIST), "a 3\nb 3\n\n").unwrap();
        std::fs::write(dir.path().join(PSICOV_LIST), "t\n").unwrap();
        let data =
            crate::load_task(Nb360Task::Psicov, dir.path(), &LoadOptions::default()).unwrap();
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (1, 1, 1)
        );
        let x = data.test.input(0);
        let at = |ch: usize, u: usize, v: usize| x[ch * WINDOW * WINDOW + u * WINDOW + v];
        // Residue (r, c) sits at window position (5 + r, 5 + c).
        let (r, c) = (2, 1);
        let (u, v) = (5 + r, 5 + c);
        for k in 0..3 {
            assert_eq!(at(2 * k, u, v), (1 + 10 * k + c) as f32);
            assert_eq!(at(2 * k + 1, u, v), (1 + 10 * k + r) as f32);
        }
        for j in 0..22 {
            assert_eq!(at(6 + 2 * j, u, v), (100 + 10 * j + c) as f32);
            assert_eq!(at(7 + 2 * j, u, v), (100 + 10 * j + r) as f32);
        }
        assert_eq!((at(50, u, v), at(51, u, v)), (0.2, 0.3));
        assert_eq!((at(52, u, v), at(53, u, v)), (0.4, 0.6));
        assert_eq!(at(54, u, v), 1021.0);
        assert_eq!(at(55, u, v), 2021.0);
        assert_eq!(at(56, u, v), 3021.0);
        // Padding and the rest of the window are zero.
        for ch in [0, 1, 54, 56] {
            assert_eq!(at(ch, 4, 6), 0.0);
            assert_eq!(at(ch, 6, 8), 0.0);
            assert_eq!(at(ch, 100, 100), 0.0);
        }
        // Distances: diagonal as get_map fixes it, < 1 raised to 1, 100.0
        // outside the protein; test distances are not capped.
        let y = |split: &TaskSplit, r: usize, c: usize| split.target(0)[r * WINDOW + c];
        let d = |split: &TaskSplit, r: usize, c: usize| y(split, 5 + r, 5 + c);
        assert_eq!(d(&data.test, 0, 1), 1.0);
        assert_eq!(d(&data.test, 0, 0), 1.0); // = Y[0, 1]
        assert_eq!(d(&data.test, 1, 1), (1.0 + 30.0) / 2.0);
        assert_eq!(d(&data.test, 2, 2), 30.0); // = Y[2, 1]
        assert_eq!(d(&data.test, 1, 2), 30.0);
        assert_eq!(d(&data.test, 0, 2), 7.0);
        assert_eq!(y(&data.test, 4, 4), PAD_DISTANCE);
        assert_eq!(y(&data.test, 127, 127), PAD_DISTANCE);
        // Training and validation distances are capped at 16, padding included.
        assert_eq!(d(&data.valid, 1, 2), 16.0);
        assert_eq!(d(&data.valid, 1, 1), 15.5);
        assert_eq!(y(&data.valid, 0, 0), 16.0);
        assert_eq!(y(&data.train, 127, 127), 16.0);
        assert_eq!(data.train.input(0), data.valid.input(0));
    }

    #[test]
    fn missing_keys_files_and_wrong_shapes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(dir.path(), &LoadOptions::default()).unwrap_err();
        assert!(matches!(err, Nb360Error::MissingFile { .. }), "{err}");
        tiny_protein(dir.path(), "deepcov", "a");
        tiny_protein(dir.path(), "psicov", "t");
        std::fs::write(dir.path().join(DEEPCOV_LIST), "a\nzz\n").unwrap();
        std::fs::write(dir.path().join(PSICOV_LIST), "t\n").unwrap();
        let text = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("zz.pkl") && text.contains("protein zz"),
            "{text}"
        );
        // A feature pickle without `potential`, and one with a wrong `pssm` shape.
        let path = dir.path().join("deepcov/features/zz.pkl");
        let base = |drop: &str, pssm_cols: usize| {
            let mut items = vec![
                (PyValue::Str("seq".into()), PyValue::Str("MK".into())),
                (
                    PyValue::Str("ss".into()),
                    f64_array(vec![3, 2], vec![0.0; 6]),
                ),
                (
                    PyValue::Str("pssm".into()),
                    f64_array(vec![2, pssm_cols], vec![0.0; 2 * pssm_cols]),
                ),
                (PyValue::Str("sa".into()), f64_array(vec![2], vec![0.0; 2])),
                (
                    PyValue::Str("entropy".into()),
                    f64_array(vec![2], vec![0.0; 2]),
                ),
            ];
            for key in ["ccmpred", "freecon", "potential"] {
                items.push((
                    PyValue::Str(key.into()),
                    f64_array(vec![2, 2], vec![0.0; 4]),
                ));
            }
            items.retain(|(k, _)| *k != PyValue::Str(drop.into()));
            PyValue::Dict(items)
        };
        write_protein_files(
            dir.path(),
            "deepcov",
            "zz",
            &base("potential", 22),
            2,
            "MK",
            vec![1.0; 4],
        )
        .unwrap();
        let text = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("zz.pkl") && text.contains("`potential`"),
            "{text}"
        );
        std::fs::write(&path, pickle_value(&base("none", 21))).unwrap();
        let text = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("zz.pkl") && text.contains("`pssm`") && text.contains("[2, 22]"),
            "{text}"
        );
        // A distance map whose length disagrees with the sequence.
        write_protein_files(
            dir.path(),
            "deepcov",
            "zz",
            &base("none", 22),
            3,
            "MKV",
            vec![1.0; 9],
        )
        .unwrap();
        let text = load(dir.path(), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("zz-cb.npy") && text.contains("length 3"),
            "{text}"
        );
    }

    #[test]
    fn the_fixture_loads_with_seeded_crops_and_learnable_targets() {
        let dir = tempfile::tempdir().unwrap();
        write_fixture(dir.path(), 3, 5).unwrap();
        let options = LoadOptions {
            limit: None,
            seed: 9,
        };
        let data = crate::load_task(Nb360Task::Psicov, dir.path(), &options).unwrap();
        assert_eq!(
            (data.train.len(), data.valid.len(), data.test.len()),
            (3, 3, 3)
        );
        // The first training protein (124 residues, 134 padded) is cropped:
        // exactly one offset (rx, ry) in 0..=6 matches the distance file.
        let record = read_npy(dir.path().join("deepcov/distance/d003A-cb.npy")).unwrap();
        let full = match &record.data {
            ArrayData::Object(items) => match &items[2] {
                PyValue::Array(a) => a.to_f32(Path::new("x"), "map").unwrap(),
                _ => panic!("map"),
            },
            _ => panic!("record"),
        };
        let target = data.train.target(0);
        let matches = |rx: usize, ry: usize| {
            (0..WINDOW).all(|u| {
                (0..WINDOW).all(|v| {
                    let (r, c) = (u + rx, v + ry);
                    // Off-diagonal entries of the padded map (the diagonal is fixed).
                    if r < 5 || c < 5 || r >= 129 || c >= 129 || r == c {
                        return true;
                    }
                    let want = full[(r - 5) * 124 + (c - 5)].clamp(1.0, DISTANCE_CAP);
                    (target[u * WINDOW + v] - want).abs() < 1e-4
                })
            })
        };
        let found: Vec<_> = (0..=6)
            .flat_map(|rx| (0..=6).map(move |ry| (rx, ry)))
            .filter(|&(rx, ry)| matches(rx, ry))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        // Same seed, same crop; the crop is drawn per protein, so a limit keeps it.
        let again = load(
            dir.path(),
            &LoadOptions {
                limit: Some(1),
                seed: 9,
            },
        )
        .unwrap();
        assert_eq!(again.train.target(0), target);
        assert_eq!(again.valid.len(), 1);
        // Learnable: the potential channel is ln(d) / 4 of the distance.
        let x = data.valid.input(0);
        let y = data.valid.target(0);
        let (u, v) = (5 + 3, 5 + 15);
        let d = (4.0 * x[56 * WINDOW * WINDOW + u * WINDOW + v]).exp();
        assert!((d.min(DISTANCE_CAP) - y[u * WINDOW + v]).abs() < 1e-3);
        // Some long-range pairs come within 8 Å, so MAE8 is defined.
        let close = (0..data.test.len())
            .flat_map(|k| {
                let y = data.test.target(k);
                (0..WINDOW * WINDOW).filter(move |&i| {
                    let (u, v) = (i / WINDOW, i % WINDOW);
                    v >= u + 24 && y[i] < 8.0
                })
            })
            .count();
        assert!(close > 0);
    }
}
