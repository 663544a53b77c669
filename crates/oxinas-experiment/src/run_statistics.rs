//! The statistics section of a run's `summary.md`: with two or more
//! optimizers, the reported metric compared over the paired seeds (bootstrap
//! intervals, pairwise Wilcoxon tests with Holm's correction, and with three
//! or more a Friedman test over seeds and its critical-difference diagram).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use oxinas_core::Goal;

use crate::benchmark_comparison::BenchmarkComparison;
use crate::cd_diagram::draw_cd_diagram;
use crate::rank_report::CD_DIAGRAM_STEM;
use crate::trial_record::TrialRecord;
use crate::{ExperimentConfig, ExperimentError, PairedValues, RankOrder};

/// The section, drawing the diagram into `dir/plots`; empty with fewer than
/// two optimizers or no reported metric. The metric compared is the first
/// report with `regret = true` (lower is better), else the first report
/// (better in the benchmark's direction).
pub(crate) fn run_statistics_markdown(
    dir: &Path,
    config: &ExperimentConfig,
    done: &BTreeMap<(usize, u64), TrialRecord>,
    trial_seeds: &[u64],
    goal: Goal,
) -> Result<String, ExperimentError> {
    if config.optimizers.len() < 2 || config.reports.is_empty() {
        return Ok(String::new());
    }
    let m = config.reports.iter().position(|r| r.regret).unwrap_or(0);
    let report = &config.reports[m];
    let order = if report.regret || goal == Goal::Minimize {
        RankOrder::LowerIsBetter
    } else {
        RankOrder::HigherIsBetter
    };
    let values = PairedValues::from_triples(
        &config.name,
        done.values().map(|r| {
            (
                config.optimizers[r.optimizer].label().to_owned(),
                trial_seeds[r.trial as usize],
                r.metrics.get(m).copied().flatten(),
            )
        }),
    );
    let comparison = BenchmarkComparison::new(&values, &report.label, order);
    let mut out = format!(
        "\n## Statistics\n\nTrials of different optimizers with the same index share their seed, so they are compared pair by pair. Compared: `{}`.\n\n{}",
        report.label,
        comparison.markdown()
    );
    if let Some(cd) = BenchmarkComparison::over_seeds(&values, order) {
        let title = format!(
            "{}: average rank of `{}` over seeds",
            config.name, report.label
        );
        draw_cd_diagram(&dir.join("plots"), CD_DIAGRAM_STEM, &title, &cd)?;
        let _ = write!(
            out,
            "\n### Ranks over the paired seeds\n\n{}",
            cd.markdown(Some(&format!("plots/{CD_DIAGRAM_STEM}")))
        );
    }
    Ok(out)
}
