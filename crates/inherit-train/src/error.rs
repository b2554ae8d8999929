//! Errors of `inherit-train` (tokenisers, models, training, checkpoints).

use std::path::PathBuf;

/// What can go wrong when tokenising, building models, training or checkpointing.
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
    /// A device string names a backend this build does not include, or is malformed.
    #[error("device `{spec}`: {message}")]
    Device {
        /// The device string given.
        spec: String,
        /// What is wrong (for a missing backend: the cargo feature to enable).
        message: String,
    },
    /// The training or evaluation data is unusable (empty, unlabelled, unknown label...).
    #[error("data: {0}")]
    Data(String),
    /// The tokenizer failed or is missing a token the models need.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A word-vector file is malformed.
    #[error("{}:{line}: {message}", path.display())]
    WordVectors {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A checkpoint directory is missing a file, or a file does not match the model.
    #[error("checkpoint {}: {message}", path.display())]
    Checkpoint {
        /// The file or directory.
        path: PathBuf,
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
    /// A mitigation returned something the trainer cannot use.
    #[error("mitigation `{spec}`: {message}")]
    Mitigation {
        /// The mitigation's spec string.
        spec: String,
        /// What is wrong.
        message: String,
    },
    /// An error from the pretrained models (fetching, GGUF, safetensors).
    #[error(transparent)]
    Pretrained(#[from] inherit_pretrained::Error),
    /// An error from a mitigation strategy.
    #[error(transparent)]
    Mitigate(#[from] inherit_mitigate::Error),
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

    /// A checkpoint error on `path`.
    pub fn checkpoint(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Checkpoint {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl From<Error> for inherit_core::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Core(core) => core,
            other => inherit_core::Error::backend("inherit-train", other),
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
