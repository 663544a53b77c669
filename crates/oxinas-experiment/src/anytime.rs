//! Anytime curves: mean and 95% confidence interval, over trials, of the
//! incumbent's regret after each query and at each simulated time: the
//! cumulative cost of a sequential search, the simulated wall-clock time
//! (when each result arrived) of a search on a simulated cluster.
//!
//! Regret is measured against the best value any query of the run reached
//! (validation) and the best test value of any incumbent of the run (test):
//! the run's empirical optimum, which for a tabular benchmark searched by
//! many trials is usually the benchmark's optimum.

use std::collections::BTreeMap;

use oxinas_core::Goal;

use crate::trial_record::{QueryPoint, TrialRecord};

/// One point of a curve: mean and 95% CI bounds over the trials that have a
/// value there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CurvePoint {
    pub x: f64,
    pub mean: f64,
    pub low: f64,
    pub high: f64,
}

/// A labelled curve.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Curve {
    pub label: String,
    pub points: Vec<CurvePoint>,
}

/// Mean and normal-approximation 95% CI (mean ± 1.96 standard errors).
pub(crate) fn mean_ci(values: &[f64]) -> Option<(f64, f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let half = if values.len() > 1 {
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        1.96 * (var / n).sqrt()
    } else {
        0.0
    };
    Some((mean, mean - half, mean + half))
}

/// Regret of `value` against `best` for a metric with `goal` (never negative).
fn regret(goal: Goal, best: f64, value: f64) -> f64 {
    match goal {
        Goal::Maximize => (best - value).max(0.0),
        Goal::Minimize => (value - best).max(0.0),
    }
}

fn better(goal: Goal, a: f64, b: f64) -> f64 {
    match goal {
        Goal::Maximize => a.max(b),
        Goal::Minimize => a.min(b),
    }
}

/// The incumbent after one query: (simulated time, validation, test).
type Step = (f64, Option<f64>, Option<f64>);

/// Chooses the validation or the test value of a step.
type Pick = fn(&Step) -> Option<f64>;

/// One trial's incumbent after each query.
struct Track {
    optimizer: usize,
    steps: Vec<Step>,
}

/// The anytime curves of a run, per optimizer.
pub(crate) struct AnytimeCurves {
    /// Validation regret against query count.
    pub validation_by_query: Vec<Curve>,
    /// Test regret against query count.
    pub test_by_query: Vec<Curve>,
    /// Validation regret against simulated seconds (wall-clock seconds on a
    /// simulated cluster).
    pub validation_by_time: Vec<Curve>,
    /// Test regret against simulated seconds.
    pub test_by_time: Vec<Curve>,
}

/// Points of the time grid.
const TIME_POINTS: usize = 200;

/// Computes the curves of `records` (by optimizer index; `labels` in config order).
pub(crate) fn anytime_curves(
    records: &BTreeMap<(usize, u64), TrialRecord>,
    labels: &[&str],
    goal: Goal,
) -> AnytimeCurves {
    let tracks: Vec<Track> = records
        .values()
        .map(|r| {
            let points: Vec<QueryPoint> = r.points();
            Track {
                optimizer: r.optimizer,
                steps: points
                    .iter()
                    .zip(&r.incumbent_test)
                    .map(|(p, t)| {
                        let time = p.wall_time.unwrap_or(p.cumulative_cost);
                        (time, p.incumbent_validation, *t)
                    })
                    .collect(),
            }
        })
        .collect();
    let best = |pick: Pick| {
        tracks
            .iter()
            .flat_map(|t| t.steps.iter().filter_map(pick))
            .reduce(|a, b| better(goal, a, b))
    };
    let best_validation = best(|s| s.1);
    let best_test = best(|s| s.2);
    let max_queries = tracks.iter().map(|t| t.steps.len()).max().unwrap_or(0);
    let max_time = tracks
        .iter()
        .filter_map(|t| t.steps.last().map(|s| s.0))
        .fold(0.0f64, f64::max);

    let by_query = |pick: Pick, best: Option<f64>| {
        labels
            .iter()
            .enumerate()
            .map(|(o, label)| {
                let mine: Vec<&Track> = tracks.iter().filter(|t| t.optimizer == o).collect();
                let points = (0..max_queries)
                    .filter_map(|q| {
                        // A trial that stopped keeps its last incumbent.
                        let values: Vec<f64> = mine
                            .iter()
                            .filter_map(|t| t.steps.get(q).or(t.steps.last()).and_then(pick))
                            .filter_map(|v| best.map(|b| regret(goal, b, v)))
                            .collect();
                        let (mean, low, high) = mean_ci(&values)?;
                        Some(CurvePoint {
                            x: (q + 1) as f64,
                            mean,
                            low,
                            high,
                        })
                    })
                    .collect();
                Curve {
                    label: (*label).to_owned(),
                    points,
                }
            })
            .collect()
    };
    let by_time = |pick: Pick, best: Option<f64>| {
        labels
            .iter()
            .enumerate()
            .map(|(o, label)| {
                let mine: Vec<&Track> = tracks.iter().filter(|t| t.optimizer == o).collect();
                let points = (1..=TIME_POINTS)
                    .filter_map(|i| {
                        let time = max_time * i as f64 / TIME_POINTS as f64;
                        // The incumbent after the last query finished by `time`;
                        // a trial with no finished query yet has no value.
                        let values: Vec<f64> = mine
                            .iter()
                            .filter_map(|t| {
                                let done = t.steps.partition_point(|s| s.0 <= time);
                                done.checked_sub(1).and_then(|k| pick(&t.steps[k]))
                            })
                            .filter_map(|v| best.map(|b| regret(goal, b, v)))
                            .collect();
                        let (mean, low, high) = mean_ci(&values)?;
                        Some(CurvePoint {
                            x: time,
                            mean,
                            low,
                            high,
                        })
                    })
                    .collect();
                Curve {
                    label: (*label).to_owned(),
                    points,
                }
            })
            .collect()
    };
    AnytimeCurves {
        validation_by_query: by_query(|s| s.1, best_validation),
        test_by_query: by_query(|s| s.2, best_test),
        validation_by_time: by_time(|s| s.1, best_validation),
        test_by_time: by_time(|s| s.2, best_test),
    }
}

/// The non-dominated (lowest cost, best validation) queries of each
/// optimizer over all its trials, sorted by cost.
pub(crate) fn pareto_fronts(
    records: &BTreeMap<(usize, u64), TrialRecord>,
    labels: &[&str],
    goal: Goal,
) -> Vec<(String, Vec<(f64, f64)>)> {
    labels
        .iter()
        .enumerate()
        .map(|(o, label)| {
            let mut points: Vec<(f64, f64)> = records
                .values()
                .filter(|r| r.optimizer == o)
                .flat_map(|r| r.points())
                .filter_map(|p| p.validation.map(|v| (p.cost, v)))
                .collect();
            // Sort by cost, best value first among equal costs; keep a point
            // when it beats every cheaper one.
            points.sort_by(|a, b| {
                a.0.total_cmp(&b.0).then(match goal {
                    Goal::Maximize => b.1.total_cmp(&a.1),
                    Goal::Minimize => a.1.total_cmp(&b.1),
                })
            });
            let improves = |v: f64, last: f64| match goal {
                Goal::Maximize => v > last,
                Goal::Minimize => v < last,
            };
            let mut front: Vec<(f64, f64)> = Vec::new();
            for p in points {
                if front.last().is_none_or(|last| improves(p.1, last.1)) {
                    front.push(p);
                }
            }
            ((*label).to_owned(), front)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confidence_interval_of_known_values() {
        // mean 5, sample variance 32/7, n = 8.
        let (mean, low, high) = mean_ci(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(mean, 5.0);
        let half = 1.96 * (32.0f64 / 7.0 / 8.0).sqrt();
        assert!((high - mean - half).abs() < 1e-12 && (mean - low - half).abs() < 1e-12);
        assert_eq!(mean_ci(&[3.0]), Some((3.0, 3.0, 3.0)));
        assert!(mean_ci(&[]).is_none());
    }

    fn record(optimizer: usize, trial: u64, queries: &[(f64, f64)], tests: &[f64]) -> TrialRecord {
        let mut trajectory = String::new();
        let mut cumulative = 0.0;
        let mut incumbent: Option<f64> = None;
        for (cost, validation) in queries {
            cumulative += cost;
            incumbent = Some(incumbent.map_or(*validation, |i| i.max(*validation)));
            trajectory.push_str(
                &serde_json::json!({
                    "validation": validation, "cost": cost,
                    "cumulative_cost": cumulative, "incumbent_validation": incumbent,
                })
                .to_string(),
            );
            trajectory.push('\n');
        }
        TrialRecord {
            optimizer,
            label: format!("O{optimizer}"),
            trial,
            queries: queries.len(),
            metrics: Vec::new(),
            trajectory,
            summary: String::new(),
            incumbent_test: tests.iter().map(|t| Some(*t)).collect(),
        }
    }

    #[test]
    fn regret_curves_and_fronts_of_a_hand_made_run() {
        let mut records = BTreeMap::new();
        records.insert(
            (0, 0),
            record(0, 0, &[(1.0, 80.0), (1.0, 90.0)], &[79.0, 88.0]),
        );
        records.insert(
            (0, 1),
            record(0, 1, &[(2.0, 85.0), (2.0, 84.0)], &[86.0, 86.0]),
        );
        let curves = anytime_curves(&records, &["O0"], Goal::Maximize);
        // Best validation 90, best incumbent test 88.
        let q = &curves.validation_by_query[0].points;
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].mean, (10.0 + 5.0) / 2.0);
        assert_eq!(q[1].mean, (0.0 + 5.0) / 2.0);
        let t = &curves.test_by_query[0].points;
        assert_eq!(t[1].mean, (0.0 + 2.0) / 2.0);
        // At time 1 only trial 0 has finished a query; at time 4 both, twice.
        let v = &curves.validation_by_time[0].points;
        let at = |x: f64| v.iter().find(|p| p.x == x).unwrap().mean;
        assert_eq!(at(1.0), 10.0);
        assert_eq!(at(4.0), 2.5);
        let fronts = pareto_fronts(&records, &["O0"], Goal::Maximize);
        assert_eq!(fronts[0].1, vec![(1.0, 90.0)]);
    }
}
