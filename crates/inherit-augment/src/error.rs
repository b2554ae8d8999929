//! The error type of `inherit-augment`.

use std::path::PathBuf;

/// Errors of prompt building, generation, cleaning and caching.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error of the shared vocabulary (file I/O, parsing, parameters, backends).
    #[error(transparent)]
    Core(#[from] inherit_core::Error),
    /// A template file or a template string is invalid.
    #[error("template `{template}`: {message}")]
    Template {
        /// Which template (family id and field, or file).
        template: String,
        /// What is wrong.
        message: String,
    },
    /// The environment variable that should hold the API key is not set.
    #[error("the API key variable `{var}` is not set (or not valid UTF-8)")]
    MissingApiKey {
        /// The variable name (never its value).
        var: String,
    },
    /// The server answered with an error that retrying cannot fix (e.g. 400, 401, 404).
    #[error("{url}: HTTP {status}: {body}")]
    Http {
        /// The endpoint.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// Every attempt of a request failed with a retryable error.
    #[error("{url}: gave up after {attempts} attempts; last error: {last}")]
    RetriesExhausted {
        /// The endpoint.
        url: String,
        /// Attempts made (1 + retries).
        attempts: u64,
        /// The last failure (status, timeout, malformed JSON...).
        last: String,
    },
    /// A generation cache line is malformed (not the torn last line of a killed run, which
    /// is repaired silently).
    #[error("{}:{line}: corrupt cache line: {message}", path.display())]
    Cache {
        /// The cache file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// A template error.
    pub fn template(template: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Template {
            template: template.into(),
            message: message.into(),
        }
    }
}

impl From<Error> for inherit_core::Error {
    /// Wraps an augmentation error as a core backend error (as [`inherit_core::TextGenerator`]
    /// implementations must return), keeping core errors as they are.
    fn from(e: Error) -> Self {
        match e {
            Error::Core(inner) => inner,
            other => inherit_core::Error::backend("inherit-augment", other),
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
