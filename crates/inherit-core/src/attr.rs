//! Group attributes: the social axes (gender, culture, ...) and the values an example
//! carries on them, each marked as *stated* (given by the data or the prompt) or
//! *inferred* (detected in the text).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// A social attribute axis.
///
/// Serialised as its lowercase name (`gender`, `culture`, ...); [`Axis::Other`] as the
/// free name itself, so datasets can carry axes we did not foresee (e.g. `disability`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Axis {
    /// Gender (values such as `female`, `male`, `nonbinary`).
    Gender,
    /// Culture (values such as `arabic`, `chinese`, `portuguese`, `spanish`, `anglo`).
    Culture,
    /// Age group.
    Age,
    /// Religion.
    Religion,
    /// Race or ethnicity.
    Race,
    /// Nationality.
    Nationality,
    /// Any other axis, by name.
    Other(String),
}

impl Axis {
    /// The named axes (all but [`Axis::Other`]).
    pub const NAMED: [Axis; 6] = [
        Axis::Gender,
        Axis::Culture,
        Axis::Age,
        Axis::Religion,
        Axis::Race,
        Axis::Nationality,
    ];

    /// The stable lowercase name used in files and reports.
    pub fn as_str(&self) -> &str {
        match self {
            Axis::Gender => "gender",
            Axis::Culture => "culture",
            Axis::Age => "age",
            Axis::Religion => "religion",
            Axis::Race => "race",
            Axis::Nationality => "nationality",
            Axis::Other(name) => name,
        }
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Axis {
    type Err = Error;

    /// Parses a name case-insensitively; any non-empty name that is not a named axis
    /// becomes [`Axis::Other`] (lowercased).
    fn from_str(s: &str) -> Result<Self, Error> {
        let lower = s.trim().to_ascii_lowercase();
        if lower.is_empty() {
            return Err(Error::invalid("axis", "an axis name cannot be empty"));
        }
        Ok(Axis::NAMED
            .iter()
            .find(|a| a.as_str() == lower)
            .cloned()
            .unwrap_or(Axis::Other(lower)))
    }
}

impl Serialize for Axis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Axis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether a group value was given or detected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Given by the dataset or asked for by the prompt.
    Stated,
    /// Detected from the text (pronouns, names, culture terms).
    Inferred,
}

/// The group attributes of one example: stated and inferred values per axis.
///
/// Both are kept, so a prompt that asked for a woman (stated `female`) and got a text
/// about a man (inferred `male`) shows the generator's own choice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Groups {
    /// Values given by the data or the prompt.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stated: BTreeMap<Axis, String>,
    /// Values detected in the text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inferred: BTreeMap<Axis, String>,
}

impl Groups {
    /// No attributes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder: adds a stated value.
    pub fn with_stated(mut self, axis: Axis, value: impl Into<String>) -> Self {
        self.stated.insert(axis, value.into());
        self
    }

    /// Builder: adds an inferred value.
    pub fn with_inferred(mut self, axis: Axis, value: impl Into<String>) -> Self {
        self.inferred.insert(axis, value.into());
        self
    }

    /// Sets a value of the given origin, replacing any previous value of that origin.
    pub fn set(&mut self, axis: Axis, value: impl Into<String>, origin: Origin) {
        match origin {
            Origin::Stated => self.stated.insert(axis, value.into()),
            Origin::Inferred => self.inferred.insert(axis, value.into()),
        };
    }

    /// The value on `axis`, preferring the stated one, with its origin.
    pub fn get(&self, axis: &Axis) -> Option<(&str, Origin)> {
        self.stated
            .get(axis)
            .map(|v| (v.as_str(), Origin::Stated))
            .or_else(|| {
                self.inferred
                    .get(axis)
                    .map(|v| (v.as_str(), Origin::Inferred))
            })
    }

    /// The value on `axis` (stated, else inferred), without its origin.
    pub fn value(&self, axis: &Axis) -> Option<&str> {
        self.get(axis).map(|(v, _)| v)
    }

    /// The value of one origin only.
    pub fn get_origin(&self, axis: &Axis, origin: Origin) -> Option<&str> {
        match origin {
            Origin::Stated => self.stated.get(axis),
            Origin::Inferred => self.inferred.get(axis),
        }
        .map(String::as_str)
    }

    /// True when neither stated nor inferred values are present.
    pub fn is_empty(&self) -> bool {
        self.stated.is_empty() && self.inferred.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_names_round_trip_and_other_axes_are_kept() {
        for axis in Axis::NAMED {
            assert_eq!(axis.as_str().parse::<Axis>().unwrap(), axis);
        }
        assert_eq!("Gender".parse::<Axis>().unwrap(), Axis::Gender);
        assert_eq!(
            "Disability".parse::<Axis>().unwrap(),
            Axis::Other("disability".into())
        );
        assert!("  ".parse::<Axis>().is_err());
    }

    #[test]
    fn stated_value_wins_but_inferred_is_kept() {
        let g = Groups::new()
            .with_stated(Axis::Gender, "female")
            .with_inferred(Axis::Gender, "male");
        assert_eq!(g.get(&Axis::Gender), Some(("female", Origin::Stated)));
        assert_eq!(g.get_origin(&Axis::Gender, Origin::Inferred), Some("male"));
        let only_inferred = Groups::new().with_inferred(Axis::Culture, "arabic");
        assert_eq!(
            only_inferred.get(&Axis::Culture),
            Some(("arabic", Origin::Inferred))
        );
        assert_eq!(only_inferred.value(&Axis::Gender), None);
    }

    #[test]
    fn groups_serialise_as_axis_keyed_maps() {
        let g = Groups::new()
            .with_stated(Axis::Gender, "female")
            .with_inferred(Axis::Other("disability".into()), "deaf");
        let json = serde_json::to_string(&g).unwrap();
        assert_eq!(
            json,
            r#"{"stated":{"gender":"female"},"inferred":{"disability":"deaf"}}"#
        );
        assert_eq!(serde_json::from_str::<Groups>(&json).unwrap(), g);
    }
}
