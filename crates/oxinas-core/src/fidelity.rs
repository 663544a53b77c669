use std::fmt;

use serde::{Deserialize, Serialize};

/// How thoroughly an architecture is evaluated: the number of training epochs.
///
/// Tabular benchmarks offer a few fixed fidelities (NAS-Bench-201: 12 and 200
/// epochs); trainers and surrogates accept any epoch count they support.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fidelity {
    epochs: u32,
}

impl Fidelity {
    /// A fidelity of `epochs` training epochs.
    pub const fn epochs(epochs: u32) -> Self {
        Self { epochs }
    }

    /// The number of training epochs.
    pub const fn get_epochs(self) -> u32 {
        self.epochs
    }
}

impl fmt::Display for Fidelity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} epochs", self.epochs)
    }
}
