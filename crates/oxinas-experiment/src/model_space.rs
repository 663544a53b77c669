//! What the runner needs from a space beyond [`SearchSpace`]: its named
//! vector encodings, for the model-based optimizers.

use oxinas_benchmarks::Nb101Subset;
use oxinas_core::{ConfigError, SearchSpace};
use oxinas_encodings::{EncodableSpace, VectorEncoding};
use oxinas_spaces::{
    Nb101Space, Nb201Space, NbMacroSpace, NlpSpace, SubsetSpace, TransNasMacroSpace,
    TransNasMicroSpace,
};

/// A space the experiment runner can search, with the vector encodings that
/// model-based optimizers (BANANAS, NPENAS, BONAS) fit their predictors on.
///
/// A separate trait rather than a bound on [`EncodableSpace`] keeps
/// [`crate::OptimizerConfig::build`] usable on every space: spaces without
/// encodings keep the default, and only a model-based optimizer configured on
/// them fails, with an error that names the space.
pub trait ModelSpace: SearchSpace {
    /// The vector encoding `name` of this space.
    fn vector_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn VectorEncoding<Self::Arch>>, ConfigError> {
        Err(ConfigError::new(
            "encoding",
            format!(
                "space {} has no vector encodings yet (needed for `{name}`); model-based optimizers run on nb201",
                self.name()
            ),
        ))
    }
}

impl ModelSpace for Nb201Space {
    fn vector_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn VectorEncoding<Self::Arch>>, ConfigError> {
        EncodableSpace::vector_encoding(self, name)
            .map_err(|e| ConfigError::new("encoding", e.to_string()))
    }
}

impl ModelSpace for Nb101Space {}
impl ModelSpace for Nb101Subset {}
impl ModelSpace for NbMacroSpace {}
impl ModelSpace for NlpSpace {}
impl ModelSpace for TransNasMicroSpace {}
impl ModelSpace for TransNasMacroSpace {}
impl<S: SearchSpace> ModelSpace for SubsetSpace<S> {}
