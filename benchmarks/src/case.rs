//! A benchmark case and what it reports.

use serde::{Deserialize, Serialize};

use crate::BenchError;

/// How much work a run of the suite does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Enough runs for a median worth quoting.
    Full,
    /// One run per case (and, where a case allows it, less work per run): it
    /// proves the suite still runs and its checks pass; its times mean little.
    Quick,
}

impl Mode {
    /// `full` runs in [`Mode::Full`], one in [`Mode::Quick`].
    pub fn runs(self, full: usize) -> usize {
        match self {
            Mode::Full => full.max(1),
            Mode::Quick => 1,
        }
    }
}

/// The function that runs a case.
pub type CaseFn = Box<dyn Fn(Mode) -> Result<CaseReport, BenchError> + Send + Sync>;

/// One benchmark: a name to select it by, what it measures, and the code.
pub struct Case {
    /// Unique name, `group/item` (e.g. `load/nb201`).
    pub name: String,
    /// One line: what is timed and what is checked.
    pub what: String,
    /// Files under the data directory the case reads.
    pub data: Vec<&'static str>,
    /// Runs the case.
    pub run: CaseFn,
}

impl Case {
    /// A case named `name`.
    pub fn new(
        name: impl Into<String>,
        what: impl Into<String>,
        run: impl Fn(Mode) -> Result<CaseReport, BenchError> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            what: what.into(),
            data: Vec::new(),
            run: Box::new(run),
        }
    }

    /// The same case, declaring the data files it reads.
    pub fn with_data(mut self, files: &[&'static str]) -> Self {
        self.data.extend_from_slice(files);
        self
    }
}

/// Items of work in one run, to report a time per item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    /// Items per run.
    pub items: f64,
    /// What an item is, singular (`query`, `graph`, `cell`, ...).
    pub unit: String,
}

/// The times of a reference implementation on the same work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReferenceTiming {
    /// What the reference is (`python3 (stdlib)`).
    pub label: String,
    /// Wall time of each run, seconds.
    pub samples_s: Vec<f64>,
}

/// Whether a case's result was right.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The result matched what is known independently of the code.
    pub passed: bool,
    /// What was compared, with the values.
    pub detail: String,
}

impl Check {
    /// A check that passed when `passed` holds.
    pub fn new(passed: bool, detail: impl Into<String>) -> Self {
        Self {
            passed,
            detail: detail.into(),
        }
    }

    /// Both checks; the details joined.
    pub fn and(self, other: Check) -> Check {
        Check {
            passed: self.passed && other.passed,
            detail: format!("{}; {}", self.detail, other.detail),
        }
    }
}

/// What a case measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseReport {
    /// The case's name.
    pub name: String,
    /// Wall time of each run, seconds.
    pub samples_s: Vec<f64>,
    /// Items per run, if the case has a natural unit.
    pub throughput: Option<Throughput>,
    /// The reference's times on the same work, if one ran.
    pub reference: Option<ReferenceTiming>,
    /// Whether the result was right.
    pub check: Check,
    /// Peak resident memory of the process that ran the case, KiB (set when
    /// the case ran in a child process of its own).
    pub peak_rss_kib: Option<u64>,
    /// Anything a reader needs to read the numbers (threads, what a reference lacked).
    pub note: String,
}
