//! [`MetricFrame`]: metrics disaggregated by one or more sensitive features, with the
//! between-group summaries and bootstrap confidence intervals, following fairlearn's
//! `MetricFrame` (and equal to it on the fixtures in `tests/fairlearn.rs`).
//!
//! Groups are the combinations of feature values that occur, sorted (as pandas'
//! `groupby` does); a group's key joins its values with `|` in feature order
//! (`female|arabic`). Summaries per metric:
//!
//! | summary | definition |
//! |---|---|
//! | `group_min`, `group_max` | over groups, ignoring NaN |
//! | `difference_between_groups` | `group_max - group_min` |
//! | `difference_to_overall` | `max_g |value_g - overall|` |
//! | `ratio_between_groups` | `group_min / group_max`; 1 when both are 0 (fairlearn: NaN) |
//! | `ratio_to_overall` | `min_g min(value_g / overall, overall / value_g)`; a 0/0 term counts as 1 |
//!
//! Bootstrap intervals resample all rows with replacement (group sizes vary between
//! resamples, as in fairlearn) and take percentile quantiles of every summary; a
//! resample in which a group is absent gives no draw for that group.

use std::collections::BTreeMap;

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::metrics::{Confusion, Metric, Sample};
use crate::stats::bootstrap::{BootstrapParams, Interval};

/// The most classes a [`MetricFrame`] accepts (class ids are `0..k`; every group keeps a
/// `k × k` confusion matrix, so more would allocate without bound).
pub const MAX_CLASSES: usize = 4096;

/// One sensitive feature: a name and one value per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensitiveFeature {
    /// Feature name (e.g. `gender`).
    pub name: String,
    /// The value of each row.
    pub values: Vec<String>,
}

impl SensitiveFeature {
    /// A feature from any string-like values.
    pub fn new(
        name: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        SensitiveFeature {
            name: name.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
}

/// How a difference or ratio aggregates over groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// Largest gap between any two groups.
    BetweenGroups,
    /// Largest gap between a group and the overall value.
    ToOverall,
}

/// One group: its key and number of rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// Values of the features, joined with `|`.
    pub key: String,
    /// Rows in the group.
    pub size: usize,
}

/// Everything computed for one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSummary {
    /// Value on all rows.
    pub overall: f64,
    /// Value per group key.
    pub by_group: BTreeMap<String, f64>,
    /// Smallest group value.
    pub group_min: f64,
    /// Largest group value.
    pub group_max: f64,
    /// `group_max - group_min`.
    pub difference_between_groups: f64,
    /// Largest absolute gap to the overall value.
    pub difference_to_overall: f64,
    /// `group_min / group_max`.
    pub ratio_between_groups: f64,
    /// Smallest group-to-overall ratio (each taken <= 1).
    pub ratio_to_overall: f64,
    /// Bootstrap intervals of every field above, when requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<SummaryIntervals>,
}

/// Bootstrap intervals of a [`MetricSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryIntervals {
    /// Of `overall`.
    pub overall: Interval,
    /// Of each group value.
    pub by_group: BTreeMap<String, Interval>,
    /// Of `group_min`.
    pub group_min: Interval,
    /// Of `group_max`.
    pub group_max: Interval,
    /// Of `difference_between_groups`.
    pub difference_between_groups: Interval,
    /// Of `difference_to_overall`.
    pub difference_to_overall: Interval,
    /// Of `ratio_between_groups`.
    pub ratio_between_groups: Interval,
    /// Of `ratio_to_overall`.
    pub ratio_to_overall: Interval,
}

/// Metrics disaggregated by sensitive features. Serialises to the JSON that the
/// `fairness_report` example prints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricFrame {
    /// Feature names, in key order.
    pub features: Vec<String>,
    /// The groups, sorted by key.
    pub groups: Vec<GroupInfo>,
    /// Metric names, in the order given.
    pub metric_names: Vec<String>,
    /// Results per metric name.
    pub metrics: BTreeMap<String, MetricSummary>,
    /// The bootstrap used for intervals, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<BootstrapParams>,
}

/// Point values of every metric: overall and per group.
struct Values {
    overall: Vec<f64>,
    groups: Vec<Vec<f64>>, // [metric][group]
}

/// The rows of one group (or of all), for metrics that need rows.
#[derive(Default)]
struct Rows {
    y_true: Vec<usize>,
    y_pred: Vec<usize>,
    scores: Vec<f64>,
}

impl Rows {
    fn push(&mut self, sample: &Sample<'_>, i: usize) {
        self.y_true.push(sample.y_true[i]);
        self.y_pred.push(sample.y_pred[i]);
        if let Some(s) = sample.scores {
            self.scores.push(s[i]);
        }
    }

    fn sample(&self, with_scores: bool) -> Sample<'_> {
        let s = Sample::new(&self.y_true, &self.y_pred);
        if with_scores {
            s.with_scores(&self.scores)
        } else {
            s
        }
    }
}

impl MetricFrame {
    /// Computes `metrics` overall and per group of `features`.
    pub fn new(
        metrics: &[Metric],
        sample: Sample<'_>,
        features: &[SensitiveFeature],
    ) -> Result<Self> {
        Self::build(metrics, sample, features, None)
    }

    /// As [`MetricFrame::new`], plus percentile bootstrap intervals for every summary.
    pub fn with_bootstrap(
        metrics: &[Metric],
        sample: Sample<'_>,
        features: &[SensitiveFeature],
        params: &BootstrapParams,
    ) -> Result<Self> {
        params.check()?;
        Self::build(metrics, sample, features, Some(params))
    }

    fn build(
        metrics: &[Metric],
        sample: Sample<'_>,
        features: &[SensitiveFeature],
        boot: Option<&BootstrapParams>,
    ) -> Result<Self> {
        let n = sample.len();
        Error::check_len("y_pred", n, sample.y_pred.len())?;
        if let Some(s) = sample.scores {
            Error::check_len("scores", n, s.len())?;
        }
        if n == 0 {
            return Err(Error::NoData("MetricFrame needs at least one row".into()));
        }
        if metrics.is_empty() {
            return Err(Error::invalid("metrics", "give at least one metric"));
        }
        if features.is_empty() {
            return Err(Error::invalid(
                "features",
                "give at least one sensitive feature",
            ));
        }
        for f in features {
            Error::check_len(&format!("feature `{}`", f.name), n, f.values.len())?;
        }
        let names: Vec<String> = metrics.iter().map(Metric::name).collect();
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(Error::invalid(
                    "metrics",
                    format!("`{name}` is given twice"),
                ));
            }
        }
        if sample.scores.is_none()
            && let Some(m) = metrics.iter().find(|m| m.needs_scores())
        {
            return Err(Error::invalid(
                "scores",
                format!("metric `{}` needs scores", m.name()),
            ));
        }

        // Group id per row, groups sorted by their value tuples.
        let mut index: BTreeMap<Vec<&str>, u32> = BTreeMap::new();
        for i in 0..n {
            let key: Vec<&str> = features.iter().map(|f| f.values[i].as_str()).collect();
            index.entry(key).or_insert(0);
        }
        for (id, v) in index.values_mut().enumerate() {
            *v = id as u32;
        }
        let group_of: Vec<u32> = (0..n)
            .map(|i| {
                let key: Vec<&str> = features.iter().map(|f| f.values[i].as_str()).collect();
                index[&key]
            })
            .collect();
        let keys: Vec<String> = index.keys().map(|k| k.join("|")).collect();
        let n_groups = keys.len();
        let mut sizes = vec![0usize; n_groups];
        for &g in &group_of {
            sizes[g as usize] += 1;
        }

        let k = sample.n_classes();
        if k > MAX_CLASSES {
            return Err(Error::invalid(
                "y_true/y_pred",
                format!(
                    "{k} classes; a MetricFrame handles at most {MAX_CLASSES} (each group keeps a \
                     k × k confusion matrix): is a free-text or numeric column used as labels?"
                ),
            ));
        }
        let rows_needed = metrics.iter().any(Metric::needs_rows);
        // Without row metrics, each row is one code `group * k² + true * k + pred`, so a
        // resampled row costs one memory access.
        let codes =
            (!rows_needed && n_groups.saturating_mul(k * k) <= u32::MAX as usize).then(|| {
                (0..n)
                    .map(|i| {
                        (group_of[i] as usize * k * k + sample.y_true[i] * k + sample.y_pred[i])
                            as u32
                    })
                    .collect::<Vec<u32>>()
            });
        let evaluator = Evaluator {
            metrics,
            k,
            n_groups,
            rows_needed,
            with_scores: sample.scores.is_some(),
            codes,
        };
        let point = evaluator.evaluate(&sample, &group_of, (0..n).map(|i| i as u32))?;

        let mut summaries: Vec<MetricSummary> = (0..metrics.len())
            .map(|m| summarize(point.overall[m], &point.groups[m], &keys))
            .collect();

        if let Some(params) = boot {
            let mut rng = inherit_core::seeded_rng(params.seed);
            // draws[metric][quantity]: quantity = overall, groups..., then 6 summaries
            let width = 1 + n_groups + 6;
            let mut draws = vec![vec![Vec::with_capacity(params.n_boot); width]; metrics.len()];
            let mut idx = vec![0u32; n];
            for _ in 0..params.n_boot {
                for v in idx.iter_mut() {
                    *v = rng.random_range(0..n as u32);
                }
                let vals = evaluator.evaluate(&sample, &group_of, idx.iter().copied())?;
                for (m, d) in draws.iter_mut().enumerate() {
                    let s = summarize(vals.overall[m], &vals.groups[m], &keys);
                    d[0].push(s.overall);
                    for g in 0..n_groups {
                        d[1 + g].push(vals.groups[m][g]);
                    }
                    let tail = [
                        s.group_min,
                        s.group_max,
                        s.difference_between_groups,
                        s.difference_to_overall,
                        s.ratio_between_groups,
                        s.ratio_to_overall,
                    ];
                    for (j, v) in tail.into_iter().enumerate() {
                        d[1 + n_groups + j].push(v);
                    }
                }
            }
            for (summary, d) in summaries.iter_mut().zip(draws.iter_mut()) {
                let mut iv = d.iter_mut().map(|x| Interval::from_draws(x, params));
                let overall = iv.next().expect("overall");
                let by_group = keys
                    .iter()
                    .map(|k| (k.clone(), iv.next().expect("group")))
                    .collect();
                let mut next = || iv.next().expect("summary");
                summary.ci = Some(SummaryIntervals {
                    overall,
                    by_group,
                    group_min: next(),
                    group_max: next(),
                    difference_between_groups: next(),
                    difference_to_overall: next(),
                    ratio_between_groups: next(),
                    ratio_to_overall: next(),
                });
            }
        }

        Ok(MetricFrame {
            features: features.iter().map(|f| f.name.clone()).collect(),
            groups: keys
                .iter()
                .zip(&sizes)
                .map(|(key, &size)| GroupInfo {
                    key: key.clone(),
                    size,
                })
                .collect(),
            metrics: names.iter().cloned().zip(summaries).collect(),
            metric_names: names,
            bootstrap: boot.copied(),
        })
    }

    /// The summary of a metric, by name (e.g. `accuracy`, `tpr[1]`).
    pub fn summary(&self, metric: &str) -> Result<&MetricSummary> {
        self.metrics.get(metric).ok_or_else(|| {
            Error::invalid(
                "metric",
                format!(
                    "`{metric}` was not computed; have: {}",
                    self.metric_names.join(", ")
                ),
            )
        })
    }

    /// Overall value of a metric.
    pub fn overall(&self, metric: &str) -> Result<f64> {
        Ok(self.summary(metric)?.overall)
    }

    /// Values of a metric per group key.
    pub fn by_group(&self, metric: &str) -> Result<&BTreeMap<String, f64>> {
        Ok(&self.summary(metric)?.by_group)
    }

    /// Smallest group value of a metric.
    pub fn group_min(&self, metric: &str) -> Result<f64> {
        Ok(self.summary(metric)?.group_min)
    }

    /// Largest group value of a metric.
    pub fn group_max(&self, metric: &str) -> Result<f64> {
        Ok(self.summary(metric)?.group_max)
    }

    /// Difference of a metric between groups or to overall.
    pub fn difference(&self, metric: &str, how: Aggregate) -> Result<f64> {
        let s = self.summary(metric)?;
        Ok(match how {
            Aggregate::BetweenGroups => s.difference_between_groups,
            Aggregate::ToOverall => s.difference_to_overall,
        })
    }

    /// Ratio of a metric between groups or to overall.
    pub fn ratio(&self, metric: &str, how: Aggregate) -> Result<f64> {
        let s = self.summary(metric)?;
        Ok(match how {
            Aggregate::BetweenGroups => s.ratio_between_groups,
            Aggregate::ToOverall => s.ratio_to_overall,
        })
    }
}

/// Computes every metric overall and per group on a multiset of row indices.
struct Evaluator<'m> {
    metrics: &'m [Metric],
    k: usize,
    n_groups: usize,
    rows_needed: bool,
    with_scores: bool,
    codes: Option<Vec<u32>>,
}

impl Evaluator<'_> {
    fn evaluate(
        &self,
        sample: &Sample<'_>,
        group_of: &[u32],
        rows: impl Iterator<Item = u32>,
    ) -> Result<Values> {
        let kk = self.k * self.k;
        let mut conf = vec![Confusion::zeros(self.k); self.n_groups];
        let mut group_rows: Vec<Rows> = Vec::new();
        let mut all_rows = Rows::default();
        if let Some(codes) = &self.codes {
            let mut counts = vec![0u64; self.n_groups * kk];
            for i in rows {
                counts[codes[i as usize] as usize] += 1;
            }
            for (g, c) in conf.iter_mut().enumerate() {
                *c = Confusion::from_counts(self.k, &counts[g * kk..(g + 1) * kk]);
            }
        } else {
            if self.rows_needed {
                group_rows.resize_with(self.n_groups, Rows::default);
            }
            for i in rows {
                let i = i as usize;
                let g = group_of[i] as usize;
                conf[g].add(sample.y_true[i], sample.y_pred[i]);
                if self.rows_needed {
                    group_rows[g].push(sample, i);
                    all_rows.push(sample, i);
                }
            }
        }
        let mut total = Confusion::zeros(self.k);
        for c in &conf {
            total.merge(c);
        }
        let mut overall = Vec::with_capacity(self.metrics.len());
        let mut groups = Vec::with_capacity(self.metrics.len());
        for m in self.metrics {
            let value = |c: &Confusion, r: Option<&Rows>| -> f64 {
                if c.total() == 0 {
                    return f64::NAN;
                }
                match m.from_confusion(c) {
                    Some(v) => v,
                    None => m.compute(&r.expect("rows gathered").sample(self.with_scores)),
                }
            };
            overall.push(value(&total, self.rows_needed.then_some(&all_rows)));
            groups.push(
                (0..self.n_groups)
                    .map(|g| value(&conf[g], group_rows.get(g)))
                    .collect(),
            );
        }
        Ok(Values { overall, groups })
    }
}

/// Between-group summaries of one metric.
fn summarize(overall: f64, groups: &[f64], keys: &[String]) -> MetricSummary {
    let finite = || groups.iter().copied().filter(|v| !v.is_nan());
    let group_min = finite().fold(f64::NAN, f64::min);
    let group_max = finite().fold(f64::NAN, f64::max);
    let ratio_between = if group_min == 0.0 && group_max == 0.0 {
        1.0
    } else {
        group_min / group_max
    };
    let difference_to_overall = finite()
        .map(|v| (v - overall).abs())
        .fold(f64::NAN, f64::max);
    let ratio_to_overall = finite()
        .map(|v| {
            if v == 0.0 && overall == 0.0 {
                1.0
            } else {
                let r = v / overall;
                if r > 1.0 { 1.0 / r } else { r }
            }
        })
        .fold(f64::NAN, f64::min);
    MetricSummary {
        overall,
        by_group: keys.iter().cloned().zip(groups.iter().copied()).collect(),
        group_min,
        group_max,
        difference_between_groups: group_max - group_min,
        difference_to_overall,
        ratio_between_groups: ratio_between,
        ratio_to_overall,
        ci: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_inputs_with_clear_errors() {
        let s = Sample::new(&[0, 1], &[0]);
        let f = [SensitiveFeature::new("g", ["a", "b"])];
        let err = MetricFrame::new(&[Metric::Accuracy], s, &f).unwrap_err();
        assert!(
            err.to_string()
                .contains("`y_pred` has 1 entries, expected 2"),
            "{err}"
        );
        let s = Sample::new(&[0, 1], &[0, 1]);
        let err = MetricFrame::new(&[Metric::RocAuc(1)], s, &f).unwrap_err();
        assert!(err.to_string().contains("needs scores"), "{err}");
        let err = MetricFrame::new(&[Metric::Accuracy, Metric::Accuracy], s, &f).unwrap_err();
        assert!(err.to_string().contains("given twice"), "{err}");
        let bad = [SensitiveFeature::new("g", ["a"])];
        assert!(MetricFrame::new(&[Metric::Accuracy], s, &bad).is_err());
    }

    #[test]
    fn all_zero_groups_have_ratio_one() {
        let s = Sample::new(&[0, 0, 0, 0], &[0, 0, 0, 0]);
        let f = [SensitiveFeature::new("g", ["a", "a", "b", "b"])];
        let mf = MetricFrame::new(&[Metric::SelectionRate(1)], s, &f).unwrap();
        assert_eq!(
            mf.ratio("selection_rate[1]", Aggregate::BetweenGroups)
                .unwrap(),
            1.0
        );
        assert_eq!(
            mf.ratio("selection_rate[1]", Aggregate::ToOverall).unwrap(),
            1.0
        );
        assert!(mf.overall("nope").is_err());
    }
}
