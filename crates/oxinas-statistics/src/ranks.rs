//! Ranks with ties sharing the mean of their positions ("average" ranks, as
//! `scipy.stats.rankdata` gives by default).

/// Ranks of `values` (1 = smallest); tied values share the mean of the
/// positions they occupy. Also returns the size of every group of ties (groups
/// of one included), which the tests' tie corrections use.
///
/// Values must be finite (callers check); NaN would sort last.
pub fn average_ranks(values: &[f64]) -> (Vec<f64>, Vec<usize>) {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut ties = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        // `==`, not `total_cmp`: 0.0 and -0.0 tie.
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let shared = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = shared;
        }
        ties.push(end - start);
        start = end;
    }
    (ranks, ties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_the_mean_position() {
        let (ranks, ties) = average_ranks(&[0.3, 0.1, 0.3, 0.7, 0.3]);
        assert_eq!(ranks, vec![3.0, 1.0, 3.0, 5.0, 3.0]);
        let mut ties = ties;
        ties.sort_unstable();
        assert_eq!(ties, vec![1, 1, 3]);
    }
}
