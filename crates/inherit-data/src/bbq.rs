//! BBQ (Parrish et al. 2022): a bias benchmark for question answering. Each item has a
//! context (ambiguous or disambiguated), a question (negative or non-negative), three
//! answers and the gold label, plus the answers' group tags and the stereotyped groups.

use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Result, parse_error};
use crate::read::read_json_lines;

/// The eleven BBQ categories; the shared data holds `Age` and `Religion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BbqCategory {
    /// `Age.jsonl`.
    Age,
    /// `Disability_status.jsonl`.
    DisabilityStatus,
    /// `Gender_identity.jsonl`.
    GenderIdentity,
    /// `Nationality.jsonl`.
    Nationality,
    /// `Physical_appearance.jsonl`.
    PhysicalAppearance,
    /// `Race_ethnicity.jsonl`.
    RaceEthnicity,
    /// `Race_x_SES.jsonl`.
    RaceXSes,
    /// `Race_x_gender.jsonl`.
    RaceXGender,
    /// `Religion.jsonl`.
    Religion,
    /// `SES.jsonl`.
    Ses,
    /// `Sexual_orientation.jsonl`.
    SexualOrientation,
}

impl BbqCategory {
    /// The upstream category name, also the file stem (`Race_x_SES`).
    pub fn as_str(&self) -> &'static str {
        match self {
            BbqCategory::Age => "Age",
            BbqCategory::DisabilityStatus => "Disability_status",
            BbqCategory::GenderIdentity => "Gender_identity",
            BbqCategory::Nationality => "Nationality",
            BbqCategory::PhysicalAppearance => "Physical_appearance",
            BbqCategory::RaceEthnicity => "Race_ethnicity",
            BbqCategory::RaceXSes => "Race_x_SES",
            BbqCategory::RaceXGender => "Race_x_gender",
            BbqCategory::Religion => "Religion",
            BbqCategory::Ses => "SES",
            BbqCategory::SexualOrientation => "Sexual_orientation",
        }
    }

    /// Every upstream category.
    pub const ALL: [BbqCategory; 11] = [
        BbqCategory::Age,
        BbqCategory::DisabilityStatus,
        BbqCategory::GenderIdentity,
        BbqCategory::Nationality,
        BbqCategory::PhysicalAppearance,
        BbqCategory::RaceEthnicity,
        BbqCategory::RaceXSes,
        BbqCategory::RaceXGender,
        BbqCategory::Religion,
        BbqCategory::Ses,
        BbqCategory::SexualOrientation,
    ];

    /// The category of an upstream name (`Age`, `Race_x_SES`, ...), case-insensitively.
    pub fn from_name(name: &str) -> Option<BbqCategory> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(name))
    }

    /// The path inside the data directory, e.g. `bbq/Age.jsonl`.
    pub fn relative_path(&self) -> String {
        format!("bbq/{}.jsonl", self.as_str())
    }
}

/// Negative or non-negative question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionPolarity {
    /// The question asks who fits a harmful stereotype.
    Neg,
    /// The complementary question.
    Nonneg,
}

/// Ambiguous or disambiguated context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextCondition {
    /// The context does not give the answer: the correct answer is "unknown".
    Ambig,
    /// The context gives the answer.
    Disambig,
}

/// Per-answer annotation: `[surface form, group tag]`, e.g. `["grandfather", "old"]`;
/// the "can't be determined" answer has tag `unknown`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerInfo {
    /// Annotation of `ans0`.
    pub ans0: Vec<String>,
    /// Annotation of `ans1`.
    pub ans1: Vec<String>,
    /// Annotation of `ans2`.
    pub ans2: Vec<String>,
}

/// BBQ's `additional_metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BbqMetadata {
    /// Subcategory (`None` as a string upstream when there is none).
    #[serde(default)]
    pub subcategory: String,
    /// The groups the stereotype targets (matched against the answers' group tags).
    pub stereotyped_groups: Vec<String>,
    /// Template version (`a`, `b`, or `None`).
    #[serde(default)]
    pub version: String,
    /// Where the stereotype is documented (a URL).
    #[serde(default)]
    pub source: String,
}

/// One BBQ item with every upstream field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BbqItem {
    /// Id within its category file.
    pub example_id: u64,
    /// The template (question) index, a string upstream (`"1"`); numbers are accepted.
    #[serde(deserialize_with = "string_or_number")]
    pub question_index: String,
    /// Negative or non-negative question.
    pub question_polarity: QuestionPolarity,
    /// Ambiguous or disambiguated context.
    pub context_condition: ContextCondition,
    /// The category (`Age`).
    pub category: String,
    /// The answers' annotations.
    pub answer_info: AnswerInfo,
    /// Stereotyped groups and provenance.
    pub additional_metadata: BbqMetadata,
    /// The context.
    pub context: String,
    /// The question.
    pub question: String,
    /// Answer 0.
    pub ans0: String,
    /// Answer 1.
    pub ans1: String,
    /// Answer 2.
    pub ans2: String,
    /// Index of the correct answer (0, 1 or 2).
    pub label: u8,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or a number, got {other}"
        ))),
    }
}

impl BbqItem {
    /// The three answers in order.
    pub fn answers(&self) -> [&str; 3] {
        [&self.ans0, &self.ans1, &self.ans2]
    }

    /// The group tag of answer `i` (the second entry of its `answer_info`), if any.
    pub fn answer_group(&self, i: usize) -> Option<&str> {
        let info = match i {
            0 => &self.answer_info.ans0,
            1 => &self.answer_info.ans1,
            2 => &self.answer_info.ans2,
            _ => return None,
        };
        info.get(1).map(String::as_str)
    }

    /// The index of the "can't be determined" answer (group tag `unknown`).
    pub fn unknown_answer(&self) -> Option<usize> {
        (0..3).find(|&i| self.answer_group(i) == Some("unknown"))
    }

    /// The correct answer's text.
    pub fn correct_answer(&self) -> &str {
        self.answers()[usize::from(self.label)]
    }
}

/// Reads a BBQ category file (one JSON object per line). Errors name the file, the line
/// and the field (`answer_info.ans1`, `label`, ...); a label outside 0..=2 is an error.
pub fn read_bbq(path: &Path) -> Result<Vec<BbqItem>> {
    read_json_lines(path, |item: BbqItem, line| {
        if item.label > 2 {
            return Err(parse_error(
                path,
                line,
                Some("label"),
                format!("expected 0, 1 or 2, got {}", item.label),
            ));
        }
        Ok(item)
    })
}
