//! The NATS-Bench topology archive (`NATS-tss-v1_0-3ffb9-simple/`): one
//! bzip2-compressed pickle per architecture with every training run's
//! per-epoch curves, for both training schedules.
//!
//! Each `<index>.pickle.pbz2` (also `<index:06>.pickle.pbz2`) holds a dict
//! from the schedule key (`'12'`, `'200'`) to the state dict of the official
//! API's `ArchResults`: `arch_index`, `arch_str`, `dataset_seed` (dataset name
//! -> sorted seeds) and `all_results`, keyed by `(dataset, seed)` tuples, whose
//! values are `ResultsCount` state dicts: `seed`, `epochs`, `params` (millions),
//! `flop` (millions), `latency` (list of seconds, or `None`), `train_acc1es`,
//! `train_losses`, `train_times` (epoch -> value), `eval_names`, and
//! `eval_acc1es`, `eval_losses`, `eval_times` keyed `'<set>@<epoch>'` with
//! sets such as `x-valid`, `x-test`, `ori-test`. Epochs count from 0.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use oxinas_core::{DataError, SearchSpace};
use oxinas_formats::PyValue as Value;
use oxinas_formats::{ArrayData, numpy_pickle};
use oxinas_spaces::{Nb201Arch, Nb201Space};

use crate::Nb201Dataset;

/// The name of the published archive directory, under `$OXINAS_DATA/nb201/`.
pub const NATS_ARCHIVE_DIR: &str = "NATS-tss-v1_0-3ffb9-simple";

/// The extension of every archive file.
pub const NATS_FILE_EXTENSION: &str = "pickle.pbz2";

/// One of the two training schedules of NATS-Bench's topology space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NatsSchedule {
    /// 12 epochs, learning rate annealed to zero within them (`hp='12'`).
    Epochs12,
    /// 200 epochs (`hp='200'`), the NAS-Bench-201 schedule.
    Epochs200,
}

impl NatsSchedule {
    /// Both schedules.
    pub const ALL: [NatsSchedule; 2] = [NatsSchedule::Epochs12, NatsSchedule::Epochs200];

    /// The archive's key for this schedule (`"12"`, `"200"`).
    pub fn key(self) -> &'static str {
        match self {
            NatsSchedule::Epochs12 => "12",
            NatsSchedule::Epochs200 => "200",
        }
    }

    /// The number of training epochs.
    pub fn epochs(self) -> u32 {
        match self {
            NatsSchedule::Epochs12 => 12,
            NatsSchedule::Epochs200 => 200,
        }
    }

    /// The schedule whose key is `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// One evaluation set's curves within a run (`x-valid`, `x-test`, `ori-test`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NatsEvalCurve {
    /// Top-1 accuracy (%) after each epoch.
    pub accuracy: Vec<f64>,
    /// Loss after each epoch.
    pub loss: Vec<f64>,
    /// Evaluation time (s) of each epoch; empty when not recorded.
    pub seconds: Vec<f64>,
}

/// One training run: an architecture trained on one dataset with one seed.
#[derive(Clone, Debug, PartialEq)]
pub struct NatsRun {
    /// The training seed.
    pub seed: i64,
    /// The number of epochs trained.
    pub epochs: u32,
    /// Training top-1 accuracy (%) after each epoch.
    pub train_accuracy: Vec<f64>,
    /// Training loss after each epoch.
    pub train_loss: Vec<f64>,
    /// Training time (s) of each epoch; empty when not recorded.
    pub train_seconds: Vec<f64>,
    /// Curves per evaluation set name (`x-valid`, `x-test`, `ori-test`).
    pub eval: BTreeMap<String, NatsEvalCurve>,
    /// Parameters, millions.
    pub params_m: f64,
    /// FLOPs, millions.
    pub flops_m: f64,
    /// Mean recorded latency (s per batch), when recorded.
    pub latency_seconds: Option<f64>,
}

impl NatsRun {
    /// The curve of evaluation set `set`, if this run was evaluated on it.
    pub fn eval_curve(&self, set: &str) -> Option<&NatsEvalCurve> {
        self.eval.get(set)
    }
}

/// All runs of one architecture under one schedule.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NatsScheduleResults {
    /// Runs per dataset, in the order of [`Nb201Dataset::ALL`].
    runs: [Vec<NatsRun>; 4],
}

fn slot(dataset: Nb201Dataset) -> usize {
    match dataset {
        Nb201Dataset::Cifar10Valid => 0,
        Nb201Dataset::Cifar10 => 1,
        Nb201Dataset::Cifar100 => 2,
        Nb201Dataset::ImageNet16_120 => 3,
    }
}

impl NatsScheduleResults {
    /// The runs on `dataset`, in ascending seed order (empty when none).
    pub fn runs(&self, dataset: Nb201Dataset) -> &[NatsRun] {
        &self.runs[slot(dataset)]
    }

    /// Sets the runs on `dataset` (sorted by seed).
    pub fn set_runs(&mut self, dataset: Nb201Dataset, mut runs: Vec<NatsRun>) {
        runs.sort_by_key(|r| r.seed);
        self.runs[slot(dataset)] = runs;
    }
}

/// Everything the archive records about one architecture.
#[derive(Clone, Debug, PartialEq)]
pub struct NatsArchRecord {
    /// The official NAS-Bench-201 / NATS index.
    pub index: usize,
    /// The cell.
    pub arch: Nb201Arch,
    /// Results per schedule present in the file.
    pub schedules: BTreeMap<NatsSchedule, NatsScheduleResults>,
}

impl NatsArchRecord {
    /// The results under `schedule`, if the file has them.
    pub fn schedule(&self, schedule: NatsSchedule) -> Option<&NatsScheduleResults> {
        self.schedules.get(&schedule)
    }
}

/// The archive file of architecture `index` in `dir`: `<index:06>.pickle.pbz2`
/// if present, else `<index>.pickle.pbz2` (the official API's lookup order).
pub fn nats_arch_file(dir: &Path, index: usize) -> PathBuf {
    let padded = dir.join(format!("{index:06}.{NATS_FILE_EXTENSION}"));
    if padded.is_file() {
        padded
    } else {
        dir.join(format!("{index}.{NATS_FILE_EXTENSION}"))
    }
}

/// Reads one architecture's archive file.
///
/// The file must hold the official structure described in the module
/// documentation; anything else is a [`DataError`] naming the file and the
/// key path where it went wrong. Schedules other than `'12'` and `'200'` are
/// skipped. The index and cell recorded in the file must agree with each
/// other (the official index order).
pub fn read_nats_arch_file(path: &Path) -> Result<NatsArchRecord, DataError> {
    let compressed = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let mut bytes = Vec::new();
    bzip2::read::BzDecoder::new(compressed.as_slice())
        .read_to_end(&mut bytes)
        .map_err(|e| {
            DataError::malformed(
                path,
                "bzip2 stream",
                format!(
                    "cannot decompress ({e}) after {} bytes of output; expected a complete bzip2 file",
                    bytes.len()
                ),
            )
        })?;
    let value = numpy_pickle::decode_pickle(&bytes, path).map_err(|e| {
        DataError::malformed(
            path,
            "pickle stream",
            format!("{}; expected a pickled dict (protocol 2-5)", e.message()),
        )
    })?;
    parse_file(path, &value)
}

/// Where in the pickled value a parser stands, for error messages.
struct Place<'a> {
    path: &'a Path,
    location: String,
}

impl Place<'_> {
    fn child(&self, key: &str) -> Place<'_> {
        Place {
            path: self.path,
            location: format!("{}[{key}]", self.location),
        }
    }

    fn error(&self, message: impl Into<String>) -> DataError {
        let location = if self.location.is_empty() {
            "top level".to_owned()
        } else {
            self.location.clone()
        };
        DataError::malformed(self.path, location, message)
    }
}

/// A dict key the archive uses: a `str`, an `int`, or a tuple of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key<'v> {
    Str(&'v str),
    Int(i64),
    Tuple(Vec<Key<'v>>),
}

impl<'v> Key<'v> {
    fn of(value: &'v Value) -> Option<Self> {
        match value {
            Value::Str(s) => Some(Key::Str(s)),
            Value::Int(i) => Some(Key::Int(*i)),
            Value::Tuple(items) => items
                .iter()
                .map(Key::of)
                .collect::<Option<_>>()
                .map(Key::Tuple),
            _ => None,
        }
    }
}

/// A decoded dict with its keys indexed (the archive's dicts hold up to a
/// few thousand per-epoch entries, each looked up once). Later duplicates
/// win, as in Python.
struct Dict<'v> {
    items: &'v [(Value, Value)],
    index: HashMap<Key<'v>, &'v Value>,
}

impl<'v> Dict<'v> {
    fn get(&self, key: &Key<'_>) -> Option<&'v Value> {
        self.index.get(key).copied()
    }

    fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

fn kind(value: &Value) -> &'static str {
    value.kind()
}

fn as_dict<'v>(place: &Place<'_>, value: &'v Value) -> Result<Dict<'v>, DataError> {
    match value {
        Value::Dict(items) => Ok(Dict {
            items,
            index: items
                .iter()
                .filter_map(|(k, v)| Some((Key::of(k)?, v)))
                .collect(),
        }),
        other => Err(place.error(format!("expected a dict, found {}", kind(other)))),
    }
}

fn field<'v>(place: &Place<'_>, map: &Dict<'v>, key: &str) -> Result<&'v Value, DataError> {
    map.get(&Key::Str(key))
        .ok_or_else(|| place.error(format!("missing key '{key}'")))
}

/// The data of a NumPy scalar (decoded as a 0-d array), if `value` is one:
/// numbers the collection script left as `numpy.float64` read as numbers.
fn numpy_scalar(value: &Value) -> Option<&ArrayData> {
    match value {
        Value::Array(a) if a.shape.is_empty() && a.data.len() == 1 => Some(&a.data),
        _ => None,
    }
}

fn as_int(place: &Place<'_>, value: &Value) -> Result<i64, DataError> {
    match (value, numpy_scalar(value)) {
        (Value::Int(v), _) => Ok(*v),
        (_, Some(ArrayData::I64(v))) => Ok(v[0]),
        (_, Some(ArrayData::I32(v))) => Ok(i64::from(v[0])),
        (other, _) => Err(place.error(format!("expected an int, found {}", kind(other)))),
    }
}

fn as_float(place: &Place<'_>, value: &Value) -> Result<f64, DataError> {
    match (value, numpy_scalar(value)) {
        (Value::Float(v), _) => Ok(*v),
        (Value::Int(v), _) => Ok(*v as f64),
        (_, Some(ArrayData::F64(v))) => Ok(v[0]),
        (_, Some(ArrayData::F32(v))) => Ok(f64::from(v[0])),
        (_, Some(ArrayData::I64(v))) => Ok(v[0] as f64),
        (_, Some(ArrayData::I32(v))) => Ok(f64::from(v[0])),
        (other, _) => Err(place.error(format!("expected a number, found {}", kind(other)))),
    }
}

fn as_str<'v>(place: &Place<'_>, value: &'v Value) -> Result<&'v str, DataError> {
    match value {
        Value::Str(s) => Ok(s),
        other => Err(place.error(format!("expected a str, found {}", kind(other)))),
    }
}

fn as_list<'v>(place: &Place<'_>, value: &'v Value) -> Result<&'v [Value], DataError> {
    match value {
        Value::List(items) | Value::Tuple(items) => Ok(items),
        other => Err(place.error(format!("expected a list, found {}", kind(other)))),
    }
}

fn parse_file(path: &Path, value: &Value) -> Result<NatsArchRecord, DataError> {
    let top = Place {
        path,
        location: String::new(),
    };
    let map = &as_dict(&top, value)?;
    let mut schedules = BTreeMap::new();
    let mut identity: Option<(usize, Nb201Arch)> = None;
    for (key, results) in map.items {
        let Value::Str(key) = key else {
            return Err(top.error("expected schedule keys such as '12' and '200' (str)"));
        };
        let Some(schedule) = NatsSchedule::from_key(key) else {
            continue;
        };
        let place = top.child(&format!("'{key}'"));
        let (index, arch, parsed) = parse_arch_results(&place, results, schedule)?;
        if let Some((first_index, first_arch)) = &identity
            && (*first_index, first_arch) != (index, &arch)
        {
            return Err(place.error(format!(
                    "architecture {index} `{arch}` differs from the other schedule's {first_index} `{first_arch}`"
                )));
        }
        identity = Some((index, arch));
        schedules.insert(schedule, parsed);
    }
    let Some((index, arch)) = identity else {
        return Err(top.error("no schedule '12' or '200' in the file"));
    };
    Ok(NatsArchRecord {
        index,
        arch,
        schedules,
    })
}

fn parse_arch_results(
    place: &Place<'_>,
    value: &Value,
    schedule: NatsSchedule,
) -> Result<(usize, Nb201Arch, NatsScheduleResults), DataError> {
    let map = &as_dict(place, value)?;
    let index_place = place.child("'arch_index'");
    let index = as_int(&index_place, field(place, map, "arch_index")?)?;
    let arch_place = place.child("'arch_str'");
    let arch_str = as_str(&arch_place, field(place, map, "arch_str")?)?;
    let space = Nb201Space::new();
    let arch = space
        .parse(arch_str)
        .map_err(|e| arch_place.error(format!("{e}")))?;
    let official = space.index_of(&arch);
    if usize::try_from(index).ok() != Some(official) {
        return Err(index_place.error(format!(
            "index {index} does not match `{arch_str}`, whose official index is {official}"
        )));
    }

    let seeds_place = place.child("'dataset_seed'");
    let seeds = as_dict(&seeds_place, field(place, map, "dataset_seed")?)?;
    let results_place = place.child("'all_results'");
    let all_results = as_dict(&results_place, field(place, map, "all_results")?)?;

    let mut parsed = NatsScheduleResults::default();
    for (name, seed_list) in seeds.items {
        let Value::Str(name) = name else {
            return Err(seeds_place.error("expected dataset names (str) as keys"));
        };
        let dataset_place = seeds_place.child(&format!("'{name}'"));
        let dataset: Nb201Dataset = name.parse().map_err(|_| {
            dataset_place.error(
                "unknown dataset; expected cifar10-valid, cifar10, cifar100 or ImageNet16-120",
            )
        })?;
        let mut runs = Vec::new();
        for (i, seed) in as_list(&dataset_place, seed_list)?.iter().enumerate() {
            let seed = as_int(&dataset_place.child(&i.to_string()), seed)?;
            let key = Key::Tuple(vec![Key::Str(name), Key::Int(seed)]);
            let run_place = results_place.child(&format!("('{name}', {seed})"));
            let run = all_results
                .get(&key)
                .ok_or_else(|| run_place.error("missing run listed in 'dataset_seed'"))?;
            runs.push(parse_run(&run_place, run, schedule)?);
        }
        parsed.set_runs(dataset, runs);
    }
    Ok((official, arch, parsed))
}

fn parse_run(
    place: &Place<'_>,
    value: &Value,
    schedule: NatsSchedule,
) -> Result<NatsRun, DataError> {
    let map = &as_dict(place, value)?;
    let seed = as_int(&place.child("'seed'"), field(place, map, "seed")?)?;
    let epochs_place = place.child("'epochs'");
    let epochs = as_int(&epochs_place, field(place, map, "epochs")?)?;
    if epochs != i64::from(schedule.epochs()) {
        return Err(epochs_place.error(format!(
            "{epochs} epochs in schedule '{}'; expected {}",
            schedule.key(),
            schedule.epochs()
        )));
    }
    let epochs = schedule.epochs();
    let train_accuracy = epoch_curve(place, map, "train_acc1es", epochs)?;
    let train_loss = epoch_curve(place, map, "train_losses", epochs)?;
    let train_seconds = match map.get(&Key::Str("train_times")) {
        None | Some(Value::None) => Vec::new(),
        Some(_) => epoch_curve(place, map, "train_times", epochs)?,
    };

    let names_place = place.child("'eval_names'");
    let names = as_list(&names_place, field(place, map, "eval_names")?)?;
    let acc_place = place.child("'eval_acc1es'");
    let accs = as_dict(&acc_place, field(place, map, "eval_acc1es")?)?;
    let loss_place = place.child("'eval_losses'");
    let losses = as_dict(&loss_place, field(place, map, "eval_losses")?)?;
    let times_place = place.child("'eval_times'");
    let times = match field(place, map, "eval_times")? {
        Value::None => None,
        other => Some(as_dict(&times_place, other)?).filter(|t| !t.is_empty()),
    };
    let mut eval = BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        let name = as_str(&names_place.child(&i.to_string()), name)?;
        let mut curve = NatsEvalCurve::default();
        for epoch in 0..epochs {
            let key = format!("{name}@{epoch}");
            let hashable = Key::Str(&key);
            let lookup = |map: &Dict<'_>, at: &Place<'_>| {
                let item = at.child(&format!("'{key}'"));
                map.get(&hashable)
                    .ok_or_else(|| {
                        item.error(format!("missing; expected {epochs} epochs of '{name}'"))
                    })
                    .and_then(|v| as_float(&item, v))
            };
            curve.accuracy.push(lookup(&accs, &acc_place)?);
            curve.loss.push(lookup(&losses, &loss_place)?);
            if let Some(times) = &times {
                curve.seconds.push(lookup(times, &times_place)?);
            }
        }
        eval.insert(name.to_owned(), curve);
    }

    let params_m = as_float(&place.child("'params'"), field(place, map, "params")?)?;
    let flops_m = as_float(&place.child("'flop'"), field(place, map, "flop")?)?;
    let latency_place = place.child("'latency'");
    let latency_seconds = match map.get(&Key::Str("latency")) {
        None | Some(Value::None) => None,
        Some(list) => {
            let values = as_list(&latency_place, list)?
                .iter()
                .enumerate()
                .map(|(i, v)| as_float(&latency_place.child(&i.to_string()), v))
                .collect::<Result<Vec<_>, _>>()?;
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        }
    };
    Ok(NatsRun {
        seed,
        epochs,
        train_accuracy,
        train_loss,
        train_seconds,
        eval,
        params_m,
        flops_m,
        latency_seconds,
    })
}

/// A per-epoch series stored as a dict `epoch -> value` (or a list).
fn epoch_curve(
    place: &Place<'_>,
    map: &Dict<'_>,
    key: &str,
    epochs: u32,
) -> Result<Vec<f64>, DataError> {
    let at = place.child(&format!("'{key}'"));
    match field(place, map, key)? {
        series @ Value::Dict(_) => {
            let series = as_dict(&at, series)?;
            (0..epochs)
                .map(|epoch| {
                    let item = at.child(&epoch.to_string());
                    series
                        .get(&Key::Int(i64::from(epoch)))
                        .ok_or_else(|| item.error(format!("missing; expected epochs 0..{epochs}")))
                        .and_then(|v| as_float(&item, v))
                })
                .collect()
        }
        Value::List(series) => {
            if series.len() != epochs as usize {
                return Err(at.error(format!("{} values; expected {epochs}", series.len())));
            }
            series
                .iter()
                .enumerate()
                .map(|(i, v)| as_float(&at.child(&i.to_string()), v))
                .collect()
        }
        other => Err(at.error(format!(
            "expected a dict epoch -> value, found {}",
            kind(other)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nats_archive_fixture as fixture;

    const ARCH1: &str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";

    fn entry(value: &mut Value, key: Value) -> &mut Value {
        match value {
            Value::Dict(items) => items
                .iter_mut()
                .find_map(|(k, v)| (*k == key).then_some(v))
                .expect("fixture key"),
            _ => panic!("fixture is not a dict"),
        }
    }

    fn hs(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    #[test]
    fn reads_both_schedules_with_every_run_and_curve() {
        let dir = tempfile::tempdir().unwrap();
        let path = fixture::write_arch_file(dir.path(), 1, ARCH1);
        let record = read_nats_arch_file(&path).unwrap();
        assert_eq!(record.index, 1);
        assert_eq!(Nb201Space::new().format(&record.arch), ARCH1);
        for schedule in NatsSchedule::ALL {
            let epochs = schedule.epochs();
            let results = record.schedule(schedule).unwrap();
            for (name, sets) in fixture::DATASETS {
                let dataset: Nb201Dataset = name.parse().unwrap();
                let runs = results.runs(dataset);
                let seeds: Vec<i64> = runs.iter().map(|r| r.seed).collect();
                assert_eq!(seeds, fixture::seeds(name), "{name}");
                for run in runs {
                    assert_eq!(run.epochs, epochs);
                    assert_eq!(run.train_accuracy.len(), epochs as usize);
                    assert_eq!(run.eval.len(), sets.len());
                    let last = epochs - 1;
                    assert_eq!(
                        run.train_accuracy[last as usize],
                        fixture::accuracy(1, name, "train", run.seed, epochs, last)
                    );
                    for set in sets {
                        let curve = run.eval_curve(set).unwrap();
                        assert_eq!(curve.accuracy.len(), epochs as usize);
                        assert_eq!(curve.seconds.len(), epochs as usize);
                        assert_eq!(
                            curve.accuracy[3],
                            fixture::accuracy(1, name, set, run.seed, epochs, 3)
                        );
                    }
                    assert_eq!(run.train_seconds[4], fixture::train_seconds(run.seed, 4));
                    assert!((run.latency_seconds.unwrap() - 0.015).abs() < 1e-12);
                    assert_eq!(run.params_m, 0.51);
                    assert_eq!(run.flops_m, 71.0);
                }
            }
        }
    }

    #[test]
    fn a_truncated_file_names_the_file_and_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = fixture::write_arch_file(dir.path(), 1, ARCH1);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let message = read_nats_arch_file(&path).unwrap_err().to_string();
        assert!(message.contains("1.pickle.pbz2"), "{message}");
        assert!(message.contains("bzip2 stream"), "{message}");
    }

    #[test]
    fn a_compressed_non_pickle_names_the_pickle_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1.pickle.pbz2");
        let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        std::io::Write::write_all(&mut encoder, b"not a pickle at all").unwrap();
        std::fs::write(&path, encoder.finish().unwrap()).unwrap();
        let message = read_nats_arch_file(&path).unwrap_err().to_string();
        assert!(
            message.contains("1.pickle.pbz2: pickle stream"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_epoch_names_its_key_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1.pickle.pbz2");
        let mut value = fixture::file_state(1, ARCH1);
        let run = entry(
            entry(entry(&mut value, hs("200")), hs("all_results")),
            Value::Tuple(vec![hs("cifar10-valid"), Value::Int(888)]),
        );
        if let Value::Dict(accs) = entry(run, hs("eval_acc1es")) {
            let before = accs.len();
            accs.retain(|(k, _)| *k != hs("x-valid@57"));
            assert_eq!(accs.len(), before - 1);
        }
        fixture::write_value(&path, &value);
        let message = read_nats_arch_file(&path).unwrap_err().to_string();
        assert!(
            message.contains(
                "['200']['all_results'][('cifar10-valid', 888)]['eval_acc1es']['x-valid@57']"
            ),
            "{message}"
        );
        assert!(message.contains("missing"), "{message}");
    }

    #[test]
    fn a_wrongly_typed_value_says_what_was_expected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("1.pickle.pbz2");
        let mut value = fixture::file_state(1, ARCH1);
        let run = entry(
            entry(entry(&mut value, hs("12")), hs("all_results")),
            Value::Tuple(vec![hs("cifar100"), Value::Int(777)]),
        );
        *entry(run, hs("params")) = Value::Str("big".into());
        fixture::write_value(&path, &value);
        let message = read_nats_arch_file(&path).unwrap_err().to_string();
        assert!(
            message.contains("('cifar100', 777)]['params']"),
            "{message}"
        );
        assert!(
            message.contains("expected a number, found str"),
            "{message}"
        );
    }

    #[test]
    fn an_index_that_disagrees_with_the_cell_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("5.pickle.pbz2");
        fixture::write_value(&path, &fixture::file_state(5, ARCH1));
        let message = read_nats_arch_file(&path).unwrap_err().to_string();
        assert!(message.contains("'arch_index'"), "{message}");
        assert!(message.contains("official index is 1"), "{message}");
    }

    #[test]
    fn padded_file_names_are_found_first() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            nats_arch_file(dir.path(), 42),
            dir.path().join("42.pickle.pbz2")
        );
        std::fs::write(dir.path().join("000042.pickle.pbz2"), b"").unwrap();
        assert_eq!(
            nats_arch_file(dir.path(), 42),
            dir.path().join("000042.pickle.pbz2")
        );
    }
}
