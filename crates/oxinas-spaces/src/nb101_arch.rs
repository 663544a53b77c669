//! One NAS-Bench-101 cell: a DAG of at most 7 vertices given as an
//! upper-triangular adjacency matrix and an op per interior vertex.

use std::fmt;

use oxinas_core::ParseArchError;

use crate::Nb101Op;
use crate::nb101_prune;

/// Most vertices a cell may have, input and output included.
pub const NB101_MAX_VERTICES: usize = 7;
/// Most edges a cell may have after pruning.
pub const NB101_MAX_EDGES: usize = 9;

/// The op given to vertices added by [`Nb101Arch::padded`]; it never matters
/// for the cell's function because padded vertices are unconnected.
const PAD_OP: Nb101Op = Nb101Op::Conv3x3BnRelu;

/// A NAS-Bench-101 cell ("model spec").
///
/// Vertex 0 is the input, vertex `n - 1` the output, vertices in between carry
/// an [`Nb101Op`]. Edges go from lower to higher vertex numbers (the matrix is
/// strictly upper-triangular). Every value built by the public constructors or
/// by [`crate::Nb101Space`] is *valid* in the NB101 sense: after pruning the
/// vertices that are not on an input-to-output path, the input still reaches
/// the output and at most 9 edges remain. The spec itself is kept as given,
/// unpruned: two specs that differ only in dangling vertices are different
/// values with the same [`crate::Nb101Hash`].
///
/// The text form (see [`fmt::Display`]) is the vertex labels, a `|`, and the
/// adjacency rows separated by `;`, as in the NB101 subset CSV:
/// `input conv3x3-bn-relu maxpool3x3 output | 0110;0001;0001;0000`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nb101Arch {
    num_vertices: u8,
    /// Row `i` has bit `j` set when there is an edge `i -> j`.
    rows: [u8; NB101_MAX_VERTICES],
    /// `ops[v]` for interior vertices `1..n-1`; every other entry is
    /// [`PAD_OP`] so that equal cells compare equal.
    ops: [Nb101Op; NB101_MAX_VERTICES],
}

impl Nb101Arch {
    /// The cell with adjacency `matrix` (square, `matrix[i][j]` = edge `i -> j`)
    /// and `interior_ops` on vertices `1..n-1`. Fails when the shape is wrong,
    /// the matrix is not strictly upper-triangular, or the cell is invalid.
    pub fn new(matrix: &[Vec<bool>], interior_ops: &[Nb101Op]) -> Result<Self, ParseArchError> {
        let shown = format!("matrix {matrix:?} ops {interior_ops:?}");
        let err = |expected: String| ParseArchError::new("nb101", &shown, expected);
        let n = matrix.len();
        if !(2..=NB101_MAX_VERTICES).contains(&n) {
            return Err(err(format!("2 to 7 vertices, found {n}")));
        }
        if interior_ops.len() != n - 2 {
            return Err(err(format!(
                "{} interior ops for {n} vertices, found {}",
                n - 2,
                interior_ops.len()
            )));
        }
        let mut rows = [0u8; NB101_MAX_VERTICES];
        for (i, row) in matrix.iter().enumerate() {
            if row.len() != n {
                return Err(err(format!("row {i} of length {n}, found {}", row.len())));
            }
            for (j, &edge) in row.iter().enumerate() {
                if edge && j <= i {
                    return Err(err(format!(
                        "a strictly upper-triangular matrix, found an edge {i} -> {j}"
                    )));
                }
                if edge {
                    rows[i] |= 1 << j;
                }
            }
        }
        let mut ops = [PAD_OP; NB101_MAX_VERTICES];
        ops[1..n - 1].copy_from_slice(interior_ops);
        Self::checked(Self::from_raw(n, rows, ops), &shown)
    }

    /// The cell from the two CSV fields of the NB101 subset file: `ops`, the
    /// space-separated vertex labels from `input` to `output`, and `adjacency`,
    /// the rows of 0/1 separated by `;`.
    pub fn from_csv_fields(ops: &str, adjacency: &str) -> Result<Self, ParseArchError> {
        Self::parse_parts(ops, adjacency, &format!("{ops} | {adjacency}"))
    }

    /// Reads the text form `labels | rows` (see the type's documentation).
    pub(crate) fn parse_text(text: &str) -> Result<Self, ParseArchError> {
        let (ops, adjacency) = text.split_once('|').ok_or_else(|| {
            ParseArchError::new(
                "nb101",
                text,
                "vertex labels and adjacency rows separated by `|`, like \
                 `input conv3x3-bn-relu output | 011;001;000`",
            )
        })?;
        Self::parse_parts(ops, adjacency, text)
    }

    fn parse_parts(ops: &str, adjacency: &str, whole: &str) -> Result<Self, ParseArchError> {
        let err = |expected: String| ParseArchError::new("nb101", whole, expected);
        let labels: Vec<&str> = ops.split_whitespace().collect();
        let n = labels.len();
        if !(2..=NB101_MAX_VERTICES).contains(&n) {
            return Err(err(format!("2 to 7 vertex labels, found {n}")));
        }
        if labels[0] != "input" {
            return Err(err(format!("`input` as vertex 0, found `{}`", labels[0])));
        }
        if labels[n - 1] != "output" {
            return Err(err(format!(
                "`output` as the last vertex ({}), found `{}`",
                n - 1,
                labels[n - 1]
            )));
        }
        let mut op_array = [PAD_OP; NB101_MAX_VERTICES];
        for (v, label) in labels.iter().enumerate().take(n - 1).skip(1) {
            op_array[v] = Nb101Op::from_name(label).ok_or_else(|| {
                err(format!(
                    "an op among conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3 at vertex {v}, found `{label}`"
                ))
            })?;
        }
        let row_texts: Vec<&str> = adjacency.trim().split(';').collect();
        if row_texts.len() != n {
            return Err(err(format!(
                "{n} adjacency rows (one per vertex label), found {}",
                row_texts.len()
            )));
        }
        let mut rows = [0u8; NB101_MAX_VERTICES];
        for (i, row) in row_texts.iter().enumerate() {
            if row.len() != n {
                return Err(err(format!(
                    "adjacency row {i} of {n} digits, found `{row}`"
                )));
            }
            for (j, digit) in row.bytes().enumerate() {
                match digit {
                    b'0' => {}
                    b'1' if j > i => rows[i] |= 1 << j,
                    b'1' => {
                        return Err(err(format!(
                            "a strictly upper-triangular matrix, found an edge {i} -> {j} in row {i}"
                        )));
                    }
                    other => {
                        return Err(err(format!(
                            "0 or 1 at row {i} column {j}, found `{}`",
                            other as char
                        )));
                    }
                }
            }
        }
        Self::checked(Self::from_raw(n, rows, op_array), whole)
    }

    fn checked(arch: Self, shown: &str) -> Result<Self, ParseArchError> {
        match nb101_prune::prune(&arch) {
            None => Err(ParseArchError::new(
                "nb101",
                shown,
                "a cell whose input reaches its output",
            )),
            Some(pruned) if pruned.num_edges() > NB101_MAX_EDGES => Err(ParseArchError::new(
                "nb101",
                shown,
                format!(
                    "at most {NB101_MAX_EDGES} edges after pruning, found {}",
                    pruned.num_edges()
                ),
            )),
            Some(_) => Ok(arch),
        }
    }

    /// A cell from raw parts, unchecked; unused entries are normalised.
    pub(crate) fn from_raw(
        n: usize,
        mut rows: [u8; NB101_MAX_VERTICES],
        mut ops: [Nb101Op; NB101_MAX_VERTICES],
    ) -> Self {
        let keep = ((1u16 << n) - 1) as u8;
        for (i, row) in rows.iter_mut().enumerate() {
            // Only edges to higher vertices within the cell exist.
            *row &= keep & !((1u16 << (i + 1)) - 1) as u8;
            if i >= n {
                *row = 0;
            }
        }
        ops[0] = PAD_OP;
        for op in ops.iter_mut().skip(n.saturating_sub(1)) {
            *op = PAD_OP;
        }
        Self {
            num_vertices: n as u8,
            rows,
            ops,
        }
    }

    /// Number of vertices, input and output included.
    pub fn num_vertices(&self) -> usize {
        self.num_vertices as usize
    }

    /// Whether there is an edge `from -> to`.
    pub fn has_edge(&self, from: usize, to: usize) -> bool {
        from < NB101_MAX_VERTICES && to < 8 && self.rows[from] >> to & 1 == 1
    }

    /// The successors of `vertex` as a bit set (bit `j` = edge `vertex -> j`).
    pub(crate) fn row(&self, vertex: usize) -> u8 {
        self.rows[vertex]
    }

    /// All rows as bit sets.
    pub(crate) fn rows(&self) -> [u8; NB101_MAX_VERTICES] {
        self.rows
    }

    /// All op slots (only `1..n-1` are meaningful).
    pub(crate) fn op_slots(&self) -> [Nb101Op; NB101_MAX_VERTICES] {
        self.ops
    }

    /// Number of edges.
    pub fn num_edges(&self) -> usize {
        self.rows.iter().map(|r| r.count_ones() as usize).sum()
    }

    /// The op of `vertex`; `None` for the input, the output and vertices
    /// outside the cell.
    pub fn op(&self, vertex: usize) -> Option<Nb101Op> {
        (vertex >= 1 && vertex + 1 < self.num_vertices()).then(|| self.ops[vertex])
    }

    /// The label of `vertex` in the official module hash: -1 for the input,
    /// -2 for the output, the op's label otherwise.
    pub fn label(&self, vertex: usize) -> i8 {
        if vertex == 0 {
            -1
        } else if vertex + 1 == self.num_vertices() {
            -2
        } else {
            self.ops[vertex].label()
        }
    }

    /// The vertex labels as written in the official data: `input`, op names,
    /// `output`, separated by spaces.
    pub fn ops_field(&self) -> String {
        let n = self.num_vertices();
        let mut names = Vec::with_capacity(n);
        names.push("input");
        names.extend((1..n - 1).map(|v| self.ops[v].name()));
        names.push("output");
        names.join(" ")
    }

    /// The adjacency rows as 0/1 digits separated by `;`.
    pub fn adjacency_field(&self) -> String {
        let n = self.num_vertices();
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| if self.has_edge(i, j) { '1' } else { '0' })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Whether the cell is valid: the input reaches the output, and at most 9
    /// edges remain after pruning.
    pub fn is_valid(&self) -> bool {
        nb101_prune::prune(self).is_some_and(|p| p.num_edges() <= NB101_MAX_EDGES)
    }

    /// The cell without the vertices that are not on an input-to-output path
    /// (the form the official hash and the training code use).
    pub fn pruned(&self) -> Self {
        // Values of this type are valid, so pruning keeps input and output.
        nb101_prune::prune(self).unwrap_or(*self)
    }

    /// The same cell with unconnected vertices (op conv3x3-bn-relu) inserted
    /// before the output until it has 7 vertices; the output moves to vertex 6.
    /// Mutation and neighbourhoods work on 7-vertex cells, as in NASLib.
    pub fn padded(&self) -> Self {
        let n = self.num_vertices();
        if n == NB101_MAX_VERTICES {
            return *self;
        }
        let last = NB101_MAX_VERTICES - 1;
        let mut rows = [0u8; NB101_MAX_VERTICES];
        for (i, row) in rows.iter_mut().enumerate().take(n - 1) {
            let old = self.rows[i];
            let to_output = old >> (n - 1) & 1;
            *row = (old & !(1 << (n - 1))) | (to_output << last);
        }
        let mut ops = self.ops;
        for op in ops.iter_mut().skip(n - 1) {
            *op = PAD_OP;
        }
        Self::from_raw(NB101_MAX_VERTICES, rows, ops)
    }
}

impl fmt::Display for Nb101Arch {
    /// `labels | rows`, e.g. `input maxpool3x3 output | 011;001;000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} | {}", self.ops_field(), self.adjacency_field())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAIN: &str = "input conv3x3-bn-relu maxpool3x3 output | 0100;0010;0001;0000";

    #[test]
    fn text_form_round_trips_and_exposes_the_spec() {
        let arch = Nb101Arch::parse_text(CHAIN).unwrap();
        assert_eq!(arch.to_string(), CHAIN);
        assert_eq!(arch.num_vertices(), 4);
        assert_eq!(arch.num_edges(), 3);
        assert!(arch.has_edge(2, 3) && !arch.has_edge(0, 3));
        assert_eq!(arch.op(2), Some(Nb101Op::MaxPool3x3));
        assert_eq!(arch.op(3), None);
        assert_eq!(
            (0..4).map(|v| arch.label(v)).collect::<Vec<_>>(),
            [-1, 0, 2, -2]
        );
        let from_matrix = Nb101Arch::new(
            &[
                vec![false, true, false, false],
                vec![false, false, true, false],
                vec![false, false, false, true],
                vec![false; 4],
            ],
            &[Nb101Op::Conv3x3BnRelu, Nb101Op::MaxPool3x3],
        )
        .unwrap();
        assert_eq!(from_matrix, arch);
    }

    #[test]
    fn padding_keeps_edges_and_moves_the_output() {
        let arch = Nb101Arch::parse_text("input conv1x1-bn-relu output | 011;001;000").unwrap();
        let padded = arch.padded();
        assert_eq!(
            padded.to_string(),
            "input conv1x1-bn-relu conv3x3-bn-relu conv3x3-bn-relu conv3x3-bn-relu \
             conv3x3-bn-relu output | 0100001;0000001;0000000;0000000;0000000;0000000;0000000"
        );
        assert_eq!(padded.pruned(), arch);
    }

    #[test]
    fn malformed_and_invalid_specs_say_what_was_expected() {
        let cases = [
            ("input output", "separated by `|`"),
            (
                "input conv3x3 output | 011;001;000",
                "at vertex 1, found `conv3x3`",
            ),
            ("conv1x1-bn-relu output | 01;00", "`input` as vertex 0"),
            ("input maxpool3x3 | 01;00", "`output` as the last vertex"),
            ("input maxpool3x3 output | 011;001", "3 adjacency rows"),
            ("input maxpool3x3 output | 011;01;000", "row 1 of 3 digits"),
            ("input maxpool3x3 output | 011;001;010", "edge 2 -> 1"),
            ("input maxpool3x3 output | 012;001;000", "row 0 column 2"),
            (
                "input maxpool3x3 output | 010;000;000",
                "input reaches its output",
            ),
            ("input | 0", "2 to 7 vertex labels"),
            (
                "input conv3x3-bn-relu conv3x3-bn-relu conv3x3-bn-relu conv3x3-bn-relu output \
                 | 011111;001111;000111;000011;000001;000000",
                "at most 9 edges after pruning, found 15",
            ),
        ];
        for (text, expected) in cases {
            let message = Nb101Arch::parse_text(text).unwrap_err().to_string();
            assert!(message.contains(expected), "{text}: {message}");
            assert!(
                message.contains("malformed nb101 architecture"),
                "{message}"
            );
        }
        let wrong_ops = Nb101Arch::new(
            &[vec![false, true], vec![false, false]],
            &[Nb101Op::MaxPool3x3],
        );
        assert!(
            wrong_ops
                .unwrap_err()
                .to_string()
                .contains("0 interior ops for 2 vertices")
        );
    }
}
