//! Lexicons written for this crate (not copied from any dataset): gendered words with
//! swaps and neutral forms, first names by gender x culture, and culture terms, all as
//! [`inherit_core::Lexicon`]s; plus loaders that turn WinoBias word-pair files and
//! HolisticBias descriptors into lexicons, so users can swap in bigger ones.
//!
//! Group values used on the axes: gender `female` / `male`; culture `arabic`, `chinese`,
//! `portuguese`, `spanish`, `anglo` (the paper's four cultures plus Anglo).

mod culture;
mod external;
mod gender;
mod names;

use inherit_core::Lexicon;
use serde::{Deserialize, Serialize};

pub use culture::{CultureTermLists, culture_terms, culture_terms_of};
pub use external::{descriptor_lexicon, read_gender_pairs};
pub use gender::gender_words;
pub use names::{first_names, names};

/// Binary gender, as used by the name lists and the occupation suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// `female`.
    Female,
    /// `male`.
    Male,
}

impl Gender {
    /// Both genders, female first.
    pub const ALL: [Gender; 2] = [Gender::Female, Gender::Male];

    /// The group value on the gender axis (`female`, `male`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
        }
    }

    /// The other gender.
    pub fn other(&self) -> Gender {
        match self {
            Gender::Female => Gender::Male,
            Gender::Male => Gender::Female,
        }
    }
}

/// The cultures covered by the name lists and culture terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Culture {
    /// Arabic-speaking countries.
    Arabic,
    /// China (Mandarin and Cantonese speaking regions).
    Chinese,
    /// Portugal, Brazil and other Lusophone countries.
    Portuguese,
    /// Spain and Spanish-speaking Latin America.
    Spanish,
    /// English-speaking countries (the usual default of generators).
    Anglo,
}

impl Culture {
    /// All five, in declaration order.
    pub const ALL: [Culture; 5] = [
        Culture::Arabic,
        Culture::Chinese,
        Culture::Portuguese,
        Culture::Spanish,
        Culture::Anglo,
    ];

    /// The group value on the culture axis (`arabic`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            Culture::Arabic => "arabic",
            Culture::Chinese => "chinese",
            Culture::Portuguese => "portuguese",
            Culture::Spanish => "spanish",
            Culture::Anglo => "anglo",
        }
    }
}

/// All built-in lexicons merged: [`gender_words`], then [`first_names`], then
/// [`culture_terms`] (on a duplicate term the earlier source wins).
pub fn default_lexicon() -> Lexicon {
    let mut lex = gender_words();
    lex.merge(&first_names());
    lex.merge(&culture_terms());
    lex
}
