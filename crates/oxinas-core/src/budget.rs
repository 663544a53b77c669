use serde::{Deserialize, Serialize};

/// How much search a trial may spend: a number of queries, simulated seconds of
/// training, or both (whichever runs out first).
///
/// Simulated seconds follow the NAS-Bench-201 protocol: a query whose cost would
/// push the total past the limit ends the search and is not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Maximum number of evaluated queries.
    #[serde(default)]
    pub queries: Option<u64>,
    /// Maximum total cost in simulated seconds.
    #[serde(default)]
    pub simulated_seconds: Option<f64>,
}

impl Budget {
    /// A budget of `n` queries.
    pub fn queries(n: u64) -> Self {
        Self {
            queries: Some(n),
            simulated_seconds: None,
        }
    }

    /// A budget of `seconds` simulated seconds.
    pub fn simulated_seconds(seconds: f64) -> Self {
        Self {
            queries: None,
            simulated_seconds: Some(seconds),
        }
    }

    /// True when neither limit is set, i.e. a search would never end.
    pub fn is_unbounded(&self) -> bool {
        self.queries.is_none() && self.simulated_seconds.is_none()
    }
}

/// Tracks what a running search has spent against its [`Budget`].
#[derive(Clone, Debug)]
pub struct BudgetMeter {
    budget: Budget,
    queries: u64,
    seconds: f64,
}

impl BudgetMeter {
    /// A meter with nothing spent yet.
    pub fn new(budget: Budget) -> Self {
        Self {
            budget,
            queries: 0,
            seconds: 0.0,
        }
    }

    /// Whether another query may be started.
    pub fn has_room(&self) -> bool {
        let queries_left = self.budget.queries.is_none_or(|q| self.queries < q);
        let time_left = self
            .budget
            .simulated_seconds
            .is_none_or(|s| self.seconds < s);
        queries_left && time_left
    }

    /// Charges a finished query of `cost` seconds. Returns `false` (and charges
    /// nothing) when the query would overrun the time limit; the search must
    /// then stop and discard that query.
    pub fn charge(&mut self, cost: f64) -> bool {
        if let Some(limit) = self.budget.simulated_seconds
            && self.seconds + cost > limit
        {
            return false;
        }
        self.queries += 1;
        self.seconds += cost;
        true
    }

    /// Queries charged so far.
    pub fn queries(&self) -> u64 {
        self.queries
    }

    /// Simulated seconds charged so far.
    pub fn seconds(&self) -> f64 {
        self.seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_budget_stops_after_n() {
        let mut meter = BudgetMeter::new(Budget::queries(2));
        assert!(meter.has_room());
        assert!(meter.charge(5.0));
        assert!(meter.charge(5.0));
        assert!(!meter.has_room());
        assert_eq!(meter.queries(), 2);
    }

    #[test]
    fn overrunning_query_is_refused_and_not_charged() {
        let mut meter = BudgetMeter::new(Budget::simulated_seconds(10.0));
        assert!(meter.charge(6.0));
        assert!(meter.has_room());
        assert!(!meter.charge(6.0));
        assert_eq!(meter.queries(), 1);
        assert_eq!(meter.seconds(), 6.0);
    }
}
