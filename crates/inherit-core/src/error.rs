//! The error type of `inherit-core`, shared by the traits every other crate implements.

use std::path::PathBuf;

/// A boxed error from a backend (a model, a server, another crate).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where in a file a problem was found: the file, the 1-based line (or record) and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file read.
    pub path: PathBuf,
    /// 1-based line number (for CSV, the physical line the record starts on).
    pub line: u64,
    /// The field (column or JSON key) at fault, when one is known.
    pub field: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)?;
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        Ok(())
    }
}

/// Errors of the shared vocabulary: file I/O, parsing user data, invalid parameters, backends.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A record in a data file is malformed.
    #[error("{location}: {message}")]
    Parse {
        /// File, line and field.
        location: Location,
        /// What is wrong.
        message: String,
    },
    /// A data file holds no records.
    #[error("{}: the file is empty (no records)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A parameter is out of its documented range.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParam {
        /// Parameter name.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A name (bias type, axis, label...) is not one of the known ones.
    #[error("unknown {kind} `{value}`; known: {known}")]
    Unknown {
        /// What kind of name (e.g. "bias type").
        kind: &'static str,
        /// The name given.
        value: String,
        /// The known names, comma separated.
        known: String,
    },
    /// A model or server backend failed.
    #[error("{backend}: {source}")]
    Backend {
        /// Which backend (e.g. "smollm2", "openai-compatible").
        backend: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// A parse error at `path:line` in `field`.
    pub fn parse(
        path: impl Into<PathBuf>,
        line: u64,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::Parse {
            location: Location {
                path: path.into(),
                line,
                field: field.map(str::to_owned),
            },
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// An invalid-parameter error.
    pub fn invalid(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParam {
            name: name.into(),
            message: message.into(),
        }
    }

    /// A backend error from any error value.
    pub fn backend(backend: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Backend {
            backend: backend.into(),
            source: source.into(),
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
