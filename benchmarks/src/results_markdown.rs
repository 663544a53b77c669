//! The markdown table of a run and the update of `benchmarks/RESULTS.md`.

use std::collections::BTreeMap;

use crate::{CaseReport, Machine, Summary};

/// The line above which `RESULTS.md` is written by hand and below which it is
/// written by `cargo xtask bench`.
pub const GENERATED_MARKER: &str =
    "<!-- Everything below this line is written by `cargo xtask bench`. -->";

const HEADER: &str = "| benchmark | median | min | max | runs | per item (median) | reference | reference median | reference / oxinas | peak RSS | check | measured (UTC) |\n|---|---|---|---|---|---|---|---|---|---|---|---|";

/// One table row for `report`, measured at `when`.
fn row(report: &CaseReport, when: &str) -> String {
    let ours = Summary::of(&report.samples_s);
    let cell = |f: fn(&Summary) -> f64| ours.as_ref().map_or("-".to_owned(), |s| seconds(f(s)));
    let per_item = match (&report.throughput, &ours) {
        (Some(t), Some(s)) if t.items > 0.0 => {
            format!("{} / {}", seconds(s.median / t.items), t.unit)
        }
        _ => "-".to_owned(),
    };
    let reference = report.reference.as_ref();
    let theirs = reference.and_then(|r| Summary::of(&r.samples_s));
    let ratio = match (&ours, &theirs) {
        (Some(o), Some(t)) if o.median > 0.0 => format!("{:.1}x", t.median / o.median),
        _ => "-".to_owned(),
    };
    format!(
        "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        report.name,
        cell(|s| s.median),
        cell(|s| s.min),
        cell(|s| s.max),
        report.samples_s.len(),
        per_item,
        reference.map_or("-".to_owned(), |r| r.label.clone()),
        theirs.map_or("-".to_owned(), |t| seconds(t.median)),
        ratio,
        report
            .peak_rss_kib
            .map_or("-".to_owned(), |k| format!("{:.0} MiB", k as f64 / 1024.0)),
        if report.check.passed { "ok" } else { "FAILED" },
        when,
    )
}

/// The detail line for `report`: its check and note.
fn detail(report: &CaseReport) -> String {
    let mut line = format!(
        "- `{}`: {}{}",
        report.name,
        if report.check.passed {
            ""
        } else {
            "CHECK FAILED: "
        },
        report.check.detail
    );
    if !report.note.is_empty() {
        line.push_str(". ");
        line.push_str(&report.note);
    }
    line
}

/// The markdown table of `reports` followed by one line per case with its
/// check and notes.
pub fn table_markdown(reports: &[CaseReport], when: &str) -> String {
    let mut out = String::from(HEADER);
    out.push('\n');
    for report in reports {
        out.push_str(&row(report, when));
        out.push('\n');
    }
    out.push('\n');
    for report in reports {
        out.push_str(&detail(report));
        out.push('\n');
    }
    out
}

/// The key of a generated table row or detail line: the case name in its
/// first backticks.
fn key_of(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("| `")
        .or_else(|| line.strip_prefix("- `"))?;
    rest.split_once('`').map(|(name, _)| name)
}

/// `existing` (the current `RESULTS.md`, or `""`) with the generated part
/// rewritten: rows and details of `reports` replace those of the same case,
/// the others are kept, and everything is ordered as `order` (unknown names
/// last). The hand-written part above `GENERATED_MARKER` is kept as is.
pub fn merge_results_file(
    existing: &str,
    machine: &Machine,
    reports: &[CaseReport],
    when: &str,
    order: &[String],
) -> String {
    let (head, generated) = match existing.split_once(GENERATED_MARKER) {
        Some((head, generated)) => (head.to_owned(), generated),
        None if existing.trim().is_empty() => (
            "# Benchmark results\n\nWritten by `cargo xtask bench`.\n\n".to_owned(),
            "",
        ),
        None => (format!("{}\n\n", existing.trim_end()), ""),
    };
    let mut rows: BTreeMap<String, String> = BTreeMap::new();
    let mut details: BTreeMap<String, String> = BTreeMap::new();
    for line in generated.lines() {
        if let Some(key) = key_of(line) {
            if line.starts_with('|') {
                rows.insert(key.to_owned(), line.to_owned());
            } else {
                details.insert(key.to_owned(), line.to_owned());
            }
        }
    }
    for report in reports {
        rows.insert(report.name.clone(), row(report, when));
        details.insert(report.name.clone(), detail(report));
    }
    let rank = |name: &str| order.iter().position(|o| o == name).unwrap_or(usize::MAX);
    let mut names: Vec<&String> = rows.keys().collect();
    names.sort_by_key(|n| (rank(n), (*n).clone()));

    let mut out = head;
    out.push_str(GENERATED_MARKER);
    out.push_str("\n\n## Machine of the latest run\n\n");
    out.push_str(&machine.markdown());
    out.push_str("\nRows keep the date they were measured; a run of a subset of the cases replaces only those rows.\n\n## Results\n\n");
    out.push_str(HEADER);
    out.push('\n');
    for name in &names {
        out.push_str(&rows[*name]);
        out.push('\n');
    }
    out.push_str("\n## Checks and notes\n\n");
    for name in &names {
        if let Some(line) = details.get(*name) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A duration in the unit that keeps 3 significant digits readable.
fn seconds(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else if s >= 1e-6 {
        format!("{:.1} µs", s * 1e6)
    } else {
        format!("{:.0} ns", s * 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Check, ReferenceTiming, Throughput};

    fn report(name: &str, samples: &[f64], reference: Option<&[f64]>) -> CaseReport {
        CaseReport {
            name: name.to_owned(),
            samples_s: samples.to_vec(),
            throughput: Some(Throughput {
                items: 1000.0,
                unit: "query".into(),
            }),
            reference: reference.map(|r| ReferenceTiming {
                label: "python3".into(),
                samples_s: r.to_vec(),
            }),
            check: Check::new(true, "count 3 (expected 3)"),
            peak_rss_kib: Some(2048),
            note: String::new(),
        }
    }

    #[test]
    fn row_shows_median_min_max_and_the_ratio_of_medians() {
        let line = row(
            &report("a/b", &[0.3, 0.1, 0.2], Some(&[2.0, 1.0, 4.0])),
            "t",
        );
        assert!(
            line.starts_with("| `a/b` | 200.0 ms | 100.0 ms | 300.0 ms | 3 | 200.0 µs / query |")
        );
        assert!(
            line.contains("| python3 | 2.00 s | 10.0x | 2 MiB | ok | t |"),
            "{line}"
        );
    }

    #[test]
    fn merging_replaces_rows_of_the_same_case_and_keeps_the_rest() {
        let machine = Machine {
            cpu: "cpu".into(),
            threads: 2,
            memory_gib: None,
            load_average: None,
            kernel: None,
            rustc: None,
            python: None,
        };
        let order = vec!["x".to_owned(), "y".to_owned()];
        let first = merge_results_file(
            "# Title\n\nintro\n\n",
            &machine,
            &[report("y", &[1.0], None), report("x", &[1.0], None)],
            "old",
            &order,
        );
        assert!(first.starts_with("# Title\n\nintro\n\n"));
        let second = merge_results_file(
            &first,
            &machine,
            &[report("y", &[2.0], None)],
            "new",
            &order,
        );
        let rows: Vec<&str> = second.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(rows.len(), 2, "{second}");
        assert!(rows[0].starts_with("| `x` | 1.00 s") && rows[0].ends_with("| old |"));
        assert!(rows[1].starts_with("| `y` | 2.00 s") && rows[1].ends_with("| new |"));
        assert_eq!(second.matches(GENERATED_MARKER).count(), 1);
    }
}
