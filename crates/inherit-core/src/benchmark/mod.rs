//! Records of the bias benchmarks, defined once: `inherit-data`'s loaders return them and
//! `inherit-eval`'s scorers take them.
//!
//! | benchmark | record | direction of the stereotype |
//! |---|---|---|
//! | BBQ (Parrish et al. 2022) | [`BbqItem`] (category [`BbqCategory`]) | [`QuestionPolarity`]; the target answer from [`BbqItem::resolve_target`] |
//! | CrowS-Pairs (Nangia et al. 2020) | [`CrowsPair`] | [`Direction`]: `sent_more` stereotyping or anti-stereotyping |
//! | WinoBias (Zhao et al. 2018) | [`WinoBiasSentence`] (from a [`WinoBiasFile`]) | [`Stereotype`]: pro or anti |
//! | EEC (Kiritchenko & Mohammad 2018) | [`EecRow`] | none (gender and race gaps) |
//!
//! The records keep every upstream field; they serialise back to the upstream JSON shape
//! where there is one (BBQ).

mod bbq;
mod crows;
mod eec;
mod winobias;

pub use bbq::{
    AnswerInfo, BbqCategory, BbqItem, BbqMetadata, BbqPrediction, BbqTarget, ContextCondition,
    QuestionPolarity,
};
pub use crows::{CrowsPair, Direction};
pub use eec::{EEC_NO_EMOTION, EecRow};
pub use winobias::{Mention, Stereotype, WinoBiasFile, WinoBiasSentence, WinoPart, WinoType};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(
            BbqCategory::from_name("race_x_ses"),
            Some(BbqCategory::RaceXSes)
        );
        assert_eq!(
            BbqCategory::Nationality.relative_path(),
            "bbq/Nationality.jsonl"
        );
        assert_eq!(Direction::Antistereo.to_string(), "antistereo");
        let f = WinoBiasFile {
            stereotype: Stereotype::Anti,
            kind: WinoType::Type2,
            part: WinoPart::Test,
        };
        assert_eq!(
            f.relative_path(),
            "winobias/anti_stereotyped_type2.txt.test"
        );
        assert_eq!(WinoBiasFile::all().len(), 8);
    }
}
