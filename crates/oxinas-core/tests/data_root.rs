//! `data_root` resolves `OXINAS_DATA` as documented. Each case runs this test
//! binary again with a chosen environment (a process's environment is shared
//! by all its tests), filtered to the probe, which prints what it resolved.

// The probe reports through stdout to the parent test.
#![allow(clippy::print_stdout)]

use std::process::Command;

const PROBE_ENV: &str = "OXINAS_CORE_DATA_ROOT_PROBE";
const WORKSPACE_ENV: &str = "OXINAS_WORKSPACE_DIR";

#[test]
fn probe_data_root() {
    if std::env::var_os(PROBE_ENV).is_some() {
        println!("data_root=[{}]", oxinas_core::data_root().display());
    }
}

/// What `data_root` gives with `OXINAS_DATA` and the workspace directory set
/// as given (`None`: unset).
fn resolved(data: Option<&str>, workspace: Option<&str>) -> String {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "probe_data_root",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(PROBE_ENV, "1")
        .env_remove("OXINAS_DATA")
        .env_remove(WORKSPACE_ENV);
    if let Some(data) = data {
        command.env("OXINAS_DATA", data);
    }
    if let Some(workspace) = workspace {
        command.env(WORKSPACE_ENV, workspace);
    }
    let out = command.output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let start = stdout.find("data_root=[").expect("the probe ran") + "data_root=[".len();
    let end = stdout[start..].find(']').unwrap() + start;
    stdout[start..end].to_owned()
}

#[test]
fn oxinas_data_is_resolved_against_the_workspace_when_relative() {
    assert_eq!(resolved(None, None), "data");
    assert_eq!(resolved(Some(""), None), "data", "empty counts as unset");
    assert_eq!(resolved(Some("bench"), None), "bench");
    assert_eq!(resolved(None, Some("/ws")), "/ws/data");
    assert_eq!(
        resolved(Some("../shared/data"), Some("/ws")),
        "/ws/../shared/data"
    );
    assert_eq!(resolved(Some("/abs/data"), Some("/ws")), "/abs/data");
    assert_eq!(
        resolved(Some("bench"), Some("")),
        "bench",
        "an empty workspace is none"
    );
}
