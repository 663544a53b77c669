//! What the training loop needs from a network.

use burn::module::Module;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

use crate::forward_context::ForwardContext;
use crate::layerwise_network::LayerwiseNetwork;
use crate::nb201_network::Nb201Network;

/// An image classifier: a module mapping images `[batch, C, H, W]` to logits.
pub trait ImageClassifier<B: Backend>: Module<B> {
    /// Class logits `[batch, classes]` under the settings of `ctx`.
    fn logits(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2>;
}

impl<B: Backend> ImageClassifier<B> for Nb201Network<B> {
    fn logits(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        self.forward_with(images, ctx)
    }
}

impl<B: Backend> ImageClassifier<B> for LayerwiseNetwork<B> {
    fn logits(&self, images: Tensor<B, 4>, ctx: &ForwardContext<B>) -> Tensor<B, 2> {
        self.forward_with(images, ctx)
    }
}
