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
    /// True class of each evaluated row (rows with a label known to the classifier).
    pub y_true: Vec<usize>,
    /// Predicted class of each evaluated row.
    pub y_pred: Vec<usize>,
    /// Group of each evaluated row on the axis.
    pub groups: Vec<String>,
}

impl OccupationReport {
    /// The largest gap, over classes, between the two groups' rates of being predicted
    /// that class (demographic parity difference per class, maximised).
    pub fn dp_gap_max(&self, group_a: &str, group_b: &str) -> f64 {
        let mut max: f64 = 0.0;
        for c in 0..self.labels.len() {
            let rate = |g: &str| {
                let (hit, n) = self
                    .y_pred
                    .iter()
                    .zip(&self.groups)
                    .filter(|(_, gr)| gr.as_str() == g)
                    .fold((0usize, 0usize), |(h, n), (p, _)| {
                        (h + usize::from(*p == c), n + 1)
                    });
                hit as f64 / n.max(1) as f64
            };
            max = max.max((rate(group_a) - rate(group_b)).abs());
        }
        max
    }
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
        y_true,
        y_pred,
        groups,
    })
}
