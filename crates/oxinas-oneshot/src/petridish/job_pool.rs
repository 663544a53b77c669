//! Running a queue of independent jobs on local threads.
//!
//! Each job is a pure function of its input (its seed included), so the
//! results, returned in queue order, do not depend on the thread count.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `work(i, &jobs[i])` for every job on up to `threads` threads; results in job order.
pub fn run_jobs<T, R, F>(jobs: &[T], threads: usize, work: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T) -> R + Sync,
{
    let threads = threads.clamp(1, jobs.len().max(1));
    if threads == 1 {
        return jobs
            .iter()
            .enumerate()
            .map(|(i, job)| work(i, job))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let result = work(i, job);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(result);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_job_order_for_any_thread_count() {
        let jobs: Vec<u64> = (0..23).collect();
        let expected: Vec<u64> = jobs.iter().map(|j| j * j + 1).collect();
        for threads in [1, 2, 5, 64] {
            assert_eq!(run_jobs(&jobs, threads, |_, j| j * j + 1), expected);
        }
        assert!(run_jobs(&Vec::<u64>::new(), 3, |_, j| *j).is_empty());
    }
}
