//! Layer-wise networks declared with a space: which choice gives each
//! layer's operation, width and stride, and the operation vocabulary a
//! trainer builds (`oxinas-train`'s layer-wise network).
//!
//! ```toml
//! [network]
//! layers = 4        # layer i reads op_i (or op), width_i (or width), stride_i (or stride)
//! op = "op"
//! width = "width"   # optional: every layer keeps the stem's width
//! stride = "stride" # optional: stride 1
//! stem = 16         # channels of the stem convolution
//! ```
//!
//! A layer whose op choice is inactive (its condition does not hold) is left
//! out, which declares depth choices.

use std::fmt;

use serde::Deserialize;

/// One operation of a layer-wise network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayerOp {
    /// `convKxK`: a K x K convolution, batch norm, ReLU.
    Conv {
        /// Kernel side.
        kernel: usize,
    },
    /// `sep_convKxK`: a depthwise K x K convolution, a pointwise one, batch norm, ReLU.
    SepConv {
        /// Kernel side.
        kernel: usize,
    },
    /// `mbconvKxK_eE`: MobileNetV2's inverted residual: a pointwise expansion by
    /// `E`, a depthwise K x K convolution, a pointwise projection; a residual
    /// when shape allows.
    MbConv {
        /// Kernel side.
        kernel: usize,
        /// Expansion ratio.
        expansion: usize,
    },
    /// `max_poolKxK`: K x K max pooling (a 1 x 1 convolution adapts the width).
    MaxPool {
        /// Window side.
        kernel: usize,
    },
    /// `avg_poolKxK`: K x K average pooling (a 1 x 1 convolution adapts the width).
    AvgPool {
        /// Window side.
        kernel: usize,
    },
    /// `skip`: the identity (a strided 1 x 1 convolution when shape changes).
    Skip,
}

impl LayerOp {
    /// Reads an op name: `conv3x3`, `sep_conv5x5`, `mbconv3x3_e6`, `max_pool3x3`,
    /// `avg_pool3x3`, `skip`; kernels are odd, from 1 to 11; expansions 1 to 8.
    pub fn parse(name: &str) -> Option<Self> {
        let square = |text: &str| -> Option<usize> {
            let (a, b) = text.split_once('x')?;
            let k: usize = a.parse().ok()?;
            (a == b && k % 2 == 1 && k <= 11).then_some(k)
        };
        if name == "skip" {
            return Some(LayerOp::Skip);
        }
        if let Some(rest) = name.strip_prefix("sep_conv") {
            return square(rest).map(|kernel| LayerOp::SepConv { kernel });
        }
        if let Some(rest) = name.strip_prefix("mbconv") {
            let (k, e) = rest.split_once("_e")?;
            let expansion: usize = e.parse().ok().filter(|e| (1..=8).contains(e))?;
            return square(k).map(|kernel| LayerOp::MbConv { kernel, expansion });
        }
        if let Some(rest) = name.strip_prefix("conv") {
            return square(rest).map(|kernel| LayerOp::Conv { kernel });
        }
        if let Some(rest) = name.strip_prefix("max_pool") {
            return square(rest).map(|kernel| LayerOp::MaxPool { kernel });
        }
        if let Some(rest) = name.strip_prefix("avg_pool") {
            return square(rest).map(|kernel| LayerOp::AvgPool { kernel });
        }
        None
    }
}

impl fmt::Display for LayerOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LayerOp::Conv { kernel: k } => write!(f, "conv{k}x{k}"),
            LayerOp::SepConv { kernel: k } => write!(f, "sep_conv{k}x{k}"),
            LayerOp::MbConv {
                kernel: k,
                expansion: e,
            } => write!(f, "mbconv{k}x{k}_e{e}"),
            LayerOp::MaxPool { kernel: k } => write!(f, "max_pool{k}x{k}"),
            LayerOp::AvgPool { kernel: k } => write!(f, "avg_pool{k}x{k}"),
            LayerOp::Skip => f.write_str("skip"),
        }
    }
}

/// The names [`LayerOp::parse`] accepts, for error messages.
pub(crate) const LAYER_OP_FORMS: &str = "convKxK, sep_convKxK, mbconvKxK_eE, max_poolKxK, avg_poolKxK or skip (K odd, 1 to 11; E 1 to 8)";

/// One layer of a declared network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LayerSpec {
    /// The operation.
    pub op: LayerOp,
    /// Output channels.
    pub width: usize,
    /// Stride (1 or 2).
    pub stride: usize,
}

/// The `[network]` table of a space file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NetworkEntry {
    pub layers: usize,
    pub op: String,
    #[serde(default)]
    pub width: Option<String>,
    #[serde(default)]
    pub stride: Option<String>,
    pub stem: usize,
}

/// A checked `[network]`: for each layer, the positions of its choices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredNetwork {
    pub(crate) stem: usize,
    /// Per layer: op choice, width choice (if any), stride choice (if any).
    pub(crate) layers: Vec<(usize, Option<usize>, Option<usize>)>,
    /// The parsed op of each value of each op choice, by choice position.
    pub(crate) ops: Vec<Option<Vec<LayerOp>>>,
    /// The parsed numbers of each value of width and stride choices.
    pub(crate) numbers: Vec<Option<Vec<usize>>>,
}

impl DeclaredNetwork {
    /// Channels of the stem convolution.
    pub fn stem(&self) -> usize {
        self.stem
    }

    /// Number of declared layers (inactive ones included).
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }
}
