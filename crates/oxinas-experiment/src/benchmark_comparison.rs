//! Optimizers compared on one benchmark, trial by trial: bootstrap
//! confidence intervals of each optimizer's mean, and a Wilcoxon
//! signed-rank test for every pair of optimizers over the seeds they share,
//! with Holm's correction over all pairs; verdicts in words.

use std::fmt::Write as _;

use oxinas_statistics::{MeanInterval, WilcoxonTest, bootstrap_mean_interval, holm_adjust};

use crate::critical_difference::{ALPHA, CriticalDifference};
use crate::significance_words::format_p;
use crate::{PairedValues, RankOrder};

/// Bootstrap resamples per interval.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;
/// The seed of every bootstrap interval, so reports are identical on rerun.
pub const BOOTSTRAP_SEED: u64 = 0;

/// One pair of optimizers tested on their shared seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct PairwiseTest {
    /// Index of the first optimizer.
    pub a: usize,
    /// Index of the second optimizer.
    pub b: usize,
    /// Seeds on which both have a value.
    pub pairs: usize,
    /// The test, `None` without a shared seed.
    pub test: Option<WilcoxonTest>,
    /// Holm-adjusted p-value over all pairs tested on this benchmark.
    pub holm_p: Option<f64>,
    /// The optimizer whose paired results are better by the signed ranks
    /// (`None` on a tie).
    pub better: Option<usize>,
}

impl PairwiseTest {
    /// Whether the difference is significant at 0.05 after Holm's correction.
    pub fn significant(&self) -> bool {
        self.holm_p.is_some_and(|p| p <= ALPHA)
    }
}

/// The statistics of one benchmark's run.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchmarkComparison {
    /// The run's name.
    pub name: String,
    /// The compared metric's label.
    pub metric: String,
    /// Whether smaller or larger values are better.
    pub order: RankOrder,
    /// Optimizer labels.
    pub labels: Vec<String>,
    /// Trials with a value, per optimizer.
    pub trials: Vec<usize>,
    /// 95% percentile-bootstrap interval of each optimizer's mean.
    pub intervals: Vec<Option<MeanInterval>>,
    /// Every pair (a < b), in order.
    pub pairwise: Vec<PairwiseTest>,
}

impl BenchmarkComparison {
    /// Computes the statistics of `values` (the run's `metric`).
    pub fn new(values: &PairedValues, metric: &str, order: RankOrder) -> Self {
        let k = values.labels.len();
        let oriented = |v: f64| match order {
            RankOrder::LowerIsBetter => v,
            RankOrder::HigherIsBetter => -v,
        };
        let intervals = (0..k)
            .map(|o| {
                bootstrap_mean_interval(
                    &values.present(o),
                    0.95,
                    BOOTSTRAP_RESAMPLES,
                    BOOTSTRAP_SEED,
                )
                .ok()
            })
            .collect();
        let mut pairwise = Vec::new();
        for a in 0..k {
            for b in a + 1..k {
                let (x, y) = values.pairs(a, b);
                let x: Vec<f64> = x.into_iter().map(oriented).collect();
                let y: Vec<f64> = y.into_iter().map(oriented).collect();
                let test = WilcoxonTest::new(&x, &y).ok();
                // x - y < 0 where a is better (oriented values: smaller wins).
                let better = test.as_ref().and_then(|t| {
                    if t.rank_sum_negative > t.rank_sum_positive {
                        Some(a)
                    } else if t.rank_sum_positive > t.rank_sum_negative {
                        Some(b)
                    } else {
                        None
                    }
                });
                pairwise.push(PairwiseTest {
                    a,
                    b,
                    pairs: x.len(),
                    test,
                    holm_p: None,
                    better,
                });
            }
        }
        let tested: Vec<usize> = (0..pairwise.len())
            .filter(|&i| pairwise[i].test.is_some())
            .collect();
        let raw: Vec<f64> = tested
            .iter()
            .filter_map(|&i| pairwise[i].test.as_ref().map(|t| t.p_value))
            .collect();
        if let Ok(adjusted) = holm_adjust(&raw) {
            for (&i, p) in tested.iter().zip(adjusted) {
                pairwise[i].holm_p = Some(p);
            }
        }
        Self {
            name: values.name.clone(),
            metric: metric.to_owned(),
            order,
            labels: values.labels.clone(),
            trials: (0..k).map(|o| values.present(o).len()).collect(),
            intervals,
            pairwise,
        }
    }

    /// The verdicts in words: one line per significant pair ("BONAS beats RS
    /// on bbo-nb201 (Holm-adjusted p = 0.0003)"), then the pairs that are not
    /// significant.
    pub fn verdicts(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut not_significant = Vec::new();
        for pair in &self.pairwise {
            let Some(p) = pair.holm_p else { continue };
            let (a, b) = (&self.labels[pair.a], &self.labels[pair.b]);
            match pair.better {
                Some(winner) if pair.significant() => {
                    let loser = if winner == pair.a { b } else { a };
                    lines.push(format!(
                        "{} beats {loser} on {} (Holm-adjusted p = {})",
                        self.labels[winner],
                        self.name,
                        format_p(p)
                    ));
                }
                _ => not_significant.push(format!("{a} vs {b} (p = {})", format_p(p))),
            }
        }
        if lines.is_empty() {
            lines.push(format!(
                "No difference between optimizers is significant at 0.05 on {}",
                self.name
            ));
        }
        if !not_significant.is_empty() {
            lines.push(format!(
                "Not significant at 0.05 on {} (Holm-adjusted): {}",
                self.name,
                not_significant.join(", ")
            ));
        }
        lines
    }

    /// Intervals, the pairwise table and the verdicts, in Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Mean `{}` with its 95% bootstrap confidence interval (percentile method, {BOOTSTRAP_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}):\n",
            self.metric
        );
        out.push_str("| optimizer | trials | mean | 95% CI |\n|---|---:|---:|---|\n");
        for (o, label) in self.labels.iter().enumerate() {
            match &self.intervals[o] {
                Some(i) => {
                    let _ = writeln!(
                        out,
                        "| {label} | {} | {:.3} | [{:.3}, {:.3}] |",
                        self.trials[o], i.mean, i.low, i.high
                    );
                }
                None => {
                    let _ = writeln!(out, "| {label} | 0 | n/a | n/a |");
                }
            }
        }
        if self.pairwise.is_empty() {
            return out;
        }
        let _ = writeln!(
            out,
            "\nWilcoxon signed-rank tests (two-sided, SciPy's defaults) of every pair over the seeds both ran, Holm-adjusted over the {} pair(s); `better` is the optimizer ahead by signed ranks ({}).\n",
            self.pairwise.iter().filter(|p| p.test.is_some()).count(),
            match self.order {
                RankOrder::LowerIsBetter => "lower is better",
                RankOrder::HigherIsBetter => "higher is better",
            }
        );
        out.push_str(
            "| pair | paired seeds | better | W | p | Holm p | at 0.05 |\n|---|---:|---|---:|---:|---:|---|\n",
        );
        for pair in &self.pairwise {
            let (a, b) = (&self.labels[pair.a], &self.labels[pair.b]);
            let better = pair.better.map_or("-", |i| self.labels[i].as_str());
            match (&pair.test, pair.holm_p) {
                (Some(t), Some(h)) => {
                    let _ = writeln!(
                        out,
                        "| {a} vs {b} | {} | {better} | {} | {} | {} | {} |",
                        pair.pairs,
                        t.statistic,
                        format_p(t.p_value),
                        format_p(h),
                        if pair.significant() {
                            "significant"
                        } else {
                            "not significant"
                        }
                    );
                }
                _ => {
                    let _ = writeln!(out, "| {a} vs {b} | 0 | - | - | - | - | no shared seed |");
                }
            }
        }
        out.push('\n');
        for line in self.verdicts() {
            let _ = writeln!(out, "- {line}.");
        }
        out
    }

    /// The Friedman test and critical difference over this run's paired
    /// seeds (blocks = seeds on which every optimizer has a value).
    pub fn over_seeds(values: &PairedValues, order: RankOrder) -> Option<CriticalDifference> {
        let blocks: Vec<Vec<f64>> = values
            .complete_blocks()
            .into_iter()
            .map(|row| match order {
                RankOrder::LowerIsBetter => row,
                RankOrder::HigherIsBetter => row.into_iter().map(|v| -v).collect(),
            })
            .collect();
        CriticalDifference::new(values.labels.clone(), &blocks, "paired seeds", Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(rows: &[(&str, Vec<f64>)]) -> PairedValues {
        PairedValues::from_triples(
            "bench",
            rows.iter().flat_map(|(label, v)| {
                v.iter()
                    .enumerate()
                    .map(|(s, x)| (label.to_string(), s as u64, Some(*x)))
            }),
        )
    }

    #[test]
    fn better_on_every_seed_is_significant_and_identical_is_not() {
        // Twelve seeds. A's regret is below B's on every seed: all signed
        // ranks negative, exact two-sided p = 2 / 2^12 = 0.000488; three
        // pairs, two of them with this p: Holm gives both 3 x 2 / 4096 = 0.0015.
        // C equals A on every seed: no non-zero difference, p = 1.
        let base: Vec<f64> = (0..12).map(|i| 0.1 + 0.01 * i as f64).collect();
        let worse: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(i, v)| v + 0.05 + 0.001 * i as f64)
            .collect();
        let c = values(&[("A", base.clone()), ("B", worse), ("C", base)]);
        let cmp = BenchmarkComparison::new(&c, "valid regret", RankOrder::LowerIsBetter);
        let ab = &cmp.pairwise[0];
        assert_eq!((ab.a, ab.b, ab.better), (0, 1, Some(0)));
        let p = ab.test.as_ref().unwrap().p_value;
        assert!((p - 2.0 / 4096.0).abs() < 1e-15, "{p}");
        assert!(ab.significant());
        let ac = &cmp.pairwise[1];
        assert_eq!(ac.test.as_ref().unwrap().p_value, 1.0);
        assert!(!ac.significant());
        assert_eq!(ac.better, None);
        let verdicts = cmp.verdicts();
        assert!(
            verdicts.contains(&"A beats B on bench (Holm-adjusted p = 0.0015)".to_string()),
            "{verdicts:?}"
        );
        assert!(
            verdicts.contains(&"C beats B on bench (Holm-adjusted p = 0.0015)".to_string()),
            "{verdicts:?}"
        );
        assert!(
            verdicts
                .iter()
                .any(|v| v.contains("Not significant") && v.contains("A vs C (p = 1.0000)")),
            "{verdicts:?}"
        );
    }

    #[test]
    fn higher_is_better_flips_the_winner() {
        let low: Vec<f64> = (0..8).map(|i| 90.0 + i as f64 * 0.1).collect();
        let high: Vec<f64> = low.iter().map(|v| v + 1.0).collect();
        let c = values(&[("A", low), ("B", high)]);
        let cmp = BenchmarkComparison::new(&c, "valid acc", RankOrder::HigherIsBetter);
        assert_eq!(cmp.pairwise[0].better, Some(1));
        // n = 8, all one sign: p = 2 / 256.
        assert!((cmp.pairwise[0].holm_p.unwrap() - 2.0 / 256.0).abs() < 1e-15);
        assert!(cmp.verdicts()[0].starts_with("B beats A on bench"));
        let md = cmp.markdown();
        assert!(
            md.contains("| A vs B | 8 | B | 0 | 0.0078 | 0.0078 | significant |"),
            "{md}"
        );
    }
}
