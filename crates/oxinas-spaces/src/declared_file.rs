//! The TOML vocabulary of a declared space, as read from a space file, and the
//! error a bad declaration gets.
//!
//! Entries keep their position in the file ([`toml::Spanned`]) so that an
//! error found after parsing (a duplicate name, a cyclic graph) still names
//! the line. See `docs/SPACES.md` for the reference of every key.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;
use toml::Spanned;

/// A declaration that cannot be a space: where it is and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{}{}: {key}: {expected}", .path.as_ref().map_or_else(String::new, |p| p.display().to_string()), .line.map_or_else(String::new, |l| format!(" line {l}")))]
pub struct DeclarationError {
    /// The space file, when the declaration came from one.
    pub path: Option<PathBuf>,
    /// The 1-based line of the offending entry, when known.
    pub line: Option<usize>,
    /// The key or entry at fault, e.g. ``[[choice]] `op` `` or `graph.edges`.
    pub key: String,
    /// What was expected instead.
    pub expected: String,
}

/// A scalar written in a choice's `values` or a condition's `in`: strings,
/// integers, floats and booleans all become the text they are written as.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum Scalar {
    Text(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Text(s) => f.write_str(s),
            Scalar::Integer(i) => write!(f, "{i}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// One value or a list of them (forbidden combinations accept both).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(Scalar),
    Many(Vec<Scalar>),
}

impl OneOrMany {
    pub(crate) fn texts(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.to_string()],
            OneOrMany::Many(v) => v.iter().map(ToString::to_string).collect(),
        }
    }
}

/// The whole space file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpaceFile {
    pub name: Spanned<String>,
    #[serde(default)]
    pub format: Option<Spanned<FormatEntry>>,
    #[serde(default)]
    pub graph: Option<Spanned<GraphEntry>>,
    #[serde(default, rename = "choice")]
    pub choices: Vec<Spanned<ChoiceEntry>>,
    #[serde(default, rename = "condition")]
    pub conditions: Vec<Spanned<ConditionEntry>>,
    #[serde(default)]
    pub forbidden: Vec<Spanned<BTreeMap<String, OneOrMany>>>,
    #[serde(default)]
    pub network: Option<Spanned<crate::declared_network::NetworkEntry>>,
}

/// `format = { separator = " " }` or `format = { template = "..." }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FormatEntry {
    #[serde(default)]
    pub separator: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
}

/// A `[[choice]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChoiceEntry {
    pub name: String,
    #[serde(default)]
    pub values: Option<Vec<Scalar>>,
    /// `[min, max]`, both included.
    #[serde(default)]
    pub range: Option<[i64; 2]>,
    #[serde(default)]
    pub step: Option<i64>,
    /// Copies `name_0 .. name_{repeat-1}` of the choice.
    #[serde(default)]
    pub repeat: Option<usize>,
    /// Whether the values are ordered (mutation moves to an adjacent one).
    #[serde(default)]
    pub ordered: Option<bool>,
}

/// A `[[condition]]` table: `choice` is active only when `when` holds one of `in`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConditionEntry {
    pub choice: String,
    pub when: String,
    #[serde(rename = "in")]
    pub values: Vec<Scalar>,
}

/// Where a graph's operations sit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpsOn {
    /// One operation per candidate edge (NAS-Bench-201, DARTS cells).
    Edges,
    /// One operation per interior node, and each candidate edge on or off
    /// (NAS-Bench-101 cells).
    Nodes,
}

/// The `[graph]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GraphEntry {
    pub nodes: usize,
    pub ops_on: OpsOn,
    pub ops: Vec<String>,
    #[serde(default)]
    pub input: Option<usize>,
    #[serde(default)]
    pub output: Option<usize>,
    #[serde(default)]
    pub edges: Option<Vec<[usize; 2]>>,
    #[serde(default)]
    pub zero_op: Option<String>,
    #[serde(default)]
    pub identity_op: Option<String>,
    #[serde(default)]
    pub max_edges: Option<usize>,
    #[serde(default)]
    pub require_path: Option<bool>,
}

/// Turns byte offsets of the file into 1-based line numbers.
pub(crate) struct Lines<'t> {
    pub text: &'t str,
    pub path: Option<&'t Path>,
}

impl Lines<'_> {
    /// The line of byte offset `at`.
    pub(crate) fn line(&self, at: usize) -> usize {
        self.text[..at.min(self.text.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
            + 1
    }

    /// An error at the entry spanning `span`.
    pub(crate) fn error(
        &self,
        span: std::ops::Range<usize>,
        key: impl Into<String>,
        expected: impl Into<String>,
    ) -> DeclarationError {
        DeclarationError {
            path: self.path.map(Path::to_path_buf),
            line: Some(self.line(span.start)),
            key: key.into(),
            expected: expected.into(),
        }
    }
}
