use std::ops::Range;

use crate::EncodingError;
use crate::error::check_len;

/// A fixed-length vector encoding of the architectures `A` of one space.
///
/// Entries are `f64`, the type predictors (GPs, linear models, trees, MLP
/// ensembles) consume, so an encoded batch feeds them without conversion; the
/// values written (0, 1, small integers, normalised weights) are exact in `f64`.
/// The length [`VectorEncoding::dim`] is fixed by the space and the encoding's
/// settings, and encodings write into the caller's buffer, so encoding a whole
/// space needs one allocation ([`VectorEncoding::encode_batch`]).
///
/// Implementors provide [`VectorEncoding::write`]; callers use the checked
/// [`VectorEncoding::encode_into`], [`VectorEncoding::encode`] or
/// [`VectorEncoding::encode_batch`].
pub trait VectorEncoding<A>: Send + Sync {
    /// The encoding's name, as used in configs (`path`, `categorical`, ...).
    fn name(&self) -> &'static str;

    /// Number of entries of every encoded architecture.
    fn dim(&self) -> usize;

    /// Writes the encoding of `arch` into `out`, overwriting every entry.
    ///
    /// Implementation hook: `out.len() == self.dim()` is guaranteed by the
    /// callers in this trait, so implementations may index freely.
    fn write(&self, arch: &A, out: &mut [f64]);

    /// The ranges of `0..dim` that are one-hot blocks: in every encoded
    /// architecture each such range holds exactly one 1 and otherwise 0.
    /// Empty for encodings without one-hot structure (path sets, integers).
    fn one_hot_blocks(&self) -> Vec<Range<usize>> {
        Vec::new()
    }

    /// Whether [`VectorEncoding::decode`] can recover the architecture.
    fn is_invertible(&self) -> bool {
        false
    }

    /// The architecture that encodes to `code`, for invertible encodings.
    fn decode(&self, code: &[f64]) -> Result<A, EncodingError> {
        let _ = code;
        Err(EncodingError::NotInvertible {
            encoding: self.name(),
        })
    }

    /// Writes the encoding of `arch` into `out`, which must hold
    /// [`VectorEncoding::dim`] entries.
    fn encode_into(&self, arch: &A, out: &mut [f64]) -> Result<(), EncodingError> {
        check_len(self.name(), "vector", self.dim(), out.len())?;
        self.write(arch, out);
        Ok(())
    }

    /// The encoding of `arch` in a new vector.
    fn encode(&self, arch: &A) -> Vec<f64> {
        let mut out = vec![0.0; self.dim()];
        self.write(arch, &mut out);
        out
    }

    /// Writes the encodings of `archs` as consecutive rows of `out`
    /// (row-major, `archs.len() * dim` entries).
    fn encode_batch_into(&self, archs: &[A], out: &mut [f64]) -> Result<(), EncodingError> {
        let dim = self.dim();
        check_len(self.name(), "batch", archs.len() * dim, out.len())?;
        if dim > 0 {
            for (arch, row) in archs.iter().zip(out.chunks_exact_mut(dim)) {
                self.write(arch, row);
            }
        }
        Ok(())
    }

    /// The encodings of `archs` as one row-major matrix of
    /// `archs.len()` rows and `dim` columns, allocated once.
    fn encode_batch(&self, archs: &[A]) -> Vec<f64> {
        let dim = self.dim();
        let mut out = vec![0.0; archs.len() * dim];
        if dim > 0 {
            for (arch, row) in archs.iter().zip(out.chunks_exact_mut(dim)) {
                self.write(arch, row);
            }
        }
        out
    }
}

impl<A> std::fmt::Debug for dyn VectorEncoding<A> + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VectorEncoding({}, dim {})", self.name(), self.dim())
    }
}

/// Boxed encodings (what the registry builds) are encodings too, so code
/// generic over `E: VectorEncoding<A>` accepts them.
impl<A, E: VectorEncoding<A> + ?Sized> VectorEncoding<A> for Box<E> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn dim(&self) -> usize {
        (**self).dim()
    }

    fn write(&self, arch: &A, out: &mut [f64]) {
        (**self).write(arch, out);
    }

    fn one_hot_blocks(&self) -> Vec<Range<usize>> {
        (**self).one_hot_blocks()
    }

    fn is_invertible(&self) -> bool {
        (**self).is_invertible()
    }

    fn decode(&self, code: &[f64]) -> Result<A, EncodingError> {
        (**self).decode(code)
    }
}
