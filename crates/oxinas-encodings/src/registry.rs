//! Encodings chosen by name, per space.

use std::fmt;

use oxinas_core::SearchSpace;

use crate::{EncodingError, GraphEncoding, VectorEncoding};

/// An encoding built from its name: a fixed-length vector or a graph.
pub enum Encoding<A> {
    /// A fixed-length vector encoding.
    Vector(Box<dyn VectorEncoding<A>>),
    /// A graph (node features + adjacency) encoding.
    Graph(Box<dyn GraphEncoding<A>>),
}

impl<A> Encoding<A> {
    /// `vector` or `graph`.
    pub fn kind(&self) -> EncodingKind {
        match self {
            Encoding::Vector(_) => EncodingKind::Vector,
            Encoding::Graph(_) => EncodingKind::Graph,
        }
    }
}

impl<A> fmt::Debug for Encoding<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Encoding::Vector(e) => write!(f, "Vector({}, dim {})", e.name(), e.dim()),
            Encoding::Graph(e) => write!(
                f,
                "Graph({}, {} nodes x {} features)",
                e.name(),
                e.max_nodes(),
                e.num_node_features()
            ),
        }
    }
}

/// Whether an encoding yields a vector or a graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncodingKind {
    /// [`VectorEncoding`].
    Vector,
    /// [`GraphEncoding`].
    Graph,
}

impl EncodingKind {
    /// `vector` or `graph`.
    pub fn as_str(self) -> &'static str {
        match self {
            EncodingKind::Vector => "vector",
            EncodingKind::Graph => "graph",
        }
    }
}

impl fmt::Display for EncodingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builds an encoding from its optional integer setting.
type Builder<A> = Box<dyn Fn(Option<usize>) -> Result<Encoding<A>, EncodingError> + Send + Sync>;

struct Entry<A> {
    name: &'static str,
    kind: EncodingKind,
    description: &'static str,
    /// The name of the entry's integer setting, if it takes one.
    setting: Option<&'static str>,
    build: Builder<A>,
}

impl<A> Entry<A> {
    /// `name (kind)` or `name[:setting] (kind)`, for error messages.
    fn listed(&self) -> String {
        match self.setting {
            Some(setting) => format!("{}[:{setting}] ({})", self.name, self.kind),
            None => format!("{} ({})", self.name, self.kind),
        }
    }
}

/// The error for a setting given to an encoding that takes none.
fn no_setting(name: &'static str) -> EncodingError {
    EncodingError::Setting {
        encoding: name,
        field: "setting",
        message: "no `:value` suffix (this encoding has no setting)".into(),
    }
}

/// The encodings one space offers, by name.
///
/// Each space's module builds its registry; configs name an encoding and
/// [`EncodingRegistry::vector`] / [`EncodingRegistry::graph`] build it, or
/// fail with an error that lists the names the space does offer. Encodings
/// with an integer setting take it after a colon (`trunc_path:40`) and use
/// their default without one.
pub struct EncodingRegistry<A> {
    space: &'static str,
    entries: Vec<Entry<A>>,
}

impl<A> fmt::Debug for EncodingRegistry<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodingRegistry")
            .field("space", &self.space)
            .field("names", &self.names())
            .finish()
    }
}

impl<A: 'static> EncodingRegistry<A> {
    /// An empty registry for `space`.
    pub fn new(space: &'static str) -> Self {
        Self {
            space,
            entries: Vec::new(),
        }
    }

    /// Adds the vector encoding `name`, built by `build`.
    pub fn with_vector<E, F>(
        mut self,
        name: &'static str,
        description: &'static str,
        build: F,
    ) -> Self
    where
        E: VectorEncoding<A> + 'static,
        F: Fn() -> E + Send + Sync + 'static,
    {
        self.entries.push(Entry {
            name,
            kind: EncodingKind::Vector,
            description,
            setting: None,
            build: Box::new(move |setting| match setting {
                None => Ok(Encoding::Vector(Box::new(build()))),
                Some(_) => Err(no_setting(name)),
            }),
        });
        self
    }

    /// Adds the vector encoding `name` with one integer setting called
    /// `setting`: `build(None)` makes the default, `build(Some(value))` the
    /// encoding for `name:value`, and rejects values out of range.
    pub fn with_vector_setting<E, F>(
        mut self,
        name: &'static str,
        description: &'static str,
        setting: &'static str,
        build: F,
    ) -> Self
    where
        E: VectorEncoding<A> + 'static,
        F: Fn(Option<usize>) -> Result<E, EncodingError> + Send + Sync + 'static,
    {
        self.entries.push(Entry {
            name,
            kind: EncodingKind::Vector,
            description,
            setting: Some(setting),
            build: Box::new(move |value| {
                build(value).map(|e| Encoding::Vector(Box::new(e) as Box<dyn VectorEncoding<A>>))
            }),
        });
        self
    }

    /// Adds the graph encoding `name`, built by `build`.
    pub fn with_graph<E, F>(
        mut self,
        name: &'static str,
        description: &'static str,
        build: F,
    ) -> Self
    where
        E: GraphEncoding<A> + 'static,
        F: Fn() -> E + Send + Sync + 'static,
    {
        self.entries.push(Entry {
            name,
            kind: EncodingKind::Graph,
            description,
            setting: None,
            build: Box::new(move |setting| match setting {
                None => Ok(Encoding::Graph(Box::new(build()))),
                Some(_) => Err(no_setting(name)),
            }),
        });
        self
    }
}

impl<A> EncodingRegistry<A> {
    /// The space's name.
    pub fn space(&self) -> &'static str {
        self.space
    }

    /// All names, in registration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.iter().map(|e| e.name).collect()
    }

    /// Every encoding as `(name, kind, description)`, in registration order.
    pub fn describe(&self) -> Vec<(&'static str, EncodingKind, &'static str)> {
        self.entries
            .iter()
            .map(|e| (e.name, e.kind, e.description))
            .collect()
    }

    /// Builds the encoding `name` (or `name:value` for an encoding with a
    /// setting), of either kind.
    pub fn get(&self, name: &str) -> Result<Encoding<A>, EncodingError> {
        let (base, value) = match name.split_once(':') {
            Some((base, value)) => (base, Some(value)),
            None => (name, None),
        };
        let entry = self
            .entries
            .iter()
            .find(|e| e.name == base)
            .ok_or_else(|| EncodingError::UnknownEncoding {
                space: self.space,
                name: name.to_owned(),
                valid: self
                    .entries
                    .iter()
                    .map(Entry::listed)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let setting = match value {
            None => None,
            Some(value) => {
                Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| EncodingError::Setting {
                            encoding: entry.name,
                            field: entry.setting.unwrap_or("setting"),
                            message: format!("a non-negative integer after `:`, found `{value}`"),
                        })?,
                )
            }
        };
        (entry.build)(setting)
    }

    /// Builds the vector encoding `name`.
    pub fn vector(&self, name: &str) -> Result<Box<dyn VectorEncoding<A>>, EncodingError> {
        match self.get(name)? {
            Encoding::Vector(e) => Ok(e),
            Encoding::Graph(_) => Err(self.wrong_kind(name, EncodingKind::Vector)),
        }
    }

    /// Builds the graph encoding `name`.
    pub fn graph(&self, name: &str) -> Result<Box<dyn GraphEncoding<A>>, EncodingError> {
        match self.get(name)? {
            Encoding::Graph(e) => Ok(e),
            Encoding::Vector(_) => Err(self.wrong_kind(name, EncodingKind::Graph)),
        }
    }

    fn wrong_kind(&self, name: &str, requested: EncodingKind) -> EncodingError {
        let actual = match requested {
            EncodingKind::Vector => EncodingKind::Graph,
            EncodingKind::Graph => EncodingKind::Vector,
        };
        EncodingError::WrongKind {
            space: self.space,
            name: name.to_owned(),
            requested: requested.as_str(),
            actual: actual.as_str(),
            valid: self
                .entries
                .iter()
                .filter(|e| e.kind == requested)
                .map(|e| e.name)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// A search space with named encodings.
///
/// Each space implements this in its own module of this crate (one file per
/// space), so adding a space's encodings touches nothing else.
pub trait EncodableSpace: SearchSpace {
    /// The encodings this space offers.
    fn encodings(&self) -> EncodingRegistry<Self::Arch>;

    /// Builds the vector encoding `name` of this space.
    fn vector_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn VectorEncoding<Self::Arch>>, EncodingError> {
        self.encodings().vector(name)
    }

    /// Builds the graph encoding `name` of this space.
    fn graph_encoding(
        &self,
        name: &str,
    ) -> Result<Box<dyn GraphEncoding<Self::Arch>>, EncodingError> {
        self.encodings().graph(name)
    }
}
