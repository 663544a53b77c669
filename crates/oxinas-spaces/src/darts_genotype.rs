//! The DARTS `Genotype(...)` string, as printed by the DARTS code base and
//! accepted by the NAS-Bench-301 API.

use std::fmt::Write;

use oxinas_core::ParseArchError;

use crate::darts_literal::{LiteralReader, SyntaxError, Token};
use crate::{DARTS_EDGES, DartsArch, DartsCell, DartsCellKind, DartsEdge, DartsOp};

/// The space name used in parse errors.
const SPACE: &str = "darts";

/// The only concatenation NB301 allows: all four intermediate nodes.
const CONCAT: [u64; 4] = [2, 3, 4, 5];

impl DartsArch {
    /// The canonical genotype string:
    /// `Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[2, 3, 4, 5])`,
    /// edges in stored order (Python's `repr` of the DARTS namedtuple).
    pub fn to_genotype(&self) -> String {
        let mut out = String::from("Genotype(");
        for (i, kind) in DartsCellKind::BOTH.into_iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let name = kind.name();
            let _ = write!(out, "{name}=[");
            for (j, edge) in self.cell(kind).edges().iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "('{}', {})", edge.op.name(), edge.input);
            }
            let _ = write!(out, "], {name}_concat=[2, 3, 4, 5]");
        }
        out.push(')');
        out
    }

    /// Reads a DARTS genotype string.
    ///
    /// Accepts any whitespace, `'` or `"` quotes, the fields in any order,
    /// trailing commas, and `range(2, 6)` for the concatenation lists. Each
    /// cell needs 8 `(op, input)` pairs; the concatenation must be all four
    /// intermediate nodes, as in NB301.
    pub fn from_genotype(text: &str) -> Result<Self, ParseArchError> {
        read_genotype(text).map_err(|expected| ParseArchError::new(SPACE, text, expected))
    }
}

fn read_genotype(text: &str) -> Result<DartsArch, SyntaxError> {
    let mut r = LiteralReader::new(text)?;
    let head = r.name("`Genotype(`")?;
    if head != "Genotype" {
        return Err(format!("`Genotype(` at character 0, found `{head}`"));
    }
    r.punct('(', "`(` after `Genotype`")?;
    let mut cells: [Option<DartsCell>; 2] = [None, None];
    let mut concats = [false; 2];
    loop {
        if r.eat(')') {
            break;
        }
        let at = r.offset();
        let field = r.name("a field name (normal, normal_concat, reduce, reduce_concat) or `)`")?;
        r.punct('=', &format!("`=` after `{field}`"))?;
        let repeated = || format!("field `{field}` once, found it again at character {at}");
        match field {
            "normal" | "reduce" => {
                let slot = &mut cells[usize::from(field == "reduce")];
                if slot.is_some() {
                    return Err(repeated());
                }
                *slot = Some(read_cell(&mut r, field)?);
            }
            "normal_concat" | "reduce_concat" => {
                let seen = &mut concats[usize::from(field == "reduce_concat")];
                if *seen {
                    return Err(repeated());
                }
                read_concat(&mut r, field)?;
                *seen = true;
            }
            _ => {
                return Err(format!(
                    "a field among normal, normal_concat, reduce, reduce_concat at character {at}, found `{field}`"
                ));
            }
        }
        if !r.eat(',') {
            r.punct(')', "`,` or `)` after a field")?;
            break;
        }
    }
    r.finish()?;
    let missing: Vec<&str> = [
        (cells[0].is_none(), "normal"),
        (!concats[0], "normal_concat"),
        (cells[1].is_none(), "reduce"),
        (!concats[1], "reduce_concat"),
    ]
    .into_iter()
    .filter_map(|(absent, name)| absent.then_some(name))
    .collect();
    match cells {
        [Some(normal), Some(reduce)] if missing.is_empty() => Ok(DartsArch::new(normal, reduce)),
        _ => Err(format!("the field(s) {} as well", missing.join(", "))),
    }
}

/// Reads `[('op', input), ...]` with exactly 8 pairs.
fn read_cell(r: &mut LiteralReader<'_>, field: &str) -> Result<DartsCell, SyntaxError> {
    r.punct('[', &format!("`[` opening the edge list of `{field}`"))?;
    let mut edges = Vec::with_capacity(DARTS_EDGES);
    while !r.eat(']') {
        let n = edges.len();
        if n == DARTS_EDGES {
            return Err(r.expected(&format!("`]` after the {DARTS_EDGES} edges of `{field}`")));
        }
        r.punct('(', &format!("`(` opening edge {n} of `{field}`"))?;
        let at = r.offset();
        let name = r.string(&format!("a quoted op name for edge {n} of `{field}`"))?;
        let op = DartsOp::from_name(name).ok_or_else(|| {
            format!(
                "an op among {} for edge {n} of `{field}` at character {at}, found '{name}'",
                DartsOp::NAMES_LISTED
            )
        })?;
        r.punct(',', &format!("`,` after the op of edge {n} of `{field}`"))?;
        let input = read_input(r, n, field)?;
        r.punct(')', &format!("`)` closing edge {n} of `{field}`"))?;
        edges.push(DartsEdge::new(input, op));
        if !r.eat(',') {
            r.punct(']', &format!("`,` or `]` after edge {n} of `{field}`"))?;
            break;
        }
    }
    finish_cell(edges, field)
}

/// Reads the input node of edge `n`.
pub(crate) fn read_input(
    r: &mut LiteralReader<'_>,
    n: usize,
    field: &str,
) -> Result<u8, SyntaxError> {
    let at = r.offset();
    let input = r.int(&format!("an input node number for edge {n} of `{field}`"))?;
    u8::try_from(input).map_err(|_| {
        format!("an input node 0..=5 for edge {n} of `{field}` at character {at}, found {input}")
    })
}

/// Validates a parsed edge list as a cell.
pub(crate) fn finish_cell(edges: Vec<DartsEdge>, field: &str) -> Result<DartsCell, SyntaxError> {
    let found = edges.len();
    let edges: [DartsEdge; DARTS_EDGES] = edges
        .try_into()
        .map_err(|_| format!("{DARTS_EDGES} edges in `{field}`, found {found}"))?;
    DartsCell::new(edges).map_err(|e| format!("a valid `{field}` cell: {e}"))
}

/// Reads `[2, 3, 4, 5]` or `range(2, 6)`.
fn read_concat(r: &mut LiteralReader<'_>, field: &str) -> Result<(), SyntaxError> {
    let at = r.offset();
    let values: Vec<u64> = if r.peek() == Some(Token::Name("range")) {
        r.name("`range`")?;
        r.punct('(', "`(` after `range`")?;
        let start = r.int("the start of the range")?;
        r.punct(',', "`,` in `range(start, end)`")?;
        let end = r.int("the end of the range")?;
        r.punct(')', "`)` closing the range")?;
        (start..end).collect()
    } else {
        r.punct('[', &format!("`[` or `range(` opening `{field}`"))?;
        let mut values = Vec::new();
        while !r.eat(']') {
            values.push(r.int(&format!("a node number in `{field}`"))?);
            if !r.eat(',') {
                r.punct(']', &format!("`,` or `]` in `{field}`"))?;
                break;
            }
        }
        values
    };
    if values != CONCAT {
        return Err(format!(
            "`{field}` to be [2, 3, 4, 5] (NB301 concatenates all four intermediate nodes) at character {at}, found {values:?}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DARTS (second order) cell of Liu et al., as printed by the DARTS code.
    const DARTS_V2: &str = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";

    #[test]
    fn darts_v2_round_trips_verbatim() {
        let arch = DartsArch::from_genotype(DARTS_V2).unwrap();
        assert_eq!(arch.to_genotype(), DARTS_V2);
        assert_eq!(arch.to_string(), DARTS_V2);
        let e = arch.normal.edges();
        assert_eq!(e[5], DartsEdge::new(0, DartsOp::SkipConnect));
        assert_eq!(e[7], DartsEdge::new(2, DartsOp::DilConv3x3));
        assert_eq!(
            arch.reduce.edges()[2],
            DartsEdge::new(2, DartsOp::SkipConnect)
        );
    }

    #[test]
    fn spacing_quote_order_and_range_variants_read_the_same() {
        let expected = DartsArch::from_genotype(DARTS_V2).unwrap();
        let variants = [
            DARTS_V2.replace('\'', "\"").replace(", ", ","),
            DARTS_V2.replace("[2, 3, 4, 5]", "range(2, 6)"),
            DARTS_V2.replace("(", "( ").replace("=", " = ").replace(")]", "),\n]"),
            // fields reordered, trailing comma
            "Genotype(reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=range(2,6), normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2,3,4,5],)".to_owned(),
        ];
        for text in variants {
            let arch = DartsArch::from_genotype(&text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(arch, expected, "{text}");
            assert_eq!(arch.to_genotype(), DARTS_V2);
        }
    }

    #[test]
    fn malformed_genotypes_name_what_was_expected() {
        let cases: Vec<(String, &str)> = vec![
            (
                DARTS_V2.replace("Genotype(", "Genome("),
                "`Genotype(` at character 0, found `Genome`",
            ),
            (
                DARTS_V2.replace("('skip_connect', 0), ('dil", "('conv_7x7', 0), ('dil"),
                "for edge 6 of `normal` at character 144, found 'conv_7x7'",
            ),
            (
                DARTS_V2.replace("('dil_conv_3x3', 2)]", "('dil_conv_3x3', 5)]"),
                "a valid `normal` cell: edge 7 feeds node 5 and must read from a node in 0..=4, found input 5",
            ),
            (
                DARTS_V2.replace(
                    "('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0)",
                    "('sep_conv_3x3', 0), ('sep_conv_3x3', 0), ('sep_conv_3x3', 0)",
                ),
                "node 2 must take 2 distinct inputs, found input 0 twice",
            ),
            (
                DARTS_V2.replace(", ('max_pool_3x3', 1)], reduce_concat", "], reduce_concat"),
                "8 edges in `reduce`, found 7",
            ),
            (
                DARTS_V2.replace("reduce_concat=[2, 3, 4, 5]", "reduce_concat=[2, 3, 5]"),
                "`reduce_concat` to be [2, 3, 4, 5]",
            ),
            (
                DARTS_V2.replace(", reduce_concat=[2, 3, 4, 5]", ""),
                "the field(s) reduce_concat as well",
            ),
            (
                DARTS_V2.replace("normal_concat", "normal"),
                "field `normal` once",
            ),
            (
                DARTS_V2.replace("('sep_conv_3x3', 0)", "(sep_conv_3x3, 0)"),
                "a quoted op name for edge 0 of `normal` at character 18, found `sep_conv_3x3`",
            ),
            (format!("{DARTS_V2})"), "the end of the text"),
            (
                DARTS_V2[..38].to_owned(),
                "`(` opening edge 1 of `normal` at character 38, found the end of the text",
            ),
        ];
        for (input, expected) in cases {
            let err = DartsArch::from_genotype(&input).unwrap_err();
            assert_eq!(err.space, "darts");
            assert_eq!(err.input, input);
            assert!(err.expected.contains(expected), "{input}\n{}", err.expected);
        }
    }
}
