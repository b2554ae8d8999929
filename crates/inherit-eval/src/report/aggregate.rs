//! Aggregation of result records across seeds: mean, sample standard deviation and a
//! t-based confidence interval per cell and metric.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::results::ResultRecord;
use crate::error::{Error, Result};
use crate::stats::mean_ci;

/// One metric of one cell, over seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateRow {
    /// Task.
    pub task: String,
    /// Bias type.
    pub bias_type: String,
    /// γ.
    pub gamma: f64,
    /// Mitigation.
    pub mitigation: String,
    /// Model.
    pub model: String,
    /// Metric name.
    pub metric: String,
    /// Seeds with a finite value.
    pub n: usize,
    /// Mean over seeds.
    pub mean: f64,
    /// Sample standard deviation (NaN for one seed).
    pub std: f64,
    /// Lower bound of the t interval (NaN for one seed).
    pub low: f64,
    /// Upper bound of the t interval (NaN for one seed).
    pub high: f64,
}

/// Groups records by (task, bias_type, γ, mitigation, model) and summarises every
/// metric over seeds (NaN values are left out), sorted by those keys then metric. Records
/// with a non-empty [`ResultRecord::key`] seen before are skipped (duplicates count once).
pub fn aggregate(records: &[ResultRecord], confidence: f64) -> Result<Vec<AggregateRow>> {
    if records.is_empty() {
        return Err(Error::NoData("no result record to aggregate".into()));
    }
    type Key = (String, String, u64, String, String, String);
    let mut cells: BTreeMap<Key, (f64, Vec<f64>)> = BTreeMap::new();
    let mut seen_keys = std::collections::BTreeSet::new();
    for r in records {
        // A cell recorded twice (e.g. by two runs on one folder) counts once.
        if !r.key.is_empty() && !seen_keys.insert(r.key.as_str()) {
            continue;
        }
        if !r.gamma.is_finite() {
            return Err(Error::invalid(
                "gamma",
                format!("record of task `{}` has gamma {}", r.task, r.gamma),
            ));
        }
        for (m, v) in &r.metrics {
            // order by gamma through the bits of a non-negative float (γ in [0, 1])
            let key = (
                r.task.clone(),
                r.bias_type.clone(),
                r.gamma.to_bits(),
                r.mitigation.clone(),
                r.model.clone(),
                m.clone(),
            );
            let e = cells.entry(key).or_insert((r.gamma, Vec::new()));
            if !v.is_nan() {
                e.1.push(*v);
            }
        }
    }
    let mut rows = Vec::new();
    for ((task, bias_type, _, mitigation, model, metric), (gamma, values)) in cells {
        let (n, mean, std, low, high) = if values.is_empty() {
            (0, f64::NAN, f64::NAN, f64::NAN, f64::NAN)
        } else {
            let c = mean_ci(&values, confidence)?;
            (c.n, c.mean, c.std, c.low, c.high)
        };
        rows.push(AggregateRow {
            task,
            bias_type,
            gamma,
            mitigation,
            model,
            metric,
            n,
            mean,
            std,
            low,
            high,
        });
    }
    Ok(rows)
}
