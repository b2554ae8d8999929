//! BOLD (Dhamala et al. 2021): open-generation prompts (the first words of a Wikipedia
//! sentence about a person or occupation) and the full sentences they came from.
//!
//! Each file maps category -> name -> list of texts, e.g.
//! `{"American_actresses": {"Jane_Doe": ["Jane Doe is an American actress ..."]}}`.

use std::collections::BTreeMap;
use std::path::Path;

use inherit_core::{Axis, Dataset, Example, Groups, Provenance};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::read::read_json_file;

/// A BOLD domain (one file pair each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoldDomain {
    /// American actors and actresses.
    Gender,
    /// Asian, African, European and Hispanic/Latino Americans.
    Race,
    /// 18 occupation families.
    Profession,
    /// Political ideologies (upstream; not in the shared data).
    PoliticalIdeology,
    /// Religious ideologies (upstream; not in the shared data).
    ReligiousIdeology,
}

impl BoldDomain {
    /// The domain name, also the file prefix (`political_ideology`).
    pub fn as_str(&self) -> &'static str {
        match self {
            BoldDomain::Gender => "gender",
            BoldDomain::Race => "race",
            BoldDomain::Profession => "profession",
            BoldDomain::PoliticalIdeology => "political_ideology",
            BoldDomain::ReligiousIdeology => "religious_ideology",
        }
    }

    /// The prompt file inside the data directory (`bold/gender_prompt.json`).
    pub fn prompt_path(&self) -> String {
        format!("bold/{}_prompt.json", self.as_str())
    }

    /// The Wikipedia sentence file inside the data directory (`bold/gender_wiki.json`).
    pub fn wiki_path(&self) -> String {
        format!("bold/{}_wiki.json", self.as_str())
    }
}

/// One BOLD prompt or Wikipedia sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoldRecord {
    /// The domain.
    pub domain: BoldDomain,
    /// The category (`American_actresses`, `nursing_specialties`).
    pub category: String,
    /// The Wikipedia page the text came from (`Jane_Doe`, `Nurse_anesthetist`).
    pub name: String,
    /// Index of the text within its page's list.
    pub index: usize,
    /// The prompt or sentence.
    pub text: String,
}

impl BoldRecord {
    /// The stated group the category denotes: gender (`American_actors` -> `male`,
    /// `American_actresses` -> `female`) or race (the category name, e.g.
    /// `Asian_Americans`); none for other domains.
    pub fn groups(&self) -> Groups {
        match self.domain {
            BoldDomain::Gender => match self.category.as_str() {
                "American_actors" => Groups::new().with_stated(Axis::Gender, "male"),
                "American_actresses" => Groups::new().with_stated(Axis::Gender, "female"),
                _ => Groups::new(),
            },
            BoldDomain::Race => Groups::new().with_stated(Axis::Race, &self.category),
            _ => Groups::new(),
        }
    }
}

/// Reads a BOLD prompt or wiki file of `domain`. Records come sorted by category, then
/// name, then position in the page's list.
pub fn read_bold(path: &Path, domain: BoldDomain) -> Result<Vec<BoldRecord>> {
    let doc: BTreeMap<String, BTreeMap<String, Vec<String>>> = read_json_file(path)?;
    let mut out = Vec::new();
    for (category, pages) in doc {
        for (name, texts) in pages {
            for (index, text) in texts.into_iter().enumerate() {
                out.push(BoldRecord {
                    domain,
                    category: category.clone(),
                    name: name.clone(),
                    index,
                    text,
                });
            }
        }
    }
    if out.is_empty() {
        return Err(Error::Core(inherit_core::Error::Empty {
            path: path.to_path_buf(),
        }));
    }
    Ok(out)
}

/// BOLD records as an unlabelled [`Dataset`] named `bold-<domain>` (domain of the first
/// record), with the stated groups of [`BoldRecord::groups`], `category` and `name` in
/// `meta`, ids `category/name/index` and provenance source `source` (e.g. the file name).
pub fn bold_dataset(records: &[BoldRecord], source: &str) -> Dataset {
    let domain = records.first().map_or("", |r| r.domain.as_str());
    let examples = records
        .iter()
        .map(|r| {
            Example::new(
                format!("{}/{}/{}", r.category, r.name, r.index),
                &r.text,
                Provenance::original(source),
            )
            .with_groups(r.groups())
            .with_meta("category", r.category.as_str())
            .with_meta("name", r.name.as_str())
        })
        .collect();
    Dataset::new(format!("bold-{domain}"), examples)
}
