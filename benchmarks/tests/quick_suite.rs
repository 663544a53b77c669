//! The suite in quick mode, in process: every case runs once and its
//! correctness check must pass. No time is asserted; this only proves the
//! benchmarks still run and still compute the right answers.

use benchmarks::{Mode, all_cases};
use oxinas_testkit::data_file;

#[test]
fn every_case_runs_in_quick_mode_and_its_check_passes() {
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in all_cases() {
        if !case.data.iter().all(|file| data_file(file).is_some()) {
            continue;
        }
        ran += 1;
        match (case.run)(Mode::Quick) {
            Ok(report) => {
                assert_eq!(report.name, case.name, "a case reports under its own name");
                assert_eq!(
                    report.samples_s.len(),
                    1,
                    "{}: quick mode runs once",
                    case.name
                );
                if !report.check.passed {
                    failures.push(format!("{}: {}", case.name, report.check.detail));
                }
            }
            Err(e) => failures.push(format!("{}: did not run: {e}", case.name)),
        }
    }
    assert!(ran > 0, "at least the NB101 enumeration needs no data");
    assert!(
        failures.is_empty(),
        "failed cases:\n{}",
        failures.join("\n")
    );
}

#[test]
fn case_names_are_unique() {
    let cases = all_cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len());
}
