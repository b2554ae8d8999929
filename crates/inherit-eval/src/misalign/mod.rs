//! The paper's three misalignment analyses: group data ([`group_dist`]), data
//! distribution ([`mmd`]) and values ([`values`]).

pub mod group_dist;
pub mod mmd;
pub mod values;

pub use group_dist::{GroupCounts, GroupDistribution, GroupSource, TargetTest};
pub use mmd::{
    Kernel, MeanDistance, MmdParams, MmdResult, compare_texts, mean_embedding_distance, mmd_test,
};
pub use values::{
    OpinionQuestion, QuestionSimilarity, ValueAlignment, answer_distribution, js_distance,
    opinion_prompt, read_global_opinions, value_alignment,
};
