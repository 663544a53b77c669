//! The vocabulary's small rules, pinned at their edges: a time budget admits
//! a query that lands exactly on the limit and then has no room, an unbounded
//! budget is one with neither limit, a fidelity reads and prints its epochs,
//! and the default `ask_batch` asks `n` times in order.

use oxinas_core::{
    Budget, BudgetMeter, Fidelity, Observation, Optimizer, OptimizerError, ParseArchError,
    Proposal, RngCore, SearchSpace,
};

#[test]
fn a_query_that_ends_exactly_on_the_time_limit_is_charged_and_leaves_no_room() {
    let mut meter = BudgetMeter::new(Budget::simulated_seconds(10.0));
    assert!(meter.charge(4.0));
    assert!(meter.has_room(), "4 of 10 s spent");
    // 4 + 6 = 10: not past the limit, so charged (NAS-Bench-201 stops only
    // at a query that would push the total past it) ...
    assert!(meter.charge(6.0));
    assert_eq!(meter.seconds(), 10.0);
    assert_eq!(meter.queries(), 2);
    // ... and with the limit reached there is no room for another.
    assert!(!meter.has_room());
    assert!(!meter.charge(0.5));
    assert_eq!(meter.queries(), 2);
}

#[test]
fn a_query_budget_has_room_until_the_last_query_is_charged() {
    let mut meter = BudgetMeter::new(Budget::queries(1));
    assert!(meter.has_room());
    assert!(meter.charge(1e9), "no time limit");
    assert!(!meter.has_room());
}

#[test]
fn unbounded_means_neither_limit() {
    assert!(Budget::default().is_unbounded());
    assert!(!Budget::queries(3).is_unbounded());
    assert!(!Budget::simulated_seconds(1.0).is_unbounded());
    let both = Budget {
        queries: Some(3),
        simulated_seconds: Some(1.0),
    };
    assert!(!both.is_unbounded());
}

#[test]
fn a_fidelity_reads_and_prints_its_epochs() {
    assert_eq!(Fidelity::epochs(12).get_epochs(), 12);
    assert_eq!(Fidelity::epochs(200).get_epochs(), 200);
    assert_eq!(Fidelity::epochs(12).to_string(), "12 epochs");
}

/// The integers 0..10 as a space.
struct Digits;

impl SearchSpace for Digits {
    type Arch = u8;
    type Canonical = u8;
    fn name(&self) -> &'static str {
        "digits"
    }
    fn sample(&self, rng: &mut dyn RngCore) -> u8 {
        (rng.next_u32() % 10) as u8
    }
    fn mutate(&self, arch: &u8, _rng: &mut dyn RngCore) -> u8 {
        (arch + 1) % 10
    }
    fn neighbors(&self, arch: &u8) -> Vec<u8> {
        vec![(arch + 1) % 10]
    }
    fn canonical(&self, arch: &u8) -> u8 {
        *arch
    }
    fn cardinality(&self) -> Option<u128> {
        Some(10)
    }
    fn format(&self, arch: &u8) -> String {
        arch.to_string()
    }
    fn parse(&self, text: &str) -> Result<u8, ParseArchError> {
        text.parse().map_err(|_| ParseArchError {
            space: "digits",
            input: text.to_owned(),
            expected: "a digit".to_owned(),
        })
    }
}

/// Proposes 3, 4, 5, ... at 5 epochs.
struct Counter(u8);

impl Optimizer<Digits> for Counter {
    fn name(&self) -> &str {
        "counter"
    }
    fn ask(&mut self, _space: &Digits) -> Result<Proposal<u8>, OptimizerError> {
        let arch = self.0;
        self.0 += 1;
        Ok(Proposal {
            arch,
            fidelity: Fidelity::epochs(5),
        })
    }
    fn tell(&mut self, _space: &Digits, _proposal: &Proposal<u8>, _observation: &Observation) {}
}

#[test]
fn the_default_batch_asks_n_times_in_order() {
    let mut counter = Counter(3);
    let batch = counter.ask_batch(&Digits, 3).unwrap();
    let archs: Vec<u8> = batch.iter().map(|p| p.arch).collect();
    assert_eq!(archs, [3, 4, 5]);
    assert!(batch.iter().all(|p| p.fidelity == Fidelity::epochs(5)));
    assert!(counter.ask_batch(&Digits, 0).unwrap().is_empty());
    assert_eq!(counter.ask(&Digits).unwrap().arch, 6);
}
