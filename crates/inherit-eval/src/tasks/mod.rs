//! Evaluators for the paper's downstream tasks. Each takes a model through an
//! `inherit-core` trait and returns a serialisable report.
//!
//! | task | model | report |
//! |---|---|---|
//! | [`occupation`] | [`TextClassifier`] | accuracy / macro-F1 per gender, TPR gaps, fairness |
//! | [`hiring`] | [`TextGenerator`](inherit_core::TextGenerator) | selection rate per culture x gender, demographic parity |
//! | [`salary`] | [`TextGenerator`](inherit_core::TextGenerator) | mean parsed salary per group, gap, Mann–Whitney |
//! | [`story`] | [`TextGenerator`](inherit_core::TextGenerator) | negative-adjective share per group and dimension |
//! | [`direct_indirect`] | [`TextClassifier`] | macro-F1 on a bias-related vs a neutral task |

pub mod direct_indirect;
pub mod hiring;
pub mod occupation;
pub mod salary;
pub mod story;

use inherit_core::{Dataset, TextClassifier};

use crate::error::{Error, Result};

/// Runs `classifier` on the labelled examples of `data` in batches and returns
/// `(y_true, y_pred, kept)`: class indices in the classifier's label order and the
/// indices of the examples used. Unlabelled examples are skipped; a label the
/// classifier does not know is an error.
pub fn classify_dataset(
    classifier: &dyn TextClassifier,
    data: &Dataset,
    batch_size: usize,
) -> Result<(Vec<usize>, Vec<usize>, Vec<usize>)> {
    if batch_size == 0 {
        return Err(Error::invalid("batch_size", "must be at least 1"));
    }
    let labels = classifier.labels();
    let mut y_true = Vec::new();
    let mut kept = Vec::new();
    for (i, e) in data.examples.iter().enumerate() {
        let Some(label) = &e.label else { continue };
        let idx = labels.iter().position(|l| l == label).ok_or_else(|| {
            Error::invalid(
                "labels",
                format!(
                    "example `{}` has label `{label}`, unknown to the classifier [{}]",
                    e.id,
                    labels.join(", ")
                ),
            )
        })?;
        y_true.push(idx);
        kept.push(i);
    }
    if kept.is_empty() {
        return Err(Error::NoData(format!(
            "dataset `{}` has no labelled example",
            data.name
        )));
    }
    let mut y_pred = Vec::with_capacity(kept.len());
    for chunk in kept.chunks(batch_size) {
        let texts: Vec<String> = chunk
            .iter()
            .map(|&i| data.examples[i].text.clone())
            .collect();
        let preds = classifier.predict(&texts)?;
        Error::check_len("classifier predictions", texts.len(), preds.len())?;
        y_pred.extend(preds);
    }
    Ok((y_true, y_pred, kept))
}
