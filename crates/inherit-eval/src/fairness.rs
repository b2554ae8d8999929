//! Group-fairness measures (fairlearn's definitions, one-vs-rest for multiclass) and the
//! Bias-in-Bios TPR gap (De-Arteaga et al., 2019).
//!
//! | measure | definition over groups `g` |
//! |---|---|
//! | demographic parity difference / ratio | difference / ratio of `selection_rate[pos]` |
//! | equalized odds difference | `max(diff(tpr[pos]), diff(fpr[pos]))` |
//! | equalized odds ratio | `min(ratio(tpr[pos]), ratio(fpr[pos]))` |
//! | equal opportunity difference / ratio | difference / ratio of `tpr[pos]` |
//!
//! `diff` and `ratio` aggregate [`Aggregate::BetweenGroups`] or
//! [`Aggregate::ToOverall`] as in [`MetricFrame`]. A group with no positives has
//! TPR 0 (see [`crate::metrics`]), so it drives the equalized-odds difference up rather
//! than producing NaN; check `MetricFrame::groups` sizes when groups are small.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::frame::{Aggregate, MetricFrame, SensitiveFeature};
use crate::metrics::{Confusion, Metric, Sample};

/// Demographic parity, equalized odds and equal opportunity for one positive class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessReport {
    /// The positive class.
    pub pos_label: usize,
    /// How differences and ratios aggregate.
    pub aggregate: Aggregate,
    /// Selection-rate difference.
    pub demographic_parity_difference: f64,
    /// Selection-rate ratio.
    pub demographic_parity_ratio: f64,
    /// Worst of the TPR and FPR differences.
    pub equalized_odds_difference: f64,
    /// Worst of the TPR and FPR ratios.
    pub equalized_odds_ratio: f64,
    /// TPR difference.
    pub equal_opportunity_difference: f64,
    /// TPR ratio.
    pub equal_opportunity_ratio: f64,
}

impl FairnessReport {
    /// Computes every measure for `pos_label`.
    pub fn compute(
        sample: Sample<'_>,
        features: &[SensitiveFeature],
        pos_label: usize,
        aggregate: Aggregate,
    ) -> Result<Self> {
        let metrics = [
            Metric::SelectionRate(pos_label),
            Metric::Tpr(pos_label),
            Metric::Fpr(pos_label),
        ];
        let mf = MetricFrame::new(&metrics, sample, features)?;
        Self::from_frame(&mf, pos_label, aggregate)
    }

    /// Reads the measures off a frame that holds `selection_rate`, `tpr` and `fpr` of
    /// `pos_label`.
    pub fn from_frame(mf: &MetricFrame, pos_label: usize, aggregate: Aggregate) -> Result<Self> {
        let sr = format!("selection_rate[{pos_label}]");
        let tpr = format!("tpr[{pos_label}]");
        let fpr = format!("fpr[{pos_label}]");
        Ok(FairnessReport {
            pos_label,
            aggregate,
            demographic_parity_difference: mf.difference(&sr, aggregate)?,
            demographic_parity_ratio: mf.ratio(&sr, aggregate)?,
            equalized_odds_difference: mf
                .difference(&tpr, aggregate)?
                .max(mf.difference(&fpr, aggregate)?),
            equalized_odds_ratio: mf.ratio(&tpr, aggregate)?.min(mf.ratio(&fpr, aggregate)?),
            equal_opportunity_difference: mf.difference(&tpr, aggregate)?,
            equal_opportunity_ratio: mf.ratio(&tpr, aggregate)?,
        })
    }
}

/// The TPR gap of one class between two groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassGap {
    /// Class index.
    pub class: usize,
    /// TPR in group A.
    pub tpr_a: f64,
    /// TPR in group B.
    pub tpr_b: f64,
    /// `tpr_a - tpr_b`.
    pub gap: f64,
    /// Rows of the class in group A.
    pub support_a: usize,
    /// Rows of the class in group B.
    pub support_b: usize,
}

/// Per-class TPR gaps between two groups and their summaries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TprGaps {
    /// Group A (e.g. `female`).
    pub group_a: String,
    /// Group B (e.g. `male`).
    pub group_b: String,
    /// One entry per class with true rows in both groups.
    pub per_class: Vec<ClassGap>,
    /// Mean of `|gap|`.
    pub mean_abs: f64,
    /// Root mean square of the gaps (De-Arteaga et al.'s GAP^RMS).
    pub rms: f64,
}

/// TPR gap per class (`TPR_a - TPR_b`, e.g. female minus male per occupation), with mean
/// absolute and RMS summaries. Classes without true rows in both groups are left out,
/// since a gap needs both TPRs; rows in other groups are ignored.
pub fn tpr_gaps(
    sample: Sample<'_>,
    groups: &[String],
    group_a: &str,
    group_b: &str,
) -> Result<TprGaps> {
    Error::check_len("y_pred", sample.len(), sample.y_pred.len())?;
    Error::check_len("groups", sample.len(), groups.len())?;
    let k = sample.n_classes();
    let mut ca = Confusion::zeros(k);
    let mut cb = Confusion::zeros(k);
    for ((&t, &p), g) in sample.y_true.iter().zip(sample.y_pred).zip(groups) {
        if g == group_a {
            ca.add(t, p);
        } else if g == group_b {
            cb.add(t, p);
        }
    }
    let support =
        |c: &Confusion, class: usize| (0..k).map(|p| c.get(class, p)).sum::<u64>() as usize;
    let per_class: Vec<ClassGap> = (0..k)
        .filter(|&c| support(&ca, c) > 0 && support(&cb, c) > 0)
        .map(|c| ClassGap {
            class: c,
            tpr_a: ca.tpr(c),
            tpr_b: cb.tpr(c),
            gap: ca.tpr(c) - cb.tpr(c),
            support_a: support(&ca, c),
            support_b: support(&cb, c),
        })
        .collect();
    if per_class.is_empty() {
        return Err(Error::NoData(format!(
            "no class has true rows in both `{group_a}` and `{group_b}`"
        )));
    }
    let n = per_class.len() as f64;
    Ok(TprGaps {
        group_a: group_a.to_owned(),
        group_b: group_b.to_owned(),
        mean_abs: per_class.iter().map(|g| g.gap.abs()).sum::<f64>() / n,
        rms: (per_class.iter().map(|g| g.gap * g.gap).sum::<f64>() / n).sqrt(),
        per_class,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpr_gaps_by_hand() {
        // class 0: f 2/2 correct, m 1/2 -> gap 0.5; class 1: f 0/1, m 1/1 -> gap -1;
        // class 2 only in f -> left out.
        let y_true = [0, 0, 1, 2, 0, 0, 1];
        let y_pred = [0, 0, 0, 2, 0, 1, 1];
        let g: Vec<String> = ["f", "f", "f", "f", "m", "m", "m"]
            .map(String::from)
            .to_vec();
        let r = tpr_gaps(Sample::new(&y_true, &y_pred), &g, "f", "m").unwrap();
        assert_eq!(r.per_class.len(), 2);
        assert_eq!(r.per_class[0].gap, 0.5);
        assert_eq!(r.per_class[1].gap, -1.0);
        assert_eq!(r.mean_abs, 0.75);
        assert!((r.rms - (1.25f64 / 2.0).sqrt()).abs() < 1e-12);
        assert!(tpr_gaps(Sample::new(&y_true, &y_pred), &g, "f", "x").is_err());
    }
}
