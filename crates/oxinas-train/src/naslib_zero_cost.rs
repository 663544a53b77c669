//! NASLib's published zero-cost scores of NAS-Bench-201 cells, the reference
//! our proxies are compared with.

use std::collections::BTreeMap;
use std::path::Path;

use oxinas_core::DataError;
use oxinas_spaces::{Nb201Arch, Nb201Op};

/// Where the scores live under the data directory (`OXINAS_DATA`).
pub const NASLIB_ZERO_COST_FILE: &str = "nb201/original/naslib/zc_nasbench201.json";

/// NASLib's op order in its tuple encoding.
const NASLIB_OPS: [Nb201Op; 5] = [
    Nb201Op::SkipConnect,
    Nb201Op::None,
    Nb201Op::NorConv3x3,
    Nb201Op::NorConv1x1,
    Nb201Op::AvgPool3x3,
];

/// Tuple position `p` holds the edge at arch-string position `NASLIB_EDGE[p]`.
const NASLIB_EDGE: [usize; 6] = [0, 1, 3, 2, 4, 5];

/// One cell's record in NASLib's zero-cost file.
#[derive(Clone, Debug, PartialEq)]
pub struct NaslibZeroCost {
    /// The cell.
    pub arch: Nb201Arch,
    /// NASLib's validation accuracy of the cell (%), when recorded.
    pub val_accuracy: Option<f64>,
    /// Each proxy's score by NASLib's name (`synflow`, `snip`, `nwot`, ...);
    /// scores NASLib stored as infinite or NaN are left out.
    pub scores: BTreeMap<String, f64>,
}

/// Reads the records of `dataset` (`cifar10`, `cifar100` or `ImageNet16-120`)
/// from NASLib's `zc_nasbench201.json`, sorted by the cell's code.
pub fn read_naslib_zero_cost(path: &Path, dataset: &str) -> Result<Vec<NaslibZeroCost>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    parse_naslib_zero_cost(path, &text, dataset)
}

/// Parses the text of NASLib's zero-cost file; `path` names it in errors.
pub fn parse_naslib_zero_cost(
    path: &Path,
    text: &str,
    dataset: &str,
) -> Result<Vec<NaslibZeroCost>, DataError> {
    // Python's json module writes non-finite floats as bare words, which JSON
    // does not have; they become missing scores.
    let text = text
        .replace("-Infinity", "null")
        .replace("Infinity", "null")
        .replace("NaN", "null");
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        DataError::malformed(path, format!("line {}", e.line()), format!("not JSON: {e}"))
    })?;
    let table = json
        .get(dataset)
        .and_then(|v| v.as_object())
        .ok_or_else(|| {
            DataError::malformed(
                path,
                "top level",
                format!("expected an object `{dataset}` (cifar10, cifar100 or ImageNet16-120)"),
            )
        })?;
    let mut records = Vec::with_capacity(table.len());
    for (key, entry) in table {
        let arch = arch_from_tuple(key).ok_or_else(|| {
            DataError::malformed(
                path,
                format!("{dataset}.{key}"),
                "expected a key like `(0, 1, 2, 3, 4, 0)` of six op indices 0..=4",
            )
        })?;
        let entry = entry.as_object().ok_or_else(|| {
            DataError::malformed(path, format!("{dataset}.{key}"), "expected an object")
        })?;
        let scores = entry
            .iter()
            .filter_map(|(name, value)| {
                let score = value.get("score")?.as_f64()?;
                Some((name.clone(), score))
            })
            .collect();
        records.push(NaslibZeroCost {
            arch,
            val_accuracy: entry.get("val_accuracy").and_then(|v| v.as_f64()),
            scores,
        });
    }
    records.sort_by_key(|r| r.arch.code());
    Ok(records)
}

/// The cell of a NASLib tuple key such as `(0, 1, 2, 3, 4, 0)`.
fn arch_from_tuple(key: &str) -> Option<Nb201Arch> {
    let inner = key.trim().strip_prefix('(')?.strip_suffix(')')?;
    let digits: Vec<usize> = inner
        .split(',')
        .map(|d| d.trim().parse().ok())
        .collect::<Option<_>>()?;
    if digits.len() != 6 {
        return None;
    }
    let mut ops = [Nb201Op::None; 6];
    for (p, &d) in digits.iter().enumerate() {
        ops[NASLIB_EDGE[p]] = *NASLIB_OPS.get(d)?;
    }
    Some(Nb201Arch { ops })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuples_map_to_cells_and_non_finite_scores_are_missing() {
        let text = r#"{"cifar10": {
            "(2, 2, 2, 2, 2, 2)": {"synflow": {"score": 1.5}, "val_accuracy": 90.0},
            "(0, 1, 3, 2, 4, 0)": {"synflow": {"score": -Infinity}, "snip": {"score": 2.0}}
        }}"#;
        let records = parse_naslib_zero_cost(Path::new("zc.json"), text, "cifar10").unwrap();
        assert_eq!(records.len(), 2);
        let all_conv = records
            .iter()
            .find(|r| r.arch == Nb201Arch::from_op_digits("333333").unwrap())
            .unwrap();
        assert_eq!(all_conv.scores["synflow"], 1.5);
        assert_eq!(all_conv.val_accuracy, Some(90.0));
        // Tuple (skip, none, 1x1, 3x3, pool, skip) fills arch-string edges
        // 0, 1, 3, 2, 4, 5: skip, none, 3x3, 1x1, pool, skip.
        let mixed = records
            .iter()
            .find(|r| r.arch == Nb201Arch::from_op_digits("103241").unwrap())
            .expect("the mixed cell");
        assert!(!mixed.scores.contains_key("synflow"));
        assert_eq!(mixed.scores["snip"], 2.0);
    }

    #[test]
    fn bad_keys_and_datasets_are_typed_errors() {
        let path = Path::new("zc.json");
        let bad_key = r#"{"cifar10": {"(2, 2, 9, 2, 2, 2)": {}}}"#;
        let err = parse_naslib_zero_cost(path, bad_key, "cifar10").unwrap_err();
        assert!(err.to_string().contains("(2, 2, 9, 2, 2, 2)"), "{err}");
        let err = parse_naslib_zero_cost(path, r#"{"cifar10": {}}"#, "cifar100").unwrap_err();
        assert!(err.to_string().contains("cifar100"), "{err}");
        assert!(parse_naslib_zero_cost(path, "{", "cifar10").is_err());
    }
}
