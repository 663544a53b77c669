//! Running one test alone in a fresh process of its own test binary.
//!
//! Burn keys a device's default float type by the device alone, and the
//! first tensor a process makes fixes it: `NdArray<f64>` and `NdArray<f32>`
//! share one `NdArrayDevice`, so an f64 test that runs after an f32 one in
//! the same binary gets f32 tensors. A test that needs f64 calls
//! [`run_isolated`] first and runs its body only in the fresh process.

use std::process::Command;

/// Set in the child process to the name of the test it runs alone.
const ISOLATED_ENV: &str = "OXINAS_ISOLATED_TEST";

/// Runs the test `path` (its full path, e.g.
/// `concat!(module_path!(), "::my_test")`) alone in a fresh process of the
/// current test binary. Returns `true` in the calling process once the child
/// has passed (the caller then returns), `false` in the child (the caller
/// runs its body). Panics with the child's output when the child fails.
///
/// ```no_run
/// #[test]
/// fn needs_f64() {
///     if oxinas_testkit::run_isolated(concat!(module_path!(), "::needs_f64")) {
///         return;
///     }
///     // ... the test's body, alone in its process ...
/// }
/// ```
pub fn run_isolated(path: &str) -> bool {
    // libtest names tests without the crate: `module::tests::name`.
    let name = path.split_once("::").map_or(path, |(_, rest)| rest);
    if std::env::var(ISOLATED_ENV).is_ok_and(|running| running == name) {
        return false;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = Command::new(&exe)
        .args(["--exact", name, "--test-threads=1", "--nocapture"])
        .env(ISOLATED_ENV, name)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} failed in its own process:\n{stdout}\n{stderr}"
    );
    // `--exact` with a wrong name runs nothing and succeeds: make sure the
    // test did run.
    assert!(
        stdout.contains("1 passed"),
        "{name} did not run in its own process (is the path right?):\n{stdout}"
    );
    true
}
