//! Markdown and CSV renderings of aggregated results.

use std::collections::BTreeMap;
use std::path::Path;

use inherit_core::io::AtomicFile;

use super::aggregate::AggregateRow;
use super::format::fmt_fixed;
use crate::error::Result;

/// A Markdown table: one row per cell (task, bias type, γ, mitigation, model), one
/// column per metric in `metrics`, each entry `mean ± half-width` of the interval (just
/// the mean for one seed; `–` when missing; `(n = k of N)` after a mean taken over fewer
/// seeds than the cell has, because the metric was undefined for the others).
pub fn markdown_table(rows: &[AggregateRow], metrics: &[&str]) -> String {
    type Cell = (String, String, u64, String, String);
    let mut cells: BTreeMap<Cell, BTreeMap<&str, &AggregateRow>> = BTreeMap::new();
    for r in rows {
        if let Some(m) = metrics.iter().find(|m| **m == r.metric) {
            cells
                .entry((
                    r.task.clone(),
                    r.bias_type.clone(),
                    r.gamma.to_bits(),
                    r.mitigation.clone(),
                    r.model.clone(),
                ))
                .or_default()
                .insert(m, r);
        }
    }
    let mut out = String::from("| task | bias type | γ | mitigation | model |");
    for m in metrics {
        out.push_str(&format!(" {m} |"));
    }
    out.push_str("\n|---|---|---:|---|---|");
    out.push_str(&"---:|".repeat(metrics.len()));
    out.push('\n');
    for ((task, bias, gamma, mitigation, model), by_metric) in &cells {
        out.push_str(&format!(
            "| {task} | {bias} | {} | {mitigation} | {model} |",
            f64::from_bits(*gamma)
        ));
        // The cell's seeds: the most any metric has; a mean over fewer says so.
        let seeds = by_metric.values().map(|r| r.n).max().unwrap_or(0);
        for m in metrics {
            let mut text = match by_metric.get(m) {
                Some(r) if r.n >= 2 => format!(
                    "{} ± {}",
                    fmt_fixed(r.mean, 3),
                    fmt_fixed((r.high - r.low) / 2.0, 3)
                ),
                Some(r) if r.n == 1 => fmt_fixed(r.mean, 3),
                _ => "–".to_owned(),
            };
            if let Some(r) = by_metric.get(m).filter(|r| r.n >= 1 && r.n < seeds) {
                text.push_str(&format!(" (n = {} of {seeds})", r.n));
            }
            out.push_str(&format!(" {text} |"));
        }
        out.push('\n');
    }
    out
}

/// Writes the rows as CSV (one row per cell and metric), atomically.
pub fn write_csv(path: impl AsRef<Path>, rows: &[AggregateRow]) -> Result<()> {
    let path = path.as_ref();
    let mut file = AtomicFile::create(path)?;
    {
        let mut w = csv::Writer::from_writer(file.writer());
        let err = |e: csv::Error| inherit_core::Error::io(path, std::io::Error::other(e));
        for r in rows {
            w.serialize(r).map_err(err)?;
        }
        w.flush().map_err(|e| inherit_core::Error::io(path, e))?;
    }
    file.commit()?;
    Ok(())
}
