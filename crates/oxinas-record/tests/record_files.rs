//! What the run files hold, read back as a reader of the run directory would:
//! a trajectory line appended in memory or written raw is the JSON line, with
//! `wall_time` only when set, and a log that cannot be read is an error
//! naming it, while one that does not exist yet reads as empty.

use oxinas_record::{AppendLog, TrajectoryLine, TrajectoryWriter};

fn line(wall_time: Option<f64>) -> TrajectoryLine<'static> {
    TrajectoryLine {
        optimizer: "RS",
        trial: 2,
        trial_seed: 7,
        query: 3,
        arch: "|a|",
        fidelity: 12,
        validation: Some(90.5),
        cost: 1.5,
        cumulative_cost: 4.5,
        wall_time,
        incumbent: 1,
        incumbent_validation: Some(91.0),
    }
}

const EXPECTED: &str = r#"{"optimizer":"RS","trial":2,"trial_seed":7,"query":3,"arch":"|a|","fidelity":12,"validation":90.5,"cost":1.5,"cumulative_cost":4.5,"incumbent":1,"incumbent_validation":91.0}"#;

#[test]
fn a_trajectory_line_is_one_json_line_with_wall_time_only_when_set() {
    let mut buffer = Vec::new();
    line(None).append_to(&mut buffer);
    assert_eq!(String::from_utf8(buffer).unwrap(), format!("{EXPECTED}\n"));
    let mut buffer = Vec::new();
    line(Some(2.25)).append_to(&mut buffer);
    let text = String::from_utf8(buffer).unwrap();
    assert!(
        text.contains(r#""cumulative_cost":4.5,"wall_time":2.25,"incumbent":1"#),
        "{text}"
    );
}

#[test]
fn raw_lines_reach_the_file_after_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trajectories.jsonl");
    let mut writer = TrajectoryWriter::create(&path).unwrap();
    writer.write(&line(None)).unwrap();
    writer.write_raw(b"{\"raw\":1}\n").unwrap();
    writer.flush().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{EXPECTED}\n{{\"raw\":1}}\n"));
}

#[test]
fn a_log_that_cannot_be_read_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        AppendLog::read_lines(&dir.path().join("absent.jsonl"))
            .unwrap()
            .is_empty()
    );
    // A directory where the log should be: not "no log yet".
    let err = AppendLog::read_lines(dir.path()).unwrap_err().to_string();
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
}
