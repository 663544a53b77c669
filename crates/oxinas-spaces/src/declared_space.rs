//! A search space declared in a TOML file instead of written in Rust: named
//! choices (categorical lists, integer ranges, repeated choices), conditions,
//! forbidden combinations and an optional cell graph.
//!
//! Architectures are the index of each choice's value; a choice whose
//! condition does not hold is inactive. Sampling is uniform over the valid
//! architectures (draws over every choice, accepted with probability inverse
//! to the number of draws that give the same architecture, then checked
//! against the constraints), mutation changes one active choice, and the
//! canonical key merges isomorphic cells of the graph.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use oxinas_core::{Crossover, Enumerable, ParseArchError, RngCore, SearchSpace};
use rand::Rng;

use crate::declared_file::DeclarationError;
use crate::declared_format::{ArchFormat, INACTIVE_TEXT};
use crate::declared_graph::DeclaredGraph;
use crate::declared_network::{DeclaredNetwork, LayerSpec};

/// The value index of an inactive choice.
const INACTIVE: u16 = u16::MAX;

/// Above this many combinations the space is not counted by enumeration.
const COUNTABLE: u128 = 20_000_000;

/// Tries of mutation before falling back to a neighbour or a fresh sample.
const MUTATION_TRIES: usize = 64;

/// One architecture of a declared space: the index of each choice's value,
/// in declaration order (graph choices first).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeclaredArch(pub(crate) Vec<u16>);

impl DeclaredArch {
    /// The value index of each choice, `None` where the choice is inactive.
    pub fn values(&self) -> impl ExactSizeIterator<Item = Option<usize>> + '_ {
        self.0
            .iter()
            .map(|&v| (v != INACTIVE).then_some(usize::from(v)))
    }

    /// The raw value indices (inactive choices hold `u16::MAX`).
    pub fn raw(&self) -> &[u16] {
        &self.0
    }
}

/// One named choice of a declared space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredChoice {
    pub(crate) name: String,
    pub(crate) values: Vec<String>,
    pub(crate) ordered: bool,
    /// Active only when each `(choice, allowed values)` holds (earlier choices).
    pub(crate) conditions: Vec<(usize, Vec<u16>)>,
}

impl DeclaredChoice {
    /// The choice's name (repeated choices get `_0`, `_1`, ...).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The values, as written in architectures.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Whether values are ordered (mutation moves to an adjacent value).
    pub fn ordered(&self) -> bool {
        self.ordered
    }

    /// Whether the choice has conditions (it can be inactive).
    pub fn conditional(&self) -> bool {
        !self.conditions.is_empty()
    }
}

#[derive(Debug)]
pub(crate) struct Declaration {
    pub name: &'static str,
    pub choices: Vec<DeclaredChoice>,
    pub index: HashMap<String, usize>,
    /// Each entry forbids the architectures that hold one of the listed
    /// values on every listed choice.
    pub forbidden: Vec<Vec<(usize, Vec<u16>)>>,
    pub graph: Option<DeclaredGraph>,
    pub format: ArchFormat,
    pub network: Option<DeclaredNetwork>,
    pub cardinality: OnceLock<Option<u128>>,
}

/// A search space declared in TOML; see the module documentation and
/// `docs/SPACES.md`.
///
/// ```
/// use oxinas_core::SearchSpace;
/// use oxinas_spaces::DeclaredSpace;
///
/// let space = DeclaredSpace::from_toml(
///     r#"
///     name = "tiny"
///     [[choice]]
///     name = "op"
///     values = ["conv3x3", "conv5x5", "skip"]
///     repeat = 2
///     [[choice]]
///     name = "width"
///     range = [16, 64]
///     step = 16
///     "#,
///     None,
/// )
/// .unwrap();
/// assert_eq!(space.cardinality(), Some(3 * 3 * 4));
/// let arch = space.parse("conv5x5 skip 32").unwrap();
/// assert_eq!(space.format(&arch), "conv5x5 skip 32");
/// ```
#[derive(Clone, Debug)]
pub struct DeclaredSpace(pub(crate) Arc<Declaration>);

impl DeclaredSpace {
    /// Reads a space file.
    pub fn read(path: &Path) -> Result<Self, DeclarationError> {
        let text = std::fs::read_to_string(path).map_err(|e| DeclarationError {
            path: Some(path.to_path_buf()),
            line: None,
            key: "file".to_owned(),
            expected: format!("a readable space file ({e})"),
        })?;
        Self::from_toml(&text, Some(path))
    }

    /// The choices, graph choices first.
    pub fn choices(&self) -> &[DeclaredChoice] {
        &self.0.choices
    }

    /// The position of the choice `name`.
    pub fn choice_index(&self, name: &str) -> Option<usize> {
        self.0.index.get(name).copied()
    }

    /// The cell graph, for spaces that declare one.
    pub fn graph(&self) -> Option<&DeclaredGraph> {
        self.0.graph.as_ref()
    }

    /// The layer-wise network the space declares, if any.
    pub fn network(&self) -> Option<&DeclaredNetwork> {
        self.0.network.as_ref()
    }

    /// The layers of `arch`'s network (layers whose op choice is inactive
    /// left out), or `None` when the space declares no `[network]`.
    pub fn layers(&self, arch: &DeclaredArch) -> Option<Vec<LayerSpec>> {
        let network = self.0.network.as_ref()?;
        let value = |at: usize| {
            arch.0
                .get(at)
                .copied()
                .filter(|&v| v != INACTIVE)
                .map(usize::from)
        };
        let number = |at: Option<usize>, default: usize| {
            at.and_then(|at| Some(network.numbers[at].as_ref()?[value(at)?]))
                .unwrap_or(default)
        };
        let mut width = network.stem;
        let mut layers = Vec::new();
        for &(op_at, width_at, stride_at) in &network.layers {
            let Some(v) = value(op_at) else { continue };
            let op = network.ops[op_at].as_ref()?[v];
            width = number(width_at, width);
            layers.push(LayerSpec {
                op,
                width,
                stride: number(stride_at, 1),
            });
        }
        Some(layers)
    }

    /// Whether choice `at` is active given the earlier values of `values`.
    fn active(&self, values: &[u16], at: usize) -> bool {
        self.0.choices[at]
            .conditions
            .iter()
            .all(|(on, allowed)| values[*on] != INACTIVE && allowed.contains(&values[*on]))
    }

    /// Why `arch` is not an architecture of the space, if it is not.
    pub fn check(&self, arch: &DeclaredArch) -> Result<(), String> {
        let values = &arch.0;
        if values.len() != self.0.choices.len() {
            return Err(format!(
                "{} choices, found {}",
                self.0.choices.len(),
                values.len()
            ));
        }
        for (at, choice) in self.0.choices.iter().enumerate() {
            let active = self.active(values, at);
            let v = values[at];
            if active && (v == INACTIVE || usize::from(v) >= choice.values.len()) {
                return Err(format!(
                    "choice `{}` to hold one of {}",
                    choice.name,
                    choice.values.join(", ")
                ));
            }
            if !active && v != INACTIVE {
                return Err(format!(
                    "choice `{}` to be inactive (`{INACTIVE_TEXT}`): its condition does not hold",
                    choice.name
                ));
            }
        }
        for rule in &self.0.forbidden {
            if rule
                .iter()
                .all(|(on, banned)| values[*on] != INACTIVE && banned.contains(&values[*on]))
            {
                let combination: Vec<String> = rule
                    .iter()
                    .map(|(on, _)| {
                        let c = &self.0.choices[*on];
                        format!("{} = {}", c.name, c.values[usize::from(values[*on])])
                    })
                    .collect();
                return Err(format!(
                    "an allowed combination; {} is forbidden",
                    combination.join(", ")
                ));
            }
        }
        if let Some(graph) = &self.0.graph
            && let Some(reason) = graph.invalid(&values[..graph.num_choices()])
        {
            return Err(reason);
        }
        Ok(())
    }

    /// Whether `arch` is an architecture of the space.
    pub fn is_valid(&self, arch: &DeclaredArch) -> bool {
        self.check(arch).is_ok()
    }

    /// The architecture with these value texts, one per choice (`None` or
    /// [`INACTIVE_TEXT`] for an inactive choice); the error names the choice
    /// and its allowed values.
    pub fn from_texts(&self, texts: &[Option<&str>]) -> Result<DeclaredArch, String> {
        if texts.len() != self.0.choices.len() {
            return Err(format!(
                "{} values, found {}",
                self.0.choices.len(),
                texts.len()
            ));
        }
        let mut values = Vec::with_capacity(texts.len());
        for (choice, text) in self.0.choices.iter().zip(texts) {
            let value = match text.map(str::trim) {
                None | Some(INACTIVE_TEXT) => INACTIVE,
                Some(text) => choice
                    .values
                    .iter()
                    .position(|v| v == text)
                    .and_then(|i| u16::try_from(i).ok())
                    .ok_or_else(|| {
                        format!(
                            "choice `{}` to be one of {}, found `{text}`",
                            choice.name,
                            choice.values.join(", ")
                        )
                    })?,
            };
            values.push(value);
        }
        let arch = DeclaredArch(values);
        self.check(&arch)?;
        Ok(arch)
    }

    /// The architecture with value index `indices[i]` for each active choice
    /// `i` (the indices of inactive choices are ignored); the error says which
    /// index is out of range or which constraint the result breaks.
    pub fn settled(&self, indices: &[usize]) -> Result<DeclaredArch, String> {
        if indices.len() != self.0.choices.len() {
            return Err(format!(
                "{} value indices, found {}",
                self.0.choices.len(),
                indices.len()
            ));
        }
        let mut values = Vec::with_capacity(indices.len());
        for (at, (&index, choice)) in indices.iter().zip(&self.0.choices).enumerate() {
            if !self.active(&values, at) {
                values.push(INACTIVE);
                continue;
            }
            if index >= choice.values.len() {
                return Err(format!(
                    "an index below {} for choice `{}`, found {index}",
                    choice.values.len(),
                    choice.name
                ));
            }
            values.push(index as u16);
        }
        let arch = DeclaredArch(values);
        self.check(&arch)?;
        Ok(arch)
    }

    /// The text of each choice's value in `arch` ([`INACTIVE_TEXT`] where inactive).
    pub fn texts<'a>(&'a self, arch: &DeclaredArch) -> Vec<&'a str> {
        self.0
            .choices
            .iter()
            .zip(&arch.0)
            .map(|(c, &v)| {
                if v == INACTIVE {
                    INACTIVE_TEXT
                } else {
                    c.values[usize::from(v)].as_str()
                }
            })
            .collect()
    }

    /// Sets every choice after `from` to `fill(choice)` when active and to
    /// inactive otherwise, in order (activity depends on earlier choices only).
    fn settle(&self, values: &mut [u16], from: usize, fill: &mut dyn FnMut(usize) -> u16) {
        for at in from..values.len() {
            let active = self.active(values, at);
            values[at] = match (active, values[at]) {
                (false, _) => INACTIVE,
                (true, INACTIVE) => fill(at),
                (true, v) => v,
            };
        }
    }

    /// Every architecture that differs from `arch` in one active choice, in
    /// choice order; choices this activates take their first value.
    fn one_change(&self, arch: &DeclaredArch) -> Vec<DeclaredArch> {
        let mut out = Vec::new();
        for (at, choice) in self.0.choices.iter().enumerate() {
            let current = arch.0[at];
            if current == INACTIVE {
                continue;
            }
            let alternatives: Vec<u16> = if choice.ordered {
                [current.checked_sub(1), current.checked_add(1)]
                    .into_iter()
                    .flatten()
                    .filter(|&v| usize::from(v) < choice.values.len())
                    .collect()
            } else {
                (0..choice.values.len() as u16)
                    .filter(|&v| v != current)
                    .collect()
            };
            for v in alternatives {
                let mut values = arch.0.clone();
                values[at] = v;
                self.settle(&mut values, at + 1, &mut |_| 0);
                let candidate = DeclaredArch(values);
                if candidate != *arch && self.is_valid(&candidate) && !out.contains(&candidate) {
                    out.push(candidate);
                }
            }
        }
        out
    }

    /// Draws every choice uniformly and keeps the draw with probability
    /// inverse to how many draws give the same architecture; `None` when the
    /// draw is rejected or breaks a constraint.
    pub(crate) fn try_draw(&self, rng: &mut dyn RngCore) -> Option<DeclaredArch> {
        let mut values: Vec<u16> = self
            .0
            .choices
            .iter()
            .map(|c| rng.random_range(0..c.values.len() as u16))
            .collect();
        let mut duplicates = 1.0_f64;
        for at in 0..values.len() {
            if !self.active(&values, at) {
                duplicates *= self.0.choices[at].values.len() as f64;
                values[at] = INACTIVE;
            }
        }
        if duplicates > 1.0 && rng.random::<f64>() * duplicates >= 1.0 {
            return None;
        }
        let arch = DeclaredArch(values);
        self.is_valid(&arch).then_some(arch)
    }

    /// The number of architectures, by enumeration when the space has
    /// conditions or constraints.
    fn count(&self) -> Option<u128> {
        let product = self
            .0
            .choices
            .iter()
            .try_fold(1u128, |acc, c| acc.checked_mul(c.values.len() as u128))?;
        let constrained = !self.0.forbidden.is_empty()
            || self.0.choices.iter().any(DeclaredChoice::conditional)
            || self
                .0
                .graph
                .as_ref()
                .is_some_and(|g| g.require_path || g.max_edges.is_some());
        if !constrained {
            return Some(product);
        }
        (product <= COUNTABLE).then(|| self.enumerate().count() as u128)
    }

    /// The first architecture in enumeration order (valid or not), as the
    /// enumeration's starting point.
    fn first(&self) -> Vec<u16> {
        let mut values = vec![INACTIVE; self.0.choices.len()];
        self.settle(&mut values, 0, &mut |_| 0);
        values
    }

    /// The next combination after `values` (odometer, last choice fastest),
    /// or `None` after the last.
    fn advance(&self, values: &mut [u16]) -> bool {
        for at in (0..values.len()).rev() {
            let v = values[at];
            if v != INACTIVE && usize::from(v) + 1 < self.0.choices[at].values.len() {
                values[at] = v + 1;
                for later in &mut values[at + 1..] {
                    *later = INACTIVE;
                }
                self.settle(values, at + 1, &mut |_| 0);
                return true;
            }
        }
        false
    }
}

impl SearchSpace for DeclaredSpace {
    type Arch = DeclaredArch;
    type Canonical = String;

    fn name(&self) -> &'static str {
        self.0.name
    }

    fn sample(&self, rng: &mut dyn RngCore) -> DeclaredArch {
        // A declaration is refused when draws almost never give a valid
        // architecture, so this ends.
        loop {
            if let Some(arch) = self.try_draw(rng) {
                return arch;
            }
        }
    }

    fn mutate(&self, arch: &DeclaredArch, rng: &mut dyn RngCore) -> DeclaredArch {
        let active: Vec<usize> = (0..arch.0.len())
            .filter(|&at| arch.0[at] != INACTIVE && self.0.choices[at].values.len() > 1)
            .collect();
        for _ in 0..MUTATION_TRIES {
            let Some(&at) = active.get(rng.random_range(0..active.len().max(1))) else {
                break;
            };
            let choice = &self.0.choices[at];
            let current = arch.0[at];
            let size = choice.values.len() as u16;
            let v = if choice.ordered {
                match (current, rng.random::<bool>()) {
                    (0, _) => 1,
                    (c, _) if c + 1 == size => c - 1,
                    (c, true) => c + 1,
                    (c, false) => c - 1,
                }
            } else {
                let v = rng.random_range(0..size - 1);
                if v >= current { v + 1 } else { v }
            };
            let mut values = arch.0.clone();
            values[at] = v;
            self.settle(&mut values, at + 1, &mut |later| {
                rng.random_range(0..self.0.choices[later].values.len() as u16)
            });
            let child = DeclaredArch(values);
            if child != *arch && self.is_valid(&child) {
                return child;
            }
        }
        // Hemmed in by constraints: a neighbour, else a fresh architecture.
        let neighbors = self.one_change(arch);
        if !neighbors.is_empty() {
            return neighbors[rng.random_range(0..neighbors.len())].clone();
        }
        for _ in 0..MUTATION_TRIES {
            let other = self.sample(rng);
            if other != *arch {
                return other;
            }
        }
        arch.clone()
    }

    fn neighbors(&self, arch: &DeclaredArch) -> Vec<DeclaredArch> {
        self.one_change(arch)
    }

    fn canonical(&self, arch: &DeclaredArch) -> String {
        let (graph_part, rest) = match &self.0.graph {
            Some(graph) => {
                let n = graph.num_choices().min(arch.0.len());
                (graph.canonical(&arch.0[..n]), &arch.0[n..])
            }
            None => (String::new(), &arch.0[..]),
        };
        let rest: Vec<String> = rest
            .iter()
            .map(|&v| {
                if v == INACTIVE {
                    INACTIVE_TEXT.to_owned()
                } else {
                    v.to_string()
                }
            })
            .collect();
        format!("{graph_part};{}", rest.join(","))
    }

    fn cardinality(&self) -> Option<u128> {
        *self.0.cardinality.get_or_init(|| self.count())
    }

    fn format(&self, arch: &DeclaredArch) -> String {
        self.0.format.write(&self.texts(arch))
    }

    fn parse(&self, text: &str) -> Result<DeclaredArch, ParseArchError> {
        let choices = &self.0.choices;
        let allowed =
            |at: usize, t: &str| t == INACTIVE_TEXT || choices[at].values.iter().any(|v| v == t);
        let texts = self
            .0
            .format
            .read(text, choices.len(), &allowed)
            .map_err(|expected| ParseArchError::new(self.0.name, text, expected))?;
        let texts: Vec<Option<&str>> = texts.into_iter().map(Some).collect();
        self.from_texts(&texts)
            .map_err(|expected| ParseArchError::new(self.0.name, text, expected))
    }
}

impl Enumerable for DeclaredSpace {
    fn enumerate(&self) -> Box<dyn Iterator<Item = DeclaredArch> + '_> {
        let mut next = Some(self.first());
        Box::new(std::iter::from_fn(move || {
            loop {
                let current = next.take()?;
                let mut following = current.clone();
                if self.advance(&mut following) {
                    next = Some(following);
                }
                let arch = DeclaredArch(current);
                if self.is_valid(&arch) {
                    return Some(arch);
                }
            }
        }))
    }
}

impl Crossover for DeclaredSpace {
    /// Each choice from either parent, then the conditions settled; falls back
    /// to a parent when the child breaks a constraint.
    fn crossover(&self, a: &DeclaredArch, b: &DeclaredArch, rng: &mut dyn RngCore) -> DeclaredArch {
        for _ in 0..MUTATION_TRIES {
            let mut values: Vec<u16> =
                a.0.iter()
                    .zip(&b.0)
                    .map(|(&x, &y)| if rng.random::<bool>() { x } else { y })
                    .collect();
            // A value taken from a parent where the choice was inactive is
            // replaced by the other parent's, or a random one.
            for at in 0..values.len() {
                let active = self.active(&values, at);
                values[at] = match (active, values[at], a.0[at], b.0[at]) {
                    (false, ..) => INACTIVE,
                    (true, INACTIVE, INACTIVE, INACTIVE) => {
                        rng.random_range(0..self.0.choices[at].values.len() as u16)
                    }
                    (true, INACTIVE, INACTIVE, y) => y,
                    (true, INACTIVE, x, _) => x,
                    (true, v, ..) => v,
                };
            }
            let child = DeclaredArch(values);
            if self.is_valid(&child) {
                return child;
            }
        }
        a.clone()
    }
}
