//! First names and surnames per gender and culture: how implicit prompts signal a group
//! without naming it, and part of the lexicon that infers groups back from outputs.
//!
//! The crate ships a small built-in table (`templates/names.json`: eight first names
//! per gender and culture, six surnames per culture, for `anglo`, `arabic`, `chinese`,
//! `portuguese` and `spanish`). Larger curated lists (e.g. from `inherit-data`) plug in
//! through [`NameTable::set_first_names`] and [`NameTable::set_surnames`], or a JSON
//! file of the same shape ([`NameTable::from_json_file`]).

use std::collections::BTreeMap;
use std::path::Path;

use inherit_core::{Axis, LexiconEntry, TermKind};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::templates::{parse_json, read_json_file};

const BUILTIN: &str = include_str!("../templates/names.json");

/// Names per gender and culture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameTable {
    /// The culture of the names used when only gender is signalled (single-scope
    /// implicit prompts on the gender axis).
    pub default_culture: String,
    /// Gender -> culture -> first names.
    pub first_names: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Culture -> surnames.
    pub surnames: BTreeMap<String, Vec<String>>,
}

impl NameTable {
    /// The built-in table.
    pub fn builtin() -> Self {
        parse_json("templates/names.json", BUILTIN).expect("the built-in name table is valid")
    }

    /// Reads a table from a JSON file of the built-in table's shape and checks it.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self> {
        let table: NameTable = read_json_file(path.as_ref())?;
        table.check().map_err(|e| match e {
            Error::Template { message, .. } => {
                Error::template(path.as_ref().display().to_string(), message)
            }
            other => other,
        })?;
        Ok(table)
    }

    /// Replaces the first names of one gender and culture (e.g. with
    /// `inherit_data::names(gender, culture)`).
    pub fn set_first_names(
        &mut self,
        gender: impl Into<String>,
        culture: impl Into<String>,
        names: Vec<String>,
    ) {
        self.first_names
            .entry(gender.into())
            .or_default()
            .insert(culture.into(), names);
    }

    /// Replaces the surnames of one culture.
    pub fn set_surnames(&mut self, culture: impl Into<String>, names: Vec<String>) {
        self.surnames.insert(culture.into(), names);
    }

    /// The first names of a gender and culture (`None` when the table has none).
    pub fn first(&self, gender: &str, culture: &str) -> Option<&[String]> {
        self.first_names
            .get(gender)?
            .get(culture)
            .map(Vec::as_slice)
            .filter(|n| !n.is_empty())
    }

    /// The surnames of a culture (`None` when the table has none).
    pub fn surnames_of(&self, culture: &str) -> Option<&[String]> {
        self.surnames
            .get(culture)
            .map(Vec::as_slice)
            .filter(|n| !n.is_empty())
    }

    /// The genders with first names.
    pub fn genders(&self) -> Vec<&str> {
        self.first_names.keys().map(String::as_str).collect()
    }

    /// The cultures with surnames and with first names for every gender.
    pub fn cultures(&self) -> Vec<&str> {
        self.surnames
            .keys()
            .map(String::as_str)
            .filter(|c| {
                self.surnames_of(c).is_some()
                    && self.first_names.keys().all(|g| self.first(g, c).is_some())
            })
            .collect()
    }

    /// Checks that the table is non-empty, that no list is empty or holds a blank name,
    /// and that the default culture has names for every gender.
    pub fn check(&self) -> Result<()> {
        let table = "names";
        if self.first_names.is_empty() {
            return Err(Error::template(table, "no first names"));
        }
        for (gender, by_culture) in &self.first_names {
            for (culture, names) in by_culture {
                if names.is_empty() || names.iter().any(|n| n.trim().is_empty()) {
                    return Err(Error::template(
                        table,
                        format!("first_names.{gender}.{culture} is empty or holds a blank name"),
                    ));
                }
            }
            if self.first(gender, &self.default_culture).is_none() {
                return Err(Error::template(
                    table,
                    format!(
                        "default_culture `{}` has no first names for gender `{gender}`",
                        self.default_culture
                    ),
                ));
            }
        }
        for (culture, names) in &self.surnames {
            if names.is_empty() || names.iter().any(|n| n.trim().is_empty()) {
                return Err(Error::template(
                    table,
                    format!("surnames.{culture} is empty or holds a blank name"),
                ));
            }
        }
        Ok(())
    }

    /// Lexicon entries for every name: a first name signals its gender and culture, a
    /// surname its culture. A first name listed under two cultures signals gender only.
    pub fn lexicon_entries(&self) -> Vec<LexiconEntry> {
        let mut first: BTreeMap<&str, (String, Vec<&str>)> = BTreeMap::new();
        for (gender, by_culture) in &self.first_names {
            for (culture, names) in by_culture {
                for name in names {
                    let slot = first
                        .entry(name.as_str())
                        .or_insert_with(|| (gender.clone(), Vec::new()));
                    slot.1.push(culture.as_str());
                }
            }
        }
        let mut out = Vec::new();
        for (name, (gender, cultures)) in first {
            let mut entry = LexiconEntry::new(name, Axis::Gender, gender, TermKind::FirstName);
            if let [culture] = cultures.as_slice() {
                entry = entry.also(Axis::Culture, *culture);
            }
            out.push(entry);
        }
        for (culture, names) in &self.surnames {
            for name in names {
                out.push(LexiconEntry::new(
                    name.as_str(),
                    Axis::Culture,
                    culture.as_str(),
                    TermKind::CultureTerm,
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_covers_every_gender_and_culture() {
        let t = NameTable::builtin();
        t.check().unwrap();
        assert_eq!(t.genders(), ["female", "male"]);
        assert_eq!(
            t.cultures(),
            ["anglo", "arabic", "chinese", "portuguese", "spanish"]
        );
        assert_eq!(t.first("female", "chinese").unwrap().len(), 8);
    }

    #[test]
    fn names_become_lexicon_entries_with_gender_and_culture() {
        let mut t = NameTable::builtin();
        t.set_first_names("female", "spanish", vec!["Lucía".into(), "Emily".into()]);
        let entries = t.lexicon_entries();
        let lucia = entries.iter().find(|e| e.term == "Lucía").unwrap();
        assert_eq!(lucia.group(&Axis::Gender), Some("female"));
        assert_eq!(lucia.group(&Axis::Culture), Some("spanish"));
        // Emily is now listed as anglo and spanish: gender only.
        let emily = entries.iter().find(|e| e.term == "Emily").unwrap();
        assert_eq!(emily.group(&Axis::Culture), None);
        let wang = entries.iter().find(|e| e.term == "Wang").unwrap();
        assert_eq!(wang.group(&Axis::Culture), Some("chinese"));
    }

    #[test]
    fn a_bad_table_is_rejected_with_the_field() {
        let mut t = NameTable::builtin();
        t.set_surnames("arabic", vec![]);
        let msg = t.check().unwrap_err().to_string();
        assert!(msg.contains("surnames.arabic"), "{msg}");
        let mut t = NameTable::builtin();
        t.default_culture = "klingon".into();
        assert!(t.check().unwrap_err().to_string().contains("klingon"));
    }
}
