//! Errors of `inherit-mitigate`.

/// What can go wrong when building or applying a mitigation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A spec string (e.g. `token+loss:0.5`) could not be parsed.
    #[error("bad mitigation spec `{spec}`: {message}")]
    Spec {
        /// The spec given.
        spec: String,
        /// What is wrong (for an unknown name: the known names).
        message: String,
    },
    /// A parameter is out of range.
    #[error("invalid parameter `{name}` of mitigation `{mitigation}`: {message}")]
    InvalidParam {
        /// The mitigation.
        mitigation: String,
        /// The parameter.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// An error from the shared vocabulary (datasets, lexicons).
    #[error(transparent)]
    Core(#[from] inherit_core::Error),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
