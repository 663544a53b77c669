//! The CSV benchmark tables. The first byte picks the reader (its value
//! modulo 3): a user's table through `TableBenchmark` over NB201 strings, the
//! merged NB201 table (`Nb201Table::from_csv`), the NB101 subset table
//! (`Nb101Table::from_csv`); the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxinas_benchmarks::{Nb101Table, Nb201Table, TableBenchmark, TableConfig, TableObjective};
use oxinas_core::Goal;
use oxinas_spaces::Nb201Space;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let path = oxinas_fuzz::input_file("fuzz.csv", rest);
    match selector % 3 {
        0 => {
            let mut config = TableConfig::new(
                path,
                "nb201",
                "arch",
                TableObjective::column("valid", Goal::Maximize),
            );
            config.test = Some(TableObjective::column("test", Goal::Maximize));
            config.cost_column = Some("cost".into());
            config.params_column = Some("params".into());
            config.epochs = 200;
            let _ = TableBenchmark::load(Nb201Space::new(), config);
        }
        1 => {
            let _ = Nb201Table::from_csv(&path);
        }
        _ => {
            let _ = Nb101Table::from_csv(&path);
        }
    }
});
