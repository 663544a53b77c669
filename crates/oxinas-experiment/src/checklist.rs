//! `checklist.md`: the NAS best-practices checklist (Lindauer & Hutter,
//! "Best Practices for Scientific Research on Neural Architecture Search",
//! JMLR 21(243), 2020), each item marked from what the run's records prove;
//! items no record can prove are left for the user.

use std::fmt::Write;

use oxinas_record::Manifest;

use crate::{BenchmarkConfig, ExperimentConfig, OptimizerConfig};

/// How far the records settle a checklist item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mark {
    /// The run's records show it.
    Met,
    /// The records show it is not met.
    NotMet,
    /// Does not apply to this run.
    NotApplicable,
    /// Only the user can answer.
    ForUser,
}

impl Mark {
    fn symbol(self) -> &'static str {
        match self {
            Mark::Met => "[x]",
            Mark::NotMet => "[ ] **no**",
            Mark::NotApplicable => "[x] n/a",
            Mark::ForUser => "[ ] for you",
        }
    }
}

/// One item: its number, the question (paraphrased), the mark and the evidence.
pub(crate) struct Item {
    pub number: &'static str,
    pub question: &'static str,
    pub mark: Mark,
    pub evidence: String,
}

/// Whether the benchmark answers from recorded training runs (tabular or
/// surrogate) rather than training architectures.
fn is_table_benchmark(config: &ExperimentConfig) -> Option<bool> {
    #[allow(unreachable_patterns)]
    match &config.benchmark {
        BenchmarkConfig::Nb201(_)
        | BenchmarkConfig::Nb101 { .. }
        | BenchmarkConfig::Nb301 {}
        | BenchmarkConfig::Nlp { .. }
        | BenchmarkConfig::NbMacro {}
        | BenchmarkConfig::TransNas { .. }
        | BenchmarkConfig::Table(_) => Some(true),
        BenchmarkConfig::Train(_) | BenchmarkConfig::Nb360(_) => Some(false),
        _ => None,
    }
}

/// Marks every item of the checklist for this run.
pub(crate) fn checklist_items(config: &ExperimentConfig, manifest: &Manifest) -> Vec<Item> {
    let table = is_table_benchmark(config);
    let commit = match (&manifest.code.git_commit, manifest.code.git_dirty) {
        (Some(c), Some(true)) => Some(format!(
            "git commit `{c}` plus uncommitted changes (diff sha256 `{}`)",
            manifest.code.git_diff_sha256.as_deref().unwrap_or("?")
        )),
        (Some(c), _) => Some(format!("git commit `{c}`, clean")),
        _ => None,
    };
    let code_item = |what: &str| match &commit {
        Some(c) => (Mark::Met, format!("{what} is in this repository at {c}.")),
        None => (
            Mark::ForUser,
            "the run was not made from a git checkout: publish the exact code.".to_owned(),
        ),
    };
    let labels: Vec<&str> = config.optimizers.iter().map(|o| o.label()).collect();
    let has_random_search = config
        .optimizers
        .iter()
        .any(|o| matches!(o, OptimizerConfig::RandomSearch { .. }));
    let methods = format!("{} ({})", labels.len(), labels.join(", "));
    let table_item = |yes: String| match table {
        Some(true) => (Mark::NotApplicable, yes),
        _ => (
            Mark::ForUser,
            "the benchmark trains architectures: release its training pipeline and settings."
                .to_owned(),
        ),
    };

    let mut items = Vec::new();
    let mut push = |number, question, (mark, evidence): (Mark, String)| {
        items.push(Item {
            number,
            question,
            mark,
            evidence,
        })
    };
    push(
        "1a",
        "Is the code of the pipeline that trains and evaluates the final architectures released?",
        table_item("a tabular benchmark: no architecture is trained; the recorded training runs are the benchmark's.".into()),
    );
    push(
        "1b",
        "Is the code of the search space released?",
        code_item("The search space"),
    );
    push(
        "1c",
        "Are the hyperparameters and seeds of the final evaluation pipeline released?",
        table_item("a tabular benchmark: its published training protocol applies.".into()),
    );
    push(
        "1d",
        "Is the code of the NAS methods released?",
        code_item("Every optimizer"),
    );
    push(
        "1e",
        "Are the hyperparameters and random seeds of the NAS methods released?",
        (
            Mark::Met,
            format!(
                "`manifest.json` holds the config verbatim (sha256 `{}`), the experiment seed {} and all {} trial seeds.",
                manifest.config_sha256,
                manifest.seeds.experiment,
                manifest.seeds.trials.len()
            ),
        ),
    );
    push(
        "2a",
        "Do all compared methods use exactly the same benchmark: dataset and split, search space, training code and its hyperparameters?",
        (
            Mark::Met,
            format!(
                "one `[benchmark]` table serves all {methods} methods in one run{}.",
                if manifest.data_files.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", reading {}",
                        manifest
                            .data_files
                            .iter()
                            .map(|f| format!("`{}` (sha256 `{}`)", f.path, f.sha256))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ),
        ),
    );
    push(
        "2b",
        "Are confounding factors controlled (hardware, library versions, run times of the methods)?",
        (
            Mark::Met,
            format!(
                "all methods ran in one process of one build ({}, Cargo.lock sha256 `{}`) on one host ({} cores); budgets are in simulated seconds from the benchmark, independent of the machine.",
                manifest.code.rustc,
                manifest.code.cargo_lock_sha256.as_deref().unwrap_or("?"),
                manifest.host.cores
            ),
        ),
    );
    push(
        "2c",
        "Are ablation studies run?",
        (
            Mark::ForUser,
            "ablations are separate experiments; link them here.".into(),
        ),
    );
    push(
        "2d",
        "Do the compared methods use the same evaluation protocol?",
        (
            Mark::Met,
            format!(
                "every method searches at {} under the same budget ({}) and is reported on the same {} metric(s).",
                config.search.fidelity.map_or_else(
                    || "the benchmark's one fidelity".to_owned(),
                    |e| format!("fidelity {e}")
                ),
                budget_text(config),
                config.reports.len()
            ),
        ),
    );
    push(
        "2e",
        "Is performance compared over time?",
        (
            Mark::Met,
            "`plots/` holds anytime curves (mean and 95% CI of incumbent regret) against queries and against simulated time.".into(),
        ),
    );
    push(
        "2f",
        "Is random search among the baselines?",
        if has_random_search {
            (
                Mark::Met,
                "a `random_search` optimizer is in the config.".into(),
            )
        } else {
            (
                Mark::NotMet,
                "no `random_search` optimizer is in the config.".into(),
            )
        },
    );
    push(
        "2g",
        "Are experiments repeated with several runs, and their seeds reported?",
        if config.trials >= 2 {
            (
                Mark::Met,
                format!(
                    "{} trials per method, each seed in `manifest.json`.",
                    config.trials
                ),
            )
        } else {
            (Mark::NotMet, "one trial per method.".into())
        },
    );
    push(
        "2h",
        "Are tabular or surrogate benchmarks used for in-depth evaluations?",
        match table {
            Some(true) => (Mark::Met, "the benchmark is tabular.".into()),
            _ => (
                Mark::ForUser,
                "say whether the benchmark is tabular or surrogate.".into(),
            ),
        },
    );
    push(
        "3a",
        "Is it reported how hyperparameters were tuned, and at what cost in time and resources?",
        (
            Mark::ForUser,
            "the config records the values used, not how they were chosen.".into(),
        ),
    );
    push(
        "3b",
        "Is the time of the whole end-to-end NAS method reported (not only the search phase)?",
        (
            Mark::ForUser,
            format!(
                "the simulated cost of every query is in `trajectories.jsonl`; the run started {}. Report the end-to-end time of the method.",
                manifest.started
            ),
        ),
    );
    push(
        "3c",
        "Are all details of the experimental setup reported?",
        (
            Mark::Met,
            format!(
                "`manifest.json`: config, seeds, code version, features and backend (`{}`), host, `OXINAS_*` environment, data checksums; executor `{}`.",
                manifest.code.backend, manifest.executor
            ),
        ),
    );
    items
}

fn budget_text(config: &ExperimentConfig) -> String {
    let budget = &config.search.budget;
    let mut parts = Vec::new();
    if let Some(queries) = budget.queries {
        parts.push(format!("{queries} queries"));
    }
    if let Some(seconds) = budget.simulated_seconds {
        parts.push(format!("{seconds} simulated seconds"));
    }
    parts.join(" or ")
}

/// The whole `checklist.md`.
pub(crate) fn checklist_markdown(config: &ExperimentConfig, manifest: &Manifest) -> String {
    let items = checklist_items(config, manifest);
    let mut out = format!(
        "# Best-practices checklist: {}\n\n\
         The NAS best-practices checklist of Lindauer & Hutter (JMLR 2020), items paraphrased. \
         `[x]`: shown by this run's records; `[ ] **no**`: the records show it is not met; \
         `[x] n/a`: does not apply; `[ ] for you`: no record can show it.\n\n",
        config.name
    );
    let sections = [
        ('1', "Releasing code"),
        ('2', "Comparing NAS methods"),
        ('3', "Reporting important details"),
    ];
    for (digit, title) in sections {
        let _ = writeln!(out, "## {digit}. {title}\n");
        for item in items.iter().filter(|i| i.number.starts_with(digit)) {
            let _ = writeln!(
                out,
                "- {} **{}** {} — {}",
                item.mark.symbol(),
                item.number,
                item.question,
                item.evidence
            );
        }
        out.push('\n');
    }
    let open = items.iter().filter(|i| i.mark == Mark::ForUser).count();
    let _ = writeln!(out, "{open} item(s) are left for you to answer.");
    out
}
