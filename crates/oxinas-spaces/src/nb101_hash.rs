//! The official NAS-Bench-101 module hash: the key of every cell in the
//! benchmark's files.
//!
//! The hash is a Weisfeiler-Lehman style colour refinement with MD5 as the
//! colouring function, computed on the pruned cell:
//!
//! 1. vertex `v` starts as the hex MD5 of the Python text `(out_degree, in_degree, label)`
//!    (labels: input -1, output -2, conv3x3 0, conv1x1 1, maxpool 2);
//! 2. `n` times (n = number of vertices), every vertex becomes the hex MD5 of
//!    its predecessors' hashes sorted and concatenated, `|`, its successors'
//!    hashes sorted and concatenated, `|`, its own hash;
//! 3. the cell's hash is the MD5 of the Python text of the sorted list of
//!    vertex hashes, `['…', '…']`.
//!
//! Isomorphic cells (the same graph with vertices renumbered) get the same
//! hash, so it serves as the canonical key of [`crate::Nb101Space`].

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use md5::{Digest, Md5};
use oxinas_core::ParseArchError;

use crate::Nb101Arch;
use crate::nb101_arch::NB101_MAX_VERTICES;

/// A hex MD5 digest, as the hash works on hex text throughout.
type Hex = [u8; 32];

/// The official hash of an NB101 cell (16 bytes, shown as 32 hex digits).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nb101Hash([u8; 16]);

impl Nb101Hash {
    /// The hash of `arch` (pruned first, as the benchmark does).
    pub fn of(arch: &Nb101Arch) -> Self {
        hash_pruned(&arch.pruned())
    }

    /// The hash from its 16 bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The 16 bytes of the digest.
    pub fn bytes(&self) -> [u8; 16] {
        self.0
    }

    /// The hash read from 32 hex digits, e.g. `00005c142e6f48ac74fdcf73e3439874`.
    pub fn from_hex(text: &str) -> Result<Self, ParseArchError> {
        let err = |expected: String| ParseArchError::new("nb101 hash", text, expected);
        if text.len() != 32 {
            return Err(err(format!(
                "32 hex digits, found {} characters",
                text.len()
            )));
        }
        let mut bytes = [0u8; 16];
        for (i, pair) in text.as_bytes().chunks(2).enumerate() {
            let digit = |position: usize| {
                (pair[position] as char)
                    .to_digit(16)
                    .ok_or_else(|| err(format!("a hex digit at position {}", 2 * i + position)))
            };
            bytes[i] = (digit(0)? * 16 + digit(1)?) as u8;
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for Nb101Hash {
    /// 32 lower-case hex digits, as in the benchmark files.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&to_hex(self.0)).unwrap_or_default())
    }
}

impl fmt::Debug for Nb101Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nb101Hash({self})")
    }
}

impl FromStr for Nb101Hash {
    type Err = ParseArchError;

    fn from_str(text: &str) -> Result<Self, ParseArchError> {
        Self::from_hex(text)
    }
}

fn to_hex(digest: [u8; 16]) -> Hex {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = [0u8; 32];
    for (i, byte) in digest.iter().enumerate() {
        hex[2 * i] = DIGITS[(byte >> 4) as usize];
        hex[2 * i + 1] = DIGITS[(byte & 15) as usize];
    }
    hex
}

fn md5_hex(data: &[u8]) -> Hex {
    to_hex(Md5::digest(data).into())
}

/// Step 1's hashes for every (out degree, in degree, label); they recur in
/// every cell, so they are computed once.
fn initial_hash(out_degree: usize, in_degree: usize, label: i8) -> Hex {
    static TABLE: OnceLock<Vec<Hex>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = Vec::with_capacity(NB101_MAX_VERTICES * NB101_MAX_VERTICES * 5);
        for out_degree in 0..NB101_MAX_VERTICES {
            for in_degree in 0..NB101_MAX_VERTICES {
                for label in -2i8..=2 {
                    let text = format!("({out_degree}, {in_degree}, {label})");
                    table.push(md5_hex(text.as_bytes()));
                }
            }
        }
        table
    });
    table[(out_degree * NB101_MAX_VERTICES + in_degree) * 5 + (label + 2) as usize]
}

/// Appends the hashes of the vertices in `set` to `buffer`, sorted.
fn push_sorted(buffer: &mut Vec<u8>, hashes: &[Hex], set: u8) {
    let mut members: [&Hex; NB101_MAX_VERTICES] = [&hashes[0]; NB101_MAX_VERTICES];
    let mut count = 0;
    for (w, hash) in hashes.iter().enumerate() {
        if set >> w & 1 == 1 {
            members[count] = hash;
            count += 1;
        }
    }
    let members = &mut members[..count];
    members.sort_unstable();
    for hash in members.iter() {
        buffer.extend_from_slice(&hash[..]);
    }
}

/// The hash of a cell that is already pruned.
pub(crate) fn hash_pruned(arch: &Nb101Arch) -> Nb101Hash {
    let n = arch.num_vertices();
    let rows = arch.rows();
    let mut predecessors = [0u8; NB101_MAX_VERTICES];
    for (v, row) in rows.iter().enumerate().take(n) {
        for (w, preds) in predecessors.iter_mut().enumerate().take(n) {
            if row >> w & 1 == 1 {
                *preds |= 1 << v;
            }
        }
    }
    let mut hashes: Vec<Hex> = (0..n)
        .map(|v| {
            initial_hash(
                rows[v].count_ones() as usize,
                predecessors[v].count_ones() as usize,
                arch.label(v),
            )
        })
        .collect();
    let mut next = hashes.clone();
    let mut buffer = Vec::with_capacity(2 * NB101_MAX_VERTICES * 32 + 34);
    for _ in 0..n {
        for v in 0..n {
            buffer.clear();
            push_sorted(&mut buffer, &hashes, predecessors[v]);
            buffer.push(b'|');
            push_sorted(&mut buffer, &hashes, rows[v]);
            buffer.push(b'|');
            buffer.extend_from_slice(&hashes[v]);
            next[v] = md5_hex(&buffer);
        }
        std::mem::swap(&mut hashes, &mut next);
    }
    hashes.sort_unstable();
    // Python's str() of a list of str: ['a', 'b'].
    buffer.clear();
    buffer.push(b'[');
    for (i, hash) in hashes.iter().enumerate() {
        if i > 0 {
            buffer.extend_from_slice(b", ");
        }
        buffer.push(b'\'');
        buffer.extend_from_slice(hash);
        buffer.push(b'\'');
    }
    buffer.push(b']');
    Nb101Hash(Md5::digest(&buffer).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let text = "00005c142e6f48ac74fdcf73e3439874";
        let hash: Nb101Hash = text.parse().unwrap();
        assert_eq!(hash.to_string(), text);
        assert_eq!(Nb101Hash::from_bytes(hash.bytes()), hash);
        assert!(
            Nb101Hash::from_hex("00")
                .unwrap_err()
                .to_string()
                .contains("32 hex digits")
        );
        let bad = "00005c142e6f48ac74fdcf73e343987g";
        assert!(
            Nb101Hash::from_hex(bad)
                .unwrap_err()
                .to_string()
                .contains("position 31")
        );
    }

    #[test]
    fn the_first_subset_row_hashes_to_its_official_key() {
        // Row 1 of the NB101 subset file (the hash was computed by the
        // benchmark's authors, not by this code).
        let arch = Nb101Arch::from_csv_fields(
            "input conv3x3-bn-relu maxpool3x3 conv3x3-bn-relu conv3x3-bn-relu conv1x1-bn-relu output",
            "0100110;0010000;0001001;0000010;0000010;0000001;0000000",
        )
        .unwrap();
        assert_eq!(
            Nb101Hash::of(&arch).to_string(),
            "00005c142e6f48ac74fdcf73e3439874"
        );
    }

    #[test]
    fn dangling_vertices_do_not_change_the_hash() {
        let arch = Nb101Arch::from_csv_fields("input maxpool3x3 output", "011;001;000").unwrap();
        assert_eq!(Nb101Hash::of(&arch.padded()), Nb101Hash::of(&arch));
    }
}
