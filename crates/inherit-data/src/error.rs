//! The error type of `inherit-data`.

use std::path::PathBuf;

/// Errors of the loaders, lexicons and the occupation suite.
///
/// Malformed files surface as [`Error::Core`] wrapping [`inherit_core::Error::Parse`]
/// (file, line, field) or [`inherit_core::Error::Empty`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An error from `inherit-core`: I/O, a malformed record (file, line, field), an empty
    /// file or an invalid parameter.
    #[error(transparent)]
    Core(#[from] inherit_core::Error),
    /// A dataset file is not where the data directory says it should be.
    #[error(
        "{dataset}: missing file {} (the data directory comes from DataDir::new or the \
         INHERIT_DATA_DIR environment variable)",
        path.display()
    )]
    MissingFile {
        /// The dataset asked for (e.g. `BBQ Age`).
        dataset: String,
        /// The file expected.
        path: PathBuf,
    },
    /// The data directory itself does not exist or is not a directory.
    #[error("data directory {} does not exist or is not a directory", path.display())]
    MissingDataDir {
        /// The directory given.
        path: PathBuf,
    },
    /// `INHERIT_DATA_DIR` is not set (see [`crate::DataDir::from_env`]).
    #[error("the environment variable {0} is not set; point it at the shared data directory")]
    EnvUnset(&'static str),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A parse error at `path:line` in `field` (wrapped in [`Error::Core`]).
pub(crate) fn parse_error(
    path: &std::path::Path,
    line: u64,
    field: Option<&str>,
    message: impl Into<String>,
) -> Error {
    Error::Core(inherit_core::Error::parse(path, line, field, message))
}
