//! The seven candidate operations of a DARTS / NAS-Bench-301 cell edge.

use std::fmt;

/// An operation on a DARTS cell edge, numbered as in NASLib's compact form
/// (the op index of the `(input, op)` pairs in `zc_nasbench301.json`).
///
/// DARTS' eighth candidate, `none`, is not part of the discrete space: every
/// intermediate node keeps exactly two non-zero inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum DartsOp {
    /// 3x3 max pooling.
    MaxPool3x3 = 0,
    /// 3x3 average pooling.
    AvgPool3x3 = 1,
    /// Identity (a factorised reduction on the stride-2 edges of reduction cells).
    SkipConnect = 2,
    /// Two stacked ReLU / depthwise-separable 3x3 convolution / batch-norm blocks.
    SepConv3x3 = 3,
    /// Two stacked ReLU / depthwise-separable 5x5 convolution / batch-norm blocks.
    SepConv5x5 = 4,
    /// ReLU, dilated (rate 2) separable 3x3 convolution, batch norm.
    DilConv3x3 = 5,
    /// ReLU, dilated (rate 2) separable 5x5 convolution, batch norm.
    DilConv5x5 = 6,
}

impl DartsOp {
    /// All ops in NASLib compact-index order.
    pub const ALL: [DartsOp; 7] = [
        DartsOp::MaxPool3x3,
        DartsOp::AvgPool3x3,
        DartsOp::SkipConnect,
        DartsOp::SepConv3x3,
        DartsOp::SepConv5x5,
        DartsOp::DilConv3x3,
        DartsOp::DilConv5x5,
    ];

    /// The op names, in [`DartsOp::ALL`] order, joined for error messages.
    pub(crate) const NAMES_LISTED: &'static str = "max_pool_3x3, avg_pool_3x3, skip_connect, \
         sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5";

    /// The DARTS genotype name, e.g. `sep_conv_3x3`.
    pub fn name(self) -> &'static str {
        match self {
            DartsOp::MaxPool3x3 => "max_pool_3x3",
            DartsOp::AvgPool3x3 => "avg_pool_3x3",
            DartsOp::SkipConnect => "skip_connect",
            DartsOp::SepConv3x3 => "sep_conv_3x3",
            DartsOp::SepConv5x5 => "sep_conv_5x5",
            DartsOp::DilConv3x3 => "dil_conv_3x3",
            DartsOp::DilConv5x5 => "dil_conv_5x5",
        }
    }

    /// The op with genotype name `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The op with NASLib compact index `index` (0..7).
    pub fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }

    /// The NASLib compact index (0..7).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DartsOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_indices_follow_naslib_order() {
        let names: Vec<&str> = DartsOp::ALL.iter().map(|op| op.name()).collect();
        assert_eq!(names.join(", "), DartsOp::NAMES_LISTED);
        for (i, op) in DartsOp::ALL.into_iter().enumerate() {
            assert_eq!(op.index(), i);
            assert_eq!(DartsOp::from_index(i), Some(op));
            assert_eq!(DartsOp::from_name(op.name()), Some(op));
        }
        assert_eq!(DartsOp::from_index(7), None);
        assert_eq!(DartsOp::from_name("none"), None);
        assert_eq!(DartsOp::from_index(3), Some(DartsOp::SepConv3x3));
    }
}
