//! Occupation classification (Bias-in-Bios style): accuracy and macro-F1 per gender,
//! per-occupation TPR gaps and fairness measures.

use inherit_core::{Axis, Dataset, TextClassifier};
use serde::{Deserialize, Serialize};

use super::classify_dataset;
use crate::error::{Error, Result};
use crate::fairness::{TprGaps, tpr_gaps};
use crate::frame::{MetricFrame, SensitiveFeature};
use crate::metrics::{Metric, Sample};

/// The occupation-classification report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OccupationReport {
    /// Accuracy and macro-F1 overall and per group.
    pub frame: MetricFrame,
    /// TPR gap per occupation between the two groups, with class names.
    pub tpr_gaps: TprGaps,
    /// Class names, by index (for reading `tpr_gaps`).
    pub labels: Vec<String>,
}

/// Evaluates `classifier` on `data`, grouping by the value on `axis` (stated, else
/// inferred; examples without one are grouped as `unknown`), with TPR gaps
/// `group_a - group_b` (e.g. `female`, `male`).
pub fn evaluate_occupation(
    classifier: &dyn TextClassifier,
    data: &Dataset,
    axis: &Axis,
    group_a: &str,
    group_b: &str,
    batch_size: usize,
) -> Result<OccupationReport> {
    let (y_true, y_pred, kept) = classify_dataset(classifier, data, batch_size)?;
    let groups: Vec<String> = kept
        .iter()
        .map(|&i| {
            data.examples[i]
                .groups
                .value(axis)
                .unwrap_or("unknown")
                .to_owned()
        })
        .collect();
    if !groups.iter().any(|g| g == group_a) || !groups.iter().any(|g| g == group_b) {
        return Err(Error::NoData(format!(
            "`{axis}` groups `{group_a}` and `{group_b}` both need examples"
        )));
    }
    let sample = Sample::new(&y_true, &y_pred);
    let frame = MetricFrame::new(
        &[Metric::Count, Metric::Accuracy, Metric::MacroF1],
        sample,
        &[SensitiveFeature::new(axis.as_str(), groups.iter().cloned())],
    )?;
    Ok(OccupationReport {
        frame,
        tpr_gaps: tpr_gaps(sample, &groups, group_a, group_b)?,
        labels: classifier.labels().to_vec(),
    })
}
