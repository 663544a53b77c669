use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Everything needed to audit and repeat a run, written as `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The experiment's name.
    pub name: String,
    /// Path of the config file as given.
    pub config_path: String,
    /// The config file's text, verbatim.
    pub config: String,
    /// The seeds used.
    pub seeds: Seeds,
    /// The code that ran.
    pub code: CodeVersion,
    /// The machine it ran on.
    pub host: Host,
    /// Start time, RFC 3339 UTC.
    pub started: String,
    /// End time, RFC 3339 UTC (`None` while running).
    pub finished: Option<String>,
}

/// The seeds of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Seeds {
    /// The experiment seed from the config.
    pub experiment: u64,
    /// The seed of each trial index, derived from the experiment seed. Trial `i`
    /// of every optimizer uses `trials[i]`.
    pub trials: Vec<u64>,
}

/// Version information of the code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodeVersion {
    /// `git rev-parse HEAD` of the working directory, if it is a git checkout.
    pub git_commit: Option<String>,
    /// Whether the checkout had uncommitted changes to tracked files.
    pub git_dirty: Option<bool>,
    /// `rustc --version` of the compiler that built the recorder.
    pub rustc: String,
    /// Versions of the crates involved, by name.
    pub crates: BTreeMap<String, String>,
}

/// The machine a run used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Host {
    /// Logical cores available to the process.
    pub cores: usize,
    /// Worker threads the run used.
    pub threads: usize,
    /// Operating system and architecture.
    pub os: String,
}

impl CodeVersion {
    /// Reads the git state of `repo_dir` (when `git` and a checkout exist) and
    /// records the compiler and the given crate versions.
    pub fn detect(repo_dir: &Path, crates: BTreeMap<String, String>) -> Self {
        let git = |args: &[&str]| {
            Command::new("git")
                .args(args)
                .current_dir(repo_dir)
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        };
        let git_commit = git(&["rev-parse", "HEAD"]);
        let git_dirty = git_commit
            .as_ref()
            .and_then(|_| git(&["status", "--porcelain", "--untracked-files=no"]))
            .map(|status| !status.is_empty());
        Self {
            git_commit,
            git_dirty,
            rustc: env!("OXINAS_RUSTC_VERSION").to_owned(),
            crates,
        }
    }
}

impl Host {
    /// The current machine, running `threads` workers.
    pub fn detect(threads: usize) -> Self {
        Self {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            threads,
            os: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
        }
    }
}

/// The current time as RFC 3339 UTC, to the second.
pub(crate) fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

impl Manifest {
    /// A manifest for a run starting now.
    pub fn start(
        name: &str,
        config_path: &str,
        config: &str,
        seeds: Seeds,
        code: CodeVersion,
        host: Host,
    ) -> Self {
        Self {
            name: name.to_owned(),
            config_path: config_path.to_owned(),
            config: config.to_owned(),
            seeds,
            code,
            host,
            started: now(),
            finished: None,
        }
    }
}
