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
//! Appends are crash-safe: a record is written with one `write` and synced. When the
//! file ends without a newline, the next append looks at that last line: a torn record (a
//! crash mid-write, possibly in the middle of a multi-byte character) is cut off; a
//! complete record that only lacks its newline (e.g. written by hand or another tool)
//! is kept and the newline added. [`read_results`] reads bytes, so a torn character
//! cannot make the file unreadable, and ignores (and reports) a torn *last* line; a
//! malformed line elsewhere is an error naming the file and line. NaN metric values are
//! stored as JSON `null` and read back as NaN.
//!
//! One writer at a time: appends take an exclusive inter-process lock on
//! `results.jsonl.lock` (which holds the holder's pid), and fail at once, naming that
//! pid, when another process holds it. [`ResultsWriter`] holds the lock for a whole run,
//! so a second run on the same folder is refused instead of recomputing (and
//! double-counting) the same cells.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use inherit_core::fault;
use inherit_core::io::{FileLock, LockedAppend};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Result;
use crate::stats::Interval;

/// One evaluated cell of an experiment grid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Round of multi-round self-augmentation (0: D_a from the base generator; round r
    /// trains on data written by the model fine-tuned in round r − 1). Records written
    /// before rounds existed read as round 0.
    #[serde(default)]
    pub round: u32,
    /// Model id.
    pub model: String,
    /// Metric values.
    #[serde(serialize_with = "ser_nan_map", deserialize_with = "de_nan_map")]
    pub metrics: BTreeMap<String, f64>,
    /// Confidence intervals of some metrics.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub ci: BTreeMap<String, Interval>,
    /// Per-unit values behind some metrics, by metric name: e.g. the paired margin
    /// difference of every counterfactual profile, whose mean is the metric. A report
    /// resamples them beside the seeds (a nested bootstrap over seeds × units).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub samples: BTreeMap<String, Vec<f64>>,
    /// The cell's key: a hash of everything that determines the result (configuration
    /// sections, model identities, mitigation, seed, γ, bias type, schema version). Empty
    /// in records written before keys existed. Aggregation keeps one record per key.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// The parts the key hashes, by name (`task`, `generator`, `downstream`, ...), so a
    /// changed configuration can be named.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub key_parts: BTreeMap<String, String>,
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

/// Appends one record as a JSON line (creating the file and its directory), under the
/// file's lock for the duration of the append (see the module docs). To keep other runs
/// out between appends too, hold a [`ResultsWriter`] instead (this function fails while
/// one is open on the same file, in this process or another).
pub fn append_result(path: impl AsRef<Path>, record: &ResultRecord) -> Result<()> {
    ResultsWriter::open_with(path.as_ref(), false)?.append(record)
}

/// A results file held open for appending, with its exclusive lock held until dropped.
#[derive(Debug)]
pub struct ResultsWriter {
    path: PathBuf,
    file: File,
    existing: ResultsFile,
    /// The file's length after its last complete record: where a failed append is cut
    /// back to.
    good_len: u64,
    /// Set by a failed append: the handle writes nothing more.
    failed: bool,
    _lock: FileLock,
}

impl ResultsWriter {
    /// Takes the lock of `path` (failing with an error naming the holder's pid if another
    /// process holds it), creates the file and its directory if missing, reads the
    /// records already there and repairs the end of the file: a torn last line is cut
    /// off, and a complete last record without its newline gets one.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path.as_ref(), true)
    }

    /// [`ResultsWriter::open`]; without `read_all`, only the last line is parsed (when it
    /// lacks its newline) and [`ResultsWriter::existing`] is left empty.
    fn open_with(path: &Path, read_all: bool) -> Result<Self> {
        let path = path.to_path_buf();
        let LockedAppend {
            mut file,
            lock,
            bytes,
        } = LockedAppend::open(&path)?;
        let io = |e| inherit_core::Error::io(&path, e);
        let (existing, torn_from) = if read_all {
            parse_results(&path, &bytes)?
        } else {
            // Only the last line matters for the repair: parse it alone.
            let last_start = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let line_no = bytes[..last_start].iter().filter(|b| **b == b'\n').count();
            let (tail, torn) = parse_results(&path, &bytes[last_start..])?;
            let torn_line = tail.ignored_partial_line.map(|_| line_no as u64 + 1);
            (
                ResultsFile {
                    records: Vec::new(),
                    ignored_partial_line: torn_line,
                },
                torn.map(|start| last_start + start),
            )
        };
        let mut good_len = bytes.len() as u64;
        if let Some(start) = torn_from {
            eprintln!(
                "warning: {}:{}: cut off a torn last line ({} bytes; a run was killed \
                 or failed mid-write)",
                path.display(),
                bytes[..start].iter().filter(|b| **b == b'\n').count() + 1,
                bytes.len() - start
            );
            fault::set_len(&file, start as u64).map_err(io)?;
            fault::sync_data(&file).map_err(io)?;
            good_len = start as u64;
        } else if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            if let Err(e) =
                fault::write_all(&mut file, b"\n").and_then(|()| fault::sync_data(&file))
            {
                // Leave the file as it was: the next open repairs it the same way.
                let _ = file.set_len(good_len);
                return Err(io(e).into());
            }
            good_len += 1;
        }
        Ok(ResultsWriter {
            path,
            file,
            existing,
            good_len,
            failed: false,
            _lock: lock,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file held when it was opened (`ignored_partial_line` names a torn last
    /// line that was cut off).
    pub fn existing(&self) -> &ResultsFile {
        &self.existing
    }

    /// Appends one record with one write, and syncs.
    ///
    /// If the write or the sync fails (a full disk, an I/O error, a short write), the
    /// file is cut back to its last complete record and the writer refuses every later
    /// append: the error names the file and says so. Reopen the file to go on.
    pub fn append(&mut self, record: &ResultRecord) -> Result<()> {
        let io = |e| inherit_core::Error::io(&self.path, e);
        if self.failed {
            return Err(io(std::io::Error::other(
                "an earlier append to this file failed; reopen it to append more",
            ))
            .into());
        }
        let mut line = serde_json::to_vec(record).map_err(|e| io(std::io::Error::other(e)))?;
        line.push(b'\n');
        let written =
            fault::write_all(&mut self.file, &line).and_then(|()| fault::sync_data(&self.file));
        match written {
            Ok(()) => {
                self.good_len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                self.failed = true;
                Err(io(inherit_core::io::roll_back(&self.file, self.good_len, e)).into())
            }
        }
    }
}

impl ResultsWriter {
    /// True after an append failed: the writer refuses further appends.
    pub fn has_failed(&self) -> bool {
        self.failed
    }
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
    let bytes = std::fs::read(path).map_err(|e| inherit_core::Error::io(path, e))?;
    Ok(parse_results(path, &bytes)?.0)
}

/// The records of a results file's bytes, and the byte offset of a torn last line (one
/// without a newline that is not a complete record), if any.
fn parse_results(path: &Path, bytes: &[u8]) -> Result<(ResultsFile, Option<usize>)> {
    let complete = bytes.is_empty() || bytes.ends_with(b"\n");
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let n_lines = if bytes.is_empty() {
        0
    } else {
        body.split(|b| *b == b'\n').count()
    };
    let mut records = Vec::new();
    let mut ignored_partial_line = None;
    let mut torn_from = None;
    let mut offset = 0;
    for (i, raw) in body.split(|b| *b == b'\n').take(n_lines).enumerate() {
        let line_no = i as u64 + 1;
        let start = offset;
        offset += raw.len() + 1;
        let is_open_last = !complete && i + 1 == n_lines;
        let parsed = match std::str::from_utf8(raw) {
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => inherit_core::io::parse_json_line(path, line_no, text),
            Err(e) => Err(inherit_core::Error::parse(
                path,
                line_no,
                None,
                format!("not UTF-8: {e}"),
            )),
        };
        match parsed {
            Ok(r) => records.push(r),
            Err(_) if is_open_last => {
                ignored_partial_line = Some(line_no);
                torn_from = Some(start);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((
        ResultsFile {
            records,
            ignored_partial_line,
        },
        torn_from,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(seed: u64, model: &str) -> ResultRecord {
        serde_json::from_value(serde_json::json!({
            "task": "occupation", "bias_type": "neutral", "gamma": 0.5,
            "mitigation": "none", "seed": seed, "model": model,
            "metrics": {"accuracy": 0.75}
        }))
        .unwrap()
    }

    fn line(r: &ResultRecord) -> Vec<u8> {
        let mut v = serde_json::to_vec(r).unwrap();
        v.push(b'\n');
        v
    }

    /// Regression: `read_to_string` failed on the whole file when a kill tore a
    /// multi-byte character of the last line.
    #[test]
    fn a_torn_multibyte_character_is_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let first = rec(1, "modèle-α");
        let second = line(&rec(2, "modèle-α"));
        let cut = second.iter().position(|b| *b == 0xce).unwrap() + 1; // inside `α`
        let mut bytes = line(&first);
        bytes.extend_from_slice(&second[..cut]);
        std::fs::write(&path, &bytes).unwrap();
        let read = read_results(&path).unwrap();
        assert_eq!(read.records, vec![first.clone()]);
        assert_eq!(read.ignored_partial_line, Some(2));
        append_result(&path, &rec(3, "m")).unwrap();
        let read = read_results(&path).unwrap();
        assert_eq!(read.records, vec![first, rec(3, "m")]);
        assert_eq!(read.ignored_partial_line, None);
        // A complete line that is not UTF-8 is damage, reported with its line.
        let mut bad = b"\xff\xfe\n".to_vec();
        bad.extend(line(&rec(4, "m")));
        std::fs::write(&path, &bad).unwrap();
        let msg = read_results(&path).unwrap_err().to_string();
        assert!(
            msg.contains("results.jsonl:1") && msg.contains("UTF-8"),
            "{msg}"
        );
    }

    /// Regression: a complete last record without its newline was read as a record, then
    /// cut off by the next append.
    #[test]
    fn a_complete_last_record_without_newline_survives_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        let mut bytes = line(&rec(1, "m"));
        bytes.extend(serde_json::to_vec(&rec(2, "m")).unwrap());
        std::fs::write(&path, &bytes).unwrap();
        let read = read_results(&path).unwrap();
        assert_eq!(read.records.len(), 2);
        assert_eq!(read.ignored_partial_line, None);
        append_result(&path, &rec(3, "m")).unwrap();
        let read = read_results(&path).unwrap();
        assert_eq!(read.records, vec![rec(1, "m"), rec(2, "m"), rec(3, "m")]);
        assert!(std::fs::read(&path).unwrap().ends_with(b"}\n"));
    }

    /// Regression: nothing stopped two processes from appending to (and repairing) one
    /// results file at once.
    #[test]
    fn a_held_results_file_refuses_other_writers_naming_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/results.jsonl");
        let mut writer = ResultsWriter::open(&path).unwrap();
        writer.append(&rec(1, "m")).unwrap();
        let msg = append_result(&path, &rec(2, "m")).unwrap_err().to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id()))
                && msg.contains("results.jsonl.lock"),
            "{msg}"
        );
        assert!(ResultsWriter::open(&path).is_err());
        writer.append(&rec(3, "m")).unwrap();
        drop(writer);
        append_result(&path, &rec(4, "m")).unwrap();
        let writer = ResultsWriter::open(&path).unwrap();
        let seeds: Vec<u64> = writer.existing().records.iter().map(|r| r.seed).collect();
        assert_eq!(seeds, [1, 3, 4]);
        // Reading needs no lock.
        assert_eq!(read_results(&path).unwrap().records.len(), 3);
    }

    /// Regression: a failed append (a full disk) left a partial line, later appends went
    /// on after it, and every later run failed with `results.jsonl:N: invalid JSON`.
    #[test]
    fn a_failed_append_is_cut_back_and_the_writer_stops() {
        use inherit_core::fault::{self, Fault};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        for kind in Fault::ALL {
            std::fs::write(&path, line(&rec(1, "m"))).unwrap();
            let mut w = ResultsWriter::open(&path).unwrap();
            // The append's write is the first I/O call from here.
            fault::arm(0, kind);
            let msg = w.append(&rec(2, "m")).unwrap_err().to_string();
            fault::reset();
            assert!(
                msg.contains("results.jsonl") && msg.contains("cut back"),
                "{kind:?}: {msg}"
            );
            assert!(w.has_failed());
            assert_eq!(
                std::fs::read(&path).unwrap(),
                line(&rec(1, "m")),
                "{kind:?}"
            );
            // Nothing more goes through this handle, even once the disk has room again.
            let msg = w.append(&rec(3, "m")).unwrap_err().to_string();
            assert!(msg.contains("earlier append"), "{msg}");
            assert_eq!(
                std::fs::read(&path).unwrap(),
                line(&rec(1, "m")),
                "{kind:?}"
            );
            drop(w);
            append_result(&path, &rec(3, "m")).unwrap();
            let read = read_results(&path).unwrap();
            assert_eq!(read.records, vec![rec(1, "m"), rec(3, "m")], "{kind:?}");
        }
        // A failed sync after a whole write is cut back too.
        std::fs::write(&path, line(&rec(1, "m"))).unwrap();
        let mut w = ResultsWriter::open(&path).unwrap();
        fault::arm(1, Fault::Eio);
        assert!(w.append(&rec(2, "m")).is_err());
        fault::reset();
        assert_eq!(std::fs::read(&path).unwrap(), line(&rec(1, "m")));
    }
}
