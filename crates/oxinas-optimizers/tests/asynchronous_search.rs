//! The simulated cluster, ASHA, asynchronous Hyperband and DEHB against
//! hand-made evaluators on the NB201 space, with hand-computed expectations.

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{
    Budget, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, Observation, Optimizer,
    OptimizerError, Proposal, RngCore,
};
use oxinas_encodings::{CategoricalChoices, EncodableSpace};
use oxinas_optimizers::dehb::{binomial_crossover, fix_boundary, rand1_mutation};
use oxinas_optimizers::{
    AsynchronousSuccessiveHalving, Dehb, DehbConfig, RandomSearch, RegularizedEvolution,
    SearchOutcome, StopReason, SuccessiveHalving, run_search, run_search_on_cluster,
};
use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};
use rand::Rng;

const LOW: Fidelity = Fidelity::epochs(12);
const HIGH: Fidelity = Fidelity::epochs(200);

fn count(arch: &Nb201Arch, op: Nb201Op) -> usize {
    arch.ops.iter().filter(|o| **o == op).count()
}

/// Cost = number of conv3x3 edges, validation = number of skip edges.
struct KnownCosts;

impl Evaluator<Nb201Arch> for KnownCosts {
    fn name(&self) -> String {
        "known-costs".into()
    }
    fn metric(&self) -> &str {
        "skips"
    }
    fn goal(&self) -> Goal {
        Goal::Maximize
    }
    fn fidelities(&self) -> Vec<Fidelity> {
        vec![HIGH]
    }
    fn evaluate(
        &self,
        arch: &Nb201Arch,
        _: Fidelity,
        _: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        Ok(Evaluation {
            observation: Observation::ok(
                count(arch, Nb201Op::SkipConnect) as f64,
                Goal::Maximize,
                count(arch, Nb201Op::NorConv3x3) as f64,
            ),
            test: None,
        })
    }
}

/// An architecture with `conv` conv3x3 edges, then `skip` skip edges, the
/// rest `none`.
fn arch(conv: usize, skip: usize) -> Nb201Arch {
    let mut ops = [Nb201Op::None; 6];
    for (i, op) in ops.iter_mut().enumerate() {
        if i < conv {
            *op = Nb201Op::NorConv3x3;
        } else if i < conv + skip {
            *op = Nb201Op::SkipConnect;
        }
    }
    Nb201Arch { ops }
}

/// Proposes a fixed list, then says it is exhausted; records every tell.
struct Scripted {
    script: Vec<Nb201Arch>,
    next: usize,
    told: Vec<Nb201Arch>,
}

impl Scripted {
    fn new(script: Vec<Nb201Arch>) -> Self {
        Self {
            script,
            next: 0,
            told: Vec::new(),
        }
    }
}

impl Optimizer<Nb201Space> for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }
    fn ask(&mut self, _: &Nb201Space) -> Result<Proposal<Nb201Arch>, OptimizerError> {
        let arch = self
            .script
            .get(self.next)
            .cloned()
            .ok_or(OptimizerError::Exhausted {
                optimizer: "scripted".into(),
            })?;
        self.next += 1;
        Ok(Proposal {
            arch,
            fidelity: HIGH,
        })
    }
    fn tell(&mut self, _: &Nb201Space, proposal: &Proposal<Nb201Arch>, _: &Observation) {
        self.told.push(proposal.arch);
    }
}

/// Costs 3, 1, 2, 2, 1 (conv3x3 counts), told apart by their skips.
fn script() -> Vec<Nb201Arch> {
    vec![arch(3, 0), arch(1, 0), arch(2, 0), arch(2, 1), arch(1, 1)]
}

#[test]
fn two_workers_tell_in_hand_computed_finish_order() {
    // t=0: q0 (cost 3) ends at 3, q1 (cost 1) at 1. t=1: q1 told, q2 (2)
    // starts, ends at 3. t=3: q0 then q2 (a tie, ask order), then q3 (2) ends
    // at 5 and q4 (1) at 4. t=4: q4; t=5: q3, the fifth and last query.
    let s = script();
    let mut optimizer = Scripted::new(s.clone());
    let out = run_search_on_cluster(
        &Nb201Space::new(),
        &KnownCosts,
        &mut optimizer,
        Budget::queries(5),
        2,
        &mut rng_from_seed(0),
    )
    .unwrap();
    let order = [1, 0, 2, 4, 3];
    let archs: Vec<Nb201Arch> = out.history.iter().map(|q| q.proposal.arch).collect();
    assert_eq!(archs, order.map(|i| s[i]).to_vec());
    assert_eq!(optimizer.told, archs);
    let wall: Vec<f64> = out.history.iter().map(|q| q.wall_time).collect();
    assert_eq!(wall, vec![1.0, 3.0, 3.0, 4.0, 5.0]);
    let compute: Vec<f64> = out.history.iter().map(|q| q.cumulative_cost).collect();
    assert_eq!(compute, vec![1.0, 4.0, 6.0, 7.0, 9.0]);
    assert_eq!(out.stop, StopReason::Budget);
    // The incumbent has the most skips so far: q4 (1 skip, fourth told);
    // q3 ties it later and does not replace it.
    assert_eq!(out.history[3].incumbent, 3);
    assert_eq!(out.history[4].incumbent, 3);
}

#[test]
fn a_time_budget_limits_wall_clock_time() {
    // As above with 4 simulated seconds: q4 arrives at 4 (inside), q3 would
    // arrive at 5 and ends the search untold.
    let mut optimizer = Scripted::new(script());
    let out = run_search_on_cluster(
        &Nb201Space::new(),
        &KnownCosts,
        &mut optimizer,
        Budget::simulated_seconds(4.0),
        2,
        &mut rng_from_seed(0),
    )
    .unwrap();
    let wall: Vec<f64> = out.history.iter().map(|q| q.wall_time).collect();
    assert_eq!(wall, vec![1.0, 3.0, 3.0, 4.0]);
    assert_eq!(optimizer.told.len(), 4);
    assert_eq!(out.stop, StopReason::Budget);

    // Three workers and three queries: all run at once and are told at 1, 2, 3.
    let mut optimizer = Scripted::new(script()[..3].to_vec());
    let out = run_search_on_cluster(
        &Nb201Space::new(),
        &KnownCosts,
        &mut optimizer,
        Budget::queries(10),
        3,
        &mut rng_from_seed(0),
    )
    .unwrap();
    let wall: Vec<f64> = out.history.iter().map(|q| q.wall_time).collect();
    assert_eq!(wall, vec![1.0, 2.0, 3.0]);
    assert_eq!(out.stop, StopReason::Exhausted);
}

/// Validation = conv3x3 count (+ 10 at 200 epochs), noise from the rng so
/// that the evaluation stream matters; cost = epochs times (1 + conv count).
struct Noisy;

impl Evaluator<Nb201Arch> for Noisy {
    fn name(&self) -> String {
        "noisy".into()
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
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let conv = count(arch, Nb201Op::NorConv3x3) as f64;
        let bonus = if fidelity == HIGH { 10.0 } else { 0.0 };
        let noise = rng.random::<f64>();
        let cost = f64::from(fidelity.get_epochs()) * (1.0 + conv);
        Ok(Evaluation {
            observation: Observation::ok(conv + bonus + noise, Goal::Maximize, cost),
            test: Some(conv),
        })
    }
}

type Build = fn(u64) -> Box<dyn Optimizer<Nb201Space>>;

fn dehb(seed: u64) -> Dehb<Nb201Arch> {
    let choices =
        CategoricalChoices::new(Nb201Space::new().vector_encoding("categorical").unwrap()).unwrap();
    Dehb::new(choices, vec![LOW, HIGH], DehbConfig::default(), seed).unwrap()
}

const OPTIMIZERS: [(&str, Build); 6] = [
    ("RS", |s| Box::new(RandomSearch::new(HIGH, s))),
    ("REA", |s| {
        Box::new(RegularizedEvolution::new(10, 3, HIGH, s).unwrap())
    }),
    ("SH", |s| {
        Box::new(SuccessiveHalving::new(vec![LOW, HIGH], 3, None, s).unwrap())
    }),
    ("ASHA", |s| {
        Box::new(AsynchronousSuccessiveHalving::new(vec![LOW, HIGH], 3, s).unwrap())
    }),
    ("async HB", |s| {
        Box::new(AsynchronousSuccessiveHalving::hyperband(vec![LOW, HIGH], 3, s).unwrap())
    }),
    ("DEHB", |s| Box::new(dehb(s))),
];

#[test]
fn one_worker_is_the_sequential_loop() {
    let space = Nb201Space::new();
    for (name, build) in OPTIMIZERS {
        for budget in [Budget::queries(60), Budget::simulated_seconds(20_000.0)] {
            let sequential = run_search(
                &space,
                &Noisy,
                build(5).as_mut(),
                budget,
                &mut rng_from_seed(9),
            )
            .unwrap();
            let cluster = run_search_on_cluster(
                &space,
                &Noisy,
                build(5).as_mut(),
                budget,
                1,
                &mut rng_from_seed(9),
            )
            .unwrap();
            assert!(sequential.history.len() > 10, "{name}");
            assert_eq!(cluster, sequential, "{name}, {budget:?}");
        }
    }
}

fn on_threads(threads: usize, build: Build) -> SearchOutcome<Nb201Arch> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        run_search_on_cluster(
            &Nb201Space::new(),
            &Noisy,
            build(11).as_mut(),
            Budget::simulated_seconds(30_000.0),
            8,
            &mut rng_from_seed(4),
        )
        .unwrap()
    })
}

#[test]
fn the_cluster_is_the_same_on_one_and_two_threads() {
    for (name, build) in OPTIMIZERS {
        let one = on_threads(1, build);
        let two = on_threads(2, build);
        assert!(one.history.len() > 20, "{name}");
        assert_eq!(one, two, "{name}");
        // Results arrive in time order.
        assert!(
            one.history
                .windows(2)
                .all(|w| w[0].wall_time <= w[1].wall_time),
            "{name}"
        );
    }
}

#[test]
fn synchronous_successive_halving_idles_workers_until_its_rung_is_in() {
    // Nine at 12 epochs, then three at 200: a 200-epoch query starts only
    // after the last 12-epoch result of its bracket has arrived.
    let mut sh = SuccessiveHalving::new(vec![LOW, HIGH], 3, Some(9), 2).unwrap();
    let out = run_search_on_cluster(
        &Nb201Space::new(),
        &Noisy,
        &mut sh,
        Budget::queries(12),
        4,
        &mut rng_from_seed(1),
    )
    .unwrap();
    let low_done = out
        .history
        .iter()
        .filter(|q| q.proposal.fidelity == LOW)
        .map(|q| q.wall_time)
        .fold(0.0, f64::max);
    let high: Vec<_> = out
        .history
        .iter()
        .filter(|q| q.proposal.fidelity == HIGH)
        .collect();
    assert_eq!(high.len(), 3);
    for q in high {
        let started = q.wall_time - q.evaluation.observation.cost_seconds;
        assert_eq!(started, low_done);
    }
}

fn observed(score: f64) -> Observation {
    Observation::ok(score, Goal::Maximize, 1.0)
}

#[test]
fn asha_promotes_the_top_third_as_soon_as_results_allow() {
    let space = Nb201Space::new();
    let mut asha = AsynchronousSuccessiveHalving::new(vec![LOW, HIGH], 3, 8).unwrap();
    let ask = |asha: &mut AsynchronousSuccessiveHalving<Nb201Arch>| asha.ask(&space).unwrap();
    // Three new architectures at 12 epochs; nothing is finished, so nothing
    // waits either.
    let first: Vec<_> = (0..3).map(|_| ask(&mut asha)).collect();
    assert!(first.iter().all(|p| p.fidelity == LOW));
    asha.tell(&space, &first[0], &observed(5.0));
    asha.tell(&space, &first[1], &observed(9.0));
    // Two results: floor(2 / 3) = 0 may go up; a new one starts instead.
    let fourth = ask(&mut asha);
    assert_eq!(fourth.fidelity, LOW);
    asha.tell(&space, &first[2], &observed(7.0));
    // Three results: the best (9) goes up, once.
    let promoted = ask(&mut asha);
    assert_eq!(
        promoted,
        Proposal {
            arch: first[1].arch,
            fidelity: HIGH
        }
    );
    let fifth = ask(&mut asha);
    assert_eq!(fifth.fidelity, LOW);
    asha.tell(&space, &fourth, &observed(8.0));
    asha.tell(&space, &fifth, &observed(1.0));
    // Five results: floor(5 / 3) = 1, already promoted.
    let sixth = ask(&mut asha);
    assert_eq!(sixth.fidelity, LOW);
    asha.tell(&space, &sixth, &observed(6.0));
    // Six results (5, 9, 7, 8, 1, 6): the top two are 9 and 8; 8 goes up.
    let second = ask(&mut asha);
    assert_eq!(
        second,
        Proposal {
            arch: fourth.arch,
            fidelity: HIGH
        }
    );
    assert_eq!(ask(&mut asha).fidelity, LOW);
}

#[test]
fn async_hyperband_asks_its_brackets_in_turn() {
    let space = Nb201Space::new();
    let mut hb = AsynchronousSuccessiveHalving::hyperband(vec![LOW, HIGH], 3, 8).unwrap();
    // Brackets start at 12 epochs (s = 1) and at 200 epochs (s = 0).
    let fidelities: Vec<Fidelity> = (0..4).map(|_| hb.ask(&space).unwrap().fidelity).collect();
    assert_eq!(fidelities, vec![LOW, HIGH, LOW, HIGH]);
}

#[test]
fn rand1_and_binomial_crossover_by_hand() {
    // r1 + 0.5 (r2 - r3), in binary fractions so the sums are exact.
    let mutant = rand1_mutation(
        &[0.25, 0.5, 0.75, 0.0],
        &[0.5, 0.25, 1.0, 0.5],
        &[0.25, 0.75, 0.0, 0.25],
        0.5,
    );
    assert_eq!(mutant, vec![0.375, 0.25, 1.25, 0.125]);

    let target = [0.0, 0.0, 0.0, 0.0];
    // The draws the crossover makes, taken from a twin of its generator.
    let mut twin = rng_from_seed(21);
    let draws: Vec<f64> = (0..4).map(|_| twin.random::<f64>()).collect();
    let mut rng = rng_from_seed(21);
    let child = binomial_crossover(&target, &mutant, 0.5, &mut rng);
    // Seed 21 draws both below and above 0.5, so both sources show.
    assert!(draws.iter().any(|&u| u < 0.5) && draws.iter().any(|&u| u >= 0.5));
    let expected: Vec<f64> = (0..4)
        .map(|j| if draws[j] < 0.5 { mutant[j] } else { 0.0 })
        .collect();
    assert_eq!(child, expected);
    // Probability 1: the mutant; probability 0: exactly one entry of it, at
    // the index drawn after the four (failed) draws.
    assert_eq!(
        binomial_crossover(&target, &mutant, 1.0, &mut rng_from_seed(3)),
        mutant
    );
    let mut twin = rng_from_seed(3);
    for _ in 0..4 {
        twin.random::<f64>();
    }
    let index = twin.random_range(0..4);
    let child = binomial_crossover(&target, &mutant, 0.0, &mut rng_from_seed(3));
    let mut expected = target.to_vec();
    expected[index] = mutant[index];
    assert_eq!(child, expected);

    // Out of [0, 1]: redrawn uniformly, in order; the rest untouched.
    let mut vector = vec![0.375, -0.25, 1.25, 1.0];
    let mut twin = rng_from_seed(5);
    let (a, b) = (twin.random::<f64>(), twin.random::<f64>());
    fix_boundary(&mut vector, &mut rng_from_seed(5));
    assert_eq!(vector, vec![0.375, a, b, 1.0]);
}

/// A known optimum: score = edges equal to a target cell, the same at both
/// fidelities (+ 10 at 200 epochs); cost = epochs.
struct Target;

const TARGET: [Nb201Op; 6] = [
    Nb201Op::NorConv3x3,
    Nb201Op::NorConv1x1,
    Nb201Op::SkipConnect,
    Nb201Op::AvgPool3x3,
    Nb201Op::NorConv3x3,
    Nb201Op::None,
];

impl Evaluator<Nb201Arch> for Target {
    fn name(&self) -> String {
        "target".into()
    }
    fn metric(&self) -> &str {
        "matches"
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
        let matches = arch
            .ops
            .iter()
            .zip(TARGET)
            .filter(|(a, b)| **a == *b)
            .count() as f64;
        let bonus = if fidelity == HIGH { 10.0 } else { 0.0 };
        Ok(Evaluation {
            observation: Observation::ok(
                matches + bonus,
                Goal::Maximize,
                f64::from(fidelity.get_epochs()),
            ),
            test: Some(matches),
        })
    }
}

#[test]
fn dehb_beats_random_search_on_a_known_optimum() {
    // Both get 6,000 simulated seconds on 4 workers (24,000 s of compute);
    // random search queries the cheap fidelity only (2,000 queries), DEHB
    // mixes both. The measure
    // is the best number of matching edges found (6 = the optimum).
    let space = Nb201Space::new();
    let best = |optimizer: &mut dyn Optimizer<Nb201Space>, seed: u64| {
        let out = run_search_on_cluster(
            &space,
            &Target,
            optimizer,
            Budget::simulated_seconds(6_000.0),
            4,
            &mut rng_from_seed(seed),
        )
        .unwrap();
        out.history
            .iter()
            .filter_map(|q| q.evaluation.test)
            .fold(0.0, f64::max)
    };
    let seeds = 0..20u64;
    let random: f64 = seeds
        .clone()
        .map(|s| best(&mut RandomSearch::new(LOW, s), s))
        .sum::<f64>()
        / 20.0;
    let de: f64 = seeds.map(|s| best(&mut dehb(s), s)).sum::<f64>() / 20.0;
    assert!(de > random, "DEHB {de} vs RS {random}");
    // DEHB's mean is close to the optimum.
    assert!(de >= 5.5, "DEHB {de}");
}

#[test]
fn dehb_population_sizes_follow_its_brackets() {
    // NB201's 12 and 200 epochs, eta 3: brackets of 3 -> 1 and of 2 at 200.
    let d = dehb(0);
    assert_eq!(d.population_sizes(), &[3, 2]);
    assert_eq!(d.bracket_sizes(0), (0, vec![3, 1]));
    assert_eq!(d.bracket_sizes(1), (1, vec![2]));
    // The first asks: bracket 0 runs its three at 12 epochs.
    let space = Nb201Space::new();
    let mut d = dehb(0);
    let asked: Vec<Fidelity> = (0..3).map(|_| d.ask(&space).unwrap().fidelity).collect();
    assert_eq!(asked, vec![LOW; 3]);
    // Nothing told: bracket 0 waits, so bracket 1 starts at 200 epochs.
    assert_eq!(d.ask(&space).unwrap().fidelity, HIGH);
}
