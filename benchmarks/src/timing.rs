//! The timing loop and its summary.

use std::time::Instant;

use crate::BenchError;

/// Runs `work` `runs` times; returns each run's wall time (seconds) and output.
///
/// Outputs are kept so a case can check each of them (and that repeated runs
/// agree); cases return small summaries, not the work's full result.
pub fn time_runs<T>(
    runs: usize,
    mut work: impl FnMut() -> Result<T, BenchError>,
) -> Result<(Vec<f64>, Vec<T>), BenchError> {
    let mut samples = Vec::with_capacity(runs);
    let mut outputs = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let output = work()?;
        samples.push(start.elapsed().as_secs_f64());
        outputs.push(std::hint::black_box(output));
    }
    Ok((samples, outputs))
}

/// Median, minimum and maximum of a set of times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// The median (mean of the two middle values for an even count).
    pub median: f64,
    /// The fastest.
    pub min: f64,
    /// The slowest.
    pub max: f64,
}

impl Summary {
    /// The summary of `samples`; `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Summary {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let odd = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((odd.median, odd.min, odd.max), (2.0, 1.0, 3.0));
        let even = Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!((even.median, even.min, even.max), (2.5, 1.0, 4.0));
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn time_runs_runs_the_work_the_asked_number_of_times() {
        let mut calls = 0;
        let (samples, outputs) = time_runs(4, || {
            calls += 1;
            Ok(calls)
        })
        .unwrap();
        assert_eq!(samples.len(), 4);
        assert_eq!(outputs, vec![1, 2, 3, 4]);
        assert!(samples.iter().all(|s| *s >= 0.0));
    }
}
