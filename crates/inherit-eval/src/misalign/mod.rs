//! The paper's three misalignment analyses: group data ([`group_dist`]), data
//! distribution ([`mmd`]) and values ([`values`]; by persona against survey populations,
//! before and after fine-tuning, in [`personas`]).

pub mod group_dist;
pub mod mmd;
pub mod personas;
pub mod values;

pub use group_dist::{GroupCounts, GroupDistribution, GroupSource, TargetTest};
pub use mmd::{
    Kernel, MeanDistance, MmdParams, MmdResult, compare_texts, mean_embedding_distance, mmd_test,
};
pub use personas::{
    ANSWER_INSTRUCTION, ModelAnswers, PERSONA_TEMPLATE, Population, QuestionAnswers, ShiftCell,
    SurveyQuestion, ValuesRow, ValuesShift, ValuesTable, answer_labels, model_answers, softmax,
    values_prompt, values_shift, values_table,
};
pub use values::{
    OpinionQuestion, QuestionSimilarity, ValueAlignment, answer_distribution, js_distance,
    opinion_prompt, read_global_opinions, value_alignment,
};
