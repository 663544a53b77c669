//! The operations a grown layer applies to one of its inputs.

use serde::{Deserialize, Serialize};

use oxinas_train::ConvShape;

/// An operation on a feature map of `channels` channels that keeps its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerOp {
    /// ReLU, 3x3 convolution, batch norm.
    Conv3x3,
    /// ReLU, 5x5 convolution, batch norm.
    Conv5x5,
    /// 3x3 max pooling, stride 1.
    MaxPool3x3,
    /// 3x3 average pooling, stride 1, padding excluded from the mean.
    AvgPool3x3,
}

impl LayerOp {
    /// Every operation, in a fixed order.
    pub const ALL: [LayerOp; 4] = [
        LayerOp::Conv3x3,
        LayerOp::Conv5x5,
        LayerOp::MaxPool3x3,
        LayerOp::AvgPool3x3,
    ];

    /// The convolution's shape for `channels` channels, if the op has one.
    pub fn conv_shape(self, channels: usize) -> Option<ConvShape> {
        let kernel = match self {
            LayerOp::Conv3x3 => 3,
            LayerOp::Conv5x5 => 5,
            LayerOp::MaxPool3x3 | LayerOp::AvgPool3x3 => return None,
        };
        Some(ConvShape {
            channels_in: channels,
            channels_out: channels,
            kernel,
            stride: 1,
            padding: kernel / 2,
        })
    }

    /// Trainable parameters: convolution weights plus batch norm's scale and shift.
    pub fn params(self, channels: usize) -> usize {
        self.conv_shape(channels)
            .map_or(0, |shape| shape.weights() + 2 * channels)
    }

    /// Multiply-accumulates on a `height` x `width` map (pooling counts none).
    pub fn macs(self, channels: usize, height: usize, width: usize) -> usize {
        self.conv_shape(channels)
            .map_or(0, |shape| shape.macs(height, width).0)
    }
}
