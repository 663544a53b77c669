//! Correlations between predictions and true values: Kendall tau-b,
//! Spearman's rho (Pearson on average ranks) and Pearson's r.

/// Kendall's tau-b: concordant minus discordant pairs over the geometric mean
/// of the pairs untied in each variable (ties count for neither), as in
/// `scipy.stats.kendalltau`. `None` when lengths differ, fewer than 2 points
/// are given, or one variable is constant.
pub fn kendall_tau(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let (mut concordant, mut discordant) = (0i64, 0i64);
    let (mut untied_x, mut untied_y) = (0i64, 0i64);
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            let dx = x[i] - x[j];
            let dy = y[i] - y[j];
            if dx != 0.0 {
                untied_x += 1;
            }
            if dy != 0.0 {
                untied_y += 1;
            }
            let s = dx * dy;
            if s > 0.0 {
                concordant += 1;
            } else if s < 0.0 {
                discordant += 1;
            }
        }
    }
    if untied_x == 0 || untied_y == 0 {
        return None;
    }
    Some((concordant - discordant) as f64 / ((untied_x as f64) * (untied_y as f64)).sqrt())
}

/// Ranks starting at 1, ties sharing their average rank.
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Pearson's correlation coefficient; `None` when lengths differ, fewer than
/// 2 points, or a variable is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

/// Spearman's rank correlation (Pearson on average ranks).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return None;
    }
    pearson(&average_ranks(x), &average_ranks(y))
}

/// The three correlations of one prediction set.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Correlations {
    /// Kendall tau-b.
    pub kendall_tau: f64,
    /// Spearman's rho.
    pub spearman: f64,
    /// Pearson's r.
    pub pearson: f64,
}

impl Correlations {
    /// All three, with 0 where a correlation is undefined (constant predictions
    /// carry no ranking information, which is what 0 says).
    pub fn of(predicted: &[f64], truth: &[f64]) -> Self {
        Self {
            kendall_tau: kendall_tau(predicted, truth).unwrap_or(0.0),
            spearman: spearman(predicted, truth).unwrap_or(0.0),
            pearson: pearson(predicted, truth).unwrap_or(0.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kendall_matches_hand_counts() {
        // Pairs: (1,2) c, (1,3) c, (1,4) c, (2,3) d, (2,4) c, (3,4) c -> (5-1)/6.
        let x = [1.0, 2.0, 3.0, 4.0];
        let y = [1.0, 3.0, 2.0, 4.0];
        assert!((kendall_tau(&x, &y).unwrap() - 4.0 / 6.0).abs() < 1e-12);
        let rev: Vec<f64> = y.iter().map(|v| -v).collect();
        assert!((kendall_tau(&x, &rev).unwrap() + 4.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn kendall_tau_b_with_ties() {
        // x = [1,1,2,3], y = [1,2,2,3]: pairs (0,1) tie x, (0,2) c, (0,3) c,
        // (1,2) tie y, (1,3) c, (2,3) c: 4 concordant, 0 discordant,
        // untied x = 5, untied y = 5 -> 4/5 (scipy gives 0.8).
        let tau = kendall_tau(&[1.0, 1.0, 2.0, 3.0], &[1.0, 2.0, 2.0, 3.0]).unwrap();
        assert!((tau - 0.8).abs() < 1e-12);
        assert!(kendall_tau(&[1.0, 1.0], &[1.0, 2.0]).is_none());
    }

    #[test]
    fn average_ranks_share_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 10.0, 5.0]),
            vec![2.5, 4.0, 2.5, 1.0]
        );
    }

    #[test]
    fn spearman_and_pearson_known_values() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        let y = [2.0, 4.0, 6.0, 8.0, 100.0];
        assert!((spearman(&x, &y).unwrap() - 1.0).abs() < 1e-12);
        assert!(pearson(&x, &y).unwrap() < 0.8);
        // y = 2x + 1 exactly -> r = 1; d-squared formula: 1 - 6*2/(5*24) = 0.9.
        let z = [1.0, 3.0, 2.0, 4.0, 5.0];
        assert!((spearman(&x, &z).unwrap() - 0.9).abs() < 1e-12);
        assert!(pearson(&x, &[1.0, 1.0, 1.0, 1.0, 1.0]).is_none());
    }
}
