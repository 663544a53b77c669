use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use oxinas_formats::{FormatError, sha256_file, sha256_hex};

/// Everything needed to audit and repeat a run, written as `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The experiment's name.
    pub name: String,
    /// Path of the config file as given.
    pub config_path: String,
    /// The config file's text, verbatim.
    pub config: String,
    /// SHA-256 of [`Manifest::config`]; a resumed run must have the same.
    #[serde(default)]
    pub config_sha256: String,
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
    /// Times at which the run was resumed after an interruption.
    #[serde(default)]
    pub resumed: Vec<String>,
    /// How trials were executed (`local` or `slurm`).
    #[serde(default)]
    pub executor: String,
    /// The `OXINAS_*` environment variables of the process.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// The data files the benchmark read, with their checksums.
    #[serde(default)]
    pub data_files: Vec<DataFile>,
    /// The device a run that trains networks trained on; absent for runs that
    /// train nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<ComputeDevice>,
}

/// The device a run trained on, as found when it started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputeDevice {
    /// The device as asked for (`cpu`, `cuda:0`, `wgpu`).
    pub requested: String,
    /// The backend that ran it, as Burn names it.
    pub backend: String,
    /// The hardware: the CPU's model, the GPU's or the adapter's name.
    pub name: Option<String>,
    /// The driver and its version, where known.
    pub driver: Option<String>,
}

/// A data file a run read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataFile {
    /// The path as opened.
    pub path: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 of its content, lowercase hex.
    pub sha256: String,
}

impl DataFile {
    /// Sizes and checksums the file at `path`.
    pub fn read(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            path: path.display().to_string(),
            bytes: std::fs::metadata(path)?.len(),
            sha256: sha256_file(path).map_err(|e| match e {
                FormatError::Io { source, .. } => source,
                other => std::io::Error::other(other),
            })?,
        })
    }
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
    /// SHA-256 of `git diff HEAD` when the checkout is dirty, so that two runs
    /// from the same dirty state can be told apart from different ones.
    #[serde(default)]
    pub git_diff_sha256: Option<String>,
    /// SHA-256 of the workspace's `Cargo.lock` (the exact dependency versions).
    #[serde(default)]
    pub cargo_lock_sha256: Option<String>,
    /// `rustc --version` of the compiler that built the recorder.
    pub rustc: String,
    /// Cargo features enabled in the binary that ran.
    #[serde(default)]
    pub features: Vec<String>,
    /// The compute backend evaluations used (`cpu`, or a device).
    #[serde(default)]
    pub backend: String,
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
    /// Host name.
    #[serde(default)]
    pub hostname: Option<String>,
    /// Physical memory in bytes (from `/proc/meminfo` where available).
    #[serde(default)]
    pub memory_bytes: Option<u64>,
    /// GPUs as named by `nvidia-smi -L`; empty when there are none.
    #[serde(default)]
    pub gpus: Vec<String>,
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
        let git_diff_sha256 = match git_dirty {
            Some(true) => git(&["diff", "HEAD"]).map(|diff| sha256_hex(diff.as_bytes())),
            _ => None,
        };
        Self {
            git_commit,
            git_dirty,
            git_diff_sha256,
            cargo_lock_sha256: sha256_file(&repo_dir.join("Cargo.lock")).ok(),
            rustc: env!("OXINAS_RUSTC_VERSION").to_owned(),
            features: Vec::new(),
            backend: "cpu".to_owned(),
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
            hostname: std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty()),
            memory_bytes: std::fs::read_to_string("/proc/meminfo")
                .ok()
                .and_then(|text| memory_total(&text)),
            gpus: Command::new("nvidia-smi")
                .arg("-L")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| {
                    String::from_utf8_lossy(&o.stdout)
                        .lines()
                        .map(|l| l.trim().to_owned())
                        .filter(|l| !l.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn memory_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The `OXINAS_*` variables of the environment, sorted by name.
pub fn oxinas_environment() -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| k.starts_with("OXINAS_"))
        .collect()
}

/// The current time as RFC 3339 UTC, to the second.
pub fn now_rfc3339() -> String {
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
            config_sha256: sha256_hex(config.as_bytes()),
            seeds,
            code,
            host,
            started: now_rfc3339(),
            finished: None,
            resumed: Vec::new(),
            executor: "local".to_owned(),
            environment: oxinas_environment(),
            data_files: Vec::new(),
            compute: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_memory_total() {
        let meminfo = "MemTotal:        8000000 kB\nMemFree:  10 kB\n";
        assert_eq!(memory_total(meminfo), Some(8_000_000 * 1024));
        assert_eq!(memory_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn data_file_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        std::fs::write(&path, b"abc").unwrap();
        let file = DataFile::read(&path).unwrap();
        assert_eq!(file.bytes, 3);
        assert_eq!(
            file.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
