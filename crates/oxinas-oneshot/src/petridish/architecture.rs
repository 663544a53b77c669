//! A grown macro network as data: a stem, then layers that each merge
//! operations on earlier feature maps (concatenated and projected by a 1x1
//! convolution), all summed (with a learnable scale each) into the
//! classifier's input.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::operation::LayerOp;

/// One input of a grown layer: an earlier feature map and the operation on it.
/// Feature map 0 is the stem's output; map `i + 1` is layer `i`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LayerInput {
    /// Index of the feature map read.
    pub source: usize,
    /// The operation applied to it.
    pub op: LayerOp,
}

/// The fixed frame every model of a search shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkFrame {
    /// Image channels.
    pub image_channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Output classes.
    pub classes: usize,
    /// Channels of every feature map (the stem's output and each layer's).
    pub channels: usize,
}

/// What a model costs, the quantity the hull trades error against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostMeasure {
    /// Trainable parameters.
    Params,
    /// Multiply-accumulates of one image's forward pass (analytic FLOPs / 2).
    Macs,
}

/// A macro architecture: the stem, then grown layers in order. Layer `i`
/// reads feature maps `< i + 1` and its output, times its scale, joins the
/// sum that feeds global pooling and the linear classifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MacroArchitecture {
    /// The grown layers, each a non-empty list of inputs.
    pub layers: Vec<Vec<LayerInput>>,
}

impl MacroArchitecture {
    /// The seed model: one 3x3 convolution layer on the stem.
    pub fn seed() -> Self {
        Self {
            layers: vec![vec![LayerInput {
                source: 0,
                op: LayerOp::Conv3x3,
            }]],
        }
    }

    /// Feature maps: the stem's and one per layer.
    pub fn feature_maps(&self) -> usize {
        self.layers.len() + 1
    }

    /// This architecture with one more layer of `inputs`.
    pub fn grown(&self, inputs: Vec<LayerInput>) -> Self {
        let mut layers = self.layers.clone();
        layers.push(inputs);
        Self { layers }
    }

    /// Whether every layer has inputs and reads only earlier feature maps.
    pub fn is_valid(&self) -> bool {
        self.layers
            .iter()
            .enumerate()
            .all(|(i, inputs)| !inputs.is_empty() && inputs.iter().all(|x| x.source <= i))
    }

    /// Trainable parameters in `frame`: stem convolution and batch norm,
    /// each layer's operations, projection (two or more inputs) and scale,
    /// the linear classifier with bias.
    pub fn params(&self, frame: &NetworkFrame) -> usize {
        let c = frame.channels;
        let stem = frame.image_channels * c * 9 + 2 * c;
        let layers: usize = self
            .layers
            .iter()
            .map(|inputs| {
                1 + projection_weights(inputs.len(), c)
                    + inputs.iter().map(|x| x.op.params(c)).sum::<usize>()
            })
            .sum();
        stem + layers + c * frame.classes + frame.classes
    }

    /// Multiply-accumulates of one image's forward pass in `frame`: the
    /// convolutions (stride 1, same padding) and the classifier; batch norm,
    /// pooling, scales and sums are not counted.
    pub fn macs(&self, frame: &NetworkFrame) -> usize {
        let (c, h, w) = (frame.channels, frame.height, frame.width);
        let stem = frame.image_channels * c * 9 * h * w;
        let layers: usize = self
            .layers
            .iter()
            .map(|inputs| {
                projection_weights(inputs.len(), c) * h * w
                    + inputs.iter().map(|x| x.op.macs(c, h, w)).sum::<usize>()
            })
            .sum();
        stem + layers + c * frame.classes
    }

    /// The cost under `measure`.
    pub fn cost(&self, measure: CostMeasure, frame: &NetworkFrame) -> usize {
        match measure {
            CostMeasure::Params => self.params(frame),
            CostMeasure::Macs => self.macs(frame),
        }
    }

    /// A one-line description: layers separated by ` | `, each a `+`-joined
    /// list of `op(source)`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (i, inputs) in self.layers.iter().enumerate() {
            if i > 0 {
                out.push_str(" | ");
            }
            for (k, x) in inputs.iter().enumerate() {
                if k > 0 {
                    out.push('+');
                }
                let name = serde_json::to_value(x.op)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let _ = write!(out, "{name}({})", x.source);
            }
        }
        out
    }
}

/// Weights of a layer's 1x1 projection of `inputs` concatenated
/// `channels`-channel outputs back to `channels` (none for one input).
fn projection_weights(inputs: usize, channels: usize) -> usize {
    if inputs > 1 {
        inputs * channels * channels
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> NetworkFrame {
        NetworkFrame {
            image_channels: 1,
            height: 8,
            width: 8,
            classes: 10,
            channels: 4,
        }
    }

    /// Seed plus a layer of max pool on the stem and a 5x5 conv on layer 0.
    fn grown() -> MacroArchitecture {
        MacroArchitecture::seed().grown(vec![
            LayerInput {
                source: 0,
                op: LayerOp::MaxPool3x3,
            },
            LayerInput {
                source: 1,
                op: LayerOp::Conv5x5,
            },
        ])
    }

    #[test]
    fn params_counted_by_hand() {
        // Stem 1*4*9 + 8 = 44; seed layer 4*4*9 + 8 + 1 = 153;
        // grown layer 0 (pool) + 4*4*25 + 8 + 1 = 409 plus its projection of
        // the two concatenated outputs, 8 -> 4 channels: 32; head 40 + 10 = 50.
        assert_eq!(MacroArchitecture::seed().params(&frame()), 44 + 153 + 50);
        assert_eq!(grown().params(&frame()), 44 + 153 + 409 + 32 + 50);
    }

    #[test]
    fn macs_counted_by_hand() {
        // Stem 1*4*9*64 = 2304; 3x3 layer 4*4*9*64 = 9216; 5x5 conv 4*4*25*64 = 25600;
        // the grown layer's projection 8*4*64 = 2048; head 40.
        assert_eq!(MacroArchitecture::seed().macs(&frame()), 2304 + 9216 + 40);
        assert_eq!(grown().macs(&frame()), 2304 + 9216 + 25600 + 2048 + 40);
        assert_eq!(
            grown().cost(CostMeasure::Macs, &frame()),
            grown().macs(&frame())
        );
    }

    #[test]
    fn validity_and_description() {
        assert!(grown().is_valid());
        let forward_reference = MacroArchitecture::seed().grown(vec![LayerInput {
            source: 2,
            op: LayerOp::Conv3x3,
        }]);
        assert!(!forward_reference.is_valid());
        assert!(!MacroArchitecture::seed().grown(Vec::new()).is_valid());
        assert_eq!(grown().describe(), "conv3x3(0) | max_pool3x3(0)+conv5x5(1)");
    }
}
