//! RS, RE and LS against a synthetic evaluator on the NB201 space.

use std::collections::HashSet;

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{
    Budget, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, Observation, Optimizer,
    RngCore, SearchSpace,
};
use oxinas_optimizers::{LocalSearch, RandomSearch, RegularizedEvolution, StopReason, run_search};
use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};

/// Score = number of edges carrying the target op; cost = 10 s per query.
struct CountOps {
    target: Nb201Op,
}

impl Evaluator<Nb201Arch> for CountOps {
    fn name(&self) -> String {
        "count-ops".into()
    }
    fn metric(&self) -> &str {
        "count"
    }
    fn goal(&self) -> Goal {
        Goal::Maximize
    }
    fn fidelities(&self) -> Vec<Fidelity> {
        vec![Fidelity::epochs(1)]
    }
    fn evaluate(
        &self,
        arch: &Nb201Arch,
        _: Fidelity,
        _: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let count = arch.ops.iter().filter(|op| **op == self.target).count() as f64;
        Ok(Evaluation {
            observation: Observation::ok(count, Goal::Maximize, 10.0),
            test: Some(-count),
        })
    }
}

const F: Fidelity = Fidelity::epochs(1);

fn archs(
    optimizer: &mut dyn Optimizer<Nb201Space>,
    budget: Budget,
) -> (Vec<Nb201Arch>, Vec<f64>, StopReason) {
    let out = run_search(
        &Nb201Space::new(),
        &CountOps {
            target: Nb201Op::NorConv3x3,
        },
        optimizer,
        budget,
        &mut rng_from_seed(0),
    )
    .unwrap();
    let scores = out
        .history
        .iter()
        .map(|q| q.evaluation.observation.score())
        .collect();
    (
        out.history.iter().map(|q| q.proposal.arch).collect(),
        scores,
        out.stop,
    )
}

#[test]
fn regularized_evolution_is_deterministic_on_a_tiny_budget() {
    let run = |seed| {
        archs(
            &mut RegularizedEvolution::new(5, 2, F, seed).unwrap(),
            Budget::queries(30),
        )
    };
    let (a, _, _) = run(11);
    let (b, _, _) = run(11);
    let (c, _, _) = run(12);
    assert_eq!(a.len(), 30);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn regularized_evolution_children_are_mutants_and_it_improves() {
    let space = Nb201Space::new();
    let (a, scores, _) = archs(
        &mut RegularizedEvolution::new(10, 3, F, 5).unwrap(),
        Budget::queries(300),
    );
    // After the random population, every proposal is one edge away from some earlier arch.
    for (i, child) in a.iter().enumerate().skip(10) {
        assert!(
            a[..i].iter().any(|p| space.neighbors(p).contains(child)),
            "query {i}"
        );
    }
    assert_eq!(
        scores.iter().cloned().fold(f64::MIN, f64::max),
        6.0,
        "finds the all-3x3 cell"
    );
}

#[test]
fn regularized_evolution_validates_its_settings() {
    assert!(
        RegularizedEvolution::<Nb201Arch>::new(0, 1, F, 0)
            .unwrap_err()
            .to_string()
            .contains("population")
    );
    let err = RegularizedEvolution::<Nb201Arch>::new(10, 11, F, 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("tournament") && err.contains("11"), "{err}");
}

#[test]
fn local_search_climbs_and_never_requeries() {
    let (a, scores, _) = archs(&mut LocalSearch::new(F, 3), Budget::queries(200));
    assert_eq!(
        a.iter().collect::<HashSet<_>>().len(),
        a.len(),
        "no architecture queried twice"
    );
    // Every edge can be improved one at a time, so one descent from the best
    // of the 10 random starts reaches the optimum within 10 + 6 * 24 queries.
    let first_optimum = scores
        .iter()
        .position(|&s| s == 6.0)
        .expect("reaches the optimum");
    assert!(first_optimum <= 10 + 6 * 24, "{first_optimum}");
}

#[test]
fn local_search_starts_from_the_best_of_ten_random_architectures() {
    let (a, scores, _) = archs(&mut LocalSearch::new(F, 11), Budget::queries(34));
    // The best of the first 10 (the earliest among equals) is the start;
    // queries 11 to 34 are its 24 neighbours, one op away each.
    let best = (0..10).fold(0, |b, i| if scores[i] > scores[b] { i } else { b });
    for (i, neighbour) in a[10..].iter().enumerate() {
        let changed = neighbour
            .ops
            .iter()
            .zip(&a[best].ops)
            .filter(|(x, y)| x != y)
            .count();
        assert_eq!(
            changed,
            1,
            "query {} is no neighbour of query {best}",
            10 + i
        );
    }
}

#[test]
fn random_search_is_seeded() {
    let (a, _, _) = archs(&mut RandomSearch::new(F, 1), Budget::queries(50));
    let (b, _, _) = archs(&mut RandomSearch::new(F, 1), Budget::queries(50));
    let (c, _, _) = archs(&mut RandomSearch::new(F, 2), Budget::queries(50));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn time_budget_drops_the_overrunning_query_and_tracks_the_incumbent() {
    let out = run_search(
        &Nb201Space::new(),
        &CountOps {
            target: Nb201Op::SkipConnect,
        },
        &mut RandomSearch::new(F, 9),
        Budget::simulated_seconds(95.0),
        &mut rng_from_seed(0),
    )
    .unwrap();
    assert_eq!(out.history.len(), 9);
    assert_eq!(out.history.last().unwrap().cumulative_cost, 90.0);
    assert_eq!(out.stop, StopReason::Budget);
    let best = out.incumbent().unwrap();
    let max = out
        .history
        .iter()
        .map(|q| q.evaluation.observation.score())
        .fold(f64::MIN, f64::max);
    assert_eq!(best.evaluation.observation.score(), max);
    let first = out
        .history
        .iter()
        .position(|q| q.evaluation.observation.score() == max)
        .unwrap();
    assert_eq!(best.index as usize, first, "ties keep the earliest");

    let err = run_search(
        &Nb201Space::new(),
        &CountOps {
            target: Nb201Op::SkipConnect,
        },
        &mut RandomSearch::new(F, 9),
        Budget::default(),
        &mut rng_from_seed(0),
    )
    .unwrap_err();
    assert!(err.to_string().contains("never end"));
}
