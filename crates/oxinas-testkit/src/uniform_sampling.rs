//! Checks that an enumerable space samples uniformly.

use std::collections::HashMap;
use std::hash::Hash;

use oxinas_core::Enumerable;
use oxinas_core::seed::rng_from_seed;

use crate::{ChiSquare, LawViolation};

/// Standard-normal quantile of the significance level: about 1e-6, so a correct
/// sampler essentially never fails while a biased one fails for good.
const Z_SIGNIFICANCE: f64 = 4.75;

/// Draws `samples` architectures from `space` (generator `rng_from_seed(seed)`)
/// and tests with Pearson's chi-square that they are uniform over the
/// enumeration, counted per class of `key`.
///
/// `key` groups architectures into cells: the identity (`|a| a.clone()`) tests
/// uniformity over architectures, `|a| space.canonical(a)` over canonical
/// classes weighted by their sizes. The expected count of a cell is
/// `samples * (members of the cell in the enumeration) / (enumeration size)`;
/// every cell must expect at least 5 samples, else the test would be unsound
/// and the check refuses to run.
///
/// Returns the test's outcome when it passes, the violation when sampling is
/// not uniform or a sample lies outside the enumeration.
pub fn check_uniform_sampling<S, K>(
    space: &S,
    key: impl Fn(&S::Arch) -> K,
    samples: usize,
    seed: u64,
) -> Result<ChiSquare, LawViolation>
where
    S: Enumerable,
    K: Eq + Hash,
{
    let violation = |law: &'static str, detail: String| LawViolation {
        space: space.name(),
        law,
        seed: Some(seed),
        detail,
    };
    let mut cells: HashMap<K, usize> = HashMap::new();
    let mut sizes: Vec<u64> = Vec::new();
    for arch in space.enumerate() {
        let next = cells.len();
        let cell = *cells.entry(key(&arch)).or_insert(next);
        if cell == sizes.len() {
            sizes.push(0);
        }
        sizes[cell] += 1;
    }
    let total: u64 = sizes.iter().sum();
    let smallest = sizes.iter().copied().min().unwrap_or(0);
    let min_expected = samples as f64 * smallest as f64 / total.max(1) as f64;
    if min_expected < 5.0 {
        return Err(violation(
            "uniformity check has at least 5 expected samples per cell",
            format!(
                "{samples} samples over {total} architectures give {min_expected:.2} in the smallest cell"
            ),
        ));
    }
    let mut observed = vec![0u64; sizes.len()];
    let mut rng = rng_from_seed(seed);
    for _ in 0..samples {
        let arch = space.sample(&mut rng);
        match cells.get(&key(&arch)) {
            Some(&cell) => observed[cell] += 1,
            None => {
                return Err(violation(
                    "samples lie in the enumeration",
                    format!("{arch:?} is not enumerated"),
                ));
            }
        }
    }
    let expected: Vec<f64> = sizes
        .iter()
        .map(|&size| samples as f64 * size as f64 / total as f64)
        .collect();
    let test = ChiSquare::new(&observed, &expected, Z_SIGNIFICANCE);
    if test.passes() {
        Ok(test)
    } else {
        Err(violation(
            "sample is uniform",
            format!(
                "chi-square {:.1} over {} degrees of freedom exceeds {:.1} ({samples} samples)",
                test.statistic, test.degrees_of_freedom, test.threshold
            ),
        ))
    }
}
