//! Turning a space file into a [`DeclaredSpace`], with an error naming the
//! key and line of every bad declaration.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use oxinas_core::seed::rng_from_seed;

use crate::declared_file::{
    ChoiceEntry, DeclarationError, GraphEntry, Lines, OpsOn, Scalar, SpaceFile,
};
use crate::declared_format::{ArchFormat, INACTIVE_TEXT};
use crate::declared_graph::DeclaredGraph;
use crate::declared_network::{DeclaredNetwork, LAYER_OP_FORMS, LayerOp, NetworkEntry};
use crate::declared_space::{Declaration, DeclaredChoice, DeclaredSpace};

/// Random draws tried before a declaration is refused as (nearly) empty.
const DRAWS_TO_FIND_ONE: usize = 100_000;

/// The separator of architecture strings when the file names no format.
const DEFAULT_SEPARATOR: &str = " ";

/// Space names live as long as the program ([`oxinas_core::SearchSpace::name`]
/// is `&'static str`); each distinct name is stored once.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match names.get(name) {
        Some(stored) => stored,
        None => {
            let stored: &'static str = Box::leak(name.to_owned().into_boxed_str());
            names.insert(stored);
            stored
        }
    }
}

impl DeclaredSpace {
    /// Reads a declaration from TOML text; `path` (the file it came from)
    /// is named in errors.
    pub fn from_toml(text: &str, path: Option<&Path>) -> Result<Self, DeclarationError> {
        let lines = Lines { text, path };
        let file: SpaceFile = toml::from_str(text).map_err(|e| DeclarationError {
            path: path.map(Path::to_path_buf),
            line: e.span().map(|s| lines.line(s.start)),
            key: "space file".to_owned(),
            expected: e.message().trim().to_owned(),
        })?;
        build(&file, &lines)
    }
}

fn build(file: &SpaceFile, lines: &Lines<'_>) -> Result<DeclaredSpace, DeclarationError> {
    if file.name.get_ref().trim().is_empty() {
        return Err(lines.error(file.name.span(), "name", "a non-empty space name"));
    }
    let graph = file
        .graph
        .as_ref()
        .map(|g| build_graph(g.get_ref(), g.span(), lines))
        .transpose()?;
    let mut choices: Vec<DeclaredChoice> = Vec::new();
    let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    if let (Some(graph), Some(entry)) = (&graph, &file.graph) {
        for (name, values) in graph.choices() {
            groups.insert(name.clone(), vec![choices.len()]);
            spans.push(entry.span());
            choices.push(DeclaredChoice {
                name,
                values,
                ordered: false,
                conditions: Vec::new(),
            });
        }
    }
    for entry in &file.choices {
        let span = entry.span();
        let entry = entry.get_ref();
        let key = format!("[[choice]] `{}`", entry.name);
        if entry.name.trim().is_empty() {
            return Err(lines.error(span, "[[choice]] name", "a non-empty choice name"));
        }
        if groups.contains_key(&entry.name) {
            return Err(lines.error(span, key, "a name not used by another choice"));
        }
        let (values, ordered) =
            choice_values(entry).map_err(|e| lines.error(span.clone(), &key, e))?;
        let names: Vec<String> = match entry.repeat {
            None => vec![entry.name.clone()],
            Some(0) => return Err(lines.error(span, key, "`repeat` of at least 1")),
            Some(n) => (0..n).map(|i| format!("{}_{i}", entry.name)).collect(),
        };
        let mut members = Vec::new();
        for name in names {
            if groups.contains_key(&name) {
                return Err(lines.error(
                    span,
                    key,
                    format!("names not used by another choice; `{name}` is"),
                ));
            }
            groups.insert(name.clone(), vec![choices.len()]);
            members.push(choices.len());
            spans.push(span.clone());
            choices.push(DeclaredChoice {
                name,
                values: values.clone(),
                ordered,
                conditions: Vec::new(),
            });
        }
        if entry.repeat.is_some() {
            groups.insert(entry.name.clone(), members);
        }
    }
    if choices.is_empty() {
        return Err(DeclarationError {
            path: lines.path.map(Path::to_path_buf),
            line: None,
            key: "choice".to_owned(),
            expected: "at least one [[choice]] or a [graph]".to_owned(),
        });
    }
    let index: HashMap<String, usize> = choices
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.clone(), i))
        .collect();
    let mut conditions: Vec<(usize, (usize, Vec<u16>))> = Vec::new();
    for entry in &file.conditions {
        let span = entry.span();
        let entry = entry.get_ref();
        let key = format!("[[condition]] on `{}`", entry.choice);
        let targets = groups
            .get(&entry.choice)
            .ok_or_else(|| lines.error(span.clone(), &key, "`choice` to name a declared choice"))?;
        let &when = index.get(&entry.when).ok_or_else(|| {
            lines.error(
                span.clone(),
                &key,
                format!("`when` to name a declared choice, found `{}`", entry.when),
            )
        })?;
        if entry.values.is_empty() {
            return Err(lines.error(span, key, "`in` to list at least one value"));
        }
        let allowed = entry
            .values
            .iter()
            .map(|v| value_of(&choices, when, v))
            .collect::<Result<Vec<u16>, String>>()
            .map_err(|e| lines.error(span.clone(), &key, format!("`in` to hold {e}")))?;
        for &target in targets {
            if when >= target {
                return Err(lines.error(
                    span,
                    key,
                    format!(
                        "`when` to name a choice declared before `{}` (`{}` comes after it or is it)",
                        choices[target].name, entry.when
                    ),
                ));
            }
            conditions.push((target, (when, allowed.clone())));
        }
    }
    for (target, condition) in conditions {
        choices[target].conditions.push(condition);
    }
    let mut forbidden = Vec::new();
    for entry in &file.forbidden {
        let span = entry.span();
        if entry.get_ref().is_empty() {
            return Err(lines.error(span, "[[forbidden]]", "at least one `choice = value`"));
        }
        let mut rule = Vec::new();
        for (name, values) in entry.get_ref() {
            let key = format!("[[forbidden]] `{name}`");
            let &at = index
                .get(name)
                .ok_or_else(|| lines.error(span.clone(), &key, "a declared choice name"))?;
            let banned = values
                .texts()
                .iter()
                .map(|t| value_of(&choices, at, &Scalar::Text(t.clone())))
                .collect::<Result<Vec<u16>, String>>()
                .map_err(|e| lines.error(span.clone(), &key, e))?;
            rule.push((at, banned));
        }
        forbidden.push(rule);
    }
    let format = build_format(file, &choices, &spans, lines)?;
    let network = file
        .network
        .as_ref()
        .map(|entry| build_network(entry.get_ref(), entry.span(), &choices, &index, lines))
        .transpose()?;
    let space = DeclaredSpace(Arc::new(Declaration {
        name: intern(file.name.get_ref().trim()),
        choices,
        index,
        forbidden,
        graph,
        format,
        network,
        cardinality: OnceLock::new(),
    }));
    let mut rng = rng_from_seed(0);
    if !(0..DRAWS_TO_FIND_ONE).any(|_| space.try_draw(&mut rng).is_some()) {
        return Err(DeclarationError {
            path: lines.path.map(Path::to_path_buf),
            line: None,
            key: "space".to_owned(),
            expected: format!(
                "a space with valid architectures; none in {DRAWS_TO_FIND_ONE} random draws (check [[forbidden]], [[condition]] and the graph's constraints)"
            ),
        });
    }
    Ok(space)
}

/// The index of `value` among choice `at`'s values.
fn value_of(choices: &[DeclaredChoice], at: usize, value: &Scalar) -> Result<u16, String> {
    let text = value.to_string();
    let choice = &choices[at];
    choice
        .values
        .iter()
        .position(|v| *v == text)
        .map(|i| i as u16)
        .ok_or_else(|| {
            format!(
                "a value of `{}` ({}), found `{text}`",
                choice.name,
                choice.values.join(", ")
            )
        })
}

/// The values of a choice and whether they are ordered.
fn choice_values(entry: &ChoiceEntry) -> Result<(Vec<String>, bool), String> {
    let (values, ordered_default): (Vec<String>, bool) = match (&entry.values, entry.range) {
        (Some(_), Some(_)) => return Err("either `values` or `range`, not both".to_owned()),
        (None, None) => return Err("`values = [...]` or `range = [min, max]`".to_owned()),
        (Some(values), None) => {
            if entry.step.is_some() {
                return Err("`step` only with `range`".to_owned());
            }
            (values.iter().map(ToString::to_string).collect(), false)
        }
        (None, Some([min, max])) => {
            let step = entry.step.unwrap_or(1);
            if step <= 0 {
                return Err(format!("a positive `step`, found {step}"));
            }
            if min > max {
                return Err(format!(
                    "`range = [min, max]` with min <= max, found [{min}, {max}]"
                ));
            }
            let count = (max - min) / step + 1;
            if count > i64::from(u16::MAX - 2) {
                return Err(format!("at most {} values, found {count}", u16::MAX - 2));
            }
            (
                (0..count).map(|i| (min + i * step).to_string()).collect(),
                true,
            )
        }
    };
    if values.is_empty() {
        return Err("at least one value".to_owned());
    }
    if values.len() > usize::from(u16::MAX - 2) {
        return Err(format!("at most {} values", u16::MAX - 2));
    }
    let mut seen = HashSet::new();
    for v in &values {
        if v.is_empty() || v == INACTIVE_TEXT {
            return Err(format!(
                "values other than the empty text and `{INACTIVE_TEXT}` (which means inactive)"
            ));
        }
        if !seen.insert(v.as_str()) {
            return Err(format!("distinct values; `{v}` is listed twice"));
        }
    }
    Ok((values, entry.ordered.unwrap_or(ordered_default)))
}

fn build_graph(
    entry: &GraphEntry,
    span: std::ops::Range<usize>,
    lines: &Lines<'_>,
) -> Result<DeclaredGraph, DeclarationError> {
    let err =
        |key: &str, expected: String| lines.error(span.clone(), format!("graph.{key}"), expected);
    let n = entry.nodes;
    if n < 2 {
        return Err(err(
            "nodes",
            format!("at least 2 nodes (input and output), found {n}"),
        ));
    }
    let input = entry.input.unwrap_or(0);
    let output = entry.output.unwrap_or(n - 1);
    if input >= n || output >= n || input == output {
        return Err(err(
            "input",
            format!("distinct input and output nodes below {n}, found {input} and {output}"),
        ));
    }
    if entry.ops.is_empty() {
        return Err(err("ops", "at least one operation".to_owned()));
    }
    let mut seen = HashSet::new();
    for op in &entry.ops {
        if op.is_empty() || op == INACTIVE_TEXT || !seen.insert(op.as_str()) {
            return Err(err(
                "ops",
                format!(
                    "distinct, non-empty operation names other than `{INACTIVE_TEXT}`; `{op}` is not"
                ),
            ));
        }
    }
    let op_index = |key: &str, name: &Option<String>| -> Result<Option<u16>, DeclarationError> {
        name.as_ref()
            .map(|name| {
                entry
                    .ops
                    .iter()
                    .position(|o| o == name)
                    .map(|i| i as u16)
                    .ok_or_else(|| {
                        err(
                            key,
                            format!(
                                "one of graph.ops ({}), found `{name}`",
                                entry.ops.join(", ")
                            ),
                        )
                    })
            })
            .transpose()
    };
    let zero_op = op_index("zero_op", &entry.zero_op)?;
    let identity_op = op_index("identity_op", &entry.identity_op)?;
    let mut edges: Vec<(usize, usize)> = match &entry.edges {
        Some(list) => list.iter().map(|&[a, b]| (a, b)).collect(),
        None => (0..n)
            .flat_map(|to| (0..to).map(move |from| (from, to)))
            .filter(|&(from, to)| to != input && from != output)
            .collect(),
    };
    let mut distinct = HashSet::new();
    for &(from, to) in &edges {
        if from >= n || to >= n || from == to {
            return Err(err(
                "edges",
                format!("edges between distinct nodes below {n}, found [{from}, {to}]"),
            ));
        }
        if to == input || from == output {
            return Err(err(
                "edges",
                format!(
                    "no edge into the input ({input}) or out of the output ({output}), found [{from}, {to}]"
                ),
            ));
        }
        if !distinct.insert((from, to)) {
            return Err(err(
                "edges",
                format!("each edge once; [{from}, {to}] is listed twice"),
            ));
        }
    }
    // Kahn's algorithm: a topological order, or a cycle.
    let mut indegree = vec![0usize; n];
    for &(_, to) in &edges {
        indegree[to] += 1;
    }
    let mut ready: Vec<usize> = (0..n).filter(|&v| indegree[v] == 0).rev().collect();
    let mut order = Vec::with_capacity(n);
    while let Some(v) = ready.pop() {
        order.push(v);
        let mut next: Vec<usize> = edges
            .iter()
            .filter(|&&(from, _)| from == v)
            .map(|&(_, to)| to)
            .filter(|&to| {
                indegree[to] -= 1;
                indegree[to] == 0
            })
            .collect();
        next.sort_unstable_by(|a, b| b.cmp(a));
        ready.extend(next);
        ready.sort_unstable_by(|a, b| b.cmp(a));
    }
    if order.len() < n {
        let cyclic: Vec<String> = (0..n)
            .filter(|v| !order.contains(v))
            .map(|v| v.to_string())
            .collect();
        return Err(err(
            "edges",
            format!(
                "an acyclic graph; nodes {} lie on a cycle",
                cyclic.join(", ")
            ),
        ));
    }
    let reach = |start: usize, forward: bool| {
        let mut seen = vec![false; n];
        seen[start] = true;
        let mut stack = vec![start];
        while let Some(v) = stack.pop() {
            for &(from, to) in &edges {
                let (a, b) = if forward { (from, to) } else { (to, from) };
                if a == v && !seen[b] {
                    seen[b] = true;
                    stack.push(b);
                }
            }
        }
        seen
    };
    let from_input = reach(input, true);
    let to_output = reach(output, false);
    if let Some(v) = (0..n).find(|&v| !(from_input[v] && to_output[v])) {
        return Err(err(
            "edges",
            format!(
                "a connected graph: node {v} is not on any path from the input ({input}) to the output ({output})"
            ),
        ));
    }
    let position: Vec<usize> = {
        let mut p = vec![0; n];
        for (i, &v) in order.iter().enumerate() {
            p[v] = i;
        }
        p
    };
    edges.sort_by_key(|&(from, to)| (position[to], position[from]));
    let interior: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&v| v != input && v != output)
        .collect();
    if entry.ops_on == OpsOn::Nodes && entry.max_edges == Some(0) {
        return Err(err("max_edges", "at least 1".to_owned()));
    }
    if entry.ops_on == OpsOn::Edges && entry.max_edges.is_some() {
        return Err(err(
            "max_edges",
            "no `max_edges` when ops sit on edges (every edge is present)".to_owned(),
        ));
    }
    Ok(DeclaredGraph {
        nodes: n,
        input,
        output,
        ops_on: entry.ops_on,
        ops: entry.ops.clone(),
        edges,
        order,
        interior,
        zero_op,
        identity_op,
        max_edges: entry.max_edges,
        require_path: entry.require_path.unwrap_or(entry.ops_on == OpsOn::Nodes),
    })
}

fn build_format(
    file: &SpaceFile,
    choices: &[DeclaredChoice],
    spans: &[std::ops::Range<usize>],
    lines: &Lines<'_>,
) -> Result<ArchFormat, DeclarationError> {
    let format = match &file.format {
        None => ArchFormat::Separator(DEFAULT_SEPARATOR.to_owned()),
        Some(entry) => {
            let span = entry.span();
            let f = entry.get_ref();
            match (&f.separator, &f.template) {
                (Some(_), Some(_)) | (None, None) => {
                    return Err(lines.error(span, "format", "either `separator` or `template`"));
                }
                (Some(sep), None) if sep.is_empty() => {
                    return Err(lines.error(span, "format.separator", "a non-empty separator"));
                }
                (Some(sep), None) => ArchFormat::Separator(sep.clone()),
                (None, Some(template)) => {
                    let names: Vec<&str> = choices.iter().map(|c| c.name.as_str()).collect();
                    ArchFormat::template(template, &names)
                        .map_err(|e| lines.error(span.clone(), "format.template", e))?
                }
            }
        }
    };
    if let ArchFormat::Separator(sep) = &format {
        for (choice, span) in choices.iter().zip(spans) {
            if let Some(v) = choice.values.iter().find(|v| v.contains(sep.as_str())) {
                return Err(lines.error(
                    span.clone(),
                    format!("[[choice]] `{}`", choice.name),
                    format!("values without the separator `{sep}`; `{v}` has it (set `format`)"),
                ));
            }
        }
    }
    Ok(format)
}

fn build_network(
    entry: &NetworkEntry,
    span: std::ops::Range<usize>,
    choices: &[DeclaredChoice],
    index: &HashMap<String, usize>,
    lines: &Lines<'_>,
) -> Result<DeclaredNetwork, DeclarationError> {
    let err =
        |key: &str, expected: String| lines.error(span.clone(), format!("network.{key}"), expected);
    if entry.layers == 0 {
        return Err(err("layers", "at least 1 layer".to_owned()));
    }
    if entry.stem == 0 {
        return Err(err("stem", "at least 1 channel".to_owned()));
    }
    let mut ops: Vec<Option<Vec<LayerOp>>> = vec![None; choices.len()];
    let mut numbers: Vec<Option<Vec<usize>>> = vec![None; choices.len()];
    // Layer `i` reads `name_i` when declared (a repeated choice), else `name`.
    let find = |key: &str, name: &str, layer: usize| -> Result<usize, DeclarationError> {
        index
            .get(&format!("{name}_{layer}"))
            .or_else(|| index.get(name))
            .copied()
            .ok_or_else(|| {
                err(
                    key,
                    format!("a choice `{name}_{layer}` or `{name}` for layer {layer}"),
                )
            })
    };
    let mut layers = Vec::with_capacity(entry.layers);
    for layer in 0..entry.layers {
        let op_at = find("op", &entry.op, layer)?;
        if ops[op_at].is_none() {
            let parsed = choices[op_at]
                .values
                .iter()
                .map(|v| {
                    LayerOp::parse(v).ok_or_else(|| {
                        err(
                            "op",
                            format!(
                                "operations of the form {LAYER_OP_FORMS}; choice `{}` has `{v}`",
                                choices[op_at].name
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            ops[op_at] = Some(parsed);
        }
        let mut numeric = |key: &str,
                           name: &Option<String>,
                           allowed: &dyn Fn(usize) -> bool,
                           what: &str|
         -> Result<Option<usize>, DeclarationError> {
            let Some(name) = name else { return Ok(None) };
            let at = find(key, name, layer)?;
            if numbers[at].is_none() {
                let parsed = choices[at]
                    .values
                    .iter()
                    .map(|v| {
                        v.parse::<usize>()
                            .ok()
                            .filter(|&n| allowed(n))
                            .ok_or_else(|| {
                                err(
                                    key,
                                    format!("{what}; choice `{}` has `{v}`", choices[at].name),
                                )
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                numbers[at] = Some(parsed);
            }
            Ok(Some(at))
        };
        let width_at = numeric(
            "width",
            &entry.width,
            &|n| (1..=4096).contains(&n),
            "widths from 1 to 4096",
        )?;
        let stride_at = numeric(
            "stride",
            &entry.stride,
            &|n| n == 1 || n == 2,
            "strides 1 or 2",
        )?;
        layers.push((op_at, width_at, stride_at));
    }
    Ok(DeclaredNetwork {
        stem: entry.stem,
        layers,
        ops,
        numbers,
    })
}
