//! The error type of `inherit-eval`.

/// Errors of evaluation: bad parameters, mismatched inputs, file problems, models.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// File I/O, a malformed data file or a model backend (from `inherit-core`).
    #[error(transparent)]
    Core(#[from] inherit_core::Error),
    /// A parameter is out of its documented range.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParam {
        /// Parameter name.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// Parallel inputs have different lengths.
    #[error("length mismatch: `{what}` has {got} entries, expected {expected}")]
    LengthMismatch {
        /// The input that does not match.
        what: String,
        /// The expected length.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A computation has no data to work on.
    #[error("no data: {0}")]
    NoData(String),
    /// Rendering a plot failed.
    #[error("cannot render plot: {0}")]
    Render(String),
}

impl Error {
    /// An invalid-parameter error.
    pub fn invalid(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParam {
            name: name.into(),
            message: message.into(),
        }
    }

    /// Checks that `what` has `expected` entries.
    pub fn check_len(what: &str, expected: usize, got: usize) -> Result<()> {
        if expected == got {
            Ok(())
        } else {
            Err(Error::LengthMismatch {
                what: what.to_owned(),
                expected,
                got,
            })
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
