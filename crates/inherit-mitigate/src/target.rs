//! Which training examples a data-stage strategy rewrites.

use std::fmt;
use std::str::FromStr;

use inherit_core::Example;
use serde::{Deserialize, Serialize};

/// Which training examples a data-stage strategy acts on.
///
/// The paper's mitigations act on the augmented part of the training mix only
/// ([`Target::Augmented`], the default); [`Target::All`] applies them to every training
/// example, the usual setting for the classic baselines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Augmented examples only.
    #[default]
    Augmented,
    /// Every example.
    All,
}

impl Target {
    /// True when the strategy should act on `example`.
    pub fn applies_to(self, example: &Example) -> bool {
        match self {
            Target::Augmented => example.is_augmented(),
            Target::All => true,
        }
    }

    /// The spec-string name: `augmented` or `all`.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Augmented => "augmented",
            Target::All => "all",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "augmented" => Ok(Target::Augmented),
            "all" => Ok(Target::All),
            other => Err(format!("unknown target `{other}`; known: augmented, all")),
        }
    }
}
