//! Bias direction and target: which group a bias prompt favours, on which attribute.
//!
//! The bias *type* (framing x scope x visibility, or neutral) is
//! [`inherit_core::BiasType`]; this module adds what the bias is *about*:
//!
//! - a [`BiasTarget`] names the axis (gender, culture...), the [`Attribute`] the bias
//!   concerns (occupation for gender; competence, warmth, salary for culture; or a task
//!   label) and the two groups of the stereotype: the group it favours (`stereotyped`)
//!   and the group it disfavours (`counter`);
//! - a [`Direction`] says what to do with the stereotype: reproduce it
//!   (stereotype-consistent data), reverse it (anti-stereotypical data) or neither
//!   (the two groups portrayed as equal).
//!
//! Targets are data: the prompt families ship default [`Stereotype`] tables, and users
//! pass their own targets to study any other pairing.

use std::fmt;
use std::str::FromStr;

use inherit_core::Axis;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// What the generated data does with a stereotype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The stereotyped group is favoured (the bias as found in the world).
    StereotypeConsistent,
    /// The counter group is favoured (the stereotype reversed).
    AntiStereotypical,
    /// Neither group is favoured: both are portrayed as equal on the attribute.
    Neutral,
}

impl Direction {
    /// All directions, in a stable order.
    pub const ALL: [Direction; 3] = [
        Direction::StereotypeConsistent,
        Direction::AntiStereotypical,
        Direction::Neutral,
    ];

    /// The stable id: `stereotype-consistent`, `anti-stereotypical` or `neutral`.
    pub fn id(&self) -> &'static str {
        match self {
            Direction::StereotypeConsistent => "stereotype-consistent",
            Direction::AntiStereotypical => "anti-stereotypical",
            Direction::Neutral => "neutral",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Direction {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase();
        Direction::ALL
            .into_iter()
            .find(|d| d.id() == wanted)
            .ok_or_else(|| {
                inherit_core::Error::Unknown {
                    kind: "direction",
                    value: s.to_owned(),
                    known: Direction::ALL.map(|d| d.id()).join(", "),
                }
                .into()
            })
    }
}

/// How a biased prompt portrays its subject (under a non-neutral [`Direction`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Portrayal {
    /// The subject is of the favoured group and portrayed as better on the attribute
    /// (a woman nurse who is a natural carer).
    Favoured,
    /// The subject is of the disfavoured group and portrayed as worse (a man nurse who is
    /// less suited to the work).
    Disfavoured,
}

impl Portrayal {
    /// The stable id: `favoured` or `disfavoured`.
    pub fn id(&self) -> &'static str {
        match self {
            Portrayal::Favoured => "favoured",
            Portrayal::Disfavoured => "disfavoured",
        }
    }
}

impl FromStr for Portrayal {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "favoured" => Ok(Portrayal::Favoured),
            "disfavoured" => Ok(Portrayal::Disfavoured),
            _ => Err(inherit_core::Error::Unknown {
                kind: "portrayal",
                value: s.to_owned(),
                known: "favoured, disfavoured".into(),
            }
            .into()),
        }
    }
}

/// The attribute a bias concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Attribute {
    /// Suitability for the occupation named by the label (gender bias in occupations).
    Occupation,
    /// Competence and qualification (e.g. hiring).
    Competence,
    /// Warmth and likeability.
    Warmth,
    /// Pay and career level.
    Salary,
    /// Association with the task label (the generic family).
    Label,
}

impl Attribute {
    /// All attributes, in a stable order.
    pub const ALL: [Attribute; 5] = [
        Attribute::Occupation,
        Attribute::Competence,
        Attribute::Warmth,
        Attribute::Salary,
        Attribute::Label,
    ];

    /// The stable id (`occupation`, `competence`, `warmth`, `salary`, `label`), also the
    /// key of its phrase in the framework templates.
    pub fn id(&self) -> &'static str {
        match self {
            Attribute::Occupation => "occupation",
            Attribute::Competence => "competence",
            Attribute::Warmth => "warmth",
            Attribute::Salary => "salary",
            Attribute::Label => "label",
        }
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Attribute {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase();
        Attribute::ALL
            .into_iter()
            .find(|a| a.id() == wanted)
            .ok_or_else(|| {
                inherit_core::Error::Unknown {
                    kind: "attribute",
                    value: s.to_owned(),
                    known: Attribute::ALL.map(|a| a.id()).join(", "),
                }
                .into()
            })
    }
}

/// What a bias prompt is about: a stereotype on one axis and attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BiasTarget {
    /// The axis of the two groups.
    pub axis: Axis,
    /// The attribute the stereotype concerns.
    pub attribute: Attribute,
    /// The group the stereotype favours (e.g. `female` for nurse).
    pub stereotyped: String,
    /// The group the stereotype disfavours (e.g. `male` for nurse).
    pub counter: String,
}

impl BiasTarget {
    /// A target on `axis` and `attribute` whose stereotype favours `stereotyped` over
    /// `counter`.
    pub fn new(
        axis: Axis,
        attribute: Attribute,
        stereotyped: impl Into<String>,
        counter: impl Into<String>,
    ) -> Self {
        BiasTarget {
            axis,
            attribute,
            stereotyped: stereotyped.into(),
            counter: counter.into(),
        }
    }

    /// The favoured and the disfavoured group under `direction` (for
    /// [`Direction::Neutral`], the stereotyped group first; neither is favoured).
    pub fn oriented(&self, direction: Direction) -> (&str, &str) {
        match direction {
            Direction::AntiStereotypical => (&self.counter, &self.stereotyped),
            Direction::StereotypeConsistent | Direction::Neutral => {
                (&self.stereotyped, &self.counter)
            }
        }
    }

    /// Checks that the two groups are non-empty and different.
    pub fn check(&self) -> Result<()> {
        if self.stereotyped.trim().is_empty() || self.counter.trim().is_empty() {
            return Err(
                inherit_core::Error::invalid("target", "group names cannot be empty").into(),
            );
        }
        if self.stereotyped == self.counter {
            return Err(inherit_core::Error::invalid(
                "target",
                format!("the two groups must differ, got `{}` twice", self.counter),
            )
            .into());
        }
        Ok(())
    }
}

/// One row of a family's default stereotype table: for prompts with `label` (any label
/// when `None`), the stereotype favours `stereotyped` over `counter` on the family's axis
/// and attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stereotype {
    /// The label it applies to (`None`: every label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The favoured group.
    pub stereotyped: String,
    /// The disfavoured group.
    pub counter: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_orients_the_target() {
        let t = BiasTarget::new(Axis::Gender, Attribute::Occupation, "female", "male");
        assert_eq!(
            t.oriented(Direction::StereotypeConsistent),
            ("female", "male")
        );
        assert_eq!(t.oriented(Direction::AntiStereotypical), ("male", "female"));
        assert!(t.check().is_ok());
        assert!(
            BiasTarget::new(Axis::Gender, Attribute::Occupation, "x", "x")
                .check()
                .is_err()
        );
    }

    #[test]
    fn ids_parse_back_and_unknown_ones_list_the_known() {
        for d in Direction::ALL {
            assert_eq!(d.id().parse::<Direction>().unwrap(), d);
        }
        for a in Attribute::ALL {
            assert_eq!(a.id().parse::<Attribute>().unwrap(), a);
        }
        let msg = "pro".parse::<Direction>().unwrap_err().to_string();
        assert!(msg.contains("anti-stereotypical"), "{msg}");
    }
}
