//! The categorical kernel density shared by TPE and BOHB, checked by hand
//! and against statsmodels; TPE's and BOHB's splits, brackets, budgets,
//! determinism and settings; and both against their random counterparts on
//! a toy objective.

use std::path::Path;

use oxinas_core::seed::rng_from_seed;
use oxinas_core::{
    Budget, Evaluation, EvaluationError, Evaluator, Fidelity, Goal, Observation, Optimizer,
    OptimizerError, Proposal, RngCore,
};
use oxinas_encodings::{CategoricalChoices, EncodableSpace};
use oxinas_optimizers::bohb::{budget_fidelities, hpbandster_budgets};
use oxinas_optimizers::categorical_kernel_density::{
    normal_reference_bandwidths, parzen_bandwidth,
};
use oxinas_optimizers::tree_parzen_estimator::observation_weights;
use oxinas_optimizers::{
    Bohb, BohbConfig, CategoricalKernel, CategoricalKernelDensity, RandomSearch, SearchOutcome,
    SuccessiveHalving, TpeConfig, TreeParzenEstimator, run_search, run_search_on_cluster,
};
use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};

const LOW: Fidelity = Fidelity::epochs(12);
const MID: Fidelity = Fidelity::epochs(36);
const HIGH: Fidelity = Fidelity::epochs(200);

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * b.abs().max(1.0)
}

/// How many of the six edges carry the op of a fixed target cell, weighted
/// so that edges matter unequally; at any fidelity, costing its epochs.
struct Target;

const TARGET: [Nb201Op; 6] = [
    Nb201Op::NorConv3x3,
    Nb201Op::SkipConnect,
    Nb201Op::NorConv3x3,
    Nb201Op::AvgPool3x3,
    Nb201Op::NorConv1x1,
    Nb201Op::NorConv3x3,
];
const EDGE_WEIGHTS: [f64; 6] = [6.0, 5.0, 4.0, 3.0, 2.0, 1.0];

fn target_score(arch: &Nb201Arch) -> f64 {
    arch.ops
        .iter()
        .zip(TARGET)
        .zip(EDGE_WEIGHTS)
        .map(|((op, target), w)| if *op == target { w } else { 0.0 })
        .sum()
}

impl Evaluator<Nb201Arch> for Target {
    fn name(&self) -> String {
        "target".into()
    }
    fn metric(&self) -> &str {
        "score"
    }
    fn goal(&self) -> Goal {
        Goal::Maximize
    }
    fn fidelities(&self) -> Vec<Fidelity> {
        vec![LOW, MID, HIGH]
    }
    fn evaluate(
        &self,
        arch: &Nb201Arch,
        fidelity: Fidelity,
        _: &mut dyn RngCore,
    ) -> Result<Evaluation, EvaluationError> {
        Ok(Evaluation {
            observation: Observation::ok(
                target_score(arch),
                Goal::Maximize,
                f64::from(fidelity.get_epochs()),
            ),
            test: None,
        })
    }
}

fn nb201_choices() -> CategoricalChoices<Nb201Arch> {
    CategoricalChoices::new(Nb201Space::new().vector_encoding("categorical").unwrap()).unwrap()
}

fn bohb(rungs: Vec<Fidelity>, config: BohbConfig, seed: u64) -> Bohb<Nb201Arch> {
    Bohb::new(nb201_choices(), rungs, config, seed).unwrap()
}

fn tpe(config: TpeConfig, seed: u64) -> TreeParzenEstimator<Nb201Arch> {
    TreeParzenEstimator::new(nb201_choices(), LOW, config, seed).unwrap()
}

fn search(optimizer: &mut dyn Optimizer<Nb201Space>, queries: u64) -> SearchOutcome<Nb201Arch> {
    run_search(
        &Nb201Space::new(),
        &Target,
        optimizer,
        Budget::queries(queries),
        &mut rng_from_seed(0),
    )
    .unwrap()
}

fn tell(optimizer: &mut dyn Optimizer<Nb201Space>, proposal: &Proposal<Nb201Arch>, score: f64) {
    let observation = Observation::ok(score, Goal::Maximize, 1.0);
    optimizer.tell(&Nb201Space::new(), proposal, &observation);
}

#[test]
fn aitchison_aitken_density_of_a_tiny_sample_by_hand() {
    // Two positions of 3 and 2 options, bandwidths 0.3 and 0.2: the kernel
    // is 0.7 on the centre's option and 0.15 on each other one at the
    // first position, 0.8 and 0.2 at the second.
    let kde = CategoricalKernelDensity::new(
        vec![3, 2],
        vec![vec![0, 1], vec![2, 1], vec![0, 0]],
        vec![1.0; 3],
        0.0,
        vec![0.3, 0.2],
    )
    .unwrap();
    // (0.7 * 0.8 + 0.15 * 0.8 + 0.7 * 0.2) / 3
    assert!(close(kde.density(&[0, 1]), 0.82 / 3.0, 1e-12));
    // (0.15 * 0.2 + 0.7 * 0.2 + 0.15 * 0.8) / 3
    assert!(close(kde.density(&[2, 0]), 0.29 / 3.0, 1e-12));
    assert!(close(kde.marginal(0, 0), 1.55 / 3.0, 1e-12));
    assert!(close(kde.marginal(0, 1), 0.45 / 3.0, 1e-12));
    assert!(close(kde.marginal(1, 0), (0.2 + 0.2 + 0.8) / 3.0, 1e-12));
    assert_eq!(kde.density(&[3, 0]), 0.0, "outside the space");
    let total: f64 = (0..3)
        .flat_map(|a| (0..2).map(move |b| [a, b]))
        .map(|x| kde.density(&x))
        .sum();
    assert!(close(total, 1.0, 1e-12));

    // A bandwidth past (n - 1) / n is the uniform kernel, not a kernel that
    // prefers the other options.
    let wide =
        CategoricalKernelDensity::new(vec![3], vec![vec![0]], vec![1.0], 0.0, vec![0.9]).unwrap();
    for k in 0..3 {
        assert!(close(wide.marginal(0, k), 1.0 / 3.0, 1e-12));
    }
}

/// A statsmodels fixture: its bandwidths, and its density at each point.
fn statsmodels_fixture(name: &str) -> (Vec<f64>, Vec<(Vec<usize>, f64)>) {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap();
    let mut bandwidths = Vec::new();
    let mut densities = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let numbers: Vec<f64> = fields[1..].iter().map(|f| f.parse().unwrap()).collect();
        match fields[0] {
            "bw" => bandwidths = numbers,
            "pdf" => {
                let x = numbers[..numbers.len() - 1]
                    .iter()
                    .map(|&v| v as usize)
                    .collect();
                densities.push((x, numbers[numbers.len() - 1]));
            }
            other => panic!("unknown fixture line {other}"),
        }
    }
    (bandwidths, densities)
}

fn points(rows: &[[usize; 3]]) -> Vec<Vec<usize>> {
    rows.iter().map(|p| p.to_vec()).collect()
}

#[test]
fn normal_reference_bandwidths_and_density_match_statsmodels() {
    let (theirs, densities) = statsmodels_fixture("statsmodels_kde.txt");
    // The points of the fixture's command.
    let points = points(&[
        [0, 0, 1],
        [0, 1, 1],
        [0, 1, 0],
        [1, 1, 1],
        [0, 2, 1],
        [2, 1, 1],
        [0, 3, 1],
        [0, 1, 1],
    ]);
    let bandwidths = normal_reference_bandwidths(&points, 0.0);
    assert_eq!(theirs.len(), 3);
    for (ours, theirs) in bandwidths.iter().zip(&theirs) {
        assert!(close(*ours, *theirs, 1e-12), "{ours} vs {theirs}");
    }
    let kde = CategoricalKernelDensity::new(
        vec![3, 4, 2],
        points.clone(),
        vec![1.0; points.len()],
        0.0,
        bandwidths,
    )
    .unwrap();
    assert_eq!(densities.len(), 24);
    for (x, theirs) in densities {
        let ours = kde.density(&x);
        assert!(close(ours, theirs, 1e-12), "{x:?}: {ours} vs {theirs}");
    }
    // A position where every point agrees has no spread: the floor holds.
    let agreeing = vec![vec![2, 0], vec![2, 1], vec![2, 0]];
    let b = normal_reference_bandwidths(&agreeing, 0.3);
    assert_eq!(b[0], 0.3);
    // sd of (0, 1, 0) is sqrt(2) / 3; 1.06 sd 3^(-1/6).
    let expected = 1.06 * 2f64.sqrt() / 3.0 * 3f64.powf(-1.0 / 6.0);
    assert!(close(b[1], expected.max(0.3), 1e-12));
}

#[test]
fn the_statsmodels_kernel_misbehaves_as_statsmodels_does() {
    // Four points of three 5-option choices: the first choice takes one
    // option (statsmodels divides by zero off it), the last spreads so far
    // that its bandwidth passes 1 (negative weight on the centre).
    let (theirs, densities) = statsmodels_fixture("statsmodels_kde_quirks.txt");
    let points = points(&[[0, 3, 1], [0, 3, 4], [0, 2, 0], [0, 3, 4]]);
    let bandwidths = normal_reference_bandwidths(&points, 0.3);
    for (ours, theirs) in bandwidths.iter().zip(&theirs) {
        assert!(close(*ours, *theirs, 1e-12), "{ours} vs {theirs}");
    }
    assert!(bandwidths[2] > 1.0);
    let kde = CategoricalKernelDensity::new(
        vec![5; 3],
        points.clone(),
        vec![1.0; points.len()],
        0.0,
        bandwidths.clone(),
    )
    .unwrap()
    .with_kernel(CategoricalKernel::Statsmodels);
    assert_eq!(densities.len(), 24);
    let mut unusual = 0;
    for (x, theirs) in densities {
        let ours = kde.density(&x);
        if theirs.is_finite() {
            assert!(close(ours, theirs, 1e-12), "{x:?}: {ours} vs {theirs}");
        } else {
            unusual += 1;
            assert!(
                ours == theirs || (ours.is_nan() && theirs.is_nan()),
                "{x:?}: {ours} vs {theirs}"
            );
        }
    }
    assert_eq!(unusual, 12);
    // Aitchison and Aitken's kernel on the same points is a density.
    let proper = CategoricalKernelDensity::new(
        vec![5; 3],
        points.clone(),
        vec![1.0; points.len()],
        0.0,
        bandwidths,
    )
    .unwrap();
    let total: f64 = (0..125)
        .map(|i| proper.density(&[i / 25, i / 5 % 5, i % 5]))
        .sum();
    assert!(close(total, 1.0, 1e-12));
}

#[test]
fn tpe_estimators_are_optunas_parzen_estimators() {
    // Two observations, options 0 and 4 of 5 at the first edge, prior weight
    // 1: three kernels, a = 1/3; an observation's kernel is (1 + a) / (1 + 5a)
    // = 1/2 on its option and a / (1 + 5a) = 1/8 on the others, the prior 1/5
    // each; the mixture weighs all three equally.
    assert!(close(parzen_bandwidth(5, 3, 1.0), 0.5, 1e-12));
    let tpe = tpe(TpeConfig::default(), 0);
    let l = tpe.estimator(vec![vec![0; 6], vec![4; 6]]);
    assert!(close(l.marginal(0, 0), (0.5 + 0.125 + 0.2) / 3.0, 1e-12));
    assert!(close(l.marginal(0, 4), (0.5 + 0.125 + 0.2) / 3.0, 1e-12));
    assert!(close(l.marginal(0, 2), (0.125 + 0.125 + 0.2) / 3.0, 1e-12));
    // No observation: the prior alone.
    let empty = tpe.estimator(Vec::new());
    assert!(close(empty.marginal(3, 1), 0.2, 1e-12));

    // optuna's default weights: flat up to 25, then a ramp from 1/n for the
    // oldest n - 25.
    assert_eq!(observation_weights(3), vec![1.0; 3]);
    assert_eq!(observation_weights(25), vec![1.0; 25]);
    let w26 = observation_weights(26);
    assert_eq!(w26.len(), 26);
    assert!(close(w26[0], 1.0 / 26.0, 1e-15));
    assert!(w26[1..].iter().all(|&w| w == 1.0));
    let w28 = observation_weights(28);
    let step = (1.0 - 1.0 / 28.0) / 2.0;
    assert!(close(w28[0], 1.0 / 28.0, 1e-15));
    assert!(close(w28[1], 1.0 / 28.0 + step, 1e-15));
    assert!(w28[2..].iter().all(|&w| w == 1.0));
}

#[test]
fn tpe_splits_off_the_best_tenth() {
    let config = TpeConfig::default();
    // min(ceil(0.1 n), 25)
    for (n, good) in [
        (0, 0),
        (1, 1),
        (10, 1),
        (11, 2),
        (100, 10),
        (250, 25),
        (400, 25),
    ] {
        assert_eq!(config.good_count(n), good, "n = {n}");
    }
    let mut tpe = tpe(config, 1);
    let space = Nb201Space::new();
    // Twelve results; the best two (scores 11 and 10) are the third and the
    // tenth asked.
    let scores = [3.0, 1.0, 11.0, 2.0, 4.0, 5.0, 0.0, 6.0, 7.0, 10.0, 8.0, 9.0];
    let mut asked = Vec::new();
    for &score in &scores {
        let proposal = tpe.ask(&space).unwrap();
        tell(&mut tpe, &proposal, score);
        asked.push(nb201_choices().choices(&proposal.arch));
    }
    let (good, bad) = tpe.split();
    assert_eq!(good, vec![asked[2].clone(), asked[9].clone()]);
    assert_eq!(bad.len(), 10);
    assert_eq!(bad[0], asked[0]);
    // A pending proposal counts as bad under the constant liar.
    let pending = tpe.ask(&space).unwrap();
    let (good, bad) = tpe.split();
    assert_eq!(good.len(), 2);
    assert_eq!(bad.len(), 11);
    assert_eq!(bad[10], nb201_choices().choices(&pending.arch));
}

#[test]
fn bohb_good_and_bad_sets_follow_hpbandster() {
    // NB201 has 6 choices: at least 7 points per set. One rung: every ask
    // is a new architecture.
    let mut bohb = bohb(vec![LOW], BohbConfig::default(), 2);
    assert_eq!(bohb.min_points_in_model(), 7);
    let space = Nb201Space::new();
    let mut splits = Vec::new();
    for n in 1..=100u32 {
        let proposal = bohb.ask(&space).unwrap();
        tell(
            &mut bohb,
            &proposal,
            f64::from(n % 17) + f64::from(n) / 1000.0,
        );
        splits.push(bohb.model_split(0));
    }
    assert_eq!(bohb.recorded(0), 100);
    // Until 14 results the bad set would hold 6 or fewer.
    assert!(splits[..13].iter().all(Option::is_none));
    // good = max(7, floor(15 n / 100)), bad = max(7, floor(85 n / 100)) of the rest.
    assert_eq!(splits[13], Some((7, 7)));
    assert_eq!(splits[19], Some((7, 13)));
    assert_eq!(splits[59], Some((9, 51)));
    assert_eq!(splits[99], Some((15, 85)));
}

#[test]
fn bohb_brackets_and_budgets_follow_nb201s_run() {
    // hpbandster from 12 to 200 epochs, eta 3: floor(log3(200 / 12)) = 2,
    // so 200/9, 200/3 and 200.
    let budgets = hpbandster_budgets(12.0, 200.0, 3).unwrap();
    assert_eq!(budgets.len(), 3);
    for (ours, theirs) in budgets.iter().zip([200.0 / 9.0, 200.0 / 3.0, 200.0]) {
        assert!(close(*ours, theirs, 1e-12));
    }
    // NB201 offers 12 and 200 epochs. Searching at 12 (Table 5), every budget
    // reads 12 epochs, as the reference's worker answered them; at 200 the
    // last budget reads 200.
    let nb201 = [LOW, HIGH];
    assert_eq!(
        budget_fidelities(&budgets, &nb201, LOW).unwrap(),
        [LOW, LOW, LOW]
    );
    assert_eq!(
        budget_fidelities(&budgets, &nb201, HIGH).unwrap(),
        [LOW, LOW, HIGH]
    );
    // NB101's 4 to 108 epochs are exact powers of 3 apart.
    let nb101: Vec<Fidelity> = [4, 12, 36, 108].map(Fidelity::epochs).to_vec();
    let budgets = hpbandster_budgets(4.0, 108.0, 3).unwrap();
    assert_eq!(
        budget_fidelities(&budgets, &nb101, Fidelity::epochs(108)).unwrap(),
        nb101
    );

    // Three rungs, eta 3: hpbandster starts floor(3/3) 9, floor(3/2) 3 and
    // floor(3/1) 1 architectures; Hyperband's own rounding gives 9, 5, 3.
    // Both start their brackets at the same rungs.
    let rungs = vec![LOW, MID, HIGH];
    let b = bohb(rungs.clone(), BohbConfig::default(), 0);
    let hb = SuccessiveHalving::<Nb201Arch>::hyperband(rungs.clone(), 3, 0).unwrap();
    assert_eq!(b.bracket_sizes(), vec![9, 3, 3]);
    assert_eq!(hb.bracket_sizes(), vec![9, 5, 3]);
    assert_eq!(b.first_rungs(), hb.first_rungs());
    // 9 -> 3 -> 1, then 3 -> 1, then 3 at the top.
    let mut b = b;
    let out = search(&mut b, 20);
    let epochs: Vec<u32> = out
        .history
        .iter()
        .map(|q| q.proposal.fidelity.get_epochs())
        .collect();
    let mut expected = vec![12; 9];
    expected.extend([36, 36, 36, 200, 36, 36, 36, 200, 200, 200, 200]);
    assert_eq!(epochs, expected);
    // The promoted ones are the best of their rung.
    let low_best = out.history[..9]
        .iter()
        .map(|q| q.evaluation.observation.score())
        .fold(f64::NEG_INFINITY, f64::max);
    assert_eq!(out.history[12].evaluation.observation.score(), low_best);
}

#[test]
fn bohb_records_only_up_to_the_highest_rung_with_a_model() {
    // Two rungs: brackets of 3 at 12 epochs (one promoted) and 2 at 200.
    let mut bohb = bohb(vec![LOW, HIGH], BohbConfig::default(), 5);
    let space = Nb201Space::new();
    let mut frozen = None;
    for _ in 0..150 {
        let proposal = bohb.ask(&space).unwrap();
        let score = target_score(&proposal.arch);
        tell(&mut bohb, &proposal, score);
        if frozen.is_none() && bohb.model_split(1).is_some() {
            frozen = Some(bohb.recorded(0));
        }
    }
    let frozen = frozen.expect("the top rung gets a model within 150 queries");
    // Rung 0 has had a model since its 14th result, and stops recording when
    // rung 1 gets one.
    assert!(frozen >= 14);
    assert!(bohb.model_split(0).is_some());
    assert_eq!(bohb.recorded(0), frozen);
    assert!(bohb.recorded(1) >= 14);
}

#[test]
fn same_seed_same_proposals() {
    for seed in [3, 4] {
        let a = search(&mut bohb(vec![LOW, HIGH], BohbConfig::default(), seed), 80);
        let b = search(&mut bohb(vec![LOW, HIGH], BohbConfig::default(), seed), 80);
        assert_eq!(a, b);
        let a = search(&mut tpe(TpeConfig::default(), seed), 40);
        let b = search(&mut tpe(TpeConfig::default(), seed), 40);
        assert_eq!(a, b);
    }
    let a = search(&mut bohb(vec![LOW, HIGH], BohbConfig::default(), 3), 80);
    let b = search(&mut bohb(vec![LOW, HIGH], BohbConfig::default(), 4), 80);
    assert_ne!(a, b);
    let a = search(&mut tpe(TpeConfig::default(), 3), 40);
    let b = search(&mut tpe(TpeConfig::default(), 4), 40);
    assert_ne!(a, b);
}

#[test]
fn clusters_of_workers_give_the_same_search_on_one_and_two_threads() {
    let on = |threads: usize, optimizer: &mut dyn Optimizer<Nb201Space>| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                run_search_on_cluster(
                    &Nb201Space::new(),
                    &Target,
                    optimizer,
                    Budget::queries(60),
                    4,
                    &mut rng_from_seed(1),
                )
                .unwrap()
            })
    };
    let one = on(1, &mut bohb(vec![LOW, HIGH], BohbConfig::default(), 8));
    let two = on(2, &mut bohb(vec![LOW, HIGH], BohbConfig::default(), 8));
    assert_eq!(one.history.len(), 60);
    assert_eq!(one, two);
    let one = on(1, &mut tpe(TpeConfig::default(), 8));
    let two = on(2, &mut tpe(TpeConfig::default(), 8));
    assert_eq!(one.history.len(), 60);
    assert_eq!(one, two);
}

#[test]
fn batches_wait_at_a_rung_or_spread_out() {
    let space = Nb201Space::new();
    // BOHB's first bracket over two rungs starts 3: a fourth ask must wait.
    let mut b = bohb(vec![LOW, HIGH], BohbConfig::default(), 0);
    let first = Optimizer::<Nb201Space>::ask_batch(&mut b, &space, 3).unwrap();
    assert!(first.iter().all(|p| p.fidelity == LOW));
    match Optimizer::<Nb201Space>::ask(&mut b, &space) {
        Err(OptimizerError::WaitingForResults { pending, .. }) => assert_eq!(pending, 3),
        other => panic!("expected a wait, got {other:?}"),
    }
    // TPE after its startup: a batch of 8 from the model. Without the
    // constant liar every ask of the batch sees the same estimators and
    // repeats architectures; with it the pending ones count as bad.
    let distinct = |liar: bool| {
        let mut t = tpe(
            TpeConfig {
                constant_liar: liar,
                ..TpeConfig::default()
            },
            6,
        );
        for _ in 0..30 {
            let p = t.ask(&space).unwrap();
            let score = target_score(&p.arch);
            tell(&mut t, &p, score);
        }
        let mut batch: Vec<Nb201Arch> = Optimizer::<Nb201Space>::ask_batch(&mut t, &space, 8)
            .unwrap()
            .into_iter()
            .map(|p| p.arch)
            .collect();
        batch.sort_by_key(|a| format!("{a:?}"));
        batch.dedup();
        batch.len()
    };
    assert!(
        distinct(true) > distinct(false),
        "{} vs {}",
        distinct(true),
        distinct(false)
    );
}

/// Mean and standard error of the best score each of `seeds` searches found.
fn best_scores(mut run: impl FnMut(u64) -> SearchOutcome<Nb201Arch>, seeds: u64) -> (f64, f64) {
    let best: Vec<f64> = (0..seeds)
        .map(|seed| {
            let out = run(seed);
            out.history
                .iter()
                .map(|q| target_score(&q.proposal.arch))
                .fold(f64::NEG_INFINITY, f64::max)
        })
        .collect();
    let n = best.len() as f64;
    let mean = best.iter().sum::<f64>() / n;
    let variance = best.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

#[test]
fn the_models_beat_their_random_counterparts_on_a_toy_objective() {
    // 15,625 cells, one of which scores 21. Both model-based searches must
    // beat random search (TPE) or Hyperband (BOHB) by more than three
    // standard errors of the difference over 20 seeds.
    const SEEDS: u64 = 20;
    let beats = |(ours, se_ours): (f64, f64), (theirs, se_theirs): (f64, f64)| {
        ours - theirs > 3.0 * (se_ours.powi(2) + se_theirs.powi(2)).sqrt()
    };
    let tpe_best = best_scores(|s| search(&mut tpe(TpeConfig::default(), s), 60), SEEDS);
    let rs_best = best_scores(|s| search(&mut RandomSearch::new(LOW, s), 60), SEEDS);
    assert!(beats(tpe_best, rs_best), "TPE {tpe_best:?}, RS {rs_best:?}");

    let bohb_best = best_scores(
        |s| search(&mut bohb(vec![LOW, HIGH], BohbConfig::default(), s), 120),
        SEEDS,
    );
    let hb_best = best_scores(
        |s| {
            search(
                &mut SuccessiveHalving::hyperband(vec![LOW, HIGH], 3, s).unwrap(),
                120,
            )
        },
        SEEDS,
    );
    assert!(
        beats(bohb_best, hb_best),
        "BOHB {bohb_best:?}, HB {hb_best:?}"
    );
}

#[test]
fn bad_settings_name_their_field() {
    let bohb_err = |config: BohbConfig| {
        Bohb::new(nb201_choices(), vec![LOW, HIGH], config, 0)
            .unwrap_err()
            .field
    };
    let d = BohbConfig::default();
    for (config, field) in [
        (BohbConfig { eta: 1, ..d }, "eta"),
        (
            BohbConfig {
                top_n_percent: 0,
                ..d
            },
            "top_n_percent",
        ),
        (
            BohbConfig {
                top_n_percent: 100,
                ..d
            },
            "top_n_percent",
        ),
        (
            BohbConfig {
                num_samples: 0,
                ..d
            },
            "num_samples",
        ),
        (
            BohbConfig {
                random_fraction: 1.5,
                ..d
            },
            "random_fraction",
        ),
        (
            BohbConfig {
                bandwidth_factor: f64::NAN,
                ..d
            },
            "bandwidth_factor",
        ),
        (
            BohbConfig {
                min_bandwidth: -0.1,
                ..d
            },
            "min_bandwidth",
        ),
        (
            BohbConfig {
                min_points_in_model: Some(6),
                ..d
            },
            "min_points_in_model",
        ),
    ] {
        assert_eq!(bohb_err(config), field);
    }
    let err = Bohb::new(nb201_choices(), vec![HIGH, LOW], d, 0).unwrap_err();
    assert_eq!(err.field, "fidelities");
    assert_eq!(
        hpbandster_budgets(0.0, 200.0, 3).unwrap_err().field,
        "min_budget"
    );
    assert_eq!(
        hpbandster_budgets(12.0, 6.0, 3).unwrap_err().field,
        "max_budget"
    );
    assert_eq!(hpbandster_budgets(12.0, 200.0, 1).unwrap_err().field, "eta");

    let tpe_err = |config: TpeConfig| {
        TreeParzenEstimator::new(nb201_choices(), LOW, config, 0)
            .unwrap_err()
            .field
    };
    let t = TpeConfig::default();
    for (config, field) in [
        (
            TpeConfig {
                n_ei_candidates: 0,
                ..t
            },
            "n_ei_candidates",
        ),
        (TpeConfig { gamma: 0.0, ..t }, "gamma"),
        (TpeConfig { gamma: 1.5, ..t }, "gamma"),
        (TpeConfig { max_good: 0, ..t }, "max_good"),
        (
            TpeConfig {
                prior_weight: -1.0,
                ..t
            },
            "prior_weight",
        ),
    ] {
        assert_eq!(tpe_err(config), field);
    }
}
