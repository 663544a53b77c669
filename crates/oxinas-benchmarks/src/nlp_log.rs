//! Training logs of NAS-Bench-NLP: one JSON object per line of a gzip file
//! (`nasbench_nlp/ptb_single_run_logs.jsonl.gz`, `wikitext2_logs.jsonl.gz`).
//!
//! Each line holds a recipe id, the recipe (a JSON *string*), the parameter
//! count, a status (`OK`, `loss is nan!`, `Exception: ...`) and per-epoch
//! train/validation/test losses and wall times; losses are natural-log
//! cross-entropies (perplexity = exp(loss)) and `null` where the loss was NaN.

use std::io::{BufRead, BufReader};
use std::path::Path;

use flate2::read::GzDecoder;
use oxinas_core::{DataError, SearchSpace};
use oxinas_spaces::{NlpCell, NlpSpace};
use serde_json::Value;

/// The status string of a run that trained for all its epochs.
pub const COMPLETE_STATUS: &str = "OK";

/// One architecture's training run.
#[derive(Clone, Debug, PartialEq)]
pub struct NlpRun {
    /// The benchmark's id of the recipe (1000000..).
    pub recipe_id: u64,
    /// The cell.
    pub cell: NlpCell,
    /// The run's status as logged: `OK`, `loss is nan!` or `Exception: ...`.
    pub status: String,
    /// Trainable parameters.
    pub num_params: u64,
    /// Training loss per epoch (`None` where it was NaN).
    pub train_losses: Vec<Option<f64>>,
    /// Validation loss per epoch (`None` where it was NaN).
    pub val_losses: Vec<Option<f64>>,
    /// Test loss per epoch (`None` where it was NaN).
    pub test_losses: Vec<Option<f64>>,
    /// Wall-clock seconds per epoch.
    pub wall_times: Vec<f64>,
    /// Epochs the run was configured for (50 throughout the benchmark).
    pub epochs: u32,
}

impl NlpRun {
    /// Whether the run finished all its epochs with finite losses.
    pub fn is_complete(&self) -> bool {
        self.status == COMPLETE_STATUS
            && self.val_losses.len() == self.epochs as usize
            && self
                .val_losses
                .iter()
                .all(|l| l.is_some_and(f64::is_finite))
    }

    /// Validation perplexity after `epoch` epochs (1-based), if finite.
    pub fn val_perplexity(&self, epoch: u32) -> Option<f64> {
        perplexity(&self.val_losses, epoch)
    }

    /// Test perplexity after `epoch` epochs (1-based), if finite.
    pub fn test_perplexity(&self, epoch: u32) -> Option<f64> {
        perplexity(&self.test_losses, epoch)
    }

    /// Training perplexity after `epoch` epochs (1-based), if finite.
    pub fn train_perplexity(&self, epoch: u32) -> Option<f64> {
        perplexity(&self.train_losses, epoch)
    }

    /// Validation perplexity per epoch, up to the first epoch without a finite value.
    pub fn val_curve(&self) -> Vec<f64> {
        curve(&self.val_losses)
    }

    /// Test perplexity per epoch, up to the first epoch without a finite value.
    pub fn test_curve(&self) -> Vec<f64> {
        curve(&self.test_losses)
    }

    /// Training perplexity per epoch, up to the first epoch without a finite value.
    pub fn train_curve(&self) -> Vec<f64> {
        curve(&self.train_losses)
    }

    /// Wall-clock seconds of the first `epochs` epochs (fewer if the run stopped).
    pub fn wall_time(&self, epochs: u32) -> f64 {
        self.wall_times.iter().take(epochs as usize).sum()
    }

    /// The epoch (1-based) of lowest validation loss and that perplexity, for a complete run.
    pub fn best_validation(&self) -> Option<(u32, f64)> {
        if !self.is_complete() {
            return None;
        }
        let (i, loss) = self
            .val_losses
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.map(|l| (i, l)))
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        Some((i as u32 + 1, loss.exp()))
    }
}

fn perplexity(losses: &[Option<f64>], epoch: u32) -> Option<f64> {
    let index = (epoch as usize).checked_sub(1)?;
    let ppl = losses.get(index).copied().flatten()?.exp();
    ppl.is_finite().then_some(ppl)
}

fn curve(losses: &[Option<f64>]) -> Vec<f64> {
    losses
        .iter()
        .map_while(|l| l.map(f64::exp).filter(|p| p.is_finite()))
        .collect()
}

/// Reads every line of a NAS-Bench-NLP log file.
pub fn read_nlp_logs(path: &Path) -> Result<Vec<NlpRun>, DataError> {
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let reader = BufReader::new(GzDecoder::new(file));
    let space = NlpSpace::new();
    let mut runs = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| {
            DataError::malformed(
                path,
                format!("line {number}"),
                format!("cannot decompress further ({e}); the file is truncated or corrupt"),
            )
        })?;
        if line.trim().is_empty() {
            continue;
        }
        runs.push(parse_line(&space, path, number, &line)?);
    }
    if runs.is_empty() {
        return Err(DataError::malformed(
            path,
            "line 1",
            "no training logs in the file",
        ));
    }
    Ok(runs)
}

fn parse_line(
    space: &NlpSpace,
    path: &Path,
    number: usize,
    line: &str,
) -> Result<NlpRun, DataError> {
    let at = |field: &str| format!("line {number}, field `{field}`");
    let value: Value = serde_json::from_str(line).map_err(|e| {
        DataError::malformed(
            path,
            format!("line {number}"),
            format!("not a JSON object: {e}"),
        )
    })?;
    let object = value.as_object().ok_or_else(|| {
        DataError::malformed(path, format!("line {number}"), "a JSON object per line")
    })?;
    let field = |name: &str| {
        object
            .get(name)
            .ok_or_else(|| DataError::malformed(path, at(name), "missing"))
    };
    let unsigned = |name: &str| {
        field(name)?.as_u64().ok_or_else(|| {
            DataError::malformed(
                path,
                at(name),
                format!("a non-negative integer, found {}", object[name]),
            )
        })
    };
    let text = |name: &str| {
        field(name)?.as_str().map(str::to_owned).ok_or_else(|| {
            DataError::malformed(path, at(name), format!("a string, found {}", object[name]))
        })
    };
    let losses = |name: &str| -> Result<Vec<Option<f64>>, DataError> {
        let list = field(name)?.as_array().ok_or_else(|| {
            DataError::malformed(
                path,
                at(name),
                format!("a list of numbers, found {}", object[name]),
            )
        })?;
        list.iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Null => Ok(None),
                v => v.as_f64().map(Some).ok_or_else(|| {
                    DataError::malformed(
                        path,
                        format!("line {number}, field `{name}[{i}]`"),
                        format!("a number or null, found {v}"),
                    )
                }),
            })
            .collect()
    };
    let recipe = text("recepie")?;
    let cell = space
        .parse(&recipe)
        .map_err(|e| DataError::malformed(path, at("recepie"), e.expected))?;
    let wall_times = losses("wall_times")?
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            t.filter(|t| t.is_finite() && *t >= 0.0).ok_or_else(|| {
                DataError::malformed(
                    path,
                    format!("line {number}, field `wall_times[{i}]`"),
                    "a finite non-negative number of seconds",
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let epochs = u32::try_from(unsigned("epochs")?)
        .ok()
        .filter(|e| (1..=1000).contains(e))
        .ok_or_else(|| DataError::malformed(path, at("epochs"), "an epoch count in 1..=1000"))?;
    let run = NlpRun {
        recipe_id: unsigned("recepie_id")?,
        cell,
        status: text("status")?,
        num_params: unsigned("num_params")?,
        train_losses: losses("train_losses")?,
        val_losses: losses("val_losses")?,
        test_losses: losses("test_losses")?,
        wall_times,
        epochs,
    };
    if run.val_losses.len() > epochs as usize || run.test_losses.len() != run.val_losses.len() {
        return Err(DataError::malformed(
            path,
            at("test_losses"),
            format!(
                "as many validation and test losses, at most {epochs}; found {} and {}",
                run.val_losses.len(),
                run.test_losses.len()
            ),
        ));
    }
    Ok(run)
}
