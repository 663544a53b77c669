//! NAS-Bench-201 at any epoch, from the NATS-Bench topology archive: an
//! evaluator (what optimizers query) and a ground truth (what reports read).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use oxinas_core::{
    DataError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation,
    RngCore,
};
use oxinas_spaces::{Nb201Arch, Nb201Space};
use rand::Rng;

use crate::nats_archive::{NatsArchRecord, NatsRun, nats_arch_file, read_nats_arch_file};
use crate::{NATS_ARCHIVE_DIR, NatsSchedule, Nb201Dataset, Nb201Noise};

/// The number of cells in the NAS-Bench-201 space.
const CELLS: usize = 15_625;

/// A directory of NATS-Bench topology archive files, read on demand.
///
/// Files are read the first time an architecture is queried and kept (the
/// official API's "fast mode"); a missing or malformed file is an error for
/// the queries that need it, not for the others.
#[derive(Debug)]
pub struct NatsArchive {
    dir: PathBuf,
    cache: Vec<OnceLock<Arc<NatsArchRecord>>>,
}

impl NatsArchive {
    /// The archive in `dir`, which must be a directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, DataError> {
        let dir = dir.into();
        if !dir.is_dir() {
            return Err(DataError::io(
                &dir,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("not a directory; expected the {NATS_ARCHIVE_DIR} archive"),
                ),
            ));
        }
        Ok(Self {
            dir,
            cache: (0..CELLS).map(|_| OnceLock::new()).collect(),
        })
    }

    /// The archive in its place under the data directory:
    /// `$OXINAS_DATA/nb201/NATS-tss-v1_0-3ffb9-simple/`.
    pub fn open_default() -> Result<Self, DataError> {
        Self::open(
            oxinas_core::data_root()
                .join("nb201")
                .join(NATS_ARCHIVE_DIR),
        )
    }

    /// The archive's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The record of the cell with official index `index`.
    pub fn record(&self, index: usize) -> Result<Arc<NatsArchRecord>, DataError> {
        let Some(slot) = self.cache.get(index) else {
            return Err(DataError::malformed(
                &self.dir,
                format!("index {index}"),
                format!("no such cell; expected 0..{CELLS}"),
            ));
        };
        if let Some(record) = slot.get() {
            return Ok(Arc::clone(record));
        }
        let path = nats_arch_file(&self.dir, index);
        let record = read_nats_arch_file(&path)?;
        if record.index != index {
            return Err(DataError::malformed(
                &path,
                "'arch_index'",
                format!("the file holds cell {}; expected {index}", record.index),
            ));
        }
        // Two threads may read the same file at once; both results are equal.
        Ok(Arc::clone(slot.get_or_init(|| Arc::new(record))))
    }

    /// The record of `arch`.
    pub fn record_of(&self, arch: &Nb201Arch) -> Result<Arc<NatsArchRecord>, DataError> {
        self.record(Nb201Space::new().index_of(arch))
    }
}

/// Which run and evaluation set answer a `(dataset, split)` question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Split {
    Train,
    Valid,
    Test,
}

/// The archive's `(dataset, evaluation set)` for `split` of `dataset`, as
/// the official API maps them; `None` where the dataset has no such split.
fn source(dataset: Nb201Dataset, split: Split) -> Option<(Nb201Dataset, Option<&'static str>)> {
    Some(match (dataset, split) {
        (d, Split::Train) => (d, None),
        // The cifar10 model is trained on train+valid: its validation
        // questions go to the cifar10-valid model, as in the official API.
        (Nb201Dataset::Cifar10Valid | Nb201Dataset::Cifar10, Split::Valid) => {
            (Nb201Dataset::Cifar10Valid, Some("x-valid"))
        }
        (Nb201Dataset::Cifar10Valid, Split::Test) => (Nb201Dataset::Cifar10Valid, Some("ori-test")),
        (Nb201Dataset::Cifar10, Split::Test) => (Nb201Dataset::Cifar10, Some("ori-test")),
        (d, Split::Valid) => (d, Some("x-valid")),
        (d, Split::Test) => (d, Some("x-test")),
    })
}

/// Accuracy after `epoch` (1-based) of `run` on `set` (`None` = training).
fn accuracy(run: &NatsRun, set: Option<&str>, epoch: u32) -> Option<f64> {
    let i = usize::try_from(epoch.checked_sub(1)?).ok()?;
    match set {
        None => run.train_accuracy.get(i).copied(),
        Some(set) => run.eval_curve(set)?.accuracy.get(i).copied(),
    }
}

fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Queries NAS-Bench-201 through the NATS-Bench archive, at any epoch.
///
/// Fidelity: any epoch 1..=200 of the 200-epoch schedule, or 1..=12 of the
/// 12-epoch one (each a separate training run with its own learning-rate
/// decay). Validation metric: accuracy (%) on the dataset's validation split
/// after that epoch (`cifar10-valid`'s for `cifar10`, as in the official
/// API), with the validation curve up to it. Cost: the run's training time up
/// to that epoch plus one validation pass. Test accuracy after the same epoch
/// goes to [`Evaluation::test`] only.
#[derive(Clone, Debug)]
pub struct NatsTabular {
    archive: Arc<NatsArchive>,
    dataset: Nb201Dataset,
    schedule: NatsSchedule,
    noise: Nb201Noise,
}

impl NatsTabular {
    /// An evaluator over `archive` for `dataset` under `schedule`.
    pub fn new(
        archive: Arc<NatsArchive>,
        dataset: Nb201Dataset,
        schedule: NatsSchedule,
        noise: Nb201Noise,
    ) -> Self {
        Self {
            archive,
            dataset,
            schedule,
            noise,
        }
    }

    /// The archive queried.
    pub fn archive(&self) -> &Arc<NatsArchive> {
        &self.archive
    }

    fn record(&self, arch: &Nb201Arch) -> Result<Arc<NatsArchRecord>, EvaluationError> {
        self.archive
            .record_of(arch)
            .map_err(|e| EvaluationError::Other(e.to_string()))
    }

    fn missing(&self, arch: &Nb201Arch, what: &str) -> EvaluationError {
        EvaluationError::Other(format!(
            "{}: cell `{arch}` has no {what} under schedule '{}' in {}",
            self.name(),
            self.schedule.key(),
            self.archive.dir.display()
        ))
    }
}

impl Evaluator<Nb201Arch> for NatsTabular {
    fn name(&self) -> String {
        format!("nats-tss-{}/{}", self.schedule.key(), self.dataset)
    }

    fn metric(&self) -> &str {
        "valid_acc"
    }

    fn goal(&self) -> Goal {
        Goal::Maximize
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        (1..=self.schedule.epochs()).map(Fidelity::epochs).collect()
    }

    fn evaluate(
        &self,
        arch: &Nb201Arch,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let epoch = fidelity.get_epochs();
        if !(1..=self.schedule.epochs()).contains(&epoch) {
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: self.name(),
                fidelity,
                available: format!("1 to {} epochs", self.schedule.epochs()),
            });
        }
        let record = self.record(arch)?;
        let results = record
            .schedule(self.schedule)
            .ok_or_else(|| self.missing(arch, "results"))?;
        let Some((valid_dataset, Some(valid_set))) = source(self.dataset, Split::Valid) else {
            return Err(self.missing(arch, "validation split"));
        };
        let all_runs = results.runs(valid_dataset);
        if all_runs.is_empty() {
            return Err(self.missing(arch, &format!("{valid_dataset} runs")));
        }
        let chosen = match self.noise {
            Nb201Noise::Mean => None,
            Nb201Noise::RandomSeed => Some(rng.random_range(0..all_runs.len())),
        };
        let runs: Vec<&NatsRun> = match chosen {
            None => all_runs.iter().collect(),
            Some(i) => vec![&all_runs[i]],
        };
        let curve_at = |e: u32| {
            runs.iter()
                .map(|run| accuracy(run, Some(valid_set), e))
                .collect::<Option<Vec<_>>>()
                .and_then(mean)
        };
        let curve = (1..=epoch)
            .map(curve_at)
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| self.missing(arch, &format!("{valid_set} curve on {valid_dataset}")))?;
        let validation = curve[curve.len() - 1];

        let upto = epoch as usize;
        let cost = mean(runs.iter().map(|run| {
            let train: f64 = run.train_seconds.iter().take(upto).sum();
            let eval = run
                .eval_curve(valid_set)
                .and_then(|c| c.seconds.get(upto - 1))
                .copied()
                .unwrap_or(0.0);
            train + eval
        }))
        .unwrap_or(0.0);

        let test = match source(self.dataset, Split::Test) {
            Some((test_dataset, set)) => {
                // A drawn seed answers its own model's test accuracy where the
                // validation and test questions share the model.
                if test_dataset == valid_dataset && chosen.is_some() {
                    runs.iter()
                        .map(|run| accuracy(run, set, epoch))
                        .collect::<Option<Vec<_>>>()
                        .and_then(mean)
                } else {
                    mean_over_runs(results.runs(test_dataset), set, epoch)
                }
            }
            None => None,
        };

        let mut observation = Observation::ok(validation, Goal::Maximize, cost);
        observation.params = mean(runs.iter().map(|r| r.params_m * 1e6));
        observation.latency_seconds = mean(runs.iter().filter_map(|r| r.latency_seconds));
        observation.learning_curve = Some(curve);
        Ok(Evaluation { observation, test })
    }
}

/// The mean over `runs` of the accuracy on `set` after `epoch`; `None` when
/// there are no runs or one lacks the value.
fn mean_over_runs(runs: &[NatsRun], set: Option<&str>, epoch: u32) -> Option<f64> {
    runs.iter()
        .map(|run| accuracy(run, set, epoch))
        .collect::<Option<Vec<_>>>()
        .and_then(mean)
}

/// The split names of the ground truth's metrics, per dataset.
const SPLITS: [(Nb201Dataset, &str, Split, &str); 11] = [
    (
        Nb201Dataset::Cifar10Valid,
        "train",
        Split::Train,
        "training accuracy (%) of the cifar10-valid model",
    ),
    (
        Nb201Dataset::Cifar10Valid,
        "valid",
        Split::Valid,
        "cifar10-valid validation accuracy (%)",
    ),
    (
        Nb201Dataset::Cifar10Valid,
        "test",
        Split::Test,
        "CIFAR-10 test accuracy (%) of the cifar10-valid model",
    ),
    (
        Nb201Dataset::Cifar10,
        "train",
        Split::Train,
        "training accuracy (%) of the model trained on train+valid",
    ),
    (
        Nb201Dataset::Cifar10,
        "test",
        Split::Test,
        "CIFAR-10 test accuracy (%) of the model trained on train+valid",
    ),
    (
        Nb201Dataset::Cifar100,
        "train",
        Split::Train,
        "CIFAR-100 training accuracy (%)",
    ),
    (
        Nb201Dataset::Cifar100,
        "valid",
        Split::Valid,
        "CIFAR-100 validation accuracy (%)",
    ),
    (
        Nb201Dataset::Cifar100,
        "test",
        Split::Test,
        "CIFAR-100 test accuracy (%)",
    ),
    (
        Nb201Dataset::ImageNet16_120,
        "train",
        Split::Train,
        "ImageNet16-120 training accuracy (%)",
    ),
    (
        Nb201Dataset::ImageNet16_120,
        "valid",
        Split::Valid,
        "ImageNet16-120 validation accuracy (%)",
    ),
    (
        Nb201Dataset::ImageNet16_120,
        "test",
        Split::Test,
        "ImageNet16-120 test accuracy (%)",
    ),
];

/// The whole-network metrics of the ground truth.
const COSTS: [(&str, &str); 3] = [
    (
        "params",
        "parameters (millions), CIFAR-10 network, mean over runs",
    ),
    (
        "flops",
        "FLOPs (millions), CIFAR-10 network, mean over runs",
    ),
    (
        "latency",
        "latency (s per batch), CIFAR-10 network, mean over runs",
    ),
];

/// The archive's recorded metrics under one schedule, for reports.
///
/// Metric names are `<dataset>/<split>@<E>` for every epoch `E` of the
/// schedule (means over seeds), so `cifar10/test@200` and
/// `cifar100/valid@12` mean what they mean for [`crate::Nb201Table`]; plus
/// `params`, `flops` and `latency`.
#[derive(Clone, Debug)]
pub struct NatsGroundTruth {
    archive: Arc<NatsArchive>,
    schedule: NatsSchedule,
}

impl NatsGroundTruth {
    /// The ground truth of `archive` under `schedule`.
    pub fn new(archive: Arc<NatsArchive>, schedule: NatsSchedule) -> Self {
        Self { archive, schedule }
    }

    fn unknown(&self, metric: &str) -> EvaluationError {
        EvaluationError::UnknownMetric {
            benchmark: format!("nats-tss-{}", self.schedule.key()),
            metric: metric.to_owned(),
            available: format!(
                "<dataset>/<train|valid|test>@<1..={}> for the datasets of NAS-Bench-201, params, flops, latency",
                self.schedule.epochs()
            ),
        }
    }
}

impl GroundTruth<Nb201Arch> for NatsGroundTruth {
    fn metrics(&self) -> Vec<(String, String)> {
        let epochs = self.schedule.epochs();
        let mut metrics = Vec::new();
        for (dataset, split, _, description) in SPLITS {
            for epoch in 1..=epochs {
                metrics.push((
                    format!("{dataset}/{split}@{epoch}"),
                    format!("{description} after epoch {epoch} of {epochs}, mean over seeds"),
                ));
            }
        }
        metrics.extend(
            COSTS
                .iter()
                .map(|(n, d)| ((*n).to_owned(), (*d).to_owned())),
        );
        metrics
    }

    fn metric(&self, arch: &Nb201Arch, metric: &str) -> Result<Option<f64>, EvaluationError> {
        enum Query {
            Split(Nb201Dataset, Split, u32),
            Cost(usize),
        }
        let query = if let Some(i) = COSTS.iter().position(|(n, _)| *n == metric) {
            Query::Cost(i)
        } else {
            let (name, epoch) = metric
                .rsplit_once('@')
                .ok_or_else(|| self.unknown(metric))?;
            let epoch: u32 = epoch.parse().map_err(|_| self.unknown(metric))?;
            if !(1..=self.schedule.epochs()).contains(&epoch) {
                return Err(self.unknown(metric));
            }
            let (dataset, split) = name.rsplit_once('/').ok_or_else(|| self.unknown(metric))?;
            let &(dataset, _, split, _) = SPLITS
                .iter()
                .find(|(d, s, _, _)| d.name() == dataset && *s == split)
                .ok_or_else(|| self.unknown(metric))?;
            Query::Split(dataset, split, epoch)
        };
        let record = self
            .archive
            .record_of(arch)
            .map_err(|e| EvaluationError::Other(e.to_string()))?;
        let Some(results) = record.schedule(self.schedule) else {
            return Ok(None);
        };
        Ok(match query {
            Query::Split(dataset, split, epoch) => {
                let Some((run_dataset, set)) = source(dataset, split) else {
                    return Ok(None);
                };
                // The cifar10 model's training curve is its own.
                let run_dataset = if split == Split::Train {
                    dataset
                } else {
                    run_dataset
                };
                mean_over_runs(results.runs(run_dataset), set, epoch)
            }
            Query::Cost(i) => {
                let runs = results.runs(Nb201Dataset::Cifar10Valid);
                match i {
                    0 => mean(runs.iter().map(|r| r.params_m)),
                    1 => mean(runs.iter().map(|r| r.flops_m)),
                    _ => mean(runs.iter().filter_map(|r| r.latency_seconds)),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nats_archive_fixture as fixture;
    use oxinas_core::SearchSpace;
    use oxinas_core::seed::rng_from_seed;

    const ARCH0: &str = "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|";
    const ARCH1: &str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|";

    fn archive() -> (tempfile::TempDir, Arc<NatsArchive>) {
        let dir = tempfile::tempdir().unwrap();
        fixture::write_arch_file(dir.path(), 0, ARCH0);
        fixture::write_arch_file(dir.path(), 1, ARCH1);
        let archive = Arc::new(NatsArchive::open(dir.path()).unwrap());
        (dir, archive)
    }

    fn arch(text: &str) -> Nb201Arch {
        Nb201Space::new().parse(text).unwrap()
    }

    fn mean_of(values: &[f64]) -> f64 {
        values.iter().sum::<f64>() / values.len() as f64
    }

    #[test]
    fn any_epoch_of_the_200_epoch_schedule_answers_means_over_seeds() {
        let (_dir, archive) = archive();
        let evaluator = NatsTabular::new(
            archive,
            Nb201Dataset::Cifar10,
            NatsSchedule::Epochs200,
            Nb201Noise::Mean,
        );
        assert_eq!(evaluator.fidelities().len(), 200);
        let mut rng = rng_from_seed(0);
        let result = evaluator
            .evaluate(&arch(ARCH1), Fidelity::epochs(57), &mut rng)
            .unwrap();
        let seeds = fixture::seeds("cifar10-valid");
        let valid = |e: u32| {
            mean_of(
                &seeds
                    .iter()
                    .map(|&s| fixture::accuracy(1, "cifar10-valid", "x-valid", s, 200, e))
                    .collect::<Vec<_>>(),
            )
        };
        let observation = &result.observation;
        assert!((observation.validation.unwrap() - valid(56)).abs() < 1e-9);
        let curve = observation.learning_curve.as_ref().unwrap();
        assert_eq!(curve.len(), 57);
        assert!((curve[9] - valid(9)).abs() < 1e-9);
        // cifar10's test accuracy comes from the model trained on train+valid.
        let test = mean_of(
            &fixture::seeds("cifar10")
                .iter()
                .map(|&s| fixture::accuracy(1, "cifar10", "ori-test", s, 200, 56))
                .collect::<Vec<_>>(),
        );
        assert!((result.test.unwrap() - test).abs() < 1e-9);
        let cost = mean_of(
            &seeds
                .iter()
                .map(|&s| (0..57).map(|e| fixture::train_seconds(s, e)).sum::<f64>())
                .collect::<Vec<_>>(),
        ) + fixture::EVAL_SECONDS;
        assert!((observation.cost_seconds - cost).abs() < 1e-9);
        assert!((observation.params.unwrap() - 0.51e6).abs() < 1e-6);
    }

    #[test]
    fn the_12_epoch_schedule_is_its_own_run_and_stops_at_12() {
        let (_dir, archive) = archive();
        let evaluator = NatsTabular::new(
            archive,
            Nb201Dataset::ImageNet16_120,
            NatsSchedule::Epochs12,
            Nb201Noise::Mean,
        );
        let mut rng = rng_from_seed(0);
        let result = evaluator
            .evaluate(&arch(ARCH0), Fidelity::epochs(12), &mut rng)
            .unwrap();
        let expected = mean_of(
            &fixture::seeds("ImageNet16-120")
                .iter()
                .map(|&s| fixture::accuracy(0, "ImageNet16-120", "x-valid", s, 12, 11))
                .collect::<Vec<_>>(),
        );
        assert!((result.observation.validation.unwrap() - expected).abs() < 1e-9);
        for epochs in [0, 13] {
            let error = evaluator
                .evaluate(&arch(ARCH0), Fidelity::epochs(epochs), &mut rng)
                .unwrap_err();
            assert!(matches!(error, EvaluationError::UnsupportedFidelity { .. }));
        }
    }

    #[test]
    fn a_drawn_seed_answers_one_run_reproducibly() {
        let (_dir, archive) = archive();
        let evaluator = NatsTabular::new(
            archive,
            Nb201Dataset::Cifar100,
            NatsSchedule::Epochs200,
            Nb201Noise::RandomSeed,
        );
        let per_seed: Vec<(f64, f64)> = fixture::seeds("cifar100")
            .iter()
            .map(|&s| {
                (
                    fixture::accuracy(1, "cifar100", "x-valid", s, 200, 199),
                    fixture::accuracy(1, "cifar100", "x-test", s, 200, 199),
                )
            })
            .collect();
        let draw = |seed| {
            let mut rng = rng_from_seed(seed);
            (0..20)
                .map(|_| {
                    let r = evaluator
                        .evaluate(&arch(ARCH1), Fidelity::epochs(200), &mut rng)
                        .unwrap();
                    (r.observation.validation.unwrap(), r.test.unwrap())
                })
                .collect::<Vec<_>>()
        };
        let first = draw(3);
        assert_eq!(first, draw(3));
        // Each answer is one run's validation with that same run's test value.
        assert!(first.iter().all(|pair| per_seed.contains(pair)));
        assert!(per_seed.iter().all(|pair| first.contains(pair)));
    }

    #[test]
    fn ground_truth_answers_every_split_and_epoch() {
        let (_dir, archive) = archive();
        let truth = NatsGroundTruth::new(archive, NatsSchedule::Epochs200);
        assert_eq!(truth.metrics().len(), 11 * 200 + 3);
        let a = arch(ARCH1);
        let expect = |dataset: &str, set: &str, epoch: u32| {
            mean_of(
                &fixture::seeds(dataset)
                    .iter()
                    .map(|&s| fixture::accuracy(1, dataset, set, s, 200, epoch - 1))
                    .collect::<Vec<_>>(),
            )
        };
        let cases = [
            ("cifar100/test@200", expect("cifar100", "x-test", 200)),
            (
                "ImageNet16-120/valid@3",
                expect("ImageNet16-120", "x-valid", 3),
            ),
            ("cifar10/test@200", expect("cifar10", "ori-test", 200)),
            (
                "cifar10-valid/test@100",
                expect("cifar10-valid", "ori-test", 100),
            ),
            ("cifar10/train@1", expect("cifar10", "train", 1)),
            ("flops", 71.0),
        ];
        for (metric, value) in cases {
            let got = truth.metric(&a, metric).unwrap().unwrap();
            assert!((got - value).abs() < 1e-9, "{metric}: {got} vs {value}");
        }
        for bad in [
            "cifar100/test@201",
            "cifar10/valid@5",
            "cifar100/test",
            "nope",
        ] {
            assert!(
                matches!(
                    truth.metric(&a, bad),
                    Err(EvaluationError::UnknownMetric { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_cell_without_a_file_is_an_error_naming_the_file() {
        let (_dir, archive) = archive();
        let evaluator = NatsTabular::new(
            archive,
            Nb201Dataset::Cifar10,
            NatsSchedule::Epochs200,
            Nb201Noise::Mean,
        );
        let other = Nb201Space::new().arch_at(6111).unwrap();
        let error = evaluator
            .evaluate(&other, Fidelity::epochs(200), &mut rng_from_seed(0))
            .unwrap_err();
        assert!(error.to_string().contains("6111.pickle.pbz2"), "{error}");
    }

    #[test]
    fn a_file_holding_another_cell_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let written = fixture::write_arch_file(dir.path(), 1, ARCH1);
        std::fs::rename(written, dir.path().join("0.pickle.pbz2")).unwrap();
        let archive = NatsArchive::open(dir.path()).unwrap();
        let message = archive.record(0).unwrap_err().to_string();
        assert!(message.contains("holds cell 1; expected 0"), "{message}");
        assert!(NatsArchive::open(dir.path().join("absent")).is_err());
    }
}
