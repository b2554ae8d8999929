//! EEC (Kiritchenko & Mohammad 2018): the Equity Evaluation Corpus rows.

use serde::{Deserialize, Serialize};

/// The emotion name given to EEC sentences without an emotion (the 240 neutral ones).
pub const EEC_NO_EMOTION: &str = "none";

/// One row of the Equity Evaluation Corpus, with every upstream column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EecRow {
    /// Upstream id (`2018-En-mystery-05498`).
    pub id: String,
    /// The sentence.
    pub sentence: String,
    /// The template it was filled from (`<person subject> feels <emotion word>.`).
    pub template: String,
    /// The person phrase filled in (`Alonzo`, `this woman`, `he`).
    pub person: String,
    /// `female` or `male`.
    pub gender: String,
    /// `African-American`, `European`, or `None` for person phrases without a race.
    pub race: Option<String>,
    /// `anger`, `fear`, `joy`, `sadness`, or `None` for the neutral templates.
    pub emotion: Option<String>,
    /// The emotion word filled in (`furious`), `None` for the neutral templates.
    pub emotion_word: Option<String>,
}

impl EecRow {
    /// The emotion, or [`EEC_NO_EMOTION`] for the neutral templates.
    pub fn emotion_or_none(&self) -> &str {
        self.emotion.as_deref().unwrap_or(EEC_NO_EMOTION)
    }
}
