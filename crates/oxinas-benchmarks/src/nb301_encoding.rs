//! The categorical input encoding of the YAHPO Gym NAS-Bench-301 surrogate.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oxinas_core::DataError;
use oxinas_spaces::{DARTS_NODES, DartsArch, DartsCell, DartsCellKind};

/// Number of categorical inputs of the surrogate (`x_cat`).
pub const NB301_CATEGORICAL_INPUTS: usize = 34;

/// The prefix of every NB301 ConfigSpace hyperparameter name, with YAHPO's
/// escaping of `:` as `_COLON_`.
const PREFIX: &str = "NetworkSelectorDatasetInfo_COLON_darts_COLON_";

/// The code YAHPO gives an inactive hyperparameter.
const INACTIVE: &str = "#na#";

/// Number of edge hyperparameters per cell: node `k` (2..=5) has one edge per
/// candidate input, 2 + 3 + 4 + 5.
const EDGES_PER_CELL: usize = 14;

/// First edge hyperparameter of each intermediate node (2..=5) in a cell.
const NODE_EDGE_OFFSET: [usize; DARTS_NODES] = [0, 2, 5, 9];

/// The names of the 34 inputs in model order: `edge_normal_0..13`,
/// `edge_reduce_0..13`, `inputs_node_normal_3..5`, `inputs_node_reduce_3..5`.
pub fn nb301_input_names() -> Vec<String> {
    let mut names = Vec::with_capacity(NB301_CATEGORICAL_INPUTS);
    for kind in DartsCellKind::BOTH {
        for edge in 0..EDGES_PER_CELL {
            names.push(format!("{PREFIX}edge_{}_{edge}", kind.name()));
        }
    }
    for kind in DartsCellKind::BOTH {
        for node in 3..=5 {
            names.push(format!("{PREFIX}inputs_node_{}_{node}", kind.name()));
        }
    }
    names
}

/// How DARTS architectures become the surrogate's `x_cat` vector, read from
/// YAHPO's `encoding.json` (`{hyperparameter: {choice: code}}`).
///
/// NB301 describes a cell by ConfigSpace hyperparameters: one per possible
/// edge (node `k` reading input `i`), active only when the edge exists, with
/// the op as value; and, for nodes 3..=5, the sorted pair of chosen inputs
/// (`"0_2"`). Inactive edges get the code of `"#na#"`.
#[derive(Clone, Debug)]
pub struct Nb301Encoding {
    /// For each input, the code of each choice.
    codes: Vec<HashMap<String, i32>>,
}

impl Nb301Encoding {
    /// Reads `encoding.json`, checking that every input the model needs is
    /// present with a code for every op, every input pair and `"#na#"`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        Self::from_json(&text, path)
    }

    /// Parses the content of `encoding.json`; `path` names it in errors.
    pub fn from_json(text: &str, path: &Path) -> Result<Self, DataError> {
        let table: HashMap<String, HashMap<String, i32>> =
            serde_json::from_str(text).map_err(|e| {
                DataError::malformed(
                    path,
                    format!("line {} column {}", e.line(), e.column()),
                    format!(
                        "expected a JSON object {{hyperparameter: {{choice: integer code}}}}: {e}"
                    ),
                )
            })?;
        let mut codes = Vec::with_capacity(NB301_CATEGORICAL_INPUTS);
        for (index, name) in nb301_input_names().into_iter().enumerate() {
            let choices = table.get(&name).ok_or_else(|| {
                DataError::malformed(
                    path,
                    format!("key `{name}`"),
                    format!("missing; the surrogate's input {index} needs its codes"),
                )
            })?;
            for choice in expected_choices(index) {
                if !choices.contains_key(&choice) {
                    return Err(DataError::malformed(
                        path,
                        format!("key `{name}`"),
                        format!("no code for choice `{choice}`"),
                    ));
                }
            }
            codes.push(choices.clone());
        }
        Ok(Self { codes })
    }

    /// The `x_cat` vector of `arch`.
    pub fn encode(&self, arch: &DartsArch) -> [i32; NB301_CATEGORICAL_INPUTS] {
        let mut out = [0; NB301_CATEGORICAL_INPUTS];
        for (c, kind) in DartsCellKind::BOTH.into_iter().enumerate() {
            let choices = cell_choices(arch.cell(kind));
            for (i, choice) in choices.edges.iter().enumerate() {
                let index = c * EDGES_PER_CELL + i;
                out[index] = self.code(index, choice.unwrap_or(INACTIVE));
            }
            for (k, pair) in choices.input_pairs.iter().enumerate() {
                let index = 2 * EDGES_PER_CELL + 3 * c + k;
                out[index] = self.code(index, pair);
            }
        }
        out
    }

    /// The code of `choice` for input `index`; `load` checked it exists.
    fn code(&self, index: usize, choice: &str) -> i32 {
        self.codes[index][choice]
    }
}

/// The NB301 ConfigSpace values of one cell.
struct CellChoices {
    /// The op on each of the 14 possible edges, `None` when inactive.
    edges: [Option<&'static str>; EDGES_PER_CELL],
    /// `"a_b"` for nodes 3, 4, 5.
    input_pairs: [String; 3],
}

fn cell_choices(cell: &DartsCell) -> CellChoices {
    let mut edges = [None; EDGES_PER_CELL];
    let mut input_pairs: [String; 3] = Default::default();
    for k in 0..DARTS_NODES {
        let node_edges = cell.node_edges(k + 2);
        for edge in node_edges {
            edges[NODE_EDGE_OFFSET[k] + usize::from(edge.input)] = Some(edge.op.name());
        }
        if k > 0 {
            let (a, b) = (node_edges[0].input, node_edges[1].input);
            input_pairs[k - 1] = format!("{}_{}", a.min(b), a.max(b));
        }
    }
    CellChoices { edges, input_pairs }
}

/// The choices input `index` must have a code for.
fn expected_choices(index: usize) -> Vec<String> {
    let mut choices = vec![INACTIVE.to_owned()];
    if index < 2 * EDGES_PER_CELL {
        choices.extend(
            oxinas_spaces::DartsOp::ALL
                .iter()
                .map(|op| op.name().to_owned()),
        );
    } else {
        let node = 3 + (index - 2 * EDGES_PER_CELL) % 3;
        for a in 0..node {
            for b in a + 1..node {
                choices.push(format!("{a}_{b}"));
            }
        }
    }
    choices
}

/// The default location of the encoding under the data root.
pub(crate) fn default_encoding_path(dir: &Path) -> PathBuf {
    dir.join("encoding.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synthetic_json() -> String {
        // Codes chosen to be distinct per input: 100 * input + position.
        let mut table = serde_json::Map::new();
        for (index, name) in nb301_input_names().into_iter().enumerate() {
            let mut choices = serde_json::Map::new();
            for (i, choice) in expected_choices(index).into_iter().enumerate() {
                choices.insert(choice, (100 * index + i).into());
            }
            table.insert(name, choices.into());
        }
        serde_json::Value::Object(table).to_string()
    }

    #[test]
    fn encodes_edges_by_input_and_pairs_sorted() {
        let enc = Nb301Encoding::from_json(&synthetic_json(), Path::new("enc.json")).unwrap();
        // normal: node2 <- 1 sep3 (op pos 4), 0 max (pos 1); node3 <- 2 skip, 0 avg; ...
        let arch = DartsArch::from_compact(
            "[[(1, 3), (0, 0), (2, 2), (0, 1), (3, 4), (1, 5), (4, 6), (2, 3)], [(0, 0), (1, 0), (0, 0), (1, 0), (0, 0), (1, 0), (0, 0), (1, 0)]]",
        )
        .unwrap();
        let x = enc.encode(&arch);
        // Position of a choice in expected_choices: #na# 0, ops 1..=7 in DartsOp order.
        let op = |index: usize, op_index: i32| 100 * index as i32 + 1 + op_index;
        let na = |index: usize| 100 * index as i32;
        assert_eq!(x[0], op(0, 0)); // node 2, input 0: max_pool
        assert_eq!(x[1], op(1, 3)); // node 2, input 1: sep_conv_3x3
        assert_eq!(x[2], op(2, 1)); // node 3, input 0: avg_pool
        assert_eq!(x[3], na(3)); // node 3, input 1: inactive
        assert_eq!(x[4], op(4, 2)); // node 3, input 2: skip
        assert_eq!(x[5..9], [na(5), op(6, 5), na(7), op(8, 4)]); // node 4 <- 1 dil3, 3 sep5
        assert_eq!(x[9..14], [na(9), na(10), op(11, 3), na(12), op(13, 6)]); // node 5 <- 2, 4
        // reduce cell: every node reads 0 and 1 with max_pool
        assert_eq!(x[14], op(14, 0));
        assert_eq!(x[16..19], [op(16, 0), op(17, 0), na(18)]);
        // input pairs: choices after #na# are listed a<b in lexicographic order
        assert_eq!(x[28], 100 * 28 + 2); // normal node 3: "0_2"
        assert_eq!(x[29], 100 * 29 + 4 + 1); // node 4 "1_3": #na#,0_1,0_2,0_3,1_2,1_3
        assert_eq!(x[30], 100 * 30 + 9); // node 5 "2_4": 0_1..0_4 (4), 1_2..1_4 (3), 2_3, 2_4
        assert_eq!(x[31..34], [100 * 31 + 1, 100 * 32 + 1, 100 * 33 + 1]);
        // input order within a node does not change the encoding
        assert_eq!(enc.encode(&arch.canonical()), x);
    }

    #[test]
    fn truncated_or_incomplete_encodings_name_file_and_place() {
        let json = synthetic_json();
        let path = Path::new("/data/encoding.json");
        let err = Nb301Encoding::from_json(&json[..json.len() / 2], path).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("/data/encoding.json: line 1 column "),
            "{msg}"
        );
        assert!(msg.contains("EOF"), "{msg}");

        let missing = json.replace("edge_reduce_13", "edge_reduce_x");
        let msg = Nb301Encoding::from_json(&missing, path)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains(
                "key `NetworkSelectorDatasetInfo_COLON_darts_COLON_edge_reduce_13`: missing"
            ),
            "{msg}"
        );

        let no_op = json.replace("\"dil_conv_5x5\"", "\"dil_conv_7x7\"");
        let msg = Nb301Encoding::from_json(&no_op, path)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("edge_normal_0`: no code for choice `dil_conv_5x5`"),
            "{msg}"
        );

        let wrong_type = json.replacen(":0,", ":\"zero\",", 1);
        let msg = Nb301Encoding::from_json(&wrong_type, path)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("expected a JSON object"), "{msg}");
        assert!(msg.contains("line 1 column"), "{msg}");

        let err = Nb301Encoding::load("/nonexistent/encoding.json").unwrap_err();
        assert!(
            err.to_string()
                .contains("cannot read /nonexistent/encoding.json"),
            "{err}"
        );
    }
}
