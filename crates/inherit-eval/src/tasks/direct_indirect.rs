//! Classification "directly" vs "indirectly" related to bias: macro-F1 on a
//! bias-related task (e.g. toxicity on identity madlibs) next to a neutral one (e.g.
//! SST-2 sentiment), to see whether inherited bias hurts the first more.

use inherit_core::{Dataset, TextClassifier};
use serde::{Deserialize, Serialize};

use super::classify_dataset;
use crate::error::Result;
use crate::metrics::Confusion;

/// Macro-F1 on both tasks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectIndirect {
    /// Macro-F1 on the bias-related task.
    pub direct_macro_f1: f64,
    /// Macro-F1 on the neutral task.
    pub indirect_macro_f1: f64,
    /// `direct - indirect`.
    pub gap: f64,
    /// Examples scored on the bias-related task.
    pub n_direct: usize,
    /// Examples scored on the neutral task.
    pub n_indirect: usize,
}

/// Macro-F1 of `classifier` on the labelled examples of `data`.
pub fn macro_f1_on(
    classifier: &dyn TextClassifier,
    data: &Dataset,
    batch_size: usize,
) -> Result<(f64, usize)> {
    let (y_true, y_pred, kept) = classify_dataset(classifier, data, batch_size)?;
    let k = classifier.labels().len();
    Ok((
        Confusion::from_labels(k, &y_true, &y_pred).macro_f1(),
        kept.len(),
    ))
}

/// Evaluates one classifier per task (they usually differ: each is trained on its task).
pub fn evaluate_direct_indirect(
    direct_model: &dyn TextClassifier,
    direct: &Dataset,
    indirect_model: &dyn TextClassifier,
    indirect: &Dataset,
    batch_size: usize,
) -> Result<DirectIndirect> {
    let (d, n_direct) = macro_f1_on(direct_model, direct, batch_size)?;
    let (i, n_indirect) = macro_f1_on(indirect_model, indirect, batch_size)?;
    Ok(DirectIndirect {
        direct_macro_f1: d,
        indirect_macro_f1: i,
        gap: d - i,
        n_direct,
        n_indirect,
    })
}
