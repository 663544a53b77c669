//! The Friedman test (Friedman 1937; Demšar, JMLR 2006, section 3.2.2): do k
//! treatments (optimizers) differ, judged by their ranks within each of n
//! blocks (benchmarks, or paired seeds)?

use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::error::check_finite;
use crate::{StatisticsError, average_ranks};

/// The outcome of a Friedman test.
#[derive(Clone, Debug, PartialEq)]
pub struct FriedmanTest {
    /// The chi-square statistic, corrected for ties (as
    /// `scipy.stats.friedmanchisquare`).
    pub statistic: f64,
    /// P(chi-square with k - 1 degrees of freedom >= statistic): the chance of
    /// ranks at least this uneven if every treatment were alike.
    pub p_value: f64,
    /// Each treatment's rank averaged over blocks (1 = the smallest value).
    pub average_ranks: Vec<f64>,
    /// Number of blocks (n).
    pub blocks: usize,
}

impl FriedmanTest {
    /// Tests `blocks`, one row per block with one value per treatment, all rows
    /// of the same length k >= 3 (n >= 1 rows). Within a block the smallest
    /// value ranks 1; ties share the mean rank. The chi-square approximation
    /// is the usual one (fair for n > 10, k > 5, Demšar 2006).
    pub fn new(blocks: &[Vec<f64>]) -> Result<Self, StatisticsError> {
        const NAME: &str = "the Friedman test";
        let n = blocks.len();
        if n == 0 {
            return Err(StatisticsError::TooFew {
                statistic: NAME,
                what: "blocks",
                needed: 1,
                got: 0,
            });
        }
        let k = blocks[0].len();
        if k < 3 {
            return Err(StatisticsError::TooFew {
                statistic: NAME,
                what: "treatments",
                needed: 3,
                got: k,
            });
        }
        for (index, row) in blocks.iter().enumerate() {
            if row.len() != k {
                return Err(StatisticsError::Ragged {
                    statistic: NAME,
                    what: "block",
                    index,
                    got: row.len(),
                    expected: k,
                });
            }
        }
        check_finite(NAME, blocks.iter().flatten())?;
        let (nf, kf) = (n as f64, k as f64);
        let mut rank_sums = vec![0.0; k];
        let mut ties = 0.0;
        for row in blocks {
            let (ranks, groups) = average_ranks(row);
            for (sum, rank) in rank_sums.iter_mut().zip(ranks) {
                *sum += rank;
            }
            ties += groups.iter().map(|&t| (t * t * t - t) as f64).sum::<f64>();
        }
        let correction = 1.0 - ties / (kf * (kf * kf - 1.0) * nf);
        let squares: f64 = rank_sums.iter().map(|r| r * r).sum();
        let raw = 12.0 / (kf * nf * (kf + 1.0)) * squares - 3.0 * nf * (kf + 1.0);
        // Every block tied throughout: no evidence of any difference.
        let (statistic, p_value) = if correction <= 0.0 {
            (0.0, 1.0)
        } else {
            let statistic = raw / correction;
            let chi2 = ChiSquared::new(kf - 1.0).expect("k - 1 >= 2 degrees of freedom");
            (statistic, chi2.sf(statistic.max(0.0)))
        };
        Ok(Self {
            statistic,
            p_value,
            average_ranks: rank_sums.into_iter().map(|s| s / nf).collect(),
            blocks: n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_treatment_best_in_every_block_gets_rank_one() {
        // Hand computation: ranks (1, 2, 3) in each of 4 blocks, rank sums
        // 4, 8, 12: 12 / (3 * 4 * 4) * (16 + 64 + 144) - 3 * 4 * 4 = 8.
        let blocks = vec![vec![0.1, 0.2, 0.3]; 4];
        let test = FriedmanTest::new(&blocks).unwrap();
        assert_eq!(test.average_ranks, vec![1.0, 2.0, 3.0]);
        assert!((test.statistic - 8.0).abs() < 1e-12);
        // Chi-square with 2 degrees of freedom: sf(x) = exp(-x / 2).
        assert!((test.p_value - (-4.0f64).exp()).abs() < 1e-12);
    }

    #[test]
    fn all_ties_mean_no_difference() {
        let test = FriedmanTest::new(&[vec![1.0; 4], vec![2.0; 4]]).unwrap();
        assert_eq!(test.p_value, 1.0);
        assert_eq!(test.average_ranks, vec![2.5; 4]);
    }

    #[test]
    fn bad_shapes_are_typed_errors() {
        assert!(matches!(
            FriedmanTest::new(&[vec![1.0, 2.0]]),
            Err(StatisticsError::TooFew { needed: 3, .. })
        ));
        assert!(matches!(
            FriedmanTest::new(&[vec![1.0, 2.0, 3.0], vec![1.0, 2.0]]),
            Err(StatisticsError::Ragged { index: 1, .. })
        ));
        assert!(matches!(
            FriedmanTest::new(&[vec![1.0, f64::NAN, 3.0]]),
            Err(StatisticsError::NotFinite { index: 1, .. })
        ));
    }
}
