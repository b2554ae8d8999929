//! The results schema: one JSON object per evaluated cell, appended to a
//! `results.jsonl` file.
//!
//! ```json
//! {"task":"occupation","bias_type":"contrastive-single-explicit","gamma":0.5,
//!  "mitigation":"none","seed":1,"model":"bert-tiny",
//!  "metrics":{"accuracy":0.81,"tpr_gap_rms":0.12},
//!  "ci":{"accuracy":{"low":0.79,"high":0.83}}}
//! ```
//!
//! Appends are crash-safe: a record is written with one `write` and synced, and when
//! the file ends in a partial line (a crash mid-write), the next append first cuts that
//! line off. [`read_results`] ignores (and reports) a partial *last* line; a malformed
//! line elsewhere is an error naming the file and line. NaN metric values are stored as
//! JSON `null` and read back as NaN.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Result;
use crate::stats::Interval;

/// One evaluated cell of an experiment grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultRecord {
    /// Task (e.g. `occupation`, `bbq`).
    pub task: String,
    /// Bias type id (`neutral`, `contrastive-single-explicit`, ...).
    pub bias_type: String,
    /// Share of augmented (biased) data γ.
    pub gamma: f64,
    /// Mitigation (`none`, `token`, `mask`, `loss`).
    pub mitigation: String,
    /// Seed of the run.
    pub seed: u64,
    /// Model id.
    pub model: String,
    /// Metric values.
    #[serde(serialize_with = "ser_nan_map", deserialize_with = "de_nan_map")]
    pub metrics: BTreeMap<String, f64>,
    /// Confidence intervals of some metrics.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ci: BTreeMap<String, Interval>,
}

fn ser_nan_map<S: Serializer>(
    m: &BTreeMap<String, f64>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    let opt: BTreeMap<&String, Option<f64>> = m
        .iter()
        .map(|(k, v)| (k, (!v.is_nan()).then_some(*v)))
        .collect();
    opt.serialize(s)
}

fn de_nan_map<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, f64>, D::Error> {
    let opt = BTreeMap::<String, Option<f64>>::deserialize(d)?;
    Ok(opt
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or(f64::NAN)))
        .collect())
}

/// Appends one record as a JSON line (creating the file and its directory).
pub fn append_result(path: impl AsRef<Path>, record: &ResultRecord) -> Result<()> {
    let path = path.as_ref();
    let io = |e| inherit_core::Error::io(path, e);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut f = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    if len > 0 {
        f.seek(SeekFrom::End(-1)).map_err(io)?;
        let mut last = [0u8];
        f.read_exact(&mut last).map_err(io)?;
        if last[0] != b'\n' {
            // a crash left a partial record: drop it
            let mut text = Vec::new();
            f.seek(SeekFrom::Start(0)).map_err(io)?;
            f.read_to_end(&mut text).map_err(io)?;
            let keep = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            f.set_len(keep as u64).map_err(io)?;
        }
    }
    let mut line = serde_json::to_vec(record).map_err(|e| io(std::io::Error::other(e)))?;
    line.push(b'\n');
    f.write_all(&line).map_err(io)?;
    f.sync_data().map_err(io)?;
    Ok(())
}

/// The records of a results file.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultsFile {
    /// Complete records, in file order.
    pub records: Vec<ResultRecord>,
    /// The line number of an ignored partial last line, if any.
    pub ignored_partial_line: Option<u64>,
}

/// Reads a results file (see the module docs for partial lines).
pub fn read_results(path: impl AsRef<Path>) -> Result<ResultsFile> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| inherit_core::Error::io(path, e))?;
    let complete = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::new();
    let mut ignored_partial_line = None;
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + 1;
        match inherit_core::io::parse_json_line(path, line_no, line) {
            Ok(r) => records.push(r),
            Err(_) if !complete && i + 1 == lines.len() => ignored_partial_line = Some(line_no),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ResultsFile {
        records,
        ignored_partial_line,
    })
}
