//! Weight-sharing neural architecture search on Burn.
//!
//! One network's weights stand in for many architectures: a supernet holds
//! every candidate operation, and DARTS, ENAS and Once-for-All differ in how
//! they train those shared weights and how they pick an architecture from them.
//! Petridish grows networks forward instead, warm-starting each child from its
//! parent's weights.
//!
//! Everything is generic over a Burn backend and seeded: the same seed gives
//! the same search whatever the thread count. The library never prints; long
//! work reports progress through callbacks.

mod batch_standardize;
mod nb201_supernet;

pub use batch_standardize::standardize_batch;
pub use nb201_supernet::{NB201_OPS, Nb201Supernet};
