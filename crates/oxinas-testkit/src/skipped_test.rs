use std::io::Write;
use std::path::PathBuf;

/// The file every skipped test appends a line to, next to the test binaries'
/// `deps/` folder (`target/debug/skipped-tests.log` for `cargo test`).
pub const SKIP_LOG_NAME: &str = "skipped-tests.log";

/// Records that the running test is skipped for `reason`, so that a skip can
/// never pass for a check.
///
/// The line `skipped TEST: REASON` goes straight to the process's stderr,
/// bypassing the test harness's output capture, so it shows in a passing
/// run; the same line is appended to [`skip_log`], which `.ci/run` counts
/// after the suite (docs/TESTING.md). The caller returns from the test after
/// calling this.
pub fn skip_test(reason: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("(unnamed test)");
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let line = format!("skipped {binary} {test}: {reason}\n");
    // Best effort: a skip is reported even when stderr or the log is not writable.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    if let Some(log) = skip_log()
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
    {
        // One write per line: appends from parallel tests do not interleave.
        let _ = file.write_all(line.as_bytes());
    }
}

/// The skip log of the running test binary: [`SKIP_LOG_NAME`] in the folder
/// above its `deps/` folder, or `None` for a binary that cargo did not build
/// there.
pub fn skip_log() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    Some(deps.parent()?.join(SKIP_LOG_NAME))
}
