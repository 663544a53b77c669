//! A DARTS architecture: one normal and one reduction cell.

use std::fmt;

use crate::DartsCell;

/// A DARTS / NAS-Bench-301 architecture: the normal cell repeated through
/// the network and the reduction cell used where resolution halves.
///
/// `Display` writes the DARTS genotype string (see [`DartsArch::to_genotype`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DartsArch {
    /// The normal (stride-1) cell.
    pub normal: DartsCell,
    /// The reduction (stride-2) cell.
    pub reduce: DartsCell,
}

impl DartsArch {
    /// The architecture made of these two cells.
    pub const fn new(normal: DartsCell, reduce: DartsCell) -> Self {
        Self { normal, reduce }
    }

    /// The cell of `kind`.
    pub fn cell(&self, kind: DartsCellKind) -> &DartsCell {
        match kind {
            DartsCellKind::Normal => &self.normal,
            DartsCellKind::Reduce => &self.reduce,
        }
    }

    /// The same architecture with the cell of `kind` replaced.
    pub(crate) fn with_cell(mut self, kind: DartsCellKind, cell: DartsCell) -> Self {
        match kind {
            DartsCellKind::Normal => self.normal = cell,
            DartsCellKind::Reduce => self.reduce = cell,
        }
        self
    }

    /// Both cells with each node's edges in ascending (input, op) order: equal
    /// for architectures that differ only in the order of a node's inputs.
    pub fn canonical(&self) -> Self {
        Self::new(self.normal.canonical(), self.reduce.canonical())
    }
}

impl fmt::Display for DartsArch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_genotype())
    }
}

/// Which of the two cells of a [`DartsArch`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DartsCellKind {
    /// The normal cell.
    Normal,
    /// The reduction cell.
    Reduce,
}

impl DartsCellKind {
    /// Both kinds, normal first (the order of genotypes and compact keys).
    pub const BOTH: [DartsCellKind; 2] = [DartsCellKind::Normal, DartsCellKind::Reduce];

    /// The genotype field name: `normal` or `reduce`.
    pub fn name(self) -> &'static str {
        match self {
            DartsCellKind::Normal => "normal",
            DartsCellKind::Reduce => "reduce",
        }
    }
}
