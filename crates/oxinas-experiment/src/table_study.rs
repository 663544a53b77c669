//! A table over a declared space as the input of the predictor study
//! (`cargo xtask predictors` with `benchmark = "table"`).

use std::path::Path;

use oxinas_benchmarks::{TableBenchmark, TableConfig};
use oxinas_core::{ConfigError, GroundTruth};
use oxinas_encodings::EncodableSpace;
use oxinas_predictors::predictor_study::StudyArch;
use oxinas_spaces::DeclaredSpace;

use crate::ExperimentError;
use crate::data_files::resolved_table_settings;

/// The architectures of the table `table` (paths relative to `config_path`,
/// as in experiment files) as study inputs: the space's vector encoding
/// `encoding` (and graph encoding `graph_encoding`), the parameter column,
/// the validation values below the largest epoch count as the observed
/// curve, and the validation value at the largest epoch count as the
/// target. Rows without a target are left out. Also returns that epoch count.
pub fn table_study_archs(
    table: &TableConfig,
    config_path: &Path,
    encoding: &str,
    graph_encoding: Option<&str>,
) -> Result<(Vec<StudyArch>, usize), ExperimentError> {
    let setting = |field: &str, message: String| ExperimentError::Setting {
        path: config_path.to_owned(),
        source: ConfigError::new(field, message),
    };
    let settings = resolved_table_settings(table, config_path);
    let Some(file) = settings.space_file.clone() else {
        return Err(setting(
            "table.space_file",
            "a declared space's file (built-in spaces have their own `benchmark`)".to_owned(),
        ));
    };
    let space =
        DeclaredSpace::read(&file).map_err(|e| setting("table.space_file", e.to_string()))?;
    let params_column = settings.params_column.clone();
    let bench = TableBenchmark::load_declared(space.clone(), settings)?;
    let vector = space
        .vector_encoding(encoding)
        .map_err(|e| setting("encoding", e.to_string()))?;
    let graph = graph_encoding
        .map(|name| space.graph_encoding(name))
        .transpose()
        .map_err(|e| setting("graph_encoding", e.to_string()))?;
    let columns = bench.validation_columns();
    let Some(&(top_epochs, top)) = columns.last() else {
        return Err(setting(
            "table.validation",
            "a validation column".to_owned(),
        ));
    };
    let metric = |arch, column: &str| {
        GroundTruth::metric(&bench, arch, column).map_err(|e| setting("table", e.to_string()))
    };
    let mut archs = Vec::with_capacity(bench.len());
    for arch in bench.archs() {
        let Some(target) = metric(arch, top)? else {
            continue;
        };
        let mut curve = Vec::new();
        for &(_, column) in &columns[..columns.len() - 1] {
            match metric(arch, column)? {
                Some(value) => curve.push(value),
                None => break,
            }
        }
        archs.push(StudyArch {
            encoding: vector.encode(arch),
            graph: graph
                .as_ref()
                .map(|g| g.encode(arch))
                .transpose()
                .map_err(|e| setting("graph_encoding", e.to_string()))?,
            params: match &params_column {
                Some(column) => metric(arch, column)?,
                None => None,
            },
            validation_curve: curve,
            training_losses: Vec::new(),
            zero_cost: Vec::new(),
            target,
        });
    }
    Ok((archs, top_epochs as usize))
}
