//! NumPy's legacy `RandomState` permutation, so that splits the benchmark's
//! reference code draws with scikit-learn's `train_test_split(random_state=..)`
//! are reproduced record for record.
//!
//! `RandomState(seed)` seeds MT19937 with the reference `init_genrand`;
//! `permutation(n)` shuffles `arange(n)` with Fisher-Yates from the end, each
//! index drawn by masked rejection sampling on 32-bit outputs (NumPy's
//! `random_interval`). This is the only use of this generator: everything
//! oxinas draws itself comes from seeded ChaCha.

use rand_mt::Mt;

/// `numpy.random.RandomState(seed).permutation(n)`.
pub fn legacy_permutation(n: usize, seed: u32) -> Vec<usize> {
    let mut mt = Mt::new(seed);
    let mut values: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = random_interval(&mut mt, i as u64);
        values.swap(i, j as usize);
    }
    values
}

/// A uniform integer in `0..=max`, drawn as NumPy's legacy `random_interval`.
fn random_interval(mt: &mut Mt, max: u64) -> u64 {
    if max == 0 {
        return 0;
    }
    // The smallest all-ones mask covering `max`.
    let mask = u64::MAX >> max.leading_zeros();
    if max <= u64::from(u32::MAX) {
        loop {
            let value = u64::from(mt.next_u32()) & mask;
            if value <= max {
                return value;
            }
        }
    }
    loop {
        // NumPy's next_uint64 for MT19937: two 32-bit outputs, high word first.
        let value = ((u64::from(mt.next_u32()) << 32) | u64::from(mt.next_u32())) & mask;
        if value <= max {
            return value;
        }
    }
}

/// scikit-learn's `train_test_split(indices, test_size, random_state=seed)`
/// without stratification: `(train, test)`, each in the permutation's order,
/// with `ceil(test_size * n)` held out.
pub fn train_test_split(n: usize, test_size: f64, seed: u32) -> (Vec<usize>, Vec<usize>) {
    let n_test = ((test_size * n as f64).ceil() as usize).min(n);
    let mut permutation = legacy_permutation(n, seed);
    let train = permutation.split_off(n_test);
    (train, permutation)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values printed by NumPy 2.4.6:
    // `list(np.random.RandomState(s).permutation(n))`.
    #[test]
    fn permutation_matches_numpy() {
        assert_eq!(legacy_permutation(10, 0), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
        assert_eq!(
            legacy_permutation(23, 7),
            [
                1, 5, 2, 22, 20, 12, 11, 0, 21, 6, 18, 16, 13, 10, 17, 9, 8, 14, 7, 19, 3, 4, 15
            ]
        );
        let long = legacy_permutation(8528, 0);
        assert_eq!(long[..8], [2044, 2916, 274, 6817, 4750, 7086, 3424, 1284]);
        assert_eq!(long[8523..], [4373, 7891, 4859, 3264, 2732]);
        assert_eq!(legacy_permutation(1, 0), [0]);
        assert!(legacy_permutation(0, 0).is_empty());
    }
}
