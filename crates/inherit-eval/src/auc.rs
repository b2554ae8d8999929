//! ROC AUC and the identity-term bias AUCs of Borkan et al. (2019) for toxicity-style
//! data: subgroup AUC, BPSN (background positive, subgroup negative) and BNSP
//! (background negative, subgroup positive).
//!
//! A low subgroup AUC means the model separates toxic from non-toxic poorly for texts
//! mentioning the identity; a low BPSN AUC means non-toxic texts mentioning it score
//! higher than toxic texts that do not (false positives driven by the identity term);
//! a low BNSP AUC, the reverse.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::rank::average_ranks;

/// ROC AUC of `scores` for `positive` rows (ties count one half, as in scikit-learn's
/// `roc_auc_score`). `None` when either class is absent.
pub fn roc_auc(positive: &[bool], scores: &[f64]) -> Option<f64> {
    let n_pos = positive.iter().filter(|p| **p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let ranks = average_ranks(scores);
    let rank_sum: f64 = ranks
        .iter()
        .zip(positive)
        .filter(|(_, p)| **p)
        .map(|(r, _)| r)
        .sum();
    let u = rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Some(u / (n_pos as f64 * n_neg as f64))
}

/// The three bias AUCs of one identity subgroup (NaN where a slice lacks a class).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupAuc {
    /// Subgroup name (e.g. the identity term).
    pub subgroup: String,
    /// Rows in the subgroup.
    pub size: usize,
    /// AUC on the subgroup's rows only.
    pub subgroup_auc: f64,
    /// AUC on background positives and subgroup negatives.
    pub bpsn_auc: f64,
    /// AUC on background negatives and subgroup positives.
    pub bnsp_auc: f64,
}

/// Subgroup, BPSN and BNSP AUCs for each named subgroup; `members[i]` flags the rows
/// in subgroup `i` (a row may be in several subgroups).
pub fn subgroup_aucs(
    positive: &[bool],
    scores: &[f64],
    subgroups: &[(String, Vec<bool>)],
) -> Result<Vec<SubgroupAuc>> {
    Error::check_len("scores", positive.len(), scores.len())?;
    let mut out = Vec::with_capacity(subgroups.len());
    for (name, members) in subgroups {
        Error::check_len(
            &format!("members of `{name}`"),
            positive.len(),
            members.len(),
        )?;
        let pick = |keep: &dyn Fn(bool, bool) -> bool| {
            let mut labels = Vec::new();
            let mut s = Vec::new();
            for i in 0..positive.len() {
                if keep(members[i], positive[i]) {
                    labels.push(positive[i]);
                    s.push(scores[i]);
                }
            }
            roc_auc(&labels, &s).unwrap_or(f64::NAN)
        };
        out.push(SubgroupAuc {
            subgroup: name.clone(),
            size: members.iter().filter(|m| **m).count(),
            subgroup_auc: pick(&|m, _| m),
            bpsn_auc: pick(&|m, p| (m && !p) || (!m && p)),
            bnsp_auc: pick(&|m, p| (m && p) || (!m && !p)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_auc_matches_scikit_learn() {
        // scikit-learn 1.9.1: roc_auc_score(yt, sc) = 0.8799999999999999
        let yt = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0];
        let sc = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.4, 0.7, 0.05];
        let pos: Vec<bool> = yt.iter().map(|y| *y == 1).collect();
        assert!((roc_auc(&pos, &sc).unwrap() - 0.88).abs() < 1e-12);
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), None);
    }

    #[test]
    fn bpsn_drops_when_identity_negatives_score_high() {
        // Background: perfectly ranked. Subgroup: its negatives score 0.9 (above the
        // background positives at 0.8), its positives 0.95.
        let positive = [false, false, true, true, false, true];
        let scores = [0.1, 0.2, 0.8, 0.85, 0.9, 0.95];
        let member = vec![false, false, false, false, true, true];
        let r = &subgroup_aucs(&positive, &scores, &[("muslim".into(), member)]).unwrap()[0];
        assert_eq!(r.size, 2);
        assert_eq!(r.subgroup_auc, 1.0);
        // BPSN: subgroup negative 0.9 vs background positives 0.8, 0.85: always above
        assert_eq!(r.bpsn_auc, 0.0);
        // BNSP: subgroup positive 0.95 vs background negatives 0.1, 0.2
        assert_eq!(r.bnsp_auc, 1.0);
    }
}
