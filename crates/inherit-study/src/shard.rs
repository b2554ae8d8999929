//! Sharding a study across processes (or Slurm array tasks), and merging their results.
//!
//! A study folder holds the plan (`plan.jsonl`, one line per cell with its key), the
//! configuration (`study.toml`), the generation stage's outputs (`augmented/*.jsonl`,
//! `analysis.json`) and results: `results.jsonl` from a single-process run, and
//! `results.shard-I.jsonl` from shard `I` of `N`, so shards never contend for one file on a
//! shared file system. A cell belongs to shard `key mod N` (its key read as a number), a
//! stable assignment whatever the order of the grid. [`merge_results`] reads every results
//! file of a folder, keeps one record per key (duplicates, e.g. from a resubmitted shard,
//! are dropped) and reports conflicts: one key with different metrics.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use inherit_eval::report::{ResultRecord, read_results};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Shard `index` of `count` (0-based), written `I/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Whether the cell with `key` (hex) belongs to this shard.
    pub fn owns(&self, key: &str) -> bool {
        let n = u64::from_str_radix(key.get(..16).unwrap_or(key), 16).unwrap_or(0);
        n % u64::from(self.count) == u64::from(self.index)
    }

    /// This shard's results file in `out`.
    pub fn results_path(&self, out: &Path) -> PathBuf {
        out.join(format!("results.shard-{}.jsonl", self.index))
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |msg: &str| {
            Error::config(
                "--shard",
                "shard",
                format!("`{s}`: {msg} (expected I/N with 0 <= I < N)"),
            )
        };
        let (i, n) = s.split_once('/').ok_or_else(|| bad("no `/`"))?;
        let index: u32 = i.trim().parse().map_err(|_| bad("I is not a number"))?;
        let count: u32 = n.trim().parse().map_err(|_| bad("N is not a number"))?;
        if count == 0 || index >= count {
            return Err(bad("out of range"));
        }
        Ok(Shard { index, count })
    }
}

/// One line of `plan.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedCell {
    /// The cell's key.
    pub key: String,
    /// Task name.
    pub task: String,
    /// Bias type id.
    pub bias_type: String,
    /// γ.
    pub gamma: f64,
    /// Mitigation spec.
    pub mitigation: String,
    /// Seed.
    pub seed: u64,
    /// Round of multi-round self-augmentation (0 for the grid's cells).
    #[serde(default)]
    pub round: u32,
    /// The generation outputs the cell needs (relative to the study folder).
    pub needs: Vec<String>,
}

/// What [`merge_results`] found.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    /// One record per key, in the order first seen (files in name order).
    pub records: Vec<ResultRecord>,
    /// Records dropped because their key was seen before with the same metrics.
    pub duplicates: usize,
    /// Keys seen with different metrics: (key, the files holding them).
    pub conflicts: Vec<(String, Vec<PathBuf>)>,
    /// The results files read.
    pub files: Vec<PathBuf>,
}

/// Every results file of a study folder: `results.jsonl` and `results.shard-*.jsonl`, in
/// name order.
pub fn results_files(out: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = match std::fs::read_dir(out) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(Error::io(out, e)),
    };
    for entry in entries {
        let path = entry.map_err(|e| Error::io(out, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "results.jsonl"
            || (name.starts_with("results.shard-") && name.ends_with(".jsonl"))
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads every results file of `out` and keeps one record per key.
pub fn merge_results(out: &Path) -> Result<Merged> {
    let mut merged = Merged::default();
    let mut seen: BTreeMap<String, (usize, PathBuf)> = BTreeMap::new();
    for file in results_files(out)? {
        for r in read_results(&file)?.records {
            match seen.get(&r.key) {
                Some((i, first)) if !r.key.is_empty() => {
                    if merged.records[*i].metrics == r.metrics
                        || metrics_equal(&merged.records[*i], &r)
                    {
                        merged.duplicates += 1;
                    } else {
                        let files = vec![first.clone(), file.clone()];
                        match merged.conflicts.iter_mut().find(|(k, _)| *k == r.key) {
                            Some((_, fs)) => fs.push(file.clone()),
                            None => merged.conflicts.push((r.key.clone(), files)),
                        }
                    }
                }
                _ => {
                    seen.insert(r.key.clone(), (merged.records.len(), file.clone()));
                    merged.records.push(r);
                }
            }
        }
        merged.files.push(file);
    }
    Ok(merged)
}

/// Metrics equal, NaN equal to NaN.
fn metrics_equal(a: &ResultRecord, b: &ResultRecord) -> bool {
    a.metrics.len() == b.metrics.len()
        && a.metrics.iter().all(|(k, v)| {
            b.metrics
                .get(k)
                .is_some_and(|w| v == w || (v.is_nan() && w.is_nan()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_partition_the_keys_and_reject_nonsense() {
        let s: Shard = "1/4".parse().unwrap();
        assert_eq!(s, Shard { index: 1, count: 4 });
        assert_eq!(s.to_string(), "1/4");
        for bad in ["4/4", "1", "a/2", "0/0", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        // Every key has exactly one owner; 0x0f = 15 → shard 3 of 4.
        let keys = ["000000000000000f", "ba7816bf8f01cfea", "0000000000000000"];
        for key in keys {
            let owners = (0..4)
                .filter(|&i| Shard { index: i, count: 4 }.owns(key))
                .count();
            assert_eq!(owners, 1, "{key}");
        }
        assert!(Shard { index: 3, count: 4 }.owns("000000000000000f"));
    }
}
