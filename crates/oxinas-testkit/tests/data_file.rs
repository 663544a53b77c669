//! `data_file` fails when a data directory was given and skips, visibly and
//! counted, only when none was. Each case runs a copy of this test binary
//! (from a scratch `deps/` folder, so its skip log lands in scratch space)
//! with a chosen environment, filtered to the probe below.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;

use oxinas_testkit::{SKIP_LOG_NAME, data_file};

/// The probe is inert unless the parent test sets this.
const PROBE_ENV: &str = "OXINAS_TESTKIT_PROBE";
const MISSING: &str = "no/such/benchmark.csv";

#[test]
fn probe_missing_data_file() {
    if std::env::var_os(PROBE_ENV).is_none() {
        return;
    }
    assert!(data_file(MISSING).is_none());
}

/// Held while a copy of the binary is written and started. Without it, one
/// test's `fork` can inherit the other's still-open copy for writing, and
/// executing that copy then fails with ETXTBSY ("Text file busy").
static SPAWN: Mutex<()> = Mutex::new(());

/// Runs the probe from `scratch/deps/` with `data` as `OXINAS_DATA` (unset
/// when `None`) and `CI` unset.
fn run_probe(scratch: &Path, data: Option<&Path>) -> Output {
    let _one_at_a_time = SPAWN.lock().unwrap_or_else(|e| e.into_inner());
    let deps = scratch.join("deps");
    std::fs::create_dir_all(&deps).unwrap();
    let exe = deps.join("probe");
    std::fs::copy(std::env::current_exe().unwrap(), &exe).unwrap();
    let mut command = Command::new(exe);
    command
        .args(["--exact", "probe_missing_data_file", "--test-threads=1"])
        .env(PROBE_ENV, "1")
        .env_remove("CI")
        .env_remove("OXINAS_DATA");
    if let Some(dir) = data {
        command.env("OXINAS_DATA", dir);
    }
    command.output().unwrap()
}

#[test]
fn a_missing_file_fails_the_test_when_oxinas_data_is_set() {
    let scratch = tempfile::tempdir().unwrap();
    let data = scratch.path().join("wrong-folder");
    let out = run_probe(scratch.path(), Some(&data));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    let expected = data.join(MISSING);
    assert!(
        stdout.contains(&format!("benchmark data {} not found", expected.display())),
        "{stdout}"
    );
    assert!(!scratch.path().join(SKIP_LOG_NAME).exists());
}

#[test]
fn a_missing_file_skips_visibly_and_is_counted_when_oxinas_data_is_unset() {
    let scratch = tempfile::tempdir().unwrap();
    let log = scratch.path().join(SKIP_LOG_NAME);
    for run in 1..=2 {
        let out = run_probe(scratch.path(), None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        // Shown although the harness captured the test's output.
        assert!(
            stderr.contains("skipped probe probe_missing_data_file: benchmark data "),
            "{stderr}"
        );
        assert!(stderr.contains("OXINAS_DATA unset"), "{stderr}");
        let lines = std::fs::read_to_string(&log).unwrap();
        assert_eq!(lines.lines().count(), run, "{lines}");
        assert!(lines.lines().all(|l| l.contains(MISSING)), "{lines}");
    }
}
