//! Path encodings (BANANAS): one entry per possible input-to-output path,
//! 1 when the architecture has that path.
//!
//! A path is the sequence of ops met on the way from the cell's input to its
//! output. Spaces say which paths an architecture has ([`PathSource`]); the
//! numbering of all possible paths is shared ([`PathIndexer`]), and so are the
//! full encoding ([`PathEncoding`]) and its truncation to the most likely paths
//! ([`TruncatedPathEncoding`]).

use crate::{EncodingError, VectorEncoding};

/// Numbers every op sequence of length `min_len..=max_len` over `num_ops` ops.
///
/// Shorter paths come first; within a length, a path `o_0 o_1 .. o_{L-1}`
/// (`o_0` next to the input) has number `offset(L) + sum_j o_j * num_ops^j`,
/// the numbering of the BANANAS reference implementation (for NB101 it
/// writes the same numbers as `sum_j 3^j (o_j + 1)`). The count is
/// `sum_{L=min_len}^{max_len} num_ops^L`: 3^0 + .. + 3^5 = 364 for
/// NAS-Bench-101, 5^1 + 5^2 + 5^3 = 155 for NAS-Bench-201.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathIndexer {
    num_ops: usize,
    min_len: usize,
    /// `offsets[k]` is the number of the first path of length `min_len + k`;
    /// the last entry is the total count.
    offsets: Vec<usize>,
}

impl PathIndexer {
    /// The numbering of paths of `min_len..=max_len` ops drawn from `num_ops`.
    pub fn new(num_ops: usize, min_len: usize, max_len: usize) -> Result<Self, EncodingError> {
        let setting = |field, message: String| EncodingError::Setting {
            encoding: "path",
            field,
            message,
        };
        if num_ops == 0 {
            return Err(setting("num_ops", "at least 1 op, found 0".into()));
        }
        if min_len > max_len {
            return Err(setting(
                "max_len",
                format!("at least min_len = {min_len}, found {max_len}"),
            ));
        }
        let mut offsets = vec![0];
        let mut total = 0usize;
        for len in min_len..=max_len {
            let count = u32::try_from(len)
                .ok()
                .and_then(|len| num_ops.checked_pow(len))
                .and_then(|count| total.checked_add(count))
                .ok_or_else(|| {
                    setting(
                        "max_len",
                        format!("{num_ops}^{len} paths do not fit in memory"),
                    )
                })?;
            total = count;
            offsets.push(total);
        }
        Ok(Self {
            num_ops,
            min_len,
            offsets,
        })
    }

    /// Number of possible paths.
    pub fn dim(&self) -> usize {
        self.offsets[self.offsets.len() - 1]
    }

    /// Number of ops a path step can carry.
    pub fn num_ops(&self) -> usize {
        self.num_ops
    }

    /// Shortest path length counted.
    pub fn min_len(&self) -> usize {
        self.min_len
    }

    /// Longest path length counted.
    pub fn max_len(&self) -> usize {
        self.min_len + self.offsets.len() - 2
    }

    /// The number of the path `ops` (input side first), or `None` if its length
    /// is out of range or an op is not below `num_ops`.
    pub fn index(&self, ops: &[u8]) -> Option<usize> {
        let slot = ops.len().checked_sub(self.min_len)?;
        let offset = *self.offsets.get(slot)?;
        if slot + 1 >= self.offsets.len() {
            return None;
        }
        let mut index = 0;
        for &op in ops.iter().rev() {
            let op = usize::from(op);
            if op >= self.num_ops {
                return None;
            }
            index = index * self.num_ops + op;
        }
        Some(offset + index)
    }

    /// The ops of path number `index` (input side first), if `index < dim`.
    pub fn path_ops(&self, index: usize) -> Option<Vec<u8>> {
        let slot = self.offsets.windows(2).position(|w| index < w[1])?;
        let len = self.min_len + slot;
        let mut rest = index - self.offsets[slot];
        let mut ops = Vec::with_capacity(len);
        for _ in 0..len {
            // Ops are below num_ops, which is small; u8 is what indices take.
            ops.push((rest % self.num_ops) as u8);
            rest /= self.num_ops;
        }
        Some(ops)
    }
}

/// A space's view of its architectures as sets of input-to-output paths.
pub trait PathSource: Send + Sync {
    /// The architectures.
    type Arch;

    /// Number of possible paths (the numbers `visit` receives are below it);
    /// usually a [`PathIndexer`]'s count, or several such blocks side by side.
    fn num_paths(&self) -> usize;

    /// Calls `visit` with the number of each input-to-output path of `arch`
    /// (a number may repeat when two routes carry the same ops).
    fn for_each_path(&self, arch: &Self::Arch, visit: &mut dyn FnMut(usize));
}

/// The path encoding: entry `i` is 1 when `arch` has path number `i`
/// ([`PathIndexer`]), else 0.
#[derive(Clone, Debug)]
pub struct PathEncoding<S> {
    name: &'static str,
    source: S,
}

impl<S: PathSource> PathEncoding<S> {
    /// The path encoding of `source`, registered under `name`.
    pub fn new(name: &'static str, source: S) -> Self {
        Self { name, source }
    }

    /// The space's path view.
    pub fn source(&self) -> &S {
        &self.source
    }
}

impl<S: PathSource> VectorEncoding<S::Arch> for PathEncoding<S> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn dim(&self) -> usize {
        self.source.num_paths()
    }

    fn write(&self, arch: &S::Arch, out: &mut [f64]) {
        out.fill(0.0);
        self.source
            .for_each_path(arch, &mut |index| out[index] = 1.0);
    }
}

/// How many of `archs` have each path: entry `i` counts the architectures
/// with path number `i` (each counted once however many routes carry it).
///
/// Over all architectures of a space that samples uniformly from its
/// enumeration, `count / total` is the path's probability under uniform
/// sampling, which orders paths for [`TruncatedPathEncoding`].
pub fn path_frequencies<S: PathSource>(
    source: &S,
    archs: impl IntoIterator<Item = S::Arch>,
) -> Vec<u64> {
    let dim = source.num_paths();
    let mut counts = vec![0u64; dim];
    // The last architecture that set each path, so repeats count once.
    let mut last_seen = vec![usize::MAX; dim];
    for (n, arch) in archs.into_iter().enumerate() {
        source.for_each_path(&arch, &mut |index| {
            if last_seen[index] != n {
                last_seen[index] = n;
                counts[index] += 1;
            }
        });
    }
    counts
}

/// Path numbers ordered from most to least frequent, ties by number.
pub fn ranking_by_frequency(counts: &[u64]) -> Vec<usize> {
    let mut ranking: Vec<usize> = (0..counts.len()).collect();
    ranking.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
    ranking
}

/// The path encoding kept to the `k` paths most likely under uniform sampling
/// (BANANAS's truncation): entry `r` is 1 when `arch` has the path ranked `r`.
///
/// Rare paths are almost always 0, so dropping them shrinks the encoding with
/// little loss of information (BANANAS, Sec. 5).
#[derive(Clone, Debug)]
pub struct TruncatedPathEncoding<S> {
    name: &'static str,
    source: S,
    /// The kept path numbers, most likely first.
    kept: Vec<usize>,
    /// For each path number, its entry in the encoding, or `NOT_KEPT`.
    position: Vec<usize>,
}

const NOT_KEPT: usize = usize::MAX;

impl<S: PathSource> TruncatedPathEncoding<S> {
    /// Keeps the first `k` paths of `ranking`, which must order every path
    /// number of `source` exactly once (see [`ranking_by_frequency`]).
    pub fn new(
        name: &'static str,
        source: S,
        ranking: &[usize],
        k: usize,
    ) -> Result<Self, EncodingError> {
        let dim = source.num_paths();
        let setting = |field, message: String| EncodingError::Setting {
            encoding: name,
            field,
            message,
        };
        if ranking.len() != dim {
            return Err(setting(
                "ranking",
                format!(
                    "a ranking of all {dim} paths, found {} entries",
                    ranking.len()
                ),
            ));
        }
        if k == 0 || k > dim {
            return Err(setting(
                "k",
                format!("between 1 and {dim} paths kept, found {k}"),
            ));
        }
        let mut position = vec![NOT_KEPT; dim];
        let mut seen = vec![false; dim];
        for (rank, &path) in ranking.iter().enumerate() {
            if path >= dim || std::mem::replace(&mut seen[path], true) {
                return Err(setting(
                    "ranking",
                    format!("each path number below {dim} once, found {path} at rank {rank}"),
                ));
            }
            if rank < k {
                position[path] = rank;
            }
        }
        Ok(Self {
            name,
            source,
            kept: ranking[..k].to_vec(),
            position,
        })
    }

    /// The kept path numbers, in encoding order.
    pub fn kept_paths(&self) -> &[usize] {
        &self.kept
    }
}

impl<S: PathSource> VectorEncoding<S::Arch> for TruncatedPathEncoding<S> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn dim(&self) -> usize {
        self.kept.len()
    }

    fn write(&self, arch: &S::Arch, out: &mut [f64]) {
        out.fill(0.0);
        self.source.for_each_path(arch, &mut |index| {
            let position = self.position[index];
            if position != NOT_KEPT {
                out[position] = 1.0;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_geometric_sums() {
        assert_eq!(PathIndexer::new(3, 0, 5).unwrap().dim(), 364);
        assert_eq!(PathIndexer::new(5, 1, 3).unwrap().dim(), 155);
        assert_eq!(PathIndexer::new(4, 1, 3).unwrap().dim(), 84);
    }

    #[test]
    fn numbering_follows_length_then_input_side_digit() {
        let paths = PathIndexer::new(5, 1, 3).unwrap();
        assert_eq!(paths.index(&[0]), Some(0));
        assert_eq!(paths.index(&[4]), Some(4));
        assert_eq!(paths.index(&[0, 0]), Some(5));
        assert_eq!(paths.index(&[1, 0]), Some(6));
        assert_eq!(paths.index(&[0, 1]), Some(10));
        assert_eq!(paths.index(&[4, 4]), Some(29));
        assert_eq!(paths.index(&[0, 0, 0]), Some(30));
        assert_eq!(paths.index(&[2, 0, 1]), Some(30 + 2 + 25));
        assert_eq!(paths.index(&[4, 4, 4]), Some(154));
        assert_eq!(paths.index(&[]), None);
        assert_eq!(paths.index(&[0, 0, 0, 0]), None);
        assert_eq!(paths.index(&[5]), None);
        let with_empty = PathIndexer::new(3, 0, 5).unwrap();
        assert_eq!(with_empty.index(&[]), Some(0));
        assert_eq!(with_empty.index(&[2, 2, 2, 2, 2]), Some(363));
    }

    /// BANANAS numbers NB101 paths as `sum_i 3^i * (op_i + 1)` (bijective base 3),
    /// which must be the same numbering as length offsets plus base-3 digits.
    #[test]
    fn nb101_numbering_is_bananas_bijective_base_three() {
        let paths = PathIndexer::new(3, 0, 5).unwrap();
        for index in 0..364 {
            let ops = paths.path_ops(index).unwrap();
            let bananas: usize = ops
                .iter()
                .enumerate()
                .map(|(i, &op)| 3usize.pow(i as u32) * (usize::from(op) + 1))
                .sum();
            assert_eq!(bananas, index, "{ops:?}");
        }
    }

    #[test]
    fn path_ops_inverts_index() {
        for indexer in [
            PathIndexer::new(5, 1, 3).unwrap(),
            PathIndexer::new(3, 0, 5).unwrap(),
        ] {
            for i in 0..indexer.dim() {
                let ops = indexer.path_ops(i).unwrap();
                assert_eq!(indexer.index(&ops), Some(i));
            }
            assert_eq!(indexer.path_ops(indexer.dim()), None);
        }
    }

    #[test]
    fn bad_settings_are_reported() {
        assert!(
            PathIndexer::new(0, 1, 3)
                .unwrap_err()
                .to_string()
                .contains("num_ops")
        );
        assert!(
            PathIndexer::new(3, 4, 2)
                .unwrap_err()
                .to_string()
                .contains("at least min_len = 4")
        );
        assert!(PathIndexer::new(1000, 0, 40).is_err());
    }

    #[test]
    fn ranking_sorts_by_count_then_number() {
        assert_eq!(ranking_by_frequency(&[1, 5, 5, 0, 2]), vec![1, 2, 4, 0, 3]);
    }
}
