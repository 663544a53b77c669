//! The NAS-Bench-101 subset table, its evaluator, ground truth and subset
//! space, on the real data file and on small broken copies of it.

use std::io::Write;
use std::sync::{Arc, OnceLock};

use oxinas_benchmarks::{Nb101Subset, Nb101Table, Nb101Tabular};
use oxinas_core::seed::rng_from_seed;
use oxinas_core::{DataError, EvaluationError, Evaluator, Fidelity, GroundTruth, SearchSpace};
use oxinas_spaces::{Nb101Arch, Nb101Hash, Nb101Space};
use oxinas_testkit::{SpaceLaws, check_uniform_sampling, data_file};

/// The real table, loaded once per test binary (the load enumerates the space).
fn table() -> Option<Arc<Nb101Table>> {
    static TABLE: OnceLock<Option<Arc<Nb101Table>>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            data_file("nb101/nb101_subset30k.csv")
                .map(|path| Arc::new(Nb101Table::from_csv(&path).unwrap()))
        })
        .clone()
}

/// A cell of the space without data in the table.
fn outside_arch(table: &Nb101Table) -> Nb101Arch {
    use oxinas_core::Enumerable;
    Nb101Space::new()
        .enumerate()
        .find(|a| table.record_of(a).is_none())
        .unwrap()
}

const FIRST_HASH: &str = "00005c142e6f48ac74fdcf73e3439874";
const FIRST_OPS: &str =
    "input conv3x3-bn-relu maxpool3x3 conv3x3-bn-relu conv3x3-bn-relu conv1x1-bn-relu output";
const FIRST_ADJACENCY: &str = "0100110;0010000;0001001;0000010;0000010;0000001;0000000";

#[test]
fn table_joins_every_row_to_a_spec_and_has_the_published_best() {
    let Some(table) = table() else { return };
    assert_eq!(table.len(), 30_001);
    assert_eq!(
        table.records().iter().filter(|r| r.spec_in_file).count(),
        1_000
    );
    for record in table.records() {
        assert_eq!(Nb101Hash::of(&record.arch), record.hash);
    }
    // The data manifest's best 108-epoch validation accuracy.
    let best = table
        .records()
        .iter()
        .max_by(|a, b| a.valid[3].total_cmp(&b.valid[3]))
        .unwrap();
    assert!(
        best.hash.to_string().starts_with("096f593e"),
        "{}",
        best.hash
    );
    assert!((best.valid[3] - 0.94912).abs() < 5e-6, "{}", best.valid[3]);
    assert_eq!(
        table
            .records()
            .iter()
            .filter(|r| r.source == "random10k")
            .count(),
        10_000
    );
}

#[test]
fn evaluator_reports_validation_percent_cost_and_no_test() {
    let Some(table) = table() else { return };
    let evaluator = Nb101Tabular::new(table.clone());
    assert_eq!(
        evaluator.fidelities(),
        [4, 12, 36, 108].map(Fidelity::epochs).to_vec()
    );
    let arch = Nb101Arch::from_csv_fields(FIRST_OPS, FIRST_ADJACENCY).unwrap();
    let space = Nb101Space::new();
    let mut rng = rng_from_seed(0);
    // Values of the file's first row.
    let full = evaluator
        .evaluate(&arch, Fidelity::epochs(108), &mut rng)
        .unwrap();
    assert_eq!(full.observation.validation, Some(93.04887652397156));
    assert_eq!(full.observation.cost_seconds, 1768.9759521484375);
    assert_eq!(full.observation.params, Some(8_555_530.0));
    assert_eq!(full.test, None);
    let short = evaluator
        .evaluate(&arch, Fidelity::epochs(4), &mut rng)
        .unwrap();
    assert_eq!(short.observation.validation, Some(36.04767620563507));
    assert!((short.observation.cost_seconds - 1768.9759521484375 * 4.0 / 108.0).abs() < 1e-9);
    // Any spec of the same cell gives the same answer.
    let copy = space.relabel(&arch.padded(), &mut rng);
    assert_eq!(
        evaluator
            .evaluate(&copy, Fidelity::epochs(108), &mut rng)
            .unwrap(),
        full
    );

    let error = evaluator
        .evaluate(&arch, Fidelity::epochs(200), &mut rng)
        .unwrap_err();
    assert!(
        matches!(error, EvaluationError::UnsupportedFidelity { .. }),
        "{error}"
    );
    let outside = outside_arch(&table);
    let error = evaluator
        .evaluate(&outside, Fidelity::epochs(108), &mut rng)
        .unwrap_err();
    assert!(
        matches!(error, EvaluationError::UnknownArch { .. }),
        "{error}"
    );
}

#[test]
fn ground_truth_has_validation_only() {
    let Some(table) = table() else { return };
    let names: Vec<String> = table.metrics().into_iter().map(|(n, _)| n).collect();
    assert!(names.iter().all(|n| !n.contains("test")), "{names:?}");
    let arch = Nb101Arch::from_csv_fields(FIRST_OPS, FIRST_ADJACENCY).unwrap();
    assert_eq!(
        table.metric(&arch, "cifar10/valid@36").unwrap(),
        Some(90.01402258872986)
    );
    assert_eq!(
        table.metric(&arch, "train_time@108").unwrap(),
        Some(1768.9759521484375)
    );
    assert!(matches!(
        table.metric(&arch, "cifar10/test@108"),
        Err(EvaluationError::UnknownMetric { .. })
    ));
    let outside = outside_arch(&table);
    assert_eq!(table.metric(&outside, "params").unwrap(), None);
}

#[test]
fn subset_space_obeys_the_laws_and_samples_its_members_uniformly() {
    let Some(table) = table() else { return };
    let subset = Nb101Subset::new(&table);
    let space = Nb101Space::new();
    assert_eq!(subset.cardinality(), Some(30_001));
    SpaceLaws::new(&subset, |a: &Nb101Arch| a.is_valid() && subset.contains(a))
        .relabel(|a, rng| space.relabel(a, rng))
        .representative(|a| space.representative(a))
        .symmetric_neighbors()
        .cases(32)
        .assert();
    // 5 samples expected per member.
    check_uniform_sampling(&subset, |a| *a, 150_005, 3).unwrap();
    let evaluator = Nb101Tabular::new(table.clone());
    let mut rng = rng_from_seed(4);
    let mut arch = subset.sample(&mut rng);
    for _ in 0..50 {
        arch = subset.mutate(&arch, &mut rng);
        evaluator
            .evaluate(&arch, Fidelity::epochs(108), &mut rng)
            .unwrap();
    }
    let outside = space.format(&outside_arch(&table));
    let message = subset.parse(&outside).unwrap_err().to_string();
    assert!(
        message.contains("a cell with data in the subset"),
        "{message}"
    );
}

const HEADER: &str = "hash,source,val4,val12,val36,val108,train_time108_s,params,ops,adjacency\n";

fn first_row() -> String {
    format!(
        "{FIRST_HASH},prefix20k,0.3604767620563507,0.42197516560554504,0.9001402258872986,\
         0.9304887652397156,1768.9759521484375,8555530,{FIRST_OPS},{FIRST_ADJACENCY}\n"
    )
}

fn second_row() -> String {
    "0000718c96730a92ea6d5242f8ce77e2,prefix20k,0.11318109184503555,0.35536858439445496,\
     0.8254206776618958,0.8959335088729858,1203.2879638671875,5878154,input conv1x1-bn-relu \
     conv1x1-bn-relu conv3x3-bn-relu conv1x1-bn-relu conv3x3-bn-relu output,\
     0100000;0010000;0001000;0000111;0000010;0000001;0000000\n"
        .to_owned()
}

fn load(content: &str) -> (tempfile::NamedTempFile, Result<Nb101Table, DataError>) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(content.as_bytes()).unwrap();
    let result = Nb101Table::from_csv(file.path());
    (file, result)
}

fn error_of(content: &str) -> String {
    let (file, result) = load(content);
    let message = result.unwrap_err().to_string();
    assert!(
        message.contains(&file.path().display().to_string()),
        "{message}"
    );
    message
}

#[test]
fn a_small_well_formed_file_loads() {
    let (_file, result) = load(&format!("{HEADER}{}{}", first_row(), second_row()));
    let table = result.unwrap();
    assert_eq!(table.len(), 2);
    assert_eq!(table.records()[1].params, 5_878_154);
}

#[test]
fn truncated_files_are_reported_with_file_and_line() {
    let whole = format!("{HEADER}{}{}", first_row(), second_row());
    // Cut inside the second row's adjacency field.
    let cut = &whole[..whole.len() - 20];
    let message = error_of(cut);
    assert!(message.contains("line 3"), "{message}");
    // Cut inside the second row's ops: fewer fields.
    let cut = &whole[..HEADER.len() + first_row().len() + 120];
    let message = error_of(cut);
    assert!(
        message.contains("line 3") && message.contains("fields"),
        "{message}"
    );
    // Cut right after a number: the row parses but the line has no newline.
    let cut = format!("{HEADER}{}{}", first_row(), &second_row()[..60]);
    let message = error_of(&cut);
    assert!(message.contains("line 3"), "{message}");
    assert!(error_of("").contains("line 1"));
}

#[test]
fn corrupted_fields_name_line_and_column() {
    let cases = [
        (
            first_row().replace("0.9001402258872986", "0.90O1"),
            "line 2, column `val36`",
        ),
        (
            first_row().replace("8555530", "85x"),
            "line 2, column `params`",
        ),
        (
            first_row().replace("0.3604767620563507", "1.5"),
            "line 2, column `val4`",
        ),
        (
            first_row().replace("00005c14", "00005c1z"),
            "line 2, column `hash`",
        ),
        (
            first_row().replace("maxpool3x3", "maxpool5x5"),
            "line 2, column `adjacency`",
        ),
        // A spec that does not match its key.
        (
            first_row().replace("conv1x1-bn-relu output", "conv3x3-bn-relu output"),
            "hashes to",
        ),
    ];
    for (row, expected) in cases {
        let message = error_of(&format!("{HEADER}{row}"));
        assert!(message.contains(expected), "{expected}: {message}");
    }
    let message = error_of(&format!("{HEADER}{}{}", first_row(), first_row()));
    assert!(
        message.contains("line 3, column `hash`") && message.contains("line 2"),
        "{message}"
    );
    let message = error_of(&HEADER.replace("val36", "val37"));
    assert!(
        message.contains("line 1") && message.contains("header"),
        "{message}"
    );
}

#[test]
fn a_spec_less_key_outside_the_space_is_an_error() {
    // Needs the enumeration; the real table's test pays for it once anyway.
    if table().is_none() {
        return;
    }
    let row = format!(
        "{},random10k,0.1,0.2,0.3,0.4,100.0,1000,,\n",
        "0123456789abcdef0123456789abcdef"
    );
    let message = error_of(&format!("{HEADER}{}{row}", first_row()));
    assert!(
        message.contains("line 3, column `hash`") && message.contains("cell of the NB101 space"),
        "{message}"
    );
}
