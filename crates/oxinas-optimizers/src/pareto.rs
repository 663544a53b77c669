//! Pareto fronts over two minimised objectives and their hypervolume.
//!
//! Multi-objective NAS trades validation error against a cost (parameters,
//! latency, training time). Both objectives are minimised here: an
//! [`Observation`]'s validation becomes an error through its score (larger is
//! better), so maximised accuracy and minimised perplexity are handled alike.

use oxinas_core::Observation;

use crate::QueryRecord;

/// The cost an architecture is traded against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CostObjective {
    /// Number of parameters ([`Observation::params`]).
    Params,
    /// Inference latency ([`Observation::latency_seconds`]).
    Latency,
    /// Training cost of the query in (simulated) seconds.
    TrainingSeconds,
}

impl CostObjective {
    /// The name used in configs (`params`, `latency`, `training_seconds`).
    pub fn name(self) -> &'static str {
        match self {
            CostObjective::Params => "params",
            CostObjective::Latency => "latency",
            CostObjective::TrainingSeconds => "training_seconds",
        }
    }

    /// The cost named `name`, if it is one of [`CostObjective::name`]'s.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Params, Self::Latency, Self::TrainingSeconds]
            .into_iter()
            .find(|c| c.name() == name)
    }

    /// This cost of an observation, if the benchmark reports it.
    pub fn of(self, observation: &Observation) -> Option<f64> {
        match self {
            CostObjective::Params => observation.params,
            CostObjective::Latency => observation.latency_seconds,
            CostObjective::TrainingSeconds => Some(observation.cost_seconds),
        }
    }
}

/// The two minimised objectives of an observation: (error, cost), where the
/// error is the negated score (`-accuracy`, `+perplexity`). `None` for failed
/// runs and for benchmarks that do not report the cost.
pub fn objectives(observation: &Observation, cost: CostObjective) -> Option<[f64; 2]> {
    let score = observation.score();
    let cost = cost.of(observation)?;
    (score.is_finite() && cost.is_finite()).then_some([-score, cost])
}

/// Whether `a` dominates `b`: no worse in both objectives, better in one.
pub fn dominates(a: [f64; 2], b: [f64; 2]) -> bool {
    a[0] <= b[0] && a[1] <= b[1] && (a[0] < b[0] || a[1] < b[1])
}

/// Indices of the non-dominated points, sorted by the first objective
/// (ascending) and then the second. Of several identical non-dominated points
/// only the first (lowest index) is kept.
pub fn pareto_front(points: &[[f64; 2]]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_by(|&i, &j| {
        points[i][0]
            .total_cmp(&points[j][0])
            .then(points[i][1].total_cmp(&points[j][1]))
            .then(i.cmp(&j))
    });
    // Sweep by ascending first objective: a point is on the front exactly when
    // its second objective is below every one seen before.
    let mut front = Vec::new();
    let mut best_second = f64::INFINITY;
    for i in order {
        if points[i][1] < best_second {
            best_second = points[i][1];
            front.push(i);
        }
    }
    front
}

/// Non-dominated sorting: the rank of every point (0 for the Pareto front,
/// 1 for the front of what remains, ...), as in NSGA-II.
pub fn pareto_ranks(points: &[[f64; 2]]) -> Vec<usize> {
    let mut rank = vec![usize::MAX; points.len()];
    let mut remaining: Vec<usize> = (0..points.len()).collect();
    let mut level = 0;
    while !remaining.is_empty() {
        let (front, rest): (Vec<usize>, Vec<usize>) = remaining.iter().partition(|&&i| {
            !remaining
                .iter()
                .any(|&j| j != i && dominates(points[j], points[i]))
        });
        for &i in &front {
            rank[i] = level;
        }
        remaining = rest;
        level += 1;
    }
    rank
}

/// The area dominated by `points` and bounded by `reference` (both objectives
/// minimised). Points not strictly better than the reference in both
/// objectives add nothing.
pub fn hypervolume(points: &[[f64; 2]], reference: [f64; 2]) -> f64 {
    let inside: Vec<[f64; 2]> = points
        .iter()
        .copied()
        .filter(|p| p[0] < reference[0] && p[1] < reference[1])
        .collect();
    let mut area = 0.0;
    let mut ceiling = reference[1];
    for i in pareto_front(&inside) {
        let [x, y] = inside[i];
        area += (reference[0] - x) * (ceiling - y);
        ceiling = y;
    }
    area
}

/// The Pareto front of a search's history: the indices (into `history`) of
/// the queries whose (error, cost) no other query dominates, sorted by error.
/// This reduces any optimizer's run, single-objective or not, to a front.
/// Queries without the cost or with a failed run are left out.
pub fn history_front<A>(history: &[QueryRecord<A>], cost: CostObjective) -> Vec<usize> {
    let (indices, points): (Vec<usize>, Vec<[f64; 2]>) = history
        .iter()
        .enumerate()
        .filter_map(|(i, q)| objectives(&q.evaluation.observation, cost).map(|p| (i, p)))
        .unzip();
    pareto_front(&points)
        .into_iter()
        .map(|k| indices[k])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_keeps_exactly_the_non_dominated_points() {
        let points = [[1.0, 5.0], [2.0, 2.0], [3.0, 3.0], [4.0, 1.0], [1.0, 6.0]];
        assert_eq!(pareto_front(&points), vec![0, 1, 3]);
        assert_eq!(pareto_ranks(&points), vec![0, 0, 1, 0, 1]);
    }

    #[test]
    fn duplicates_appear_once_on_the_front() {
        let points = [[2.0, 2.0], [2.0, 2.0], [1.0, 3.0]];
        assert_eq!(pareto_front(&points), vec![2, 0]);
    }

    #[test]
    fn hypervolume_of_a_staircase() {
        // By hand, reference (4, 4): (1, 3) adds 3 x 1, (2, 1) adds 2 x 2,
        // (3, 3.5) is dominated by (2, 1).
        let area = hypervolume(&[[1.0, 3.0], [2.0, 1.0], [3.0, 3.5]], [4.0, 4.0]);
        assert!((area - 7.0).abs() < 1e-12, "{area}");
        // Points outside the reference box add nothing.
        assert_eq!(hypervolume(&[[5.0, 1.0]], [4.0, 4.0]), 0.0);
        assert_eq!(hypervolume(&[], [4.0, 4.0]), 0.0);
    }

    #[test]
    fn a_dominating_point_never_lowers_the_hypervolume() {
        let base = [[1.0, 3.0], [3.0, 1.0]];
        let more = [[1.0, 3.0], [3.0, 1.0], [2.0, 2.0]];
        assert!(hypervolume(&more, [4.0, 4.0]) > hypervolume(&base, [4.0, 4.0]));
    }

    #[test]
    fn cost_names_round_trip() {
        for cost in [
            CostObjective::Params,
            CostObjective::Latency,
            CostObjective::TrainingSeconds,
        ] {
            assert_eq!(CostObjective::from_name(cost.name()), Some(cost));
        }
        assert_eq!(CostObjective::from_name("flops"), None);
    }
}
