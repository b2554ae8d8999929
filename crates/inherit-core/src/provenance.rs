//! Where an example came from: the original data, or an LLM under a bias prompt.
//!
//! [`BiasType`] encodes the paper's bias generation framework (Li et al., ACL 2026,
//! Sec. 3): three binary axes, framing (contextual vs contrastive), scope (single vs
//! intersectional) and visibility (explicit vs implicit), plus [`BiasType::Neutral`]
//! for prompts without a bias instruction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// How the bias is conveyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Framing {
    /// Through background description of one group.
    Contextual,
    /// Through a direct comparison of two groups.
    Contrastive,
}

/// How many identity attributes are stacked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// One identity attribute.
    Single,
    /// Several stacked attributes (e.g. gender x culture x age).
    Intersectional,
}

/// Whether the group is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Visibility {
    /// The group is named openly.
    Explicit,
    /// The group is signalled through names or other cues only.
    Implicit,
}

/// A prompt's bias type: neutral, or one combination of the three framework axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BiasType {
    /// No bias instruction (the baseline for the generator's own imbalance).
    Neutral,
    /// A bias instruction on the three axes.
    Biased {
        /// Contextual or contrastive.
        framing: Framing,
        /// Single or intersectional.
        scope: Scope,
        /// Explicit or implicit.
        visibility: Visibility,
    },
}

impl BiasType {
    /// Shorthand for [`BiasType::Biased`].
    pub const fn biased(framing: Framing, scope: Scope, visibility: Visibility) -> Self {
        BiasType::Biased {
            framing,
            scope,
            visibility,
        }
    }

    /// All nine types: neutral and the eight axis combinations, in a stable order.
    pub fn all() -> Vec<BiasType> {
        let mut out = vec![BiasType::Neutral];
        for framing in [Framing::Contextual, Framing::Contrastive] {
            for scope in [Scope::Single, Scope::Intersectional] {
                for visibility in [Visibility::Explicit, Visibility::Implicit] {
                    out.push(BiasType::biased(framing, scope, visibility));
                }
            }
        }
        out
    }

    /// The paper's six standard types: {contextual, contrastive, intersectional} x
    /// {explicit, implicit}, where "intersectional" is contextual framing with
    /// intersectional scope.
    pub fn paper_six() -> [BiasType; 6] {
        use Framing::*;
        use Scope::*;
        use Visibility::*;
        [
            BiasType::biased(Contextual, Single, Explicit),
            BiasType::biased(Contextual, Single, Implicit),
            BiasType::biased(Contrastive, Single, Explicit),
            BiasType::biased(Contrastive, Single, Implicit),
            BiasType::biased(Contextual, Intersectional, Explicit),
            BiasType::biased(Contextual, Intersectional, Implicit),
        ]
    }

    /// The stable short id used in files and reports, e.g. `contrastive-single-explicit`
    /// or `neutral`.
    pub fn id(&self) -> String {
        match self {
            BiasType::Neutral => "neutral".to_owned(),
            BiasType::Biased {
                framing,
                scope,
                visibility,
            } => {
                let f = match framing {
                    Framing::Contextual => "contextual",
                    Framing::Contrastive => "contrastive",
                };
                let s = match scope {
                    Scope::Single => "single",
                    Scope::Intersectional => "intersectional",
                };
                let v = match visibility {
                    Visibility::Explicit => "explicit",
                    Visibility::Implicit => "implicit",
                };
                format!("{f}-{s}-{v}")
            }
        }
    }
}

impl fmt::Display for BiasType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

impl FromStr for BiasType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let wanted = s.trim().to_ascii_lowercase();
        BiasType::all()
            .into_iter()
            .find(|b| b.id() == wanted)
            .ok_or_else(|| Error::Unknown {
                kind: "bias type",
                value: s.to_owned(),
                known: BiasType::all()
                    .iter()
                    .map(BiasType::id)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

impl Serialize for BiasType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id())
    }
}

impl<'de> Deserialize<'de> for BiasType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The origin of an example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Provenance {
    /// Part of the original data D_o.
    Original {
        /// Dataset or file it came from.
        source: String,
    },
    /// Written by a generator (part of D_a).
    Augmented {
        /// Generator id (model and backend).
        generator: String,
        /// The bias type of the prompt.
        bias_type: BiasType,
        /// Id of the prompt that produced it.
        prompt_id: String,
        /// The sampling seed.
        seed: u64,
        /// Self-augmentation round (0 for the first generation from the base model).
        round: u32,
    },
}

impl Provenance {
    /// An original example from `source`.
    pub fn original(source: impl Into<String>) -> Self {
        Provenance::Original {
            source: source.into(),
        }
    }

    /// True for augmented examples.
    pub fn is_augmented(&self) -> bool {
        matches!(self, Provenance::Augmented { .. })
    }

    /// `"original"` or `"augmented"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Provenance::Original { .. } => "original",
            Provenance::Augmented { .. } => "augmented",
        }
    }

    /// The bias type of an augmented example.
    pub fn bias_type(&self) -> Option<BiasType> {
        match self {
            Provenance::Original { .. } => None,
            Provenance::Augmented { bias_type, .. } => Some(*bias_type),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_parse_back() {
        let all = BiasType::all();
        assert_eq!(all.len(), 9);
        let ids: std::collections::BTreeSet<_> = all.iter().map(BiasType::id).collect();
        assert_eq!(ids.len(), 9);
        for b in all {
            assert_eq!(b.id().parse::<BiasType>().unwrap(), b);
        }
        assert_eq!(BiasType::paper_six()[2].id(), "contrastive-single-explicit");
    }

    #[test]
    fn unknown_bias_type_lists_known_ones() {
        let err = "contrastive-single".parse::<BiasType>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("contrastive-single"), "{msg}");
        assert!(msg.contains("neutral"), "{msg}");
        assert!(msg.contains("contextual-intersectional-implicit"), "{msg}");
    }

    #[test]
    fn provenance_json_shape() {
        let p = Provenance::Augmented {
            generator: "smollm2".into(),
            bias_type: BiasType::Neutral,
            prompt_id: "p1".into(),
            seed: 7,
            round: 0,
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"augmented","generator":"smollm2","bias_type":"neutral","prompt_id":"p1","seed":7,"round":0}"#
        );
        assert_eq!(serde_json::from_str::<Provenance>(&json).unwrap(), p);
        assert!(p.is_augmented());
        assert!(!Provenance::original("eec").is_augmented());
    }
}
