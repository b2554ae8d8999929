//! CrowS-Pairs (Nangia et al. 2020): sentence pairs and the direction of the stereotype.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a CrowS-Pairs `sent_more` expresses a stereotype or violates one (upstream
/// column `stereo_antistereo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// `sent_more` states a stereotype about a historically disadvantaged group.
    Stereo,
    /// `sent_more` violates a stereotype about a historically advantaged group.
    Antistereo,
}

impl Direction {
    /// `stereo` or `antistereo`, as upstream.
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::Stereo => "stereo",
            Direction::Antistereo => "antistereo",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One CrowS-Pairs pair with every upstream column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrowsPair {
    /// The unnamed first column (0..1507).
    pub id: u32,
    /// The more stereotyping sentence.
    pub sent_more: String,
    /// The less stereotyping sentence (differs in the group mentioned).
    pub sent_less: String,
    /// `stereo` or `antistereo`.
    pub direction: Direction,
    /// `race-color`, `gender`, `socioeconomic`, `nationality`, `religion`, `age`,
    /// `sexual-orientation`, `physical-appearance` or `disability`.
    pub bias_type: String,
    /// The bias types each of the five validators chose.
    pub annotations: Vec<Vec<String>>,
    /// Anonymised writer id.
    pub anon_writer: String,
    /// Anonymised validator ids.
    pub anon_annotators: Vec<String>,
}

impl CrowsPair {
    /// A pair without annotations (for pairs written by hand).
    pub fn new(
        id: u32,
        sent_more: impl Into<String>,
        sent_less: impl Into<String>,
        direction: Direction,
        bias_type: impl Into<String>,
    ) -> Self {
        CrowsPair {
            id,
            sent_more: sent_more.into(),
            sent_less: sent_less.into(),
            direction,
            bias_type: bias_type.into(),
            annotations: Vec::new(),
            anon_writer: String::new(),
            anon_annotators: Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// WinoBias
// ---------------------------------------------------------------------------------------
