//! Group-data misalignment: how a dataset's examples spread over the groups of an axis
//! (stated or inferred), overall and per label, and a χ² test against a target
//! distribution (e.g. uniform, or the original data's shares).

use std::collections::{BTreeMap, BTreeSet};

use inherit_core::{Axis, Dataset, Origin};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::{ChiSquare, chi_square_gof};

/// Which group value of an example to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupSource {
    /// Only the stated value.
    Stated,
    /// Only the inferred value (what the text shows).
    Inferred,
    /// The stated value, else the inferred one.
    Either,
}

/// Counts of one slice (all examples, or one label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupCounts {
    /// Examples per group value.
    pub counts: BTreeMap<String, usize>,
    /// Examples without a value on the axis.
    pub missing: usize,
}

impl GroupCounts {
    /// Examples with a value.
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// Share of each group among examples with a value.
    pub fn shares(&self) -> BTreeMap<String, f64> {
        let total = self.total().max(1) as f64;
        self.counts
            .iter()
            .map(|(g, c)| (g.clone(), *c as f64 / total))
            .collect()
    }
}

/// The group distribution of a dataset on one axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDistribution {
    /// The axis counted.
    pub axis: Axis,
    /// Which value was counted.
    pub source: GroupSource,
    /// All examples.
    pub overall: GroupCounts,
    /// Per label (unlabelled examples are only in `overall`).
    pub per_label: BTreeMap<String, GroupCounts>,
}

/// A χ² goodness-of-fit test of one slice against the target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetTest {
    /// `overall` or the label.
    pub slice: String,
    /// The test (`None` when the slice has no example with a value).
    pub test: Option<ChiSquare>,
}

impl GroupDistribution {
    /// Counts `data` on `axis`.
    pub fn from_dataset(data: &Dataset, axis: &Axis, source: GroupSource) -> Self {
        let empty = || GroupCounts {
            counts: BTreeMap::new(),
            missing: 0,
        };
        let mut overall = empty();
        let mut per_label: BTreeMap<String, GroupCounts> = BTreeMap::new();
        for e in &data.examples {
            let value = match source {
                GroupSource::Stated => e.groups.get_origin(axis, Origin::Stated),
                GroupSource::Inferred => e.groups.get_origin(axis, Origin::Inferred),
                GroupSource::Either => e.groups.value(axis),
            };
            let mut slices = vec![&mut overall];
            if let Some(label) = &e.label {
                slices.push(per_label.entry(label.clone()).or_insert_with(empty));
            }
            for s in slices {
                match value {
                    Some(v) => *s.counts.entry(v.to_owned()).or_default() += 1,
                    None => s.missing += 1,
                }
            }
        }
        GroupDistribution {
            axis: axis.clone(),
            source,
            overall,
            per_label,
        }
    }

    /// Every group value seen.
    pub fn groups(&self) -> BTreeSet<String> {
        self.overall.counts.keys().cloned().collect()
    }

    /// χ² goodness of fit of the overall counts and of each label's counts against
    /// `target` shares (any positive weights; groups absent from `target` make it an
    /// error, target groups absent from the data count as observed 0).
    pub fn test_against(&self, target: &BTreeMap<String, f64>) -> Result<Vec<TargetTest>> {
        if let Some(g) = self.groups().iter().find(|g| !target.contains_key(*g)) {
            return Err(Error::invalid(
                "target",
                format!("group `{g}` is in the data but not in the target distribution"),
            ));
        }
        let test = |slice: &str, c: &GroupCounts| -> Result<TargetTest> {
            if c.total() == 0 {
                return Ok(TargetTest {
                    slice: slice.to_owned(),
                    test: None,
                });
            }
            let observed: Vec<f64> = target
                .keys()
                .map(|g| c.counts.get(g).copied().unwrap_or(0) as f64)
                .collect();
            let expected: Vec<f64> = target.values().copied().collect();
            Ok(TargetTest {
                slice: slice.to_owned(),
                test: Some(chi_square_gof(&observed, &expected)?),
            })
        };
        let mut out = vec![test("overall", &self.overall)?];
        for (label, c) in &self.per_label {
            out.push(test(label, c)?);
        }
        Ok(out)
    }

    /// The counts of `groups` alone (the other values dropped, not counted as missing):
    /// to test two compared groups against each other when the axis has more.
    pub fn restricted_to(&self, groups: &[&str]) -> GroupDistribution {
        let keep = |c: &GroupCounts| GroupCounts {
            counts: c
                .counts
                .iter()
                .filter(|(g, _)| groups.contains(&g.as_str()))
                .map(|(g, n)| (g.clone(), *n))
                .collect(),
            missing: c.missing,
        };
        GroupDistribution {
            axis: self.axis.clone(),
            source: self.source,
            overall: keep(&self.overall),
            per_label: self
                .per_label
                .iter()
                .map(|(l, c)| (l.clone(), keep(c)))
                .collect(),
        }
    }

    /// The uniform distribution over the groups seen, as a target.
    pub fn uniform_target(&self) -> BTreeMap<String, f64> {
        self.groups().into_iter().map(|g| (g, 1.0)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inherit_core::{Example, Groups, Provenance};

    #[test]
    fn counts_per_label_and_tests_against_uniform() {
        let mk = |i: usize, label: &str, stated: &str, inferred: Option<&str>| {
            let mut g = Groups::new().with_stated(Axis::Gender, stated);
            if let Some(v) = inferred {
                g = g.with_inferred(Axis::Gender, v);
            }
            Example::new(format!("e{i}"), "t", Provenance::original("x"))
                .with_label(label)
                .with_groups(g)
        };
        let mut ex = Vec::new();
        for i in 0..30 {
            ex.push(mk(i, "nurse", "female", Some("female")));
        }
        for i in 30..40 {
            ex.push(mk(i, "nurse", "male", Some("female")));
        }
        for i in 40..60 {
            ex.push(mk(
                i,
                "engineer",
                if i % 2 == 0 { "female" } else { "male" },
                None,
            ));
        }
        let data = Dataset::new("d", ex);
        let d = GroupDistribution::from_dataset(&data, &Axis::Gender, GroupSource::Stated);
        assert_eq!(d.per_label["nurse"].counts["female"], 30);
        assert_eq!(d.overall.counts["male"], 20);
        let tests = d.test_against(&d.uniform_target()).unwrap();
        // engineer is balanced: statistic 0; nurse 30/10: (30-20)^2/20 * 2 = 10
        let nurse = tests
            .iter()
            .find(|t| t.slice == "nurse")
            .unwrap()
            .test
            .unwrap();
        assert!((nurse.statistic - 10.0).abs() < 1e-12);
        let eng = tests
            .iter()
            .find(|t| t.slice == "engineer")
            .unwrap()
            .test
            .unwrap();
        assert_eq!(eng.statistic, 0.0);
        let inferred = GroupDistribution::from_dataset(&data, &Axis::Gender, GroupSource::Inferred);
        assert_eq!(inferred.overall.counts["female"], 40);
        assert_eq!(inferred.overall.missing, 20);
        let bad: BTreeMap<String, f64> = [("female".to_string(), 1.0)].into();
        assert!(d.test_against(&bad).is_err());
        // Restricted to one group, the other is dropped (not counted as missing).
        let only = d.restricted_to(&["female"]);
        assert_eq!(only.groups().into_iter().collect::<Vec<_>>(), ["female"]);
        assert_eq!(only.overall.counts["female"], d.overall.counts["female"]);
        assert_eq!(only.overall.missing, d.overall.missing);
        assert_eq!(
            only.per_label["nurse"].total(),
            d.per_label["nurse"].counts["female"]
        );
    }
}
