#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod bbq;
pub mod bios;
pub mod bold;
pub mod crows;
pub mod dir;
pub mod eec;
pub mod error;
pub mod hiring;
pub mod hiring_pairs;
pub mod holistic;
pub mod lexicons;
pub mod madlibs;
pub mod occupation;
mod read;
pub mod salary;
pub mod story;
pub mod text_sets;
pub mod winobias;
pub mod wvs;

pub use bbq::{
    AnswerInfo, BbqCategory, BbqItem, BbqMetadata, BbqTarget, ContextCondition, QuestionPolarity,
    read_bbq,
};
pub use bios::{BIOS_PROFESSIONS, read_bias_in_bios};
pub use bold::{BoldDomain, BoldRecord, bold_dataset, read_bold};
pub use crows::{CrowsPair, Direction, read_crows_pairs};
pub use dir::{DATA_DIR_ENV, DataDir};
pub use eec::{EEC_NO_EMOTION, EecRow, eec_dataset, read_eec};
pub use error::{Error, Result};
pub use hiring::{HIRING_LABELS, HIRING_ROLES, HiringRule, HiringSuite, HiringSuiteParams};
pub use hiring_pairs::{PLACEBO, PairParams, counterfactual_pairs};
pub use holistic::{HolisticDescriptor, read_holistic_descriptors};
pub use lexicons::{Culture, Gender};
pub use occupation::{Occupation, OccupationSuite, OccupationSuiteParams, scrub_titles};
pub use salary::{
    SALARY_BAND_MIDPOINTS, SALARY_BANDS, SALARY_OCCUPATIONS, SalarySuite, SalarySuiteParams,
    band_midpoint, salary_band,
};
pub use story::{STORY_TOPICS, StorySuite, StorySuiteParams, story_prompt};
pub use text_sets::{MADLIBS_LABELS, SST2_LABELS, Sst2Split, read_madlibs, read_sst2};
pub use winobias::{
    Mention, Stereotype, WinoBiasFile, WinoBiasSentence, WinoPart, WinoType, read_winobias,
    winobias_dataset,
};
pub use wvs::{
    SkipReason, Skipped, WvsCountry, WvsDistribution, WvsEntry, WvsFile, WvsOption, WvsQuestion,
    WvsSurvey, read_wvs_file,
};
