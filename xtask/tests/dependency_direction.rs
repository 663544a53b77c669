//! The dependency direction of docs/ARCHITECTURE.md, enforced from
//! `cargo metadata`: each crate's row in the layout block names exactly its
//! normal (non-dev) dependencies on other workspace crates, Burn is reached
//! only through the trainer and the one-shot crate, tract only through the
//! benchmarks crate, and the table-only crates reach neither.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Crates that must build without Burn or tract: a user who searches tables
/// depends on these only.
const DEEP_LEARNING_FREE: [&str; 9] = [
    "oxinas-core",
    "oxinas-formats",
    "oxinas-spaces",
    "oxinas-encodings",
    "oxinas-predictors",
    "oxinas-optimizers",
    "oxinas-record",
    "oxinas-statistics",
    "oxinas-nb360",
];

/// The only workspace crates that may name Burn or tract themselves.
const BURN_DIRECT: [&str; 2] = ["oxinas-train", "oxinas-oneshot"];
const TRACT_DIRECT: [&str; 1] = ["oxinas-benchmarks"];

struct Graph {
    /// Package id -> name.
    names: BTreeMap<String, String>,
    /// Package id -> ids of its normal dependencies.
    normal: BTreeMap<String, Vec<String>>,
    workspace: BTreeSet<String>,
}

fn graph() -> Graph {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // Only this platform's packages: wgpu's graph names Android and Windows
    // crates that an offline checkout never downloaded.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(rustc).arg("-vV").output().expect("rustc runs");
    let host = String::from_utf8_lossy(&version.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let workspace = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    let normal = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let deps = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| {
                    d["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].is_null())
                })
                .map(|d| d["pkg"].as_str().unwrap().to_owned())
                .collect();
            (node["id"].as_str().unwrap().to_owned(), deps)
        })
        .collect();
    Graph {
        names,
        normal,
        workspace,
    }
}

impl Graph {
    fn id(&self, name: &str) -> &str {
        self.workspace
            .iter()
            .find(|id| self.names[*id] == name)
            .unwrap_or_else(|| panic!("no workspace crate {name}"))
    }

    /// Names of the workspace crates `name` depends on directly (normal).
    fn direct_workspace_deps(&self, name: &str) -> BTreeSet<String> {
        self.normal[self.id(name)]
            .iter()
            .filter(|d| self.workspace.contains(*d))
            .map(|d| self.names[d].clone())
            .collect()
    }

    /// Names of every package `name` reaches through normal dependencies.
    fn reach(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![self.id(name).to_owned()];
        while let Some(id) = stack.pop() {
            for dep in &self.normal[&id] {
                if seen.insert(dep.clone()) {
                    stack.push(dep.clone());
                }
            }
        }
        seen.into_iter().map(|id| self.names[&id].clone()).collect()
    }

    fn direct(&self, name: &str) -> BTreeSet<String> {
        self.normal[self.id(name)]
            .iter()
            .map(|d| self.names[d].clone())
            .collect()
    }
}

fn is_burn(name: &str) -> bool {
    name == "burn" || name.starts_with("burn-")
}

fn is_tract(name: &str) -> bool {
    name.starts_with("tract-")
}

/// The layout block's rows: crate name -> the short names after `->`.
fn documented() -> BTreeMap<String, BTreeSet<String>> {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/ARCHITECTURE.md");
    let text = std::fs::read_to_string(&doc).unwrap();
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("  oxinas-") else {
            continue;
        };
        let name = format!("oxinas-{}", rest.split_whitespace().next().unwrap());
        let deps = match line.split_once("-> ") {
            Some((_, list)) => list
                .split(',')
                .map(|s| format!("oxinas-{}", s.trim()))
                .collect(),
            None => BTreeSet::new(),
        };
        rows.insert(name, deps);
    }
    rows
}

#[test]
fn the_architecture_document_names_every_dependency_of_every_crate() {
    let graph = graph();
    let rows = documented();
    let libraries: BTreeSet<String> = graph
        .workspace
        .iter()
        .map(|id| graph.names[id].clone())
        .filter(|n| n.starts_with("oxinas-"))
        .collect();
    let documented: BTreeSet<String> = rows.keys().cloned().collect();
    assert_eq!(
        documented, libraries,
        "crates with a row in the layout block"
    );
    for (name, listed) in &rows {
        assert_eq!(
            &graph.direct_workspace_deps(name),
            listed,
            "{name}: its row in docs/ARCHITECTURE.md against Cargo.toml"
        );
    }
    assert!(rows["oxinas-core"].is_empty());
}

#[test]
fn burn_and_tract_are_reached_only_where_the_design_allows() {
    let graph = graph();
    for id in &graph.workspace {
        let name = &graph.names[id];
        let direct = graph.direct(name);
        if direct.iter().any(|d| is_burn(d)) {
            assert!(BURN_DIRECT.contains(&name.as_str()), "{name} names Burn");
        }
        if direct.iter().any(|d| is_tract(d)) {
            assert!(TRACT_DIRECT.contains(&name.as_str()), "{name} names tract");
        }
    }
    for name in DEEP_LEARNING_FREE {
        let reach = graph.reach(name);
        let heavy: Vec<&String> = reach.iter().filter(|d| is_burn(d) || is_tract(d)).collect();
        assert!(heavy.is_empty(), "{name} reaches {heavy:?}");
    }
    // The benchmarks crate (tract for the NB301 surrogate) stays free of Burn.
    assert!(!graph.reach("oxinas-benchmarks").iter().any(|d| is_burn(d)));
    // And the rule has teeth: the trainer does reach Burn.
    assert!(graph.reach("oxinas-train").iter().any(|d| is_burn(d)));
}
