use std::fmt::Debug;
use std::hash::Hash;

use rand::RngCore;

use crate::ParseArchError;

/// A set of architectures, with the operations black-box optimizers need.
///
/// Architectures are plain data. Spaces take their settings in constructors
/// (which ops, how many nodes) and are shared read-only between threads.
pub trait SearchSpace: Send + Sync {
    /// One architecture of this space.
    type Arch: Clone + Eq + Hash + Debug + Send + Sync;
    /// A key equal for architectures that compute the same function
    /// (isomorphic graphs, ops that cannot matter).
    type Canonical: Clone + Eq + Hash + Debug + Send + Sync;

    /// The space's name, as used in configs and errors.
    fn name(&self) -> &'static str;

    /// Draws an architecture at random.
    fn sample(&self, rng: &mut dyn RngCore) -> Self::Arch;

    /// A random small change of `arch`; the result differs from `arch`.
    fn mutate(&self, arch: &Self::Arch, rng: &mut dyn RngCore) -> Self::Arch;

    /// All architectures one small change away from `arch`, in a fixed order.
    fn neighbors(&self, arch: &Self::Arch) -> Vec<Self::Arch>;

    /// The key shared by all architectures that compute the same function.
    fn canonical(&self, arch: &Self::Arch) -> Self::Canonical;

    /// Number of architectures in the space, if finite and countable in `u128`.
    fn cardinality(&self) -> Option<u128>;

    /// Writes `arch` in the space's official string format.
    fn format(&self, arch: &Self::Arch) -> String;

    /// Reads an architecture written in the space's official string format.
    fn parse(&self, text: &str) -> Result<Self::Arch, ParseArchError>;
}

/// A space small enough to list.
pub trait Enumerable: SearchSpace {
    /// Every architecture of the space exactly once, in the space's official
    /// order where one exists.
    fn enumerate(&self) -> Box<dyn Iterator<Item = Self::Arch> + '_>;
}

/// A space whose architectures can be recombined.
pub trait Crossover: SearchSpace {
    /// A child mixing the choices of `a` and `b`.
    fn crossover(&self, a: &Self::Arch, b: &Self::Arch, rng: &mut dyn RngCore) -> Self::Arch;
}
