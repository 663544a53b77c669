//! Predictors over architectures: a feature-vector predictor behind a named
//! vector encoding, so the encoding is configuration, not code.

use std::marker::PhantomData;

use oxinas_encodings::VectorEncoding;

use crate::{Prediction, Predictor, PredictorError};

/// A predictor on architectures `A` that encodes them with `encoding` and
/// hands the vectors to `model`.
pub struct EncodedPredictor<A, P> {
    encoding: Box<dyn VectorEncoding<A>>,
    model: P,
    _arch: PhantomData<fn(&A)>,
}

impl<A, P: Predictor<Vec<f64>>> EncodedPredictor<A, P> {
    /// `model` on `encoding`.
    pub fn new(encoding: Box<dyn VectorEncoding<A>>, model: P) -> Self {
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

    fn encode(&self, archs: &[A]) -> Vec<Vec<f64>> {
        archs.iter().map(|a| self.encoding.encode(a)).collect()
    }
}

impl<A, P: Predictor<Vec<f64>>> Predictor<A> for EncodedPredictor<A, P> {
    fn name(&self) -> &'static str {
        self.model.name()
    }

    fn fit(&mut self, inputs: &[A], targets: &[f64]) -> Result<(), PredictorError> {
        let x = self.encode(inputs);
        self.model.fit(&x, targets)
    }

    fn predict(&self, inputs: &[A]) -> Result<Vec<Prediction>, PredictorError> {
        self.model.predict(&self.encode(inputs))
    }

    fn has_uncertainty(&self) -> bool {
        self.model.has_uncertainty()
    }
}
