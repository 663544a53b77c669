//! Predictors over architectures through a named graph encoding: the GCN
//! predictors (NPENAS, BONAS) behind the same `Predictor<A>` face as the
//! vector ones, so a search can take either from configuration.

use std::marker::PhantomData;

use oxinas_encodings::{GraphEncoding, GraphTensors};

use crate::{Prediction, Predictor, PredictorError};

/// A predictor on architectures `A` that encodes them with a graph
/// `encoding` and hands the graph tensors to `model`.
pub struct GraphEncodedPredictor<A, P> {
    encoding: Box<dyn GraphEncoding<A>>,
    model: P,
    _arch: PhantomData<fn(&A)>,
}

impl<A, P: Predictor<GraphTensors>> GraphEncodedPredictor<A, P> {
    /// `model` on `encoding`.
    pub fn new(encoding: Box<dyn GraphEncoding<A>>, model: P) -> Self {
        Self {
            encoding,
            model,
            _arch: PhantomData,
        }
    }

    /// The encoding's name.
    pub fn encoding_name(&self) -> &'static str {
        self.encoding.name()
    }

    fn encode(&self, archs: &[A]) -> Result<Vec<GraphTensors>, PredictorError> {
        archs
            .iter()
            .map(|a| self.encoding.encode(a).map_err(PredictorError::from))
            .collect()
    }
}

impl<A, P: Predictor<GraphTensors>> Predictor<A> for GraphEncodedPredictor<A, P> {
    fn name(&self) -> &'static str {
        self.model.name()
    }

    fn fit(&mut self, inputs: &[A], targets: &[f64]) -> Result<(), PredictorError> {
        let graphs = self.encode(inputs)?;
        self.model.fit(&graphs, targets)
    }

    fn predict(&self, inputs: &[A]) -> Result<Vec<Prediction>, PredictorError> {
        self.model.predict(&self.encode(inputs)?)
    }

    fn has_uncertainty(&self) -> bool {
        self.model.has_uncertainty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank_correlation::kendall_tau;
    use crate::{Gcn, GcnConfig};
    use oxinas_core::SearchSpace;
    use oxinas_core::seed::rng_from_seed;
    use oxinas_encodings::EncodableSpace;
    use oxinas_spaces::{Nb201Arch, Nb201Op, Nb201Space};

    /// Cells scored by how many of their edges are 3x3 convolutions: a
    /// target the op-on-node graph carries and a working GCN must rank.
    fn conv_count(arch: &Nb201Arch) -> f64 {
        arch.ops
            .iter()
            .filter(|&&op| op == Nb201Op::NorConv3x3)
            .count() as f64
    }

    #[test]
    fn a_gcn_through_the_graph_encoding_learns_a_cell_property() {
        let space = Nb201Space::new();
        let mut rng = rng_from_seed(3);
        let train: Vec<Nb201Arch> = (0..60).map(|_| space.sample(&mut rng)).collect();
        let test: Vec<Nb201Arch> = (0..60).map(|_| space.sample(&mut rng)).collect();
        let y: Vec<f64> = train.iter().map(conv_count).collect();
        let config = GcnConfig {
            epochs: 60,
            blr_head: true,
            ..GcnConfig::default()
        };
        let mut predictor = GraphEncodedPredictor::new(
            space.graph_encoding("gcn").unwrap(),
            Gcn::new(config, 1).unwrap(),
        );
        assert_eq!(predictor.encoding_name(), "gcn");
        assert!(predictor.has_uncertainty());
        predictor.fit(&train, &y).unwrap();
        let predicted: Vec<f64> = predictor
            .predict(&test)
            .unwrap()
            .iter()
            .map(|p| p.mean)
            .collect();
        let truth: Vec<f64> = test.iter().map(conv_count).collect();
        let tau = kendall_tau(&predicted, &truth).unwrap();
        assert!(tau > 0.6, "tau {tau}");
    }
}
