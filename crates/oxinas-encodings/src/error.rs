use thiserror::Error;

/// Why an encoding could not be chosen, written or read back.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodingError {
    /// No encoding of that name exists for the space.
    #[error("unknown encoding `{name}` for space {space}; valid names: {valid}")]
    UnknownEncoding {
        /// The space asked.
        space: &'static str,
        /// The name asked for.
        name: String,
        /// The names the space does offer, comma separated, each with its kind.
        valid: String,
    },
    /// The encoding exists but is of the other kind (a graph encoding asked for
    /// as a vector, or the reverse).
    #[error(
        "encoding `{name}` of space {space} is a {actual} encoding, not a {requested} one; {requested} encodings: {valid}"
    )]
    WrongKind {
        /// The space asked.
        space: &'static str,
        /// The name asked for.
        name: String,
        /// The kind the caller wanted (`vector` or `graph`).
        requested: &'static str,
        /// The kind the encoding is.
        actual: &'static str,
        /// The names of the requested kind, comma separated.
        valid: String,
    },
    /// A caller's buffer does not have the length the encoding writes.
    #[error("encoding `{encoding}`: {buffer} buffer has {found} entries, expected {expected}")]
    BufferLength {
        /// The encoding's name.
        encoding: &'static str,
        /// Which buffer (`vector`, `features`, `adjacency`, `batch`).
        buffer: &'static str,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        found: usize,
    },
    /// The encoding cannot be decoded back into an architecture.
    #[error("encoding `{encoding}` is not invertible")]
    NotInvertible {
        /// The encoding's name.
        encoding: &'static str,
    },
    /// A vector that no architecture encodes to.
    #[error("encoding `{encoding}`: cannot decode: {message}")]
    Decode {
        /// The encoding's name.
        encoding: &'static str,
        /// Where the vector is wrong and what was expected there.
        message: String,
    },
    /// An architecture the encoding cannot hold (more nodes than its tensors).
    #[error("encoding `{encoding}` cannot hold the architecture: {message}")]
    DoesNotFit {
        /// The encoding's name.
        encoding: &'static str,
        /// What exceeds which limit.
        message: String,
    },
    /// A setting of an encoding outside its valid range.
    #[error("encoding `{encoding}`: invalid setting `{field}`: {message}")]
    Setting {
        /// The encoding's name.
        encoding: &'static str,
        /// The setting.
        field: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
}

/// Checks that a buffer has the length an encoding writes.
pub(crate) fn check_len(
    encoding: &'static str,
    buffer: &'static str,
    expected: usize,
    found: usize,
) -> Result<(), EncodingError> {
    if expected == found {
        Ok(())
    } else {
        Err(EncodingError::BufferLength {
            encoding,
            buffer,
            expected,
            found,
        })
    }
}
