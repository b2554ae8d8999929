//! The built-in occupation suite: the paper's gender experiment (original training set
//! D_o and the balanced test set of the default study), made offline from biography
//! templates written for this crate.
//!
//! Labels are the occupation ids `architect`, `dentist`, `nurse`, `painter`, `professor`
//! and `software_engineer` (snake case, as Bias in Bios names its professions), in that
//! label-index order.

mod scrub;
mod suite;
mod templates;

use serde::{Deserialize, Serialize};

pub use scrub::{scrub_titles, title_lexicon};
pub use suite::{OccupationSuite, OccupationSuiteParams};

/// The six occupations of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occupation {
    /// `architect`.
    Architect,
    /// `dentist`.
    Dentist,
    /// `nurse`.
    Nurse,
    /// `painter`.
    Painter,
    /// `professor`.
    Professor,
    /// `software_engineer`.
    SoftwareEngineer,
}

impl Occupation {
    /// All six, in label-index order.
    pub const ALL: [Occupation; 6] = [
        Occupation::Architect,
        Occupation::Dentist,
        Occupation::Nurse,
        Occupation::Painter,
        Occupation::Professor,
        Occupation::SoftwareEngineer,
    ];

    /// The label id (`software_engineer`).
    pub fn id(&self) -> &'static str {
        match self {
            Occupation::Architect => "architect",
            Occupation::Dentist => "dentist",
            Occupation::Nurse => "nurse",
            Occupation::Painter => "painter",
            Occupation::Professor => "professor",
            Occupation::SoftwareEngineer => "software_engineer",
        }
    }

    /// The title words [`scrub_titles`] removes for this occupation: the title in
    /// singular and plural, plus `nursing` for nurses and the bare `engineer(s)` for
    /// software engineers, since both name the job outright. Field words (`architecture`,
    /// `dental`, `painting`, `software`, `teaching`) are kept, as Bias in Bios keeps them.
    pub fn title_words(&self) -> &'static [&'static str] {
        match self {
            Occupation::Architect => &["architect", "architects"],
            Occupation::Dentist => &["dentist", "dentists"],
            Occupation::Nurse => &["nurse", "nurses", "nursing"],
            Occupation::Painter => &["painter", "painters"],
            Occupation::Professor => &["professor", "professors"],
            Occupation::SoftwareEngineer => &[
                "software engineer",
                "software engineers",
                "engineer",
                "engineers",
            ],
        }
    }
}

impl std::fmt::Display for Occupation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
