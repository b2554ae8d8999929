//! Errors of `inherit-study`: configuration errors that name the key, the refusal to mix
//! results of another configuration, and the errors of the crates the study wires.

use std::path::PathBuf;

/// What can go wrong when configuring or running a study.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is malformed or a value is out of range; `origin` names the file
    /// (or the embedded default), `key` the offending key.
    #[error("{origin}: key `{key}`: {message}")]
    Config {
        /// Where the configuration came from.
        origin: String,
        /// The key, e.g. `gammas[1]` or `downstream.model`.
        key: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The TOML itself does not parse (unknown keys included); the message names the key
    /// and line.
    #[error("{origin}: {message}")]
    Toml {
        /// Where the configuration came from.
        origin: String,
        /// The parser's message.
        message: String,
    },
    /// The output folder holds results of the same cells computed under another
    /// configuration; they are never mixed with this one's.
    #[error(
        "{}: {n} finished cell(s) were computed with another configuration (changed: {}); \
         use another output folder, or recompute them (`--recompute`, \
         `Study::recompute_changed`)",
        path.display(),
        changed.join(", ")
    )]
    ChangedConfig {
        /// The results file.
        path: PathBuf,
        /// How many planned cells have a result under another key.
        n: usize,
        /// The key parts that differ (`generator`, `downstream`, `task`, `schema`, ...).
        changed: Vec<String>,
    },
    /// A task or downstream model cannot do what it was asked (e.g. a task that needs a
    /// classifier got a model that is not one).
    #[error("{0}")]
    Unsupported(String),
    /// Shared vocabulary (I/O, datasets).
    #[error(transparent)]
    Core(#[from] inherit_core::Error),
    /// Dataset loaders and the built-in suites.
    #[error(transparent)]
    Data(#[from] inherit_data::Error),
    /// Mixing at a bias ratio.
    #[error(transparent)]
    Mix(#[from] inherit_mix::Error),
    /// Mitigation specs and strategies.
    #[error(transparent)]
    Mitigate(#[from] inherit_mitigate::Error),
    /// Training.
    #[error(transparent)]
    Train(#[from] inherit_train::Error),
    /// Pretrained models.
    #[error(transparent)]
    Pretrained(#[from] inherit_pretrained::Error),
    /// Augmentation.
    #[error(transparent)]
    Augment(#[from] inherit_augment::Error),
    /// Metrics, statistics, reports.
    #[error(transparent)]
    Eval(#[from] inherit_eval::Error),
    /// JSON serialisation of the manifest or keys.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// A configuration error.
    pub fn config(
        origin: impl Into<String>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Config {
            origin: origin.into(),
            key: key.into(),
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Core(inherit_core::Error::io(path, source))
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
