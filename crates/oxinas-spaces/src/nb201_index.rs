//! The official NAS-Bench-201 index order.
//!
//! Every NAS-Bench-201 / NATS-Bench topology file lists its 15,625 cells in one
//! fixed order (index 0 is `|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|`).
//! That order is not a formula of the cell, so it is stored here: entry `i` is
//! cell `i` written as a base-5 number of its six op digits (edge order of the
//! arch string), as 15,625 little-endian `u16`.

use std::sync::OnceLock;

use crate::nb201::{NUM_ARCHS, Nb201Arch};

const ORDER: &[u8; 2 * NUM_ARCHS] = include_bytes!("nb201_official_order.bin");

/// The base-5 code of the cell at official `index`.
pub(crate) fn code_at(index: usize) -> u16 {
    u16::from_le_bytes([ORDER[2 * index], ORDER[2 * index + 1]])
}

/// The official index of the cell with base-5 `code`.
pub(crate) fn index_of_code(code: u16) -> usize {
    static INVERSE: OnceLock<Vec<u16>> = OnceLock::new();
    let inverse = INVERSE.get_or_init(|| {
        let mut inverse = vec![0u16; NUM_ARCHS];
        for index in 0..NUM_ARCHS {
            // Indices are below 15,625 and fit in u16.
            inverse[code_at(index) as usize] = index as u16;
        }
        inverse
    });
    inverse[code as usize] as usize
}

/// The cell at official `index`.
pub(crate) fn arch_at(index: usize) -> Nb201Arch {
    Nb201Arch::from_code(code_at(index))
}
