//! Friedman test and Nemenyi critical difference over blocks (benchmarks, or
//! the paired seeds of one run), in numbers and in words; the diagram is
//! drawn by `cd_diagram`.

use std::fmt::Write as _;

use oxinas_statistics::{FriedmanTest, nemenyi_critical_difference, nemenyi_q_005};

use crate::significance_words::format_p;

/// The significance level every report uses.
pub const ALPHA: f64 = 0.05;

/// Optimizers' average ranks over blocks with the Friedman test and the
/// Nemenyi critical difference at alpha = 0.05.
#[derive(Clone, Debug, PartialEq)]
pub struct CriticalDifference {
    /// Optimizer labels, in the order of the blocks' columns.
    pub labels: Vec<String>,
    /// The Friedman test; its average ranks are 1 for the best.
    pub friedman: FriedmanTest,
    /// Nemenyi's q_0.05 for this many optimizers.
    pub q: f64,
    /// The critical difference of average ranks.
    pub critical_difference: f64,
    /// What a block is, in words ("benchmarks", "paired seeds").
    pub block_kind: String,
    /// Optimizers left out because they lack a value in some block.
    pub left_out: Vec<String>,
}

impl CriticalDifference {
    /// Tests `blocks` (one row per block, one column per label; smaller
    /// values are better). `None` with fewer than three optimizers or no block.
    pub fn new(
        labels: Vec<String>,
        blocks: &[Vec<f64>],
        block_kind: &str,
        left_out: Vec<String>,
    ) -> Option<Self> {
        let friedman = FriedmanTest::new(blocks).ok()?;
        let k = labels.len();
        Some(Self {
            q: nemenyi_q_005(k).ok()?,
            critical_difference: nemenyi_critical_difference(k, friedman.blocks).ok()?,
            labels,
            friedman,
            block_kind: block_kind.to_owned(),
            left_out,
        })
    }

    /// Whether the Friedman test rejects "all optimizers alike" at 0.05.
    pub fn differs(&self) -> bool {
        self.friedman.p_value <= ALPHA
    }

    /// Label indices by average rank, best first (ties by label).
    pub fn by_rank(&self) -> Vec<usize> {
        let ranks = &self.friedman.average_ranks;
        let mut order: Vec<usize> = (0..self.labels.len()).collect();
        order.sort_by(|&a, &b| {
            ranks[a]
                .total_cmp(&ranks[b])
                .then_with(|| self.labels[a].cmp(&self.labels[b]))
        });
        order
    }

    /// The groups the diagram connects: maximal runs of optimizers (in
    /// [`Self::by_rank`] positions `start..=end`, at least two) whose average
    /// ranks lie within less than the critical difference of each other.
    pub fn groups(&self) -> Vec<(usize, usize)> {
        let order = self.by_rank();
        let ranks: Vec<f64> = order
            .iter()
            .map(|&i| self.friedman.average_ranks[i])
            .collect();
        let mut groups: Vec<(usize, usize)> = Vec::new();
        for start in 0..ranks.len() {
            let mut end = start;
            while end + 1 < ranks.len() && ranks[end + 1] - ranks[start] < self.critical_difference
            {
                end += 1;
            }
            // Keep only runs not inside an earlier one.
            if end > start && groups.last().is_none_or(|&(_, e)| end > e) {
                groups.push((start, end));
            }
        }
        groups
    }

    /// Pairs (better, worse, rank difference) whose average ranks differ by
    /// at least the critical difference, largest difference first.
    pub fn separated_pairs(&self) -> Vec<(String, String, f64)> {
        let order = self.by_rank();
        let ranks = &self.friedman.average_ranks;
        let mut pairs = Vec::new();
        for (i, &a) in order.iter().enumerate() {
            for &b in &order[i + 1..] {
                let gap = ranks[b] - ranks[a];
                if gap >= self.critical_difference {
                    pairs.push((self.labels[a].clone(), self.labels[b].clone(), gap));
                }
            }
        }
        pairs.sort_by(|x, y| y.2.total_cmp(&x.2));
        pairs
    }

    /// The test in Markdown: Friedman, the critical difference, average
    /// ranks, and which optimizers the Nemenyi test separates, in words.
    /// `figure` is the diagram's path as the reader should follow it.
    pub fn markdown(&self, figure: Option<&str>) -> String {
        let k = self.labels.len();
        let n = self.friedman.blocks;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Friedman test over {n} {} ({k} optimizers): chi-square = {:.3} ({} degrees of freedom), p = {}. {}",
            self.block_kind,
            self.friedman.statistic,
            k - 1,
            format_p(self.friedman.p_value),
            if self.differs() {
                "The optimizers' ranks differ significantly at 0.05."
            } else {
                "No significant difference between the optimizers' ranks at 0.05, so no pair is called different below."
            }
        );
        if !self.left_out.is_empty() {
            let _ = writeln!(
                out,
                "\nLeft out of this test (no value in every block): {}.",
                self.left_out.join(", ")
            );
        }
        let _ = writeln!(
            out,
            "\nNemenyi critical difference at 0.05: CD = {:.3} (q = {:.3}, Demšar 2006, Table 5a), so two optimizers differ when their average ranks are at least {:.3} apart.\n",
            self.critical_difference, self.q, self.critical_difference
        );
        out.push_str("| optimizer | average rank |\n|---|---:|\n");
        for &i in &self.by_rank() {
            let _ = writeln!(
                out,
                "| {} | {:.2} |",
                self.labels[i], self.friedman.average_ranks[i]
            );
        }
        out.push('\n');
        let separated = self.separated_pairs();
        if self.differs() && separated.is_empty() {
            out.push_str(
                "No two optimizers' average ranks are a critical difference apart: the Nemenyi test separates no pair.\n",
            );
        } else if self.differs() {
            let words: Vec<String> = separated
                .iter()
                .map(|(a, b, gap)| format!("{a} ranks better than {b} ({gap:.2} apart)"))
                .collect();
            let _ = writeln!(
                out,
                "Separated by the Nemenyi test at 0.05: {}.",
                words.join("; ")
            );
        }
        let groups = self.groups();
        if !groups.is_empty() {
            let order = self.by_rank();
            let words: Vec<String> = groups
                .iter()
                .map(|&(s, e)| {
                    let names: Vec<&str> = order[s..=e]
                        .iter()
                        .map(|&i| self.labels[i].as_str())
                        .collect();
                    format!("{{{}}}", names.join(", "))
                })
                .collect();
            let _ = writeln!(
                out,
                "\nWithin less than the critical difference (joined by a bar in the diagram): {}.",
                words.join(", ")
            );
        }
        if let Some(path) = figure {
            let _ = writeln!(
                out,
                "\n![Critical-difference diagram]({path}.png)\n\nCritical-difference diagram: [PNG]({path}.png), [SVG]({path}.svg)."
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagram(ranks_per_block: &[Vec<f64>]) -> CriticalDifference {
        let labels = (0..ranks_per_block[0].len())
            .map(|i| format!("O{i}"))
            .collect();
        CriticalDifference::new(labels, ranks_per_block, "benchmarks", Vec::new()).unwrap()
    }

    #[test]
    fn separates_what_is_a_critical_difference_apart() {
        // 20 blocks, same order in each: average ranks 1, 2, 3, 4;
        // CD = 2.569 * sqrt(4 * 5 / 120) = 1.049.
        let d = diagram(&vec![vec![0.1, 0.2, 0.3, 0.4]; 20]);
        assert!((d.critical_difference - 2.569 * (20.0f64 / 120.0).sqrt()).abs() < 1e-12);
        assert!(d.differs());
        // Neighbours are 1 apart (< CD): groups {O0,O1}, {O1,O2}, {O2,O3}.
        assert_eq!(d.groups(), vec![(0, 1), (1, 2), (2, 3)]);
        let pairs = d.separated_pairs();
        assert_eq!(pairs.len(), 3);
        assert_eq!((pairs[0].0.as_str(), pairs[0].1.as_str()), ("O0", "O3"));
        let md = d.markdown(Some("plots/cd"));
        assert!(md.contains("O0 ranks better than O3 (3.00 apart)"), "{md}");
        assert!(
            md.contains("![Critical-difference diagram](plots/cd.png)"),
            "{md}"
        );
    }

    #[test]
    fn ties_everywhere_separate_nothing() {
        let d = diagram(&vec![vec![0.5; 3]; 6]);
        assert!(!d.differs());
        assert!(d.separated_pairs().is_empty());
        assert_eq!(d.groups(), vec![(0, 2)]);
        assert!(d.markdown(None).contains("No significant difference"));
    }
}
