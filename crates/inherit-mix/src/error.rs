//! Errors of `inherit-mix`.

/// What can go wrong when mixing.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// γ outside [0, 1).
    #[error("bias ratio gamma must be in [0, 1), got {0}")]
    GammaOutOfRange(f64),
    /// Another parameter is out of range.
    #[error("invalid parameter `{name}`: {message}")]
    InvalidParam {
        /// The parameter.
        name: &'static str,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// The augmented pool cannot supply a stratum without replacement.
    #[error(
        "not enough augmented examples for stratum {stratum}: need {need}, have {have} \
         (generate more, lower gamma, or allow sampling with replacement)"
    )]
    NotEnoughAugmented {
        /// The stratum (label, and group when stratifying by group).
        stratum: String,
        /// How many the mix needs.
        need: usize,
        /// How many the pool holds.
        have: usize,
    },
    /// The original pool is smaller than a fixed-total mix needs.
    #[error("not enough original examples: need {need}, have {have}")]
    NotEnoughOriginal {
        /// How many the mix needs.
        need: usize,
        /// How many there are.
        have: usize,
    },
    /// An error from the shared vocabulary.
    #[error(transparent)]
    Core(#[from] inherit_core::Error),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
