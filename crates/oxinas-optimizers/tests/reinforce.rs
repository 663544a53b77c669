//! REINFORCE: its policy-gradient and Adam updates against hand
//! computations on a two-position space, its determinism, and its learning
//! on toy objectives over the NB201 space.

use std::ops::Range;

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{
    Budget, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, Observation, Optimizer,
    Outcome, ParseArchError, Proposal, RngCore, SearchSpace,
};
use oxinas_encodings::{CategoricalChoices, EncodableSpace, EncodingError, VectorEncoding};
use oxinas_optimizers::{
    Reinforce, ReinforceConfig, SearchOutcome, run_search, run_search_batched,
    run_search_on_cluster,
};
use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};
use rand::Rng;

const F: Fidelity = Fidelity::epochs(1);

/// Two positions, with 2 and 3 options: architecture `[a, b]`, except
/// `forbidden`.
struct Tiny {
    forbidden: Option<[usize; 2]>,
}

const OPEN: Tiny = Tiny { forbidden: None };

impl SearchSpace for Tiny {
    type Arch = [usize; 2];
    type Canonical = [usize; 2];

    fn name(&self) -> &'static str {
        "tiny"
    }
    fn sample(&self, rng: &mut dyn RngCore) -> [usize; 2] {
        loop {
            let arch = [rng.random_range(0..2), rng.random_range(0..3)];
            if Some(arch) != self.forbidden {
                return arch;
            }
        }
    }
    fn mutate(&self, arch: &[usize; 2], _: &mut dyn RngCore) -> [usize; 2] {
        [1 - arch[0], arch[1]]
    }
    fn neighbors(&self, arch: &[usize; 2]) -> Vec<[usize; 2]> {
        vec![[1 - arch[0], arch[1]]]
    }
    fn canonical(&self, arch: &[usize; 2]) -> [usize; 2] {
        *arch
    }
    fn cardinality(&self) -> Option<u128> {
        Some(6 - u128::from(self.forbidden.is_some()))
    }
    fn format(&self, arch: &[usize; 2]) -> String {
        format!("{}{}", arch[0], arch[1])
    }
    fn parse(&self, text: &str) -> Result<[usize; 2], ParseArchError> {
        Err(ParseArchError::new(
            "tiny",
            text,
            "nothing: not parsed here",
        ))
    }
}

/// One-hot blocks of widths 2 and 3; decoding refuses `forbidden`, or
/// everything.
struct TinyOneHot {
    forbidden: Option<[usize; 2]>,
    decodes_nothing: bool,
}

impl VectorEncoding<[usize; 2]> for TinyOneHot {
    fn name(&self) -> &'static str {
        "categorical"
    }
    fn dim(&self) -> usize {
        5
    }
    fn write(&self, arch: &[usize; 2], out: &mut [f64]) {
        out.fill(0.0);
        out[arch[0]] = 1.0;
        out[2 + arch[1]] = 1.0;
    }
    fn one_hot_blocks(&self) -> Vec<Range<usize>> {
        vec![0..2, 2..5]
    }
    fn is_invertible(&self) -> bool {
        true
    }
    fn decode(&self, code: &[f64]) -> Result<[usize; 2], EncodingError> {
        let hot = |block: &[f64]| block.iter().position(|&v| v == 1.0).unwrap();
        let arch = [hot(&code[0..2]), hot(&code[2..5])];
        if self.decodes_nothing || Some(arch) == self.forbidden {
            return Err(EncodingError::Decode {
                encoding: "categorical",
                message: "forbidden".into(),
            });
        }
        Ok(arch)
    }
}

fn tiny(
    config: ReinforceConfig,
    forbidden: Option<[usize; 2]>,
    seed: u64,
) -> Reinforce<[usize; 2]> {
    let choices = CategoricalChoices::new(Box::new(TinyOneHot {
        forbidden,
        decodes_nothing: false,
    }))
    .unwrap();
    Reinforce::new(choices, F, config, seed).unwrap()
}

fn told(reinforce: &mut Reinforce<[usize; 2]>, arch: [usize; 2], reward: f64) {
    let proposal = Proposal { arch, fidelity: F };
    reinforce.tell(
        &OPEN,
        &proposal,
        &Observation::ok(reward, Goal::Maximize, 1.0),
    );
}

fn ask(reinforce: &mut Reinforce<[usize; 2]>) -> [usize; 2] {
    reinforce.ask(&OPEN).unwrap().arch
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!(
        (actual - expected).abs() < 1e-7,
        "{what}: {actual} vs {expected}"
    );
}

#[test]
fn initial_logits_are_small_draws_and_the_first_reward_changes_nothing() {
    let mut r = tiny(ReinforceConfig::default(), None, 3);
    let start = r.logits().to_vec();
    assert_eq!(start.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 3]);
    // 1e-3 times standard normals: all distinct, none beyond 6e-3.
    let flat: Vec<f64> = start.iter().flatten().copied().collect();
    assert!(flat.iter().all(|l| l.abs() < 6e-3 && *l != 0.0), "{flat:?}");
    assert!(flat.windows(2).all(|w| w[0] != w[1]), "{flat:?}");
    assert_eq!(r.baseline(), None);
    let first = ask(&mut r);
    told(&mut r, first, 50.0);
    // The corrected moving average of one reward is that reward: the
    // advantage is 0, and so is Adam's step.
    assert_eq!(r.baseline(), Some(50.0));
    assert_eq!(r.logits(), start.as_slice());
}

#[test]
fn one_update_matches_the_hand_computed_policy_gradient_and_adam_step() {
    let config = ReinforceConfig::default();
    assert_eq!((config.learning_rate, config.baseline_momentum), (0.5, 0.9));
    let mut r = tiny(config, None, 7);
    let start = r.logits().to_vec();
    let first = ask(&mut r);
    told(&mut r, first, 50.0);
    let second = ask(&mut r);
    told(&mut r, second, 60.0);
    // Baseline: numerator 0.9 * (0.1 * 50) + 0.1 * 60 = 10.5, denominator
    // 0.9 * 0.1 + 0.1 = 0.19, so 55.263157894736842; advantage
    // 60 - 55.26... = 4.7368421052631575 > 0.
    assert_close(r.baseline().unwrap(), 55.26315789473684, "baseline");
    // The loss's gradient on logit (p, k) is -A (1[k = a_p] - pi_pk):
    // negative on the chosen option, positive on the others. It is Adam's
    // second step (the first had a zero gradient): m = 0.1 g, v = 0.001 g^2,
    // corrected by 1 - 0.9^2 = 0.19 and 1 - 0.999^2 = 0.001999, so every
    // logit moves by lr * (0.1 / 0.19) / sqrt(0.001 / 0.001999)
    // = 0.5 * 0.7441368235669872 = 0.3720684117834936, up on the chosen
    // option and down on the others, whatever the probabilities.
    let step = 0.3720684117834936;
    for (p, row) in r.logits().iter().enumerate() {
        for (k, &logit) in row.iter().enumerate() {
            let sign = if second[p] == k { 1.0 } else { -1.0 };
            assert_close(
                logit,
                start[p][k] + sign * step,
                &format!("logit ({p}, {k})"),
            );
        }
    }
}

#[test]
fn a_worse_reward_moves_away_and_a_failure_counts_as_the_worst_seen() {
    let mut r = tiny(ReinforceConfig::default(), None, 11);
    let start = r.logits().to_vec();
    // A failure before any reward teaches nothing.
    let failed = ask(&mut r);
    let mut failure = Observation::ok(0.0, Goal::Maximize, 1.0);
    failure.outcome = Outcome::Failed("diverged".into());
    let proposal = Proposal {
        arch: failed,
        fidelity: F,
    };
    r.tell(&OPEN, &proposal, &failure);
    assert_eq!(r.baseline(), None);
    assert_eq!(r.logits(), start.as_slice());
    let first = ask(&mut r);
    told(&mut r, first, 50.0);
    let second = ask(&mut r);
    told(&mut r, second, 40.0);
    // Advantage 40 - (0.9 * 5 + 4) / 0.19 = 40 - 44.73... < 0: the chosen
    // options lose the same hand-computed step the gains above won.
    assert_close(r.baseline().unwrap(), 44.73684210526316, "baseline");
    let step = 0.3720684117834936;
    for (p, row) in r.logits().iter().enumerate() {
        for (k, &logit) in row.iter().enumerate() {
            let sign = if second[p] == k { -1.0 } else { 1.0 };
            assert_close(
                logit,
                start[p][k] + sign * step,
                &format!("logit ({p}, {k})"),
            );
        }
    }
    // A failure now is rewarded 40, the worst so far: the average becomes
    // (0.9 * 8.5 + 0.1 * 40) / (0.9 * 0.19 + 0.1) = 11.65 / 0.271.
    let third = ask(&mut r);
    let proposal = Proposal {
        arch: third,
        fidelity: F,
    };
    r.tell(&OPEN, &proposal, &failure);
    assert_close(r.baseline().unwrap(), 42.988929889298895, "baseline");
}

#[test]
fn tells_it_did_not_ask_are_ignored() {
    let mut r = tiny(ReinforceConfig::default(), None, 5);
    let asked = ask(&mut r);
    let other = [1 - asked[0], asked[1]];
    told(&mut r, other, 70.0);
    assert_eq!(r.baseline(), None);
    // Wrong fidelity: also not this optimizer's proposal.
    let proposal = Proposal {
        arch: asked,
        fidelity: Fidelity::epochs(2),
    };
    r.tell(
        &OPEN,
        &proposal,
        &Observation::ok(70.0, Goal::Maximize, 1.0),
    );
    assert_eq!(r.baseline(), None);
    // Told once, then a second time: only the first counts.
    told(&mut r, asked, 70.0);
    let logits = r.logits().to_vec();
    told(&mut r, asked, 10.0);
    assert_eq!(r.baseline(), Some(70.0));
    assert_eq!(r.logits(), logits.as_slice());
}

#[test]
fn a_batch_is_several_samples_of_one_policy_each_told_once() {
    let mut r = tiny(ReinforceConfig::default(), None, 2);
    let start = r.logits().to_vec();
    let batch = r.ask_batch(&OPEN, 64).unwrap();
    assert_eq!(batch.len(), 64);
    assert_eq!(r.logits(), start.as_slice(), "asking never updates");
    // A near-uniform policy: 64 draws reach all six architectures.
    let mut seen: Vec<[usize; 2]> = batch.iter().map(|p| p.arch).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6, "{seen:?}");
    // Reward 1 for option 1 at position 0, else 0.
    for proposal in &batch {
        let reward = if proposal.arch[0] == 1 { 1.0 } else { 0.0 };
        r.tell(
            &OPEN,
            proposal,
            &Observation::ok(reward, Goal::Maximize, 1.0),
        );
    }
    let probabilities = r.probabilities();
    assert!(probabilities[0][1] > 0.9, "{probabilities:?}");
}

#[test]
fn rejected_combinations_are_redrawn_then_left_to_the_space() {
    let space = Tiny {
        forbidden: Some([1, 2]),
    };
    // Rewarding option 1 at position 0 drives the policy there, where a
    // third of its draws (position 1 stays near uniform) are [1, 2].
    let mut r = tiny(ReinforceConfig::default(), Some([1, 2]), 4);
    let mut seen = Vec::new();
    for _ in 0..200 {
        let proposal = r.ask(&space).unwrap();
        assert_ne!(proposal.arch, [1, 2]);
        seen.push(proposal.arch);
        let reward = f64::from(u8::from(proposal.arch[0] == 1));
        r.tell(
            &space,
            &proposal,
            &Observation::ok(reward, Goal::Maximize, 1.0),
        );
    }
    assert!(r.probabilities()[0][1] > 0.9, "{:?}", r.probabilities());
    assert!(seen[100..].contains(&[1, 0]) && seen[100..].contains(&[1, 1]));
    // An encoding that decodes nothing: every proposal is a sample of the
    // space, still at the optimizer's fidelity, still learned from.
    let choices = CategoricalChoices::new(Box::new(TinyOneHot {
        forbidden: None,
        decodes_nothing: true,
    }))
    .unwrap();
    let mut r = Reinforce::new(choices, F, ReinforceConfig::default(), 4).unwrap();
    let mut seen = Vec::new();
    for reward in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0] {
        let proposal = r.ask(&space).unwrap();
        assert_ne!(proposal.arch, [1, 2]);
        assert_eq!(proposal.fidelity, F);
        seen.push(proposal.arch);
        r.tell(
            &space,
            &proposal,
            &Observation::ok(reward, Goal::Maximize, 1.0),
        );
    }
    seen.sort();
    seen.dedup();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(r.baseline().is_some());
}

#[test]
fn settings_out_of_range_name_their_field() {
    let choices = || {
        CategoricalChoices::new(Box::new(TinyOneHot {
            forbidden: None,
            decodes_nothing: false,
        }))
        .unwrap()
    };
    let err = |config| Reinforce::new(choices(), F, config, 0).unwrap_err().field;
    let defaults = ReinforceConfig::default();
    for lr in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        let config = ReinforceConfig {
            learning_rate: lr,
            ..defaults
        };
        assert_eq!(err(config), "learning_rate", "{lr}");
    }
    for momentum in [1.0, -0.01, 1.5, f64::NAN] {
        let config = ReinforceConfig {
            baseline_momentum: momentum,
            ..defaults
        };
        assert_eq!(err(config), "baseline_momentum", "{momentum}");
    }
    let zero = ReinforceConfig {
        baseline_momentum: 0.0,
        ..defaults
    };
    assert!(Reinforce::new(choices(), F, zero, 0).is_ok());
}

/// Validation = number of conv3x3 edges plus noise in [0, 0.5); 10 s a query.
struct Convs;

impl Evaluator<Nb201Arch> for Convs {
    fn name(&self) -> String {
        "convs".into()
    }
    fn metric(&self) -> &str {
        "convs"
    }
    fn goal(&self) -> Goal {
        Goal::Maximize
    }
    fn fidelities(&self) -> Vec<Fidelity> {
        vec![F]
    }
    fn evaluate(
        &self,
        arch: &Nb201Arch,
        _: Fidelity,
        rng: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        let convs = arch
            .ops
            .iter()
            .filter(|op| **op == Nb201Op::NorConv3x3)
            .count() as f64;
        let noise = 0.5 * rng.random::<f64>();
        Ok(Evaluation {
            observation: Observation::ok(convs + noise, Goal::Maximize, 10.0),
            test: Some(convs),
        })
    }
}

fn nb201(seed: u64) -> Reinforce<Nb201Arch> {
    let space = Nb201Space::new();
    let choices = CategoricalChoices::new(space.vector_encoding("categorical").unwrap()).unwrap();
    Reinforce::new(choices, F, ReinforceConfig::default(), seed).unwrap()
}

fn search(seed: u64, budget: Budget) -> SearchOutcome<Nb201Arch> {
    run_search(
        &Nb201Space::new(),
        &Convs,
        &mut nb201(seed),
        budget,
        &mut rng_from_seed(100 + seed),
    )
    .unwrap()
}

#[test]
fn the_same_seed_gives_the_same_search_and_another_seed_another() {
    let archs = |out: &SearchOutcome<Nb201Arch>| {
        out.history
            .iter()
            .map(|q| q.proposal.arch)
            .collect::<Vec<_>>()
    };
    let a = search(1, Budget::queries(80));
    assert_eq!(a.history.len(), 80);
    assert_eq!(a, search(1, Budget::queries(80)));
    assert_ne!(archs(&a), archs(&search(2, Budget::queries(80))));
}

/// The policy after `queries` queries of [`Convs`] at `learning_rate`.
fn trained(learning_rate: f64, seed: u64, queries: u64) -> Vec<Vec<f64>> {
    let space = Nb201Space::new();
    let choices = CategoricalChoices::new(space.vector_encoding("categorical").unwrap()).unwrap();
    let config = ReinforceConfig {
        learning_rate,
        ..ReinforceConfig::default()
    };
    let mut r = Reinforce::new(choices, F, config, seed).unwrap();
    run_search(
        &space,
        &Convs,
        &mut r,
        Budget::queries(queries),
        &mut rng_from_seed(seed),
    )
    .unwrap();
    r.probabilities()
}

/// The official digit of nor_conv_3x3, the best op of [`Convs`] on every edge.
const CONV3X3: usize = 3;

#[test]
fn the_policy_concentrates_on_the_best_choice() {
    // At a moderate learning rate, 300 queries put more than 0.9 on
    // conv3x3 on every edge (a uniform policy puts 0.2).
    for seed in 0..10 {
        for row in trained(0.1, seed, 300) {
            assert!(row[CONV3X3] > 0.9, "seed {seed}: {row:?}");
        }
    }
}

#[test]
fn at_the_paper_learning_rate_the_policy_commits_early_mostly_to_the_best() {
    // Adam at 0.5 moves every logit by about 0.5 a step whatever the
    // advantage's size, so the policy settles within a few dozen queries,
    // sometimes on an op that happened to be rewarded first. Over 20 seeds
    // and 6 edges it must still settle (over 0.9 on one op) nearly
    // everywhere, and on conv3x3 on more than half of the edges, where
    // chance would give a fifth.
    let (mut settled, mut best) = (0, 0);
    for seed in 0..20 {
        for row in trained(0.5, seed, 300) {
            settled += usize::from(row.iter().any(|&p| p > 0.9));
            best += usize::from(row[CONV3X3] > 0.9);
        }
    }
    assert!(settled >= 110, "{settled} of 120 edges settled");
    assert!(best > 60, "{best} of 120 edges on conv3x3");
}

#[test]
fn batches_and_clusters_do_not_depend_on_the_thread_count() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let space = Nb201Space::new();
            let batched = run_search_batched(
                &space,
                &Convs,
                &mut nb201(8),
                Budget::queries(96),
                8,
                &mut rng_from_seed(3),
            )
            .unwrap();
            let cluster = run_search_on_cluster(
                &space,
                &Convs,
                &mut nb201(8),
                Budget::simulated_seconds(2_000.0),
                6,
                &mut rng_from_seed(3),
            )
            .unwrap();
            (batched, cluster)
        })
    };
    let one = run(1);
    assert_eq!(one.0.history.len(), 96);
    assert!(one.1.history.len() > 1_000, "{}", one.1.history.len());
    assert_eq!(one, run(3));
}

#[test]
fn batches_of_one_are_the_sequential_search() {
    // A deterministic evaluator, so that the loops' different noise
    // streams cannot matter.
    struct Exact;
    impl Evaluator<Nb201Arch> for Exact {
        fn name(&self) -> String {
            "exact".into()
        }
        fn metric(&self) -> &str {
            "skips"
        }
        fn goal(&self) -> Goal {
            Goal::Maximize
        }
        fn fidelities(&self) -> Vec<Fidelity> {
            vec![F]
        }
        fn evaluate(
            &self,
            arch: &Nb201Arch,
            _: Fidelity,
            _: &mut dyn RngCore,
        ) -> Result<Evaluation, EvaluationError> {
            let skips = arch
                .ops
                .iter()
                .filter(|op| **op == Nb201Op::SkipConnect)
                .count() as f64;
            Ok(Evaluation {
                observation: Observation::ok(skips, Goal::Maximize, 1.0),
                test: None,
            })
        }
    }
    let space = Nb201Space::new();
    let sequential = run_search(
        &space,
        &Exact,
        &mut nb201(6),
        Budget::queries(60),
        &mut rng_from_seed(0),
    )
    .unwrap();
    let batched = run_search_batched(
        &space,
        &Exact,
        &mut nb201(6),
        Budget::queries(60),
        1,
        &mut rng_from_seed(0),
    )
    .unwrap();
    assert_eq!(sequential, batched);
}
