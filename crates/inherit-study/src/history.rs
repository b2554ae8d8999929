//! The run history of `manifest.json`: each report stage appends its run's timings to the
//! `runs` list of the manifest it replaces, so a rerun (a resume, a warm run) keeps the
//! cold run's timings instead of overwriting them.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

/// Most runs kept (the oldest are dropped first).
pub const MAX_RUNS: usize = 1_000;

/// The `runs` list for a new `manifest.json` at `path`: the runs of the manifest there
/// (its `runs`, or its single `timings` for a manifest written before histories existed),
/// then `this_run`. A missing or unreadable manifest starts a new history.
pub fn runs(path: &Path, this_run: &impl Serialize) -> Vec<Value> {
    let old: Option<Value> = inherit_core::io::read_regular(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let mut runs: Vec<Value> = match old {
        Some(Value::Object(mut m)) => match m.remove("runs") {
            Some(Value::Array(runs)) => runs,
            _ => m
                .remove("timings")
                .map(|t| vec![serde_json::json!({ "timings": t })])
                .unwrap_or_default(),
        },
        _ => Vec::new(),
    };
    // The same shape as the top-level manifest's runs (`crate::output::finish_manifest`):
    // one object per run, its timings under `timings`.
    runs.push(serde_json::json!({ "timings": this_run }));
    let excess = runs.len().saturating_sub(MAX_RUNS);
    runs.drain(..excess);
    runs
}
