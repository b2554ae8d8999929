//! Classification metrics over class indices: a confusion matrix and the [`Metric`]s a
//! [`MetricFrame`](crate::MetricFrame) disaggregates.
//!
//! Conventions (those of scikit-learn and fairlearn, so numbers agree with theirs):
//! - labels are class indices `0..k`; binary tasks use `1` as the positive class unless
//!   a metric names another;
//! - a rate whose denominator is zero is **0**, not NaN: the TPR of a group with no
//!   positives is 0 (scikit-learn's `confusion_matrix(normalize="true")`, which fairlearn
//!   uses), precision with no predicted positives is 0 (`zero_division=0`);
//! - macro-F1 averages over the classes present in `y_true` or `y_pred` of the slice, as
//!   scikit-learn's `f1_score(average="macro")` does.

use std::fmt;
use std::sync::Arc;

use crate::auc::roc_auc;

/// Parallel true labels, predicted labels and optional scores (the probability of a
/// positive class, for ranking metrics).
#[derive(Debug, Clone, Copy)]
pub struct Sample<'a> {
    /// True class indices.
    pub y_true: &'a [usize],
    /// Predicted class indices.
    pub y_pred: &'a [usize],
    /// Scores for ranking metrics, one per row.
    pub scores: Option<&'a [f64]>,
}

impl<'a> Sample<'a> {
    /// Labels without scores.
    pub fn new(y_true: &'a [usize], y_pred: &'a [usize]) -> Self {
        Sample {
            y_true,
            y_pred,
            scores: None,
        }
    }

    /// Builder: adds scores.
    pub fn with_scores(mut self, scores: &'a [f64]) -> Self {
        self.scores = Some(scores);
        self
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.y_true.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.y_true.is_empty()
    }

    /// Number of classes: one more than the largest label seen.
    pub fn n_classes(&self) -> usize {
        self.y_true
            .iter()
            .chain(self.y_pred)
            .max()
            .map_or(0, |m| m + 1)
    }
}

/// A `k x k` confusion matrix (rows: true class, columns: predicted class).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confusion {
    k: usize,
    counts: Vec<u64>,
}

impl Confusion {
    /// An all-zero matrix for `k` classes.
    pub fn zeros(k: usize) -> Self {
        Confusion {
            k,
            counts: vec![0; k * k],
        }
    }

    /// A matrix from row-major counts (`counts.len() == k * k`).
    pub(crate) fn from_counts(k: usize, counts: &[u64]) -> Self {
        Confusion {
            k,
            counts: counts.to_vec(),
        }
    }

    /// Counts the rows of `y_true`/`y_pred`; labels must be `< k`.
    pub fn from_labels(k: usize, y_true: &[usize], y_pred: &[usize]) -> Self {
        let mut c = Confusion::zeros(k);
        for (&t, &p) in y_true.iter().zip(y_pred) {
            c.add(t, p);
        }
        c
    }

    /// Adds one row.
    #[inline]
    pub fn add(&mut self, y_true: usize, y_pred: usize) {
        self.counts[y_true * self.k + y_pred] += 1;
    }

    /// Adds another matrix of the same size.
    pub fn merge(&mut self, other: &Confusion) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Sets every count to zero.
    pub fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.k
    }

    /// Count of rows with true class `t` predicted as `p`.
    pub fn get(&self, t: usize, p: usize) -> u64 {
        self.counts[t * self.k + p]
    }

    /// Number of rows.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn row_sum(&self, t: usize) -> u64 {
        self.counts[t * self.k..(t + 1) * self.k].iter().sum()
    }

    fn col_sum(&self, p: usize) -> u64 {
        (0..self.k).map(|t| self.get(t, p)).sum()
    }

    /// Share of rows predicted correctly (0 for no rows).
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..self.k).map(|c| self.get(c, c)).sum();
        ratio(correct, self.total())
    }

    /// Share of rows predicted as class `c`.
    pub fn selection_rate(&self, c: usize) -> f64 {
        if c >= self.k {
            return 0.0;
        }
        ratio(self.col_sum(c), self.total())
    }

    /// Recall of class `c` (its true positive rate); 0 when the class has no true rows.
    pub fn tpr(&self, c: usize) -> f64 {
        if c >= self.k {
            return 0.0;
        }
        ratio(self.get(c, c), self.row_sum(c))
    }

    /// Share of rows not of class `c` predicted as `c`; 0 when every row is of class `c`.
    pub fn fpr(&self, c: usize) -> f64 {
        if c >= self.k {
            return 0.0;
        }
        let negatives = self.total() - self.row_sum(c);
        ratio(self.col_sum(c) - self.get(c, c), negatives)
    }

    /// Precision of class `c`; 0 when nothing is predicted as `c`.
    pub fn precision(&self, c: usize) -> f64 {
        if c >= self.k {
            return 0.0;
        }
        ratio(self.get(c, c), self.col_sum(c))
    }

    /// F1 of class `c`; 0 when it has neither true nor predicted rows.
    pub fn f1(&self, c: usize) -> f64 {
        if c >= self.k {
            return 0.0;
        }
        let tp = self.get(c, c);
        ratio(2 * tp, self.row_sum(c) + self.col_sum(c))
    }

    /// Mean F1 over the classes present among true or predicted labels.
    pub fn macro_f1(&self) -> f64 {
        let present: Vec<usize> = (0..self.k)
            .filter(|&c| self.row_sum(c) + self.col_sum(c) > 0)
            .collect();
        if present.is_empty() {
            return 0.0;
        }
        present.iter().map(|&c| self.f1(c)).sum::<f64>() / present.len() as f64
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// A custom metric: any function of a [`Sample`].
pub type MetricFn = Arc<dyn Fn(&Sample<'_>) -> f64 + Send + Sync>;

/// A metric a [`MetricFrame`](crate::MetricFrame) computes on every slice.
///
/// Confusion-based metrics (all but [`Metric::RocAuc`] and [`Metric::Custom`]) are
/// computed from per-group confusion matrices, which keeps bootstrapping fast.
#[derive(Clone)]
pub enum Metric {
    /// Number of rows.
    Count,
    /// Share of correct predictions.
    Accuracy,
    /// Macro-averaged F1.
    MacroF1,
    /// Precision of a class.
    Precision(usize),
    /// Recall of a class.
    Recall(usize),
    /// F1 of a class.
    F1(usize),
    /// Share of rows predicted as a class (the demographic-parity quantity).
    SelectionRate(usize),
    /// True positive rate of a class (one-vs-rest; equals its recall).
    Tpr(usize),
    /// False positive rate of a class (one-vs-rest).
    Fpr(usize),
    /// ROC AUC of the scores for rows of a class against the others (needs scores; NaN
    /// when a slice holds only one of the two).
    RocAuc(usize),
    /// A named custom function.
    Custom {
        /// Name used in results.
        name: String,
        /// The function.
        f: MetricFn,
    },
}

impl Metric {
    /// A custom metric.
    pub fn custom(
        name: impl Into<String>,
        f: impl Fn(&Sample<'_>) -> f64 + Send + Sync + 'static,
    ) -> Self {
        Metric::Custom {
            name: name.into(),
            f: Arc::new(f),
        }
    }

    /// The name used in results: `accuracy`, `macro_f1`, `tpr[1]`, ...
    pub fn name(&self) -> String {
        match self {
            Metric::Count => "count".into(),
            Metric::Accuracy => "accuracy".into(),
            Metric::MacroF1 => "macro_f1".into(),
            Metric::Precision(c) => format!("precision[{c}]"),
            Metric::Recall(c) => format!("recall[{c}]"),
            Metric::F1(c) => format!("f1[{c}]"),
            Metric::SelectionRate(c) => format!("selection_rate[{c}]"),
            Metric::Tpr(c) => format!("tpr[{c}]"),
            Metric::Fpr(c) => format!("fpr[{c}]"),
            Metric::RocAuc(c) => format!("roc_auc[{c}]"),
            Metric::Custom { name, .. } => name.clone(),
        }
    }

    /// True when the metric needs the rows themselves, not just a confusion matrix.
    pub fn needs_rows(&self) -> bool {
        matches!(self, Metric::RocAuc(_) | Metric::Custom { .. })
    }

    /// True when the metric needs scores.
    pub fn needs_scores(&self) -> bool {
        matches!(self, Metric::RocAuc(_))
    }

    /// The value from a confusion matrix, for metrics that do not need rows.
    pub fn from_confusion(&self, c: &Confusion) -> Option<f64> {
        Some(match self {
            Metric::Count => c.total() as f64,
            Metric::Accuracy => c.accuracy(),
            Metric::MacroF1 => c.macro_f1(),
            Metric::Precision(k) => c.precision(*k),
            Metric::Recall(k) | Metric::Tpr(k) => c.tpr(*k),
            Metric::F1(k) => c.f1(*k),
            Metric::SelectionRate(k) => c.selection_rate(*k),
            Metric::Fpr(k) => c.fpr(*k),
            Metric::RocAuc(_) | Metric::Custom { .. } => return None,
        })
    }

    /// The value on a sample.
    pub fn compute(&self, sample: &Sample<'_>) -> f64 {
        match self {
            Metric::RocAuc(k) => {
                let Some(scores) = sample.scores else {
                    return f64::NAN;
                };
                let positive: Vec<bool> = sample.y_true.iter().map(|y| y == k).collect();
                roc_auc(&positive, scores).unwrap_or(f64::NAN)
            }
            Metric::Custom { f, .. } => f(sample),
            other => {
                let k = sample.n_classes();
                let c = Confusion::from_labels(k, sample.y_true, sample.y_pred);
                other.from_confusion(&c).expect("confusion-based metric")
            }
        }
    }
}

impl fmt::Debug for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_rates_follow_hand_counts() {
        // true:  1 1 1 0 0 0 2
        // pred:  1 0 1 1 0 0 1
        let c = Confusion::from_labels(3, &[1, 1, 1, 0, 0, 0, 2], &[1, 0, 1, 1, 0, 0, 1]);
        assert_eq!(c.accuracy(), 4.0 / 7.0);
        assert_eq!(c.tpr(1), 2.0 / 3.0);
        // negatives of class 1: four rows (three 0s, one 2); two of them predicted 1
        assert_eq!(c.fpr(1), 2.0 / 4.0);
        assert_eq!(c.precision(1), 2.0 / 4.0);
        assert_eq!(c.selection_rate(1), 4.0 / 7.0);
        // class 2 has a true row but no correct prediction: F1 0; class 0: P=R=2/3
        assert_eq!(c.f1(2), 0.0);
        let f1_0 = 2.0 / 3.0;
        let f1_1 = 2.0 * 0.5 * (2.0 / 3.0) / (0.5 + 2.0 / 3.0);
        assert!((c.macro_f1() - (f1_0 + f1_1) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn empty_denominators_give_zero_and_absent_classes_leave_macro_f1() {
        let c = Confusion::from_labels(3, &[0, 0], &[0, 1]);
        assert_eq!(c.tpr(1), 0.0, "no positives: TPR is 0 like scikit-learn");
        assert_eq!(c.tpr(2), 0.0);
        // class 2 is absent from both: macro-F1 over {0, 1} only
        assert!((c.macro_f1() - (2.0 / 3.0 + 0.0) / 2.0).abs() < 1e-12);
        assert_eq!(Confusion::zeros(2).accuracy(), 0.0);
    }

    #[test]
    fn metric_compute_matches_confusion_and_custom_runs() {
        let s = Sample::new(&[1, 0, 1], &[1, 1, 1]);
        assert_eq!(Metric::Accuracy.compute(&s), 2.0 / 3.0);
        assert_eq!(Metric::Fpr(1).compute(&s), 1.0);
        let m = Metric::custom("n_errors", |s| {
            s.y_true
                .iter()
                .zip(s.y_pred)
                .filter(|(a, b)| a != b)
                .count() as f64
        });
        assert_eq!(m.compute(&s), 1.0);
        assert_eq!(m.name(), "n_errors");
        assert!(Metric::RocAuc(1).compute(&s).is_nan(), "no scores");
    }
}
