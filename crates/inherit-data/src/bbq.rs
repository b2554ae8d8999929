//! BBQ (Parrish et al. 2022): a bias benchmark for question answering. Each item has a
//! context (ambiguous or disambiguated), a question (negative or non-negative), three
//! answers and the gold label, plus the answers' group annotations and the stereotyped
//! groups. The records ([`BbqItem`], ...) are `inherit-core`'s, so `inherit-eval`'s BBQ
//! scorer takes what this loader returns.

use std::path::Path;

pub use inherit_core::benchmark::{
    AnswerInfo, BbqCategory, BbqItem, BbqMetadata, BbqTarget, ContextCondition, QuestionPolarity,
};

use crate::error::{Result, parse_error};
use crate::read::read_json_lines;

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
