//! What the runner needs from a space beyond [`SearchSpace`]: its named
//! vector encodings, for the model-based optimizers, and every architecture,
//! for regret.

use oxinas_benchmarks::Nb101Subset;
use oxinas_core::{ConfigError, Enumerable, SearchSpace};
use oxinas_encodings::{EncodableSpace, GraphEncoding, VectorEncoding};
use oxinas_spaces::{
    DartsSpace, DeclaredSpace, Nb101Space, Nb201Space, NbMacroSpace, NlpSpace, SubsetSpace,
    TransNasMacroSpace, TransNasMicroSpace,
};

/// A space the experiment runner can search, with the vector encodings that
/// model-based optimizers (BANANAS, NPENAS, BONAS) fit their predictors on.
///
/// A separate trait rather than a bound on [`EncodableSpace`] and
/// [`Enumerable`] keeps [`crate::OptimizerConfig::build`] usable on every
/// space: a space without encodings or without enumeration keeps the
/// defaults, and only what needs them fails, with an error that names the
/// space.
pub trait ModelSpace: SearchSpace {
    /// The vector encoding `name` of this space.
    fn vector_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn VectorEncoding<Self::Arch>>, ConfigError> {
        Err(ConfigError::new(
            "encoding",
            format!(
                "space {} has no vector encodings (needed for `{name}`)",
                self.name()
            ),
        ))
    }

    /// The graph encoding `name` of this space (for the GCN predictors).
    fn graph_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn GraphEncoding<Self::Arch>>, ConfigError> {
        Err(ConfigError::new(
            "graph_encoding",
            format!(
                "space {} has no graph encodings (needed for `{name}`)",
                self.name()
            ),
        ))
    }

    /// Every architecture of the space, where it can be enumerated (regret
    /// is measured against the best of them).
    fn every_arch(&self) -> Option<Box<dyn Iterator<Item = Self::Arch> + '_>> {
        None
    }
}

fn encoding_of<S: EncodableSpace>(
    space: &S,
    name: &str,
) -> Result<Box<dyn VectorEncoding<S::Arch>>, ConfigError> {
    EncodableSpace::vector_encoding(space, name)
        .map_err(|e| ConfigError::new("encoding", e.to_string()))
}

fn graph_encoding_of<S: EncodableSpace>(
    space: &S,
    name: &str,
) -> Result<Box<dyn GraphEncoding<S::Arch>>, ConfigError> {
    EncodableSpace::graph_encoding(space, name)
        .map_err(|e| ConfigError::new("graph_encoding", e.to_string()))
}

/// `ModelSpace` for spaces with encodings of their own; `enumerable` ones
/// also hand out every architecture, for regret.
macro_rules! model_space {
    (@every enumerable) => {
        fn every_arch(&self) -> Option<Box<dyn Iterator<Item = Self::Arch> + '_>> {
            Some(self.enumerate())
        }
    };
    // The DARTS space (10^18 cells) and the NLP space cannot be enumerated.
    (@every not_enumerable) => {};
    ($($space:ty: $every:ident),* $(,)?) => {$(
        impl ModelSpace for $space {
            fn vector_encoding(
                &self,
                name: &str,
            ) -> Result<Box<dyn VectorEncoding<Self::Arch>>, ConfigError> {
                encoding_of(self, name)
            }

            fn graph_encoding(
                &self,
                name: &str,
            ) -> Result<Box<dyn GraphEncoding<Self::Arch>>, ConfigError> {
                graph_encoding_of(self, name)
            }

            model_space!(@every $every);
        }
    )*};
}

model_space!(
    Nb201Space: enumerable,
    Nb101Space: enumerable,
    NbMacroSpace: enumerable,
    TransNasMicroSpace: enumerable,
    TransNasMacroSpace: enumerable,
    DartsSpace: not_enumerable,
    NlpSpace: not_enumerable,
);

/// Declared spaces offer the encodings of `oxinas_encodings::declared`, and
/// every architecture for regret when there are at most 5 million.
impl ModelSpace for DeclaredSpace {
    fn vector_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn VectorEncoding<Self::Arch>>, ConfigError> {
        encoding_of(self, name)
    }

    fn graph_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn GraphEncoding<Self::Arch>>, ConfigError> {
        graph_encoding_of(self, name)
    }

    fn every_arch(&self) -> Option<Box<dyn Iterator<Item = Self::Arch> + '_>> {
        self.cardinality()
            .is_some_and(|n| n <= LISTED_FOR_REGRET)
            .then(|| self.enumerate())
    }
}

/// The largest declared space whose architectures are all listed to find
/// the best one, for regret.
const LISTED_FOR_REGRET: u128 = 5_000_000;

/// The NB101 subset encodes its cells as the full NB101 space does.
impl ModelSpace for Nb101Subset {
    fn vector_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn VectorEncoding<Self::Arch>>, ConfigError> {
        encoding_of(&Nb101Space::default(), name)
    }

    fn graph_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn GraphEncoding<Self::Arch>>, ConfigError> {
        graph_encoding_of(&Nb101Space::default(), name)
    }

    fn every_arch(&self) -> Option<Box<dyn Iterator<Item = Self::Arch> + '_>> {
        Some(self.enumerate())
    }
}

/// A tabulated subset encodes its members as its whole space does, and is
/// enumerable however large that space is.
impl<S: ModelSpace> ModelSpace for SubsetSpace<S> {
    fn vector_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn VectorEncoding<Self::Arch>>, ConfigError> {
        self.inner().vector_encoding(name)
    }

    fn graph_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn GraphEncoding<Self::Arch>>, ConfigError> {
        self.inner().graph_encoding(name)
    }

    fn every_arch(&self) -> Option<Box<dyn Iterator<Item = Self::Arch> + '_>> {
        Some(self.enumerate())
    }
}
