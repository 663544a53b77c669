//! NAS-Bench-NLP as a tabular benchmark: 14,322 recurrent cells trained for
//! 50 epochs on Penn Treebank (345 of them also on WikiText-2).
//!
//! The optimizer sees the validation perplexity after the requested number of
//! epochs (fidelity 1..=50, lower is better), the wall time of those epochs as
//! cost and the parameter count. Runs that diverged (`loss is nan!`) or failed
//! (`Exception: ...`) before the requested epoch come back as
//! [`Outcome::Failed`] carrying the logged status, never as a number; epochs
//! before the divergence are reported as they were logged. Architectures are
//! looked up by their isomorphism-invariant key, so any spelling of a recorded
//! cell finds it; when several recorded recipes share a key (the generator
//! repeats small cells), one of their runs is drawn with the evaluator's
//! random generator, like a training seed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oxinas_core::{
    DataError, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, GroundTruth, Observation,
    Outcome, RngCore, SearchSpace, data_root,
};
use oxinas_spaces::{NlpCell, NlpSpace, SubsetSpace};
use rand::Rng;

use crate::nlp_log::{NlpRun, read_nlp_logs};

/// The datasets of NAS-Bench-NLP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NlpDataset {
    /// Penn Treebank: all 14,322 cells.
    Ptb,
    /// WikiText-2: 345 cells.
    WikiText2,
}

impl NlpDataset {
    /// The short name used in benchmark names (`ptb`, `wikitext2`).
    pub fn name(self) -> &'static str {
        match self {
            NlpDataset::Ptb => "ptb",
            NlpDataset::WikiText2 => "wikitext2",
        }
    }

    /// The log file under the data directory.
    pub fn relative_path(self) -> &'static str {
        match self {
            NlpDataset::Ptb => "nasbench_nlp/ptb_single_run_logs.jsonl.gz",
            NlpDataset::WikiText2 => "nasbench_nlp/wikitext2_logs.jsonl.gz",
        }
    }
}

/// Per-epoch perplexities of one recorded run, for learning-curve predictors.
#[derive(Clone, Debug, PartialEq)]
pub struct NlpLearningCurve {
    /// Training perplexity per epoch.
    pub train: Vec<f64>,
    /// Validation perplexity per epoch.
    pub validation: Vec<f64>,
    /// Wall-clock seconds per epoch.
    pub wall_times: Vec<f64>,
    /// Whether the run finished all epochs; if not, the curves stop where it diverged.
    pub complete: bool,
}

/// The NAS-Bench-NLP tabular evaluator.
#[derive(Debug)]
pub struct NlpTabular {
    dataset: NlpDataset,
    path: PathBuf,
    space: NlpSpace,
    runs: Vec<NlpRun>,
    by_key: HashMap<String, Vec<usize>>,
    by_id: HashMap<u64, usize>,
}

/// Epochs every run of the benchmark was configured for.
pub const NLP_EPOCHS: u32 = 50;

impl NlpTabular {
    /// Loads `dataset` from the data directory (`$OXINAS_DATA`).
    pub fn load(dataset: NlpDataset) -> Result<Self, DataError> {
        Self::from_path(dataset, &data_root().join(dataset.relative_path()))
    }

    /// Loads `dataset` from the log file at `path`.
    pub fn from_path(dataset: NlpDataset, path: &Path) -> Result<Self, DataError> {
        let runs = read_nlp_logs(path)?;
        let space = NlpSpace::new();
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_id = HashMap::new();
        for (i, run) in runs.iter().enumerate() {
            by_key
                .entry(space.canonical(&run.cell))
                .or_default()
                .push(i);
            // WikiText-2 logs repeat a few recipes (several training runs).
            by_id.entry(run.recipe_id).or_insert(i);
        }
        Ok(Self {
            dataset,
            path: path.to_owned(),
            space,
            runs,
            by_key,
            by_id,
        })
    }

    /// The dataset.
    pub fn dataset(&self) -> NlpDataset {
        self.dataset
    }

    /// The file the logs came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every recorded run, in file order.
    pub fn runs(&self) -> &[NlpRun] {
        &self.runs
    }

    /// The first run of the recipe with the benchmark id `recipe_id`.
    pub fn run_by_recipe_id(&self, recipe_id: u64) -> Option<&NlpRun> {
        self.by_id.get(&recipe_id).map(|&i| &self.runs[i])
    }

    /// All recorded runs of cells isomorphic to `cell`, in file order.
    pub fn runs_of(&self, cell: &NlpCell) -> Vec<&NlpRun> {
        self.by_key
            .get(&self.space.canonical(cell))
            .map(|ids| ids.iter().map(|&i| &self.runs[i]).collect())
            .unwrap_or_default()
    }

    /// The recorded cells as a space (one per isomorphism class, in file
    /// order), so that every sample and mutation is a cell this benchmark knows.
    pub fn space(&self) -> SubsetSpace<NlpSpace> {
        SubsetSpace::new(self.space.clone(), self.runs.iter().map(|r| r.cell.clone()))
            .unwrap_or_else(|| unreachable!("a loaded log file has at least one run"))
    }

    /// Number of distinct cells up to isomorphism.
    pub fn distinct_cells(&self) -> usize {
        self.by_key.len()
    }

    /// The full learning curve of the first recorded run of `cell`, for
    /// learning-curve predictors (which see validation only, never test).
    pub fn learning_curve(&self, cell: &NlpCell) -> Option<NlpLearningCurve> {
        let run = *self.runs_of(cell).first()?;
        Some(NlpLearningCurve {
            train: run.train_curve(),
            validation: run.val_curve(),
            wall_times: run.wall_times.clone(),
            complete: run.is_complete(),
        })
    }

    fn unknown(&self, cell: &NlpCell) -> EvaluationError {
        EvaluationError::UnknownArch {
            benchmark: self.name(),
            arch: self.space.format(cell),
        }
    }
}

impl Evaluator<NlpCell> for NlpTabular {
    fn name(&self) -> String {
        format!("nas-bench-nlp/{}", self.dataset.name())
    }

    fn metric(&self) -> &str {
        "valid_perplexity"
    }

    fn goal(&self) -> Goal {
        Goal::Minimize
    }

    fn fidelities(&self) -> Vec<Fidelity> {
        (1..=NLP_EPOCHS).map(Fidelity::epochs).collect()
    }

    fn evaluate(
        &self,
        arch: &NlpCell,
        fidelity: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let epochs = fidelity.get_epochs();
        if !(1..=NLP_EPOCHS).contains(&epochs) {
            return Err(EvaluationError::UnsupportedFidelity {
                benchmark: self.name(),
                fidelity,
                available: format!("1..={NLP_EPOCHS} epochs"),
            });
        }
        let runs = self.runs_of(arch);
        let run = match runs.len() {
            0 => return Err(self.unknown(arch)),
            1 => runs[0],
            n => runs[rng.random_range(0..n)],
        };
        let validation = run.val_perplexity(epochs);
        let outcome = match validation {
            Some(_) => Outcome::Ok,
            None if run.status == crate::nlp_log::COMPLETE_STATUS => {
                Outcome::Failed(format!("no finite validation loss at epoch {epochs}"))
            }
            None => Outcome::Failed(run.status.clone()),
        };
        let mut curve = run.val_curve();
        curve.truncate(epochs as usize);
        let observation = Observation {
            outcome,
            validation,
            goal: Goal::Minimize,
            cost_seconds: run.wall_time(epochs),
            params: Some(run.num_params as f64),
            latency_seconds: None,
            learning_curve: Some(curve),
        };
        let test = validation.and(run.test_perplexity(epochs));
        Ok(Evaluation { observation, test })
    }
}

impl GroundTruth<NlpCell> for NlpTabular {
    fn metrics(&self) -> Vec<(String, String)> {
        [
            (
                "valid_perplexity@E",
                "validation perplexity after E epochs (1..=50)",
            ),
            (
                "test_perplexity@E",
                "test perplexity after E epochs (1..=50)",
            ),
            (
                "train_perplexity@E",
                "training perplexity after E epochs (1..=50)",
            ),
            (
                "best_valid_perplexity",
                "lowest validation perplexity over the 50 epochs",
            ),
            (
                "test_perplexity_at_best_valid",
                "test perplexity at the epoch of lowest validation perplexity",
            ),
            ("num_params", "trainable parameters"),
        ]
        .into_iter()
        .map(|(a, b)| {
            (
                a.to_owned(),
                format!("{b}; mean over the recorded runs of isomorphic recipes that have it"),
            )
        })
        .collect()
    }

    /// The mean over all recorded runs of `arch` (isomorphic recipes) that
    /// have a finite value; `None` when none has (a diverged run).
    fn metric(&self, arch: &NlpCell, metric: &str) -> Result<Option<f64>, EvaluationError> {
        let runs = self.runs_of(arch);
        if runs.is_empty() {
            return Err(self.unknown(arch));
        }
        let unknown_metric = || EvaluationError::UnknownMetric {
            benchmark: self.name(),
            metric: metric.to_owned(),
            available: self
                .metrics()
                .into_iter()
                .map(|(m, _)| m)
                .collect::<Vec<_>>()
                .join(", "),
        };
        let per_epoch = |prefix: &str| -> Option<u32> {
            metric
                .strip_prefix(prefix)?
                .strip_prefix('@')?
                .parse()
                .ok()
                .filter(|e| (1..=NLP_EPOCHS).contains(e))
        };
        let value = |run: &NlpRun| -> Result<Option<f64>, EvaluationError> {
            Ok(match metric {
                "best_valid_perplexity" => run.best_validation().map(|(_, p)| p),
                "test_perplexity_at_best_valid" => run
                    .best_validation()
                    .and_then(|(e, _)| run.test_perplexity(e)),
                "num_params" => Some(run.num_params as f64),
                _ => {
                    if let Some(e) = per_epoch("valid_perplexity") {
                        run.val_perplexity(e)
                    } else if let Some(e) = per_epoch("test_perplexity") {
                        run.test_perplexity(e)
                    } else if let Some(e) = per_epoch("train_perplexity") {
                        run.train_perplexity(e)
                    } else {
                        return Err(unknown_metric());
                    }
                }
            })
        };
        let mut values = Vec::with_capacity(runs.len());
        for run in runs {
            if let Some(v) = value(run)? {
                values.push(v);
            }
        }
        Ok((!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;
    use oxinas_core::seed::rng_from_seed;
    use oxinas_spaces::NlpGeneratorRule;
    use oxinas_testkit::data_file;

    use super::*;

    fn round1(x: f64) -> f64 {
        (x * 10.0).round() / 10.0
    }

    #[test]
    fn ptb_table_matches_the_published_figures() {
        let Some(path) = data_file(NlpDataset::Ptb.relative_path()) else {
            return;
        };
        let bench = NlpTabular::from_path(NlpDataset::Ptb, &path).unwrap();
        assert_eq!(bench.runs().len(), 14_322);
        let mut statuses: HashMap<&str, usize> = HashMap::new();
        for run in bench.runs() {
            *statuses.entry(run.status.as_str()).or_default() += 1;
        }
        assert_eq!(
            bench.runs().iter().filter(|r| r.is_complete()).count(),
            11_598
        );
        assert_eq!(statuses["OK"], 11_598);
        assert_eq!(statuses["loss is nan!"], 2_645);
        assert_eq!(statuses["Exception: math range error"], 79);
        let diverged_after_one = bench
            .runs()
            .iter()
            .filter(|r| r.status == "loss is nan!" && r.val_losses.len() == 1)
            .count();
        assert_eq!(diverged_after_one, 2_426);

        // Best validation perplexity over all complete runs: recipe 1000001 (LSTM).
        let (best_id, best_epoch, best_ppl) = bench
            .runs()
            .iter()
            .filter_map(|r| r.best_validation().map(|(e, p)| (r.recipe_id, e, p)))
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .unwrap();
        assert_eq!(best_id, 1_000_001);
        assert_eq!(round1(best_ppl), 82.2);
        let lstm = bench.run_by_recipe_id(1_000_001).unwrap();
        assert_eq!(round1(lstm.test_perplexity(best_epoch).unwrap()), 78.7);
        let cell = lstm.cell.clone();
        assert_eq!(
            round1(
                GroundTruth::metric(&bench, &cell, "best_valid_perplexity")
                    .unwrap()
                    .unwrap()
            ),
            82.2
        );
        assert_eq!(
            round1(
                GroundTruth::metric(&bench, &cell, "test_perplexity_at_best_valid")
                    .unwrap()
                    .unwrap()
            ),
            78.7
        );
        let eval = bench
            .evaluate(&cell, Fidelity::epochs(50), &mut rng_from_seed(0))
            .unwrap();
        assert_eq!(eval.observation.outcome, Outcome::Ok);
        assert_eq!(eval.observation.goal, Goal::Minimize);
        assert_eq!(eval.observation.learning_curve.as_ref().unwrap().len(), 50);
        assert_eq!(eval.observation.params, Some(lstm.num_params as f64));
        let final_valid = eval.observation.validation.unwrap();
        assert!(
            final_valid >= best_ppl && final_valid < 83.0,
            "{final_valid}"
        );
        assert!(eval.observation.cost_seconds > 0.0);

        // Every published recipe parses; the generator's rules are broken by the
        // hand-written LSTM (1000001) and GRU (1000002) only, and the paper's
        // sanity check (no h_prev straight into h_new) by the GRU only.
        let breaking: BTreeSet<u64> = bench
            .runs()
            .iter()
            .filter(|r| !r.cell.generator_violations().is_empty())
            .map(|r| r.recipe_id)
            .collect();
        assert_eq!(breaking, BTreeSet::from([1_000_001, 1_000_002]));
        let insane: Vec<u64> = bench
            .runs()
            .iter()
            .filter(|r| !r.cell.passes_sanity_check())
            .map(|r| r.recipe_id)
            .collect();
        assert_eq!(insane, vec![1_000_002]);
        let gru = &bench.run_by_recipe_id(1_000_002).unwrap().cell;
        assert!(
            gru.generator_violations()
                .contains(&NlpGeneratorRule::HiddenStateBypass { output: 0 })
        );
        // Isomorphic cells have the same parameter count: an independent check
        // that the canonical key never merges different cells.
        assert!(bench.distinct_cells() < bench.runs().len());
        for run in bench.runs() {
            for twin in bench.runs_of(&run.cell) {
                assert_eq!(
                    twin.num_params, run.num_params,
                    "{} vs {}",
                    run.recipe_id, twin.recipe_id
                );
            }
        }
    }

    #[test]
    fn failed_runs_are_failed_observations_not_numbers() {
        let Some(path) = data_file(NlpDataset::Ptb.relative_path()) else {
            return;
        };
        let bench = NlpTabular::from_path(NlpDataset::Ptb, &path).unwrap();
        let mut rng = rng_from_seed(1);
        let mut checked = 0;
        for run in bench.runs().iter().filter(|r| !r.is_complete()) {
            // Only unambiguous cells: an isomorphic complete recipe could be drawn instead.
            if bench.runs_of(&run.cell).len() != 1 {
                continue;
            }
            let eval = bench
                .evaluate(&run.cell, Fidelity::epochs(50), &mut rng)
                .unwrap();
            assert_eq!(
                eval.observation.outcome,
                Outcome::Failed(run.status.clone())
            );
            assert_eq!(eval.observation.validation, None);
            assert_eq!(eval.test, None);
            assert_eq!(eval.observation.score(), f64::NEG_INFINITY);
            assert_eq!(
                GroundTruth::metric(&bench, &run.cell, "valid_perplexity@50").unwrap(),
                None
            );
            checked += 1;
        }
        assert!(checked > 2_000, "{checked}");
        // A run that diverged late still reports its early epochs.
        let late = bench
            .runs()
            .iter()
            .find(|r| {
                r.status == "loss is nan!"
                    && r.val_losses.len() > 10
                    && bench.runs_of(&r.cell).len() == 1
            })
            .unwrap();
        let early = bench
            .evaluate(&late.cell, Fidelity::epochs(2), &mut rng)
            .unwrap();
        assert_eq!(early.observation.outcome, Outcome::Ok);
        assert_eq!(early.observation.validation, late.val_perplexity(2));
        assert!(
            bench
                .evaluate(&late.cell, Fidelity::epochs(51), &mut rng)
                .is_err()
        );
        assert!(
            bench
                .evaluate(&late.cell, Fidelity::epochs(0), &mut rng)
                .is_err()
        );
    }

    #[test]
    fn wikitext2_table_matches_the_published_figures() {
        let Some(path) = data_file(NlpDataset::WikiText2.relative_path()) else {
            return;
        };
        let bench = NlpTabular::from_path(NlpDataset::WikiText2, &path).unwrap();
        assert_eq!(bench.runs().len(), 345);
        assert_eq!(bench.runs().iter().filter(|r| r.is_complete()).count(), 341);
        let best = bench
            .runs()
            .iter()
            .filter_map(|r| r.best_validation().map(|(e, p)| (r, e, p)))
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .unwrap();
        assert_eq!(round1(best.2), 96.3);
        assert_eq!(round1(best.0.test_perplexity(best.1).unwrap()), 91.5);
    }

    const RNN: &str = r#"{\"f\": {\"op\": \"linear\", \"input\": [\"x\", \"h_prev_0\"]}, \"h_new_0\": {\"op\": \"activation_tanh\", \"input\": [\"f\"]}}"#;

    fn log_line(id: u64, recipe: &str, losses: &str) -> String {
        format!(
            r#"{{"recepie_id": {id}, "recepie": "{recipe}", "num_params": 1000, "epochs": 50, "status": "OK", "train_losses": {losses}, "val_losses": {losses}, "test_losses": {losses}, "wall_times": [1.0, 2.0]}}"#
        )
    }

    fn write_gz(dir: &Path, name: &str, text: &str, keep_bytes: Option<usize>) -> PathBuf {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        let mut bytes = encoder.finish().unwrap();
        if let Some(keep) = keep_bytes {
            bytes.truncate(keep);
        }
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn small_log_files_load_and_bad_ones_name_file_and_place() {
        let dir = tempfile::tempdir().unwrap();
        let good = format!(
            "{}\n{}\n",
            log_line(1, RNN, "[5.0, 4.0]"),
            log_line(2, &RNN.replace("tanh", "sigm"), "[6.0, null]")
        );
        let path = write_gz(dir.path(), "good.jsonl.gz", &good, None);
        let bench = NlpTabular::from_path(NlpDataset::Ptb, &path).unwrap();
        assert_eq!(bench.runs().len(), 2);
        let cell = bench.run_by_recipe_id(1).unwrap().cell.clone();
        let eval = bench
            .evaluate(&cell, Fidelity::epochs(2), &mut rng_from_seed(0))
            .unwrap();
        assert_eq!(eval.observation.validation, Some(4.0f64.exp()));
        assert_eq!(eval.observation.cost_seconds, 3.0);
        let second = bench.run_by_recipe_id(2).unwrap().cell.clone();
        let eval = bench
            .evaluate(&second, Fidelity::epochs(2), &mut rng_from_seed(0))
            .unwrap();
        assert!(matches!(eval.observation.outcome, Outcome::Failed(_)));

        // Truncated: the compressed stream stops half-way.
        let long: String = (0..200)
            .map(|i| log_line(i, RNN, "[5.0, 4.0]") + "\n")
            .collect();
        let full = write_gz(dir.path(), "full.jsonl.gz", &long, None);
        let size = std::fs::metadata(&full).unwrap().len() as usize;
        let cut = write_gz(dir.path(), "cut.jsonl.gz", &long, Some(size / 2));
        let message = NlpTabular::from_path(NlpDataset::Ptb, &cut)
            .unwrap_err()
            .to_string();
        assert!(message.contains("cut.jsonl.gz"), "{message}");
        assert!(message.contains("line "), "{message}");

        // One corrupted field on line 2.
        let bad = format!(
            "{}\n{}\n",
            log_line(1, RNN, "[5.0, 4.0]"),
            log_line(2, RNN, "[5.0, \"oops\"]")
        );
        let path = write_gz(dir.path(), "bad.jsonl.gz", &bad, None);
        let message = NlpTabular::from_path(NlpDataset::Ptb, &path)
            .unwrap_err()
            .to_string();
        assert!(message.contains("bad.jsonl.gz"), "{message}");
        assert!(
            message.contains("line 2, field `train_losses[1]`"),
            "{message}"
        );

        // A recipe that is not a cell.
        let broken = log_line(7, &RNN.replace("h_prev_0", "h_prev_9"), "[5.0]");
        let path = write_gz(dir.path(), "recipe.jsonl.gz", &broken, None);
        let message = NlpTabular::from_path(NlpDataset::Ptb, &path)
            .unwrap_err()
            .to_string();
        assert!(message.contains("line 1, field `recepie`"), "{message}");
        assert!(message.contains("h_prev_9"), "{message}");

        let missing = NlpTabular::from_path(NlpDataset::Ptb, &dir.path().join("none.gz"));
        assert!(missing.unwrap_err().to_string().contains("none.gz"));
    }
}
