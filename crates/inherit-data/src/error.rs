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
    #[error(
        "data directory {} does not exist or is not a directory (it comes from --data-dir, \
         INHERIT_DATA_DIR, or ../shared/data above the current directory)",
        path.display()
    )]
    MissingDataDir {
        /// The directory given.
        path: PathBuf,
    },
    /// `INHERIT_DATA_DIR` is set to something that is not a directory.
    #[error("{var}={}: not a directory; point {var} at the shared data directory", path.display())]
    EnvNotDir {
        /// The variable.
        var: &'static str,
        /// Its value.
        path: PathBuf,
    },
    /// `INHERIT_DATA_DIR` is not set and no `../shared/data` was found from the current
    /// directory upwards (see [`crate::DataDir::resolve`]).
    #[error(
        "no data directory: {var} is not set and no ../shared/data was found from {} \
         upwards; set {var} to the shared data directory",
        cwd.display()
    )]
    NoDataDir {
        /// The variable.
        var: &'static str,
        /// Where the search started.
        cwd: PathBuf,
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
