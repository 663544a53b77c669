//! The operations of a NAS-Bench-101 cell's interior vertices.

/// An operation on an interior vertex of an NB101 cell.
///
/// The discriminant is the label the official module hash gives the op
/// (the input is labelled -1 and the output -2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Nb101Op {
    /// 3x3 convolution, batch norm, ReLU (`conv3x3-bn-relu`).
    Conv3x3BnRelu = 0,
    /// 1x1 convolution, batch norm, ReLU (`conv1x1-bn-relu`).
    Conv1x1BnRelu = 1,
    /// 3x3 max pooling (`maxpool3x3`).
    MaxPool3x3 = 2,
}

impl Nb101Op {
    /// All ops in the official order (the order of their hash labels).
    pub const ALL: [Nb101Op; 3] = [
        Nb101Op::Conv3x3BnRelu,
        Nb101Op::Conv1x1BnRelu,
        Nb101Op::MaxPool3x3,
    ];

    /// The official name, e.g. `conv3x3-bn-relu`.
    pub fn name(self) -> &'static str {
        match self {
            Nb101Op::Conv3x3BnRelu => "conv3x3-bn-relu",
            Nb101Op::Conv1x1BnRelu => "conv1x1-bn-relu",
            Nb101Op::MaxPool3x3 => "maxpool3x3",
        }
    }

    /// The op with official `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The op's label in the official module hash (0, 1 or 2).
    pub fn label(self) -> i8 {
        self as i8
    }

    /// The op with hash label `label` (0..3).
    pub fn from_label(label: u8) -> Option<Self> {
        Self::ALL.get(label as usize).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels_follow_the_official_lists() {
        assert_eq!(Nb101Op::from_name("maxpool3x3"), Some(Nb101Op::MaxPool3x3));
        assert_eq!(Nb101Op::from_name("conv3x3"), None);
        let labels: Vec<i8> = Nb101Op::ALL.iter().map(|op| op.label()).collect();
        assert_eq!(labels, [0, 1, 2]);
        assert_eq!(Nb101Op::from_label(1), Some(Nb101Op::Conv1x1BnRelu));
        assert_eq!(Nb101Op::from_label(3), None);
    }
}
