//! Bias amplification (Zhao et al., 2017, "Men Also Like Shopping"): does a model
//! associate labels with groups more strongly than its training data did? This makes
//! "bias inheritance" one number.
//!
//! For a label `o` and group `g`, the *bias* is the share of `o`'s examples that are in
//! `g`: `b(o, g) = count(o, g) / count(o)`. With `b*` from the training data and `b~`
//! from the model's predictions on evaluation data,
//!
//! ```text
//! amplification = 1/|O| * sum over g, and o with b*(o, g) > 1/|G|, of (b~(o, g) - b*(o, g))
//! ```
//!
//! where `O` is the set of labels in the training data and `G` the set of groups.
//! Positive: the model exaggerates the training associations; 0: it reproduces them;
//! negative: it dampens them. A label the model never predicts contributes nothing
//! (its `b~` is undefined) and is flagged in the cells.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One label x group cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmplificationCell {
    /// The label.
    pub label: String,
    /// The group.
    pub group: String,
    /// Training bias `b*(o, g)`.
    pub train_bias: f64,
    /// Predicted bias `b~(o, g)`; NaN when the label is never predicted.
    pub pred_bias: f64,
    /// True when the cell enters the sum (`b* > 1/|G|` and `b~` defined).
    pub counted: bool,
}

/// The amplification and its cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BiasAmplification {
    /// The score (see the module docs).
    pub value: f64,
    /// Every label x group cell of the training data.
    pub cells: Vec<AmplificationCell>,
}

fn biases(labels: &[String], groups: &[String]) -> BTreeMap<(String, String), f64> {
    let mut per_label: BTreeMap<&str, usize> = BTreeMap::new();
    let mut per_cell: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (l, g) in labels.iter().zip(groups) {
        *per_label.entry(l).or_default() += 1;
        *per_cell.entry((l, g)).or_default() += 1;
    }
    per_cell
        .into_iter()
        .map(|((l, g), c)| ((l.to_owned(), g.to_owned()), c as f64 / per_label[l] as f64))
        .collect()
}

/// Bias amplification of predictions (`pred_labels`, `pred_groups`: the model's label
/// and the example's group on evaluation data) over the training data (`train_labels`,
/// `train_groups`).
pub fn bias_amplification(
    train_labels: &[String],
    train_groups: &[String],
    pred_labels: &[String],
    pred_groups: &[String],
) -> Result<BiasAmplification> {
    Error::check_len("train_groups", train_labels.len(), train_groups.len())?;
    Error::check_len("pred_groups", pred_labels.len(), pred_groups.len())?;
    if train_labels.is_empty() || pred_labels.is_empty() {
        return Err(Error::NoData(
            "bias amplification needs training and predicted rows".into(),
        ));
    }
    let train = biases(train_labels, train_groups);
    let pred = biases(pred_labels, pred_groups);
    let labels: BTreeSet<&String> = train_labels.iter().collect();
    let groups: BTreeSet<&String> = train_groups.iter().collect();
    let predicted: BTreeSet<&String> = pred_labels.iter().collect();
    let threshold = 1.0 / groups.len() as f64;
    let mut cells = Vec::new();
    let mut sum = 0.0;
    for &label in &labels {
        for &group in &groups {
            let key = (label.clone(), group.clone());
            let train_bias = train.get(&key).copied().unwrap_or(0.0);
            let pred_bias = if predicted.contains(label) {
                pred.get(&key).copied().unwrap_or(0.0)
            } else {
                f64::NAN
            };
            let counted = train_bias > threshold && !pred_bias.is_nan();
            if counted {
                sum += pred_bias - train_bias;
            }
            cells.push(AmplificationCell {
                label: label.clone(),
                group: group.clone(),
                train_bias,
                pred_bias,
                counted,
            });
        }
    }
    Ok(BiasAmplification {
        value: sum / labels.len() as f64,
        cells,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn hand_computed_amplification() {
        // Training: nurse 3 f / 1 m (b* f = .75), engineer 1 f / 3 m (b* m = .75).
        let tl = s(&[
            "nurse", "nurse", "nurse", "nurse", "eng", "eng", "eng", "eng",
        ]);
        let tg = s(&["f", "f", "f", "m", "f", "m", "m", "m"]);
        // Predictions: nurse predicted for 4 f and 0 m (b~ f = 1); eng for 1 f, 1 m (b~ m = .5).
        let pl = s(&["nurse", "nurse", "nurse", "nurse", "eng", "eng"]);
        let pg = s(&["f", "f", "f", "f", "f", "m"]);
        let r = bias_amplification(&tl, &tg, &pl, &pg).unwrap();
        // counted: (nurse, f): 1 - .75 = .25; (eng, m): .5 - .75 = -.25; sum 0 over 2 labels
        assert!((r.value - 0.0).abs() < 1e-12);
        assert_eq!(r.cells.iter().filter(|c| c.counted).count(), 2);
        // Predictions that copy the training data give 0; exaggerating gives > 0.
        let r = bias_amplification(&tl, &tg, &tl, &tg).unwrap();
        assert_eq!(r.value, 0.0);
        let pl = s(&["nurse", "nurse", "eng", "eng"]);
        let pg = s(&["f", "f", "m", "m"]);
        let r = bias_amplification(&tl, &tg, &pl, &pg).unwrap();
        assert!((r.value - 0.25).abs() < 1e-12, "(0.25 + 0.25) / 2");
    }
}
