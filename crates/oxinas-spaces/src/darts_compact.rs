//! NASLib's compact form of a DARTS architecture, used as the keys of
//! `zc_nasbench301.json`: `[[(input, op), x8 normal], [(input, op), x8 reduce]]`
//! with `op` an index into [`DartsOp::ALL`].

use std::fmt::Write;

use oxinas_core::ParseArchError;

use crate::darts_genotype::{finish_cell, read_input};
use crate::darts_literal::{LiteralReader, SyntaxError};
use crate::{DARTS_EDGES, DartsArch, DartsCell, DartsCellKind, DartsEdge, DartsOp};

impl DartsArch {
    /// The compact form as written in NASLib's zero-cost files:
    /// `[[(0, 3), (1, 3), ...], [(0, 0), (1, 0), ...]]`, edges in stored order.
    pub fn to_compact(&self) -> String {
        let mut out = String::from("[");
        for (i, kind) in DartsCellKind::BOTH.into_iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push('[');
            for (j, edge) in self.cell(kind).edges().iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "({}, {})", edge.input, edge.op.index());
            }
            out.push(']');
        }
        out.push(']');
        out
    }

    /// Reads the compact form. Lists and tuples are interchangeable (NASLib
    /// prints both), whitespace is free and trailing commas are allowed.
    pub fn from_compact(text: &str) -> Result<Self, ParseArchError> {
        read_compact(text).map_err(|expected| ParseArchError::new("darts", text, expected))
    }
}

/// The closing bracket matching an opening one just read.
fn open(r: &mut LiteralReader<'_>, what: &str) -> Result<char, SyntaxError> {
    if r.eat('[') {
        Ok(']')
    } else if r.eat('(') {
        Ok(')')
    } else {
        Err(r.expected(&format!("`[` or `(` opening {what}")))
    }
}

fn read_compact(text: &str) -> Result<DartsArch, SyntaxError> {
    let mut r = LiteralReader::new(text)?;
    let close = open(&mut r, "the pair of cells")?;
    let normal = read_cell(&mut r, DartsCellKind::Normal)?;
    r.punct(',', "`,` between the normal and the reduction cell")?;
    let reduce = read_cell(&mut r, DartsCellKind::Reduce)?;
    r.eat(',');
    r.punct(close, &format!("`{close}` closing the pair of cells"))?;
    r.finish()?;
    Ok(DartsArch::new(normal, reduce))
}

fn read_cell(r: &mut LiteralReader<'_>, kind: DartsCellKind) -> Result<DartsCell, SyntaxError> {
    let field = kind.name();
    let close = open(r, &format!("the `{field}` cell"))?;
    let mut edges = Vec::with_capacity(DARTS_EDGES);
    while !r.eat(close) {
        let n = edges.len();
        if n == DARTS_EDGES {
            return Err(r.expected(&format!(
                "`{close}` after the {DARTS_EDGES} edges of `{field}`"
            )));
        }
        let pair_close = open(r, &format!("edge {n} of `{field}`"))?;
        let input = read_input(r, n, field)?;
        r.punct(
            ',',
            &format!("`,` after the input of edge {n} of `{field}`"),
        )?;
        let at = r.offset();
        let index = r.int(&format!("an op index 0..=6 for edge {n} of `{field}`"))?;
        let op = usize::try_from(index)
            .ok()
            .and_then(DartsOp::from_index)
            .ok_or_else(|| {
                format!(
                    "an op index 0..=6 for edge {n} of `{field}` at character {at}, found {index}"
                )
            })?;
        r.punct(
            pair_close,
            &format!("`{pair_close}` closing edge {n} of `{field}`"),
        )?;
        edges.push(DartsEdge::new(input, op));
        if !r.eat(',') {
            r.punct(
                close,
                &format!("`,` or `{close}` after edge {n} of `{field}`"),
            )?;
            break;
        }
    }
    finish_cell(edges, field)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first key of `zc_nasbench301.json`.
    const KEY: &str = "[[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], [(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]";

    #[test]
    fn naslib_key_round_trips_and_matches_the_genotype() {
        let arch = DartsArch::from_compact(KEY).unwrap();
        assert_eq!(arch.to_compact(), KEY);
        assert_eq!(
            arch.normal.edges()[1],
            DartsEdge::new(1, DartsOp::DilConv3x3)
        );
        assert_eq!(
            arch.reduce.edges()[7],
            DartsEdge::new(3, DartsOp::DilConv5x5)
        );
        // NASLib's convert_compact_to_genotype: (input, op index) -> (op name, input).
        let genotype = "Genotype(normal=[('max_pool_3x3', 0), ('dil_conv_3x3', 1), ('avg_pool_3x3', 1), ('avg_pool_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 3)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('max_pool_3x3', 3), ('avg_pool_3x3', 0), ('max_pool_3x3', 2), ('dil_conv_5x5', 3)], reduce_concat=[2, 3, 4, 5])";
        assert_eq!(arch.to_genotype(), genotype);
        assert_eq!(DartsArch::from_genotype(genotype).unwrap(), arch);
    }

    #[test]
    fn tuple_and_mutable_list_spellings_read_the_same() {
        let expected = DartsArch::from_compact(KEY).unwrap();
        let tuples = KEY.replace('[', "(").replace(']', ")");
        let lists = KEY
            .replace("[(", "[[")
            .replace("(", "[")
            .replace("),", "],")
            .replace(")]", "]]");
        let tight = KEY.replace(' ', "");
        for text in [tuples, lists, tight] {
            assert_eq!(DartsArch::from_compact(&text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn malformed_keys_name_what_was_expected() {
        let cases: Vec<(String, &str)> = vec![
            (
                KEY.replace("(3, 2)]", "(3, 7)]"),
                "an op index 0..=6 for edge 7 of `normal` at character 62, found 7",
            ),
            (
                KEY.replace("(3, 2)]", "(5, 2)]"),
                "edge 7 feeds node 5 and must read from a node in 0..=4, found input 5",
            ),
            (
                KEY.replace("(0, 0), (1, 5)", "(0, 0), (0, 5)"),
                "node 2 must take 2 distinct inputs",
            ),
            (
                KEY.replace(", (3, 6)]", "]"),
                "8 edges in `reduce`, found 7",
            ),
            (
                KEY.replace("], [", "] ["),
                "`,` between the normal and the reduction cell at character 66",
            ),
            (
                KEY.replace("(1, 0)", "(1 0)"),
                "`,` after the input of edge 0 of `reduce` at character 71, found `0`",
            ),
            (KEY[..20].to_owned(), "found the end of the text"),
            ("{}".to_owned(), "at character 0, found `{`"),
        ];
        for (input, expected) in cases {
            let err = DartsArch::from_compact(&input).unwrap_err();
            assert_eq!(err.space, "darts");
            assert!(err.expected.contains(expected), "{input}\n{}", err.expected);
        }
    }
}
