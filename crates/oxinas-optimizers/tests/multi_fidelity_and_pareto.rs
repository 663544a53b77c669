//! Successive halving, Hyperband, batched search and multi-objective evolution
//! against synthetic evaluators on the NB201 space, and MO evolution on the
//! real NAS-Bench-201 table.

use std::path::Path;
use std::sync::Arc;

use oxinas_benchmarks::{Nb201Dataset, Nb201Noise, Nb201Table, Nb201Tabular};
use oxinas_core::seed::rng_from_seed;
use oxinas_core::{
    Budget, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, Observation, Optimizer, RngCore,
};
use oxinas_optimizers::pareto::{CostObjective, dominates, history_front, hypervolume, objectives};
use oxinas_optimizers::{
    MultiObjectiveEvolution, RandomSearch, RegularizedEvolution, SuccessiveHalving, run_search,
    run_search_batched,
};
use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};
use oxinas_testkit::data_file;

/// Validation = conv3x3 count (+ 10 at the top fidelity, so fidelities are
/// told apart), cost = epochs, params = number of convolutions of any kind:
/// more conv3x3 is better but costs parameters, a real trade-off.
struct ConvTradeOff;

const LOW: Fidelity = Fidelity::epochs(12);
const HIGH: Fidelity = Fidelity::epochs(200);

impl Evaluator<Nb201Arch> for ConvTradeOff {
    fn name(&self) -> String {
        "conv-trade-off".into()
    }
    fn metric(&self) -> &str {
        "score"
    }
    fn goal(&self) -> Goal {
        Goal::Maximize
    }
    fn fidelities(&self) -> Vec<Fidelity> {
        vec![LOW, HIGH]
    }
    fn evaluate(
        &self,
        arch: &Nb201Arch,
        fidelity: Fidelity,
        _: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let count = |op| arch.ops.iter().filter(|o| **o == op).count() as f64;
        let conv3 = count(Nb201Op::NorConv3x3);
        let bonus = if fidelity == HIGH { 10.0 } else { 0.0 };
        let mut observation = Observation::ok(
            conv3 + bonus,
            Goal::Maximize,
            f64::from(fidelity.get_epochs()),
        );
        observation.params = Some(conv3 * 3.0 + count(Nb201Op::NorConv1x1));
        Ok(Evaluation {
            observation,
            test: None,
        })
    }
}

#[test]
fn successive_halving_promotes_the_best_of_each_rung() {
    let mut sh = SuccessiveHalving::new(vec![LOW, HIGH], 3, Some(9), 7).unwrap();
    let out = run_search(
        &Nb201Space::new(),
        &ConvTradeOff,
        &mut sh,
        Budget::queries(24),
        &mut rng_from_seed(0),
    )
    .unwrap();
    let fidelities: Vec<u32> = out
        .history
        .iter()
        .map(|q| q.proposal.fidelity.get_epochs())
        .collect();
    // Two brackets of 9 at 12 epochs then 3 at 200 epochs.
    let bracket = [vec![12; 9], vec![200; 3]].concat();
    assert_eq!(fidelities, [bracket.clone(), bracket].concat());
    for start in [0, 12] {
        let low = &out.history[start..start + 9];
        let high = &out.history[start + 9..start + 12];
        let mut low_scores: Vec<f64> = low
            .iter()
            .map(|q| q.evaluation.observation.score())
            .collect();
        low_scores.sort_by(|a, b| b.total_cmp(a));
        for q in high {
            let promoted = low
                .iter()
                .find(|l| l.proposal.arch == q.proposal.arch)
                .expect("a promoted architecture was evaluated at the lower rung");
            assert!(promoted.evaluation.observation.score() >= low_scores[2]);
        }
    }
    // Costs come from the benchmark: 9 x 12 + 3 x 200 per bracket.
    assert_eq!(out.history[23].cumulative_cost, 2.0 * (9.0 * 12.0 + 600.0));
}

#[test]
fn hyperband_cycles_its_brackets_and_is_deterministic() {
    let run = |seed| {
        let mut hb = SuccessiveHalving::hyperband(vec![LOW, HIGH], 3, seed).unwrap();
        run_search(
            &Nb201Space::new(),
            &ConvTradeOff,
            &mut hb,
            Budget::queries(12),
            &mut rng_from_seed(0),
        )
        .unwrap()
    };
    let out = run(3);
    let fidelities: Vec<u32> = out
        .history
        .iter()
        .map(|q| q.proposal.fidelity.get_epochs())
        .collect();
    // s = 1: 3 at 12 epochs, 1 promoted; s = 0: 2 at 200 epochs; repeat.
    assert_eq!(
        fidelities,
        vec![12, 12, 12, 200, 200, 200, 12, 12, 12, 200, 200, 200]
    );
    assert_eq!(out, run(3));
    assert_ne!(out, run(4));
}

#[test]
fn batched_search_waits_at_rungs_and_matches_the_sequential_order() {
    let run = |batch| {
        let mut sh = SuccessiveHalving::new(vec![LOW, HIGH], 3, Some(9), 1).unwrap();
        run_search_batched(
            &Nb201Space::new(),
            &ConvTradeOff,
            &mut sh,
            Budget::queries(24),
            batch,
            &mut rng_from_seed(0),
        )
        .unwrap()
    };
    let sequential = run(1);
    // A batch of 5 cannot cross a rung (the rung waits for its results), so
    // the same architectures come in the same order.
    let batched = run(5);
    assert_eq!(sequential.history.len(), 24);
    assert_eq!(sequential, batched);
    // Regularized evolution asks a whole batch before telling: same budget,
    // different (but reproducible) path.
    let re = |batch| {
        let mut re = RegularizedEvolution::new(5, 2, HIGH, 9).unwrap();
        run_search_batched(
            &Nb201Space::new(),
            &ConvTradeOff,
            &mut re,
            Budget::queries(30),
            batch,
            &mut rng_from_seed(0),
        )
        .unwrap()
    };
    assert_eq!(re(4).history.len(), 30);
    assert_eq!(re(4), re(4));
}

#[test]
fn batched_search_stops_before_overrunning_a_time_budget() {
    let mut rs = RandomSearch::new(HIGH, 0);
    let out = run_search_batched(
        &Nb201Space::new(),
        &ConvTradeOff,
        &mut rs,
        Budget::simulated_seconds(1000.0),
        4,
        &mut rng_from_seed(0),
    )
    .unwrap();
    assert_eq!(out.history.len(), 5);
    assert_eq!(out.history[4].cumulative_cost, 1000.0);
}

fn assert_non_dominated(front: &[[f64; 2]], all: &[[f64; 2]]) {
    assert!(!front.is_empty());
    for f in front {
        assert!(all.iter().all(|p| !dominates(*p, *f)), "{f:?} is dominated");
    }
}

#[test]
fn multi_objective_evolution_returns_the_front_of_what_it_evaluated() {
    let mut mo = MultiObjectiveEvolution::new(10, 3, CostObjective::Params, HIGH, 5).unwrap();
    let out = run_search(
        &Nb201Space::new(),
        &ConvTradeOff,
        &mut mo,
        Budget::queries(60),
        &mut rng_from_seed(0),
    )
    .unwrap();
    let all: Vec<[f64; 2]> = out
        .history
        .iter()
        .map(|q| objectives(&q.evaluation.observation, CostObjective::Params).unwrap())
        .collect();
    let front: Vec<[f64; 2]> = mo.front().into_iter().map(|(_, p)| p).collect();
    assert_non_dominated(&front, &all);
    // The optimizer's front and the reduction of its history agree.
    let reduced: Vec<[f64; 2]> = history_front(&out.history, CostObjective::Params)
        .into_iter()
        .map(|i| all[i])
        .collect();
    assert_eq!(front, reduced);
    // Along a front, error rises exactly where cost falls.
    for pair in front.windows(2) {
        assert!(
            pair[0][0] < pair[1][0] && pair[0][1] > pair[1][1],
            "{pair:?}"
        );
    }
}

#[test]
fn multi_objective_evolution_on_nb201_gives_a_non_dominated_front() {
    let Some(path) = data_file("nb201/nb201_merged.csv") else {
        return;
    };
    let table = Arc::new(Nb201Table::from_csv(Path::new(&path)).unwrap());
    let evaluator = Nb201Tabular::new(table, Nb201Dataset::Cifar10Valid, Nb201Noise::Mean);
    let space = Nb201Space::new();
    let run = |optimizer: &mut dyn Optimizer<Nb201Space>| {
        run_search(
            &space,
            &evaluator,
            optimizer,
            Budget::queries(100),
            &mut rng_from_seed(1),
        )
        .unwrap()
    };
    let mut mo = MultiObjectiveEvolution::new(20, 5, CostObjective::Params, HIGH, 11).unwrap();
    let out = run(&mut mo);
    let all: Vec<[f64; 2]> = out
        .history
        .iter()
        .map(|q| objectives(&q.evaluation.observation, CostObjective::Params).unwrap())
        .collect();
    let front: Vec<[f64; 2]> = mo.front().into_iter().map(|(_, p)| p).collect();
    assert_non_dominated(&front, &all);
    // Errors are negated accuracies, params are counts: the reference point
    // (0 % accuracy, 2 M params) bounds every NB201 cell.
    assert!(hypervolume(&front, [0.0, 2e6]) > 0.0);
    // Same seeds, same trajectory.
    let mut again = MultiObjectiveEvolution::new(20, 5, CostObjective::Params, HIGH, 11).unwrap();
    assert_eq!(out, run(&mut again));
}
