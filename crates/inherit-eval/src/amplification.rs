//! Bias amplification: does a model associate labels with groups more strongly than
//! its data did? This makes "bias inheritance" one number. Two measures:
//!
//! - [`bias_amplification`] (Zhao et al., 2017, "Men Also Like Shopping") compares the
//!   group-label co-occurrence of the model's predictions with that of the *training*
//!   data;
//! - [`directional_bias_amplification`] (Wang & Russakovsky, 2021, "Directional Bias
//!   Amplification") compares predictions with the ground truth of the *same* test rows,
//!   in the direction of a reference association. Use it when the test set is balanced
//!   (there Zhao's measure is 0 at no augmentation and negative otherwise, whatever the
//!   model does); see the function for the formula.
//!
//! # Zhao et al. (2017)
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

/// The reference association that sets the direction `s_at` of
/// [`directional_bias_amplification`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference<'a> {
    /// The test set's own ground truth (`true_tasks`, `attrs`), as in Wang & Russakovsky.
    /// On a test set whose task labels are independent of the attribute (e.g. balanced
    /// by construction) every `s_at` is 0 and so is the score: use [`Reference::Pairs`].
    GroundTruth,
    /// An explicit joint distribution given as one (task, attribute) pair per row, e.g.
    /// the labels and groups of the augmented pool `D_a` (the direction the generator
    /// pushes) or of the training mix.
    Pairs {
        /// The task label of each reference row.
        tasks: &'a [String],
        /// The attribute (group) of each reference row; as long as `tasks`.
        attrs: &'a [String],
    },
}

/// One attribute x task cell of [`directional_bias_amplification`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectionalCell {
    /// The attribute value `a` (e.g. `female`).
    pub attr: String,
    /// The task label `t` (e.g. `nurse`).
    pub task: String,
    /// `s_at`: +1 when `a` and `t` are positively correlated in the reference, -1 when
    /// negatively, 0 when exactly independent (including when `a` or `t` is absent from
    /// the reference).
    pub sign: i8,
    /// `P_ref(a, t) - P_ref(a) P_ref(t)` in the reference (`sign` is its exact sign,
    /// decided on integer counts).
    pub reference_dependence: f64,
    /// `P(T = t | A = a)`: share of the test rows with attribute `a` whose true task is `t`.
    pub p_true: f64,
    /// `P^(T = t | A = a)`: share of the same rows whose predicted task is `t`.
    pub p_pred: f64,
    /// `Delta_at = p_pred - p_true`.
    pub delta: f64,
    /// Test rows with attribute `a` (the denominator of `p_true` and `p_pred`).
    pub attr_rows: usize,
}

/// The directional bias amplification and its cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DirectionalAmplification {
    /// `BiasAmp_{A->T}` (see [`directional_bias_amplification`]).
    pub value: f64,
    /// Cells with `s_at != 0`. When 0, the reference carries no direction and `value` is
    /// 0 by construction, not a finding.
    pub signed_cells: usize,
    /// Every attribute x task cell, attributes then tasks in sorted order.
    pub cells: Vec<DirectionalCell>,
}

/// Row counts of a (task, attribute) joint distribution.
struct Joint<'a> {
    rows: usize,
    per_attr: BTreeMap<&'a str, usize>,
    per_task: BTreeMap<&'a str, usize>,
    per_cell: BTreeMap<(&'a str, &'a str), usize>,
}

impl<'a> Joint<'a> {
    fn new(tasks: &'a [String], attrs: &'a [String]) -> Self {
        let mut joint = Joint {
            rows: tasks.len(),
            per_attr: BTreeMap::new(),
            per_task: BTreeMap::new(),
            per_cell: BTreeMap::new(),
        };
        for (t, a) in tasks.iter().zip(attrs) {
            *joint.per_attr.entry(a).or_default() += 1;
            *joint.per_task.entry(t).or_default() += 1;
            *joint.per_cell.entry((a, t)).or_default() += 1;
        }
        joint
    }

    fn attr(&self, a: &str) -> usize {
        self.per_attr.get(a).copied().unwrap_or(0)
    }

    fn task(&self, t: &str) -> usize {
        self.per_task.get(t).copied().unwrap_or(0)
    }

    fn cell(&self, a: &str, t: &str) -> usize {
        self.per_cell.get(&(a, t)).copied().unwrap_or(0)
    }

    /// The sign of `P(a, t) - P(a) P(t)`, decided exactly on the counts:
    /// `n c(a, t)` against `c(a) c(t)`.
    fn sign(&self, a: &str, t: &str) -> i8 {
        let joint = self.rows as u128 * self.cell(a, t) as u128;
        let product = self.attr(a) as u128 * self.task(t) as u128;
        match joint.cmp(&product) {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
        }
    }

    /// `P(a, t) - P(a) P(t)`.
    fn dependence(&self, a: &str, t: &str) -> f64 {
        let n = self.rows as f64;
        self.cell(a, t) as f64 / n - (self.attr(a) as f64 / n) * (self.task(t) as f64 / n)
    }
}

/// Directional bias amplification from attribute to task, `BiasAmp_{A->T}` (Wang &
/// Russakovsky, 2021, "Directional Bias Amplification", ICML), of a classifier's
/// predictions on a test set.
///
/// Row `i` of the test set has the true task label `true_tasks[i]` (e.g. an
/// occupation), the attribute `attrs[i]` (e.g. gender) and the model's predicted task
/// label `pred_tasks[i]`. With `A` the attribute values in `attrs` and `T` the task
/// labels in `true_tasks` or `pred_tasks`,
///
/// ```text
/// BiasAmp_{A->T} = 1/(|A| |T|) * sum over a in A, t in T of  s_at * Delta_at
/// Delta_at       = P^(T = t | A = a) - P(T = t | A = a)
/// s_at           = sign( P_ref(A = a, T = t) - P_ref(A = a) P_ref(T = t) )
/// ```
///
/// where `P(T = t | A = a)` is the share of the test rows with attribute `a` whose true
/// task is `t`, `P^` the share of the same rows whose *predicted* task is `t` (the
/// attribute is always the true one), and `P_ref` the [`Reference`] joint distribution:
/// the test set's ground truth ([`Reference::GroundTruth`], as in the paper) or explicit
/// (task, attribute) pairs ([`Reference::Pairs`], e.g. the augmented pool, like the
/// optional training-set labels of the authors' code). Positive: the model's
/// predictions lean further than the truth in the reference's direction (it amplifies
/// the association); 0: no shift in that direction; negative: it leans against it.
///
/// Sign convention: the paper writes `s_at = 2 y_at - 1` with
/// `y_at = 1[P(a, t) > P(a) P(t)]`, which gives an exactly independent pair `s = -1`;
/// here (as in the authors' released code, `np.sign`) such a pair has `s = 0` and
/// contributes nothing. Independence is decided exactly on integer counts
/// (`n c(a, t) = c(a) c(t)`), so no rounding tolerance is involved; an attribute or task
/// absent from the reference is independent of everything (`s = 0`). Without ties the
/// value equals the paper's. Cells with `s = 0` still count in `|A| |T|`.
///
/// Every `a` in `A` occurs in the test set, so the conditional shares are always defined.
///
/// # Errors
///
/// [`Error::LengthMismatch`] when `attrs` or `pred_tasks` is not as long as
/// `true_tasks`, or the reference pairs differ in length; [`Error::NoData`] when the
/// test set or the reference is empty.
pub fn directional_bias_amplification(
    true_tasks: &[String],
    attrs: &[String],
    pred_tasks: &[String],
    reference: Reference<'_>,
) -> Result<DirectionalAmplification> {
    Error::check_len("attrs", true_tasks.len(), attrs.len())?;
    Error::check_len("pred_tasks", true_tasks.len(), pred_tasks.len())?;
    if true_tasks.is_empty() {
        return Err(Error::NoData(
            "directional bias amplification needs test rows".into(),
        ));
    }
    let reference = match reference {
        Reference::GroundTruth => Joint::new(true_tasks, attrs),
        Reference::Pairs { tasks, attrs } => {
            Error::check_len("reference attrs", tasks.len(), attrs.len())?;
            if tasks.is_empty() {
                return Err(Error::NoData(
                    "directional bias amplification needs reference rows".into(),
                ));
            }
            Joint::new(tasks, attrs)
        }
    };
    let truth = Joint::new(true_tasks, attrs);
    let pred = Joint::new(pred_tasks, attrs);
    let attr_set: BTreeSet<&str> = attrs.iter().map(String::as_str).collect();
    let task_set: BTreeSet<&str> = true_tasks
        .iter()
        .chain(pred_tasks)
        .map(String::as_str)
        .collect();
    let mut cells = Vec::with_capacity(attr_set.len() * task_set.len());
    let mut sum = 0.0;
    let mut signed_cells = 0;
    for &a in &attr_set {
        let attr_rows = truth.attr(a);
        for &t in &task_set {
            let sign = reference.sign(a, t);
            let p_true = truth.cell(a, t) as f64 / attr_rows as f64;
            let p_pred = pred.cell(a, t) as f64 / attr_rows as f64;
            let delta = p_pred - p_true;
            if sign != 0 {
                signed_cells += 1;
                sum += f64::from(sign) * delta;
            }
            cells.push(DirectionalCell {
                attr: a.to_owned(),
                task: t.to_owned(),
                sign,
                reference_dependence: reference.dependence(a, t),
                p_true,
                p_pred,
                delta,
                attr_rows,
            });
        }
    }
    Ok(DirectionalAmplification {
        value: sum / (attr_set.len() * task_set.len()) as f64,
        signed_cells,
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
