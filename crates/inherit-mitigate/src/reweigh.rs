//! Reweighing (Kamiran & Calders 2012): example weights that make group and label
//! independent in the training mix.

use std::collections::BTreeMap;

use inherit_core::{Axis, Dataset, Example, SeededRng};
use serde::{Deserialize, Serialize};

use crate::base::Mitigation;
use crate::error::{Error, Result};
use crate::spec::SpecMember;

/// The group name used for examples without a value on the axis.
pub const NO_GROUP: &str = "-";

/// Parameters of [`Reweighing`].
///
/// | Name | Default | Range |
/// |------|---------|-------|
/// | `axis` | [`Axis::Gender`] | any axis |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReweighingParams {
    /// The group axis made independent of the label.
    pub axis: Axis,
}

impl Default for ReweighingParams {
    fn default() -> Self {
        ReweighingParams { axis: Axis::Gender }
    }
}

/// One (group, label) cell of a [`ReweighTable`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReweighCell {
    /// The group ([`NO_GROUP`] for examples without a value on the axis).
    pub group: String,
    /// The label.
    pub label: String,
    /// Labelled examples in the cell.
    pub count: usize,
    /// The weight w(g, y) = P(g)·P(y) / P(g, y).
    pub weight: f64,
}

/// The weights of every non-empty (group, label) cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReweighTable {
    /// The axis.
    pub axis: Axis,
    /// Cells in (group, label) order.
    pub cells: Vec<ReweighCell>,
}

impl ReweighTable {
    /// The weight of a cell (`None` when the cell is empty).
    pub fn weight(&self, group: &str, label: &str) -> Option<f64> {
        self.cells
            .iter()
            .find(|c| c.group == group && c.label == label)
            .map(|c| c.weight)
    }
}

/// Reweighing (Kamiran & Calders, "Data preprocessing techniques for classification
/// without discrimination", KAIS 2012): each labelled example in cell (g, y) gets weight
///
/// w(g, y) = P(g) · P(y) / P(g, y)
///
/// with probabilities counted on the training mix as [`Mitigation::prepare`] sees it, so
/// that under the weights group and label are independent (the weights also sum to the
/// number of labelled examples). The group is the example's value on the chosen axis,
/// stated first, else inferred; examples without one form the group [`NO_GROUP`].
/// Unlabelled examples keep weight 1. A (g, y) cell with no example cannot be reweighed
/// into existence, so independence then holds only approximately.
///
/// Weights are stored in meta under [`Reweighing::meta_key`] (`reweigh_weight.gender`)
/// and read back by [`Mitigation::example_weight`]; place `reweigh` after the data stages
/// that add or drop examples.
///
/// Spec: `reweigh` (gender), `reweigh:culture`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reweighing {
    params: ReweighingParams,
}

impl Reweighing {
    /// Reweighing on `axis`.
    pub fn new(axis: Axis) -> Self {
        Reweighing {
            params: ReweighingParams { axis },
        }
    }

    /// The axis.
    pub fn axis(&self) -> &Axis {
        &self.params.axis
    }

    /// The meta key the weight is stored under: `reweigh_weight.<axis>`.
    pub fn meta_key(&self) -> String {
        format!("reweigh_weight.{}", self.params.axis)
    }

    /// Builds from a spec member (`reweigh:culture`).
    pub fn from_spec(member: &SpecMember) -> Result<Self> {
        let opts = member.options(Some("axis"), &["axis"])?;
        let axis = opts.parse("axis")?.unwrap_or(Axis::Gender);
        Ok(Reweighing::new(axis))
    }

    fn group_of<'a>(&self, example: &'a Example) -> &'a str {
        example.groups.value(&self.params.axis).unwrap_or(NO_GROUP)
    }

    /// The weights of `dataset`'s (group, label) cells; an error when no example is
    /// labelled.
    pub fn table(&self, dataset: &Dataset) -> Result<ReweighTable> {
        let mut cells: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let mut groups: BTreeMap<&str, usize> = BTreeMap::new();
        let mut labels: BTreeMap<&str, usize> = BTreeMap::new();
        let mut total = 0usize;
        for example in &dataset.examples {
            let Some(label) = example.label.as_deref() else {
                continue;
            };
            let group = self.group_of(example);
            *cells.entry((group, label)).or_default() += 1;
            *groups.entry(group).or_default() += 1;
            *labels.entry(label).or_default() += 1;
            total += 1;
        }
        if total == 0 {
            return Err(Error::InvalidParam {
                mitigation: "reweigh".into(),
                name: "dataset".into(),
                message: format!(
                    "dataset `{}` has no labelled example to reweigh",
                    dataset.name
                ),
            });
        }
        let n = total as f64;
        let cells = cells
            .into_iter()
            .map(|((group, label), count)| {
                // P(g)P(y)/P(g,y) = (n_g/n)(n_y/n)/(n_gy/n) = n_g n_y / (n n_gy).
                let weight = groups[group] as f64 * labels[label] as f64 / (n * count as f64);
                ReweighCell {
                    group: group.to_owned(),
                    label: label.to_owned(),
                    count,
                    weight,
                }
            })
            .collect();
        Ok(ReweighTable {
            axis: self.params.axis.clone(),
            cells,
        })
    }
}

impl Mitigation for Reweighing {
    fn spec(&self) -> String {
        let mut member = SpecMember::new("reweigh");
        if self.params != ReweighingParams::default() {
            member = member.arg(self.params.axis.as_str());
        }
        member.to_string()
    }

    fn params(&self) -> serde_json::Value {
        serde_json::to_value(&self.params).unwrap_or_default()
    }

    fn prepare(&self, mut dataset: Dataset, _rng: &mut SeededRng) -> Result<Dataset> {
        let table = self.table(&dataset)?;
        let key = self.meta_key();
        for example in &mut dataset.examples {
            let Some(label) = example.label.as_deref() else {
                continue;
            };
            if let Some(weight) = table.weight(self.group_of(example), label) {
                example.meta.insert(key.clone(), weight.into());
            }
        }
        Ok(dataset)
    }

    fn example_weight(&self, example: &Example) -> f32 {
        example
            .meta
            .get(&self.meta_key())
            .and_then(serde_json::Value::as_f64)
            .map_or(1.0, |w| w as f32)
    }
}
