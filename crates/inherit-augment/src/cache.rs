//! The generation cache: an append-only JSONL file of raw generator outputs keyed by a
//! hash of (generator id, prompt, generation parameters, seed and position), so a rerun
//! skips every request already answered.
//!
//! Crash safety: each batch of records is written with one `write` of whole lines and
//! synced. A run killed mid-write leaves at most one partial last line (no trailing
//! newline); [`GenerationCache::open`] detects it, truncates the file back to the last
//! complete line before anything is appended, and reports the bytes dropped. A key is
//! never written twice.
//!
//! One writer at a time: [`GenerationCache::open`] takes an exclusive inter-process lock
//! ([`inherit_core::io::FileLock`], on `{cache}.lock`, which holds the holder's pid)
//! before it reads or repairs anything, and keeps it until the cache is dropped. A
//! second run on the same cache fails at once with an error naming the holder's pid,
//! instead of cutting a line the first is still writing.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use inherit_core::fault;
use inherit_core::io::{FileLock, LockedAppend};
use inherit_core::{GenerationParams, Prompt};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::hash::fnv1a_128;

/// One cached output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheRecord {
    /// The request key ([`cache_key`]).
    pub key: String,
    /// The id of the prompt it answered (for reading the file; not part of the key).
    pub prompt_id: String,
    /// The raw output, before cleaning.
    pub output: String,
}

/// The key of one request: FNV-1a 128 (32 hex digits) of the JSON of the generator id,
/// the prompt, the generation parameters (whose `seed` is the batch seed) and the
/// prompt's position in its batch, which together fix the sampling stream.
pub fn cache_key(
    generator: &str,
    prompt: &Prompt,
    params: &GenerationParams,
    position: usize,
) -> String {
    let material = serde_json::json!({
        "generator": generator,
        "prompt": prompt,
        "params": params,
        "position": position,
    });
    format!("{:032x}", fnv1a_128(material.to_string().as_bytes()))
}

/// An open cache file.
#[derive(Debug)]
pub struct GenerationCache {
    path: PathBuf,
    file: File,
    entries: HashMap<String, String>,
    repaired_bytes: u64,
    /// The file's length after its last complete record.
    good_len: u64,
    /// Set by a failed append: the handle writes nothing more.
    failed: bool,
    _lock: FileLock,
}

impl GenerationCache {
    /// Opens (or creates) the cache at `path`, loading every complete line and repairing
    /// a partial last line.
    ///
    /// A complete line that is not a valid record is an [`Error::Cache`] naming the file
    /// and line: only the last line can be torn by a crash, so anything else is damage
    /// the user should look at. If another process (or another open handle) holds the
    /// cache, the error is an [`inherit_core::Error::Io`] of kind `WouldBlock` naming
    /// the lock file and the holder's pid.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let LockedAppend {
            mut file,
            lock,
            mut bytes,
        } = LockedAppend::open(&path)?;
        let io = |e| inherit_core::Error::io(&path, e);
        let mut complete = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let tail = &bytes[complete..];
        let whole_record = std::str::from_utf8(tail)
            .ok()
            .is_some_and(|t| serde_json::from_str::<CacheRecord>(t).is_ok());
        let mut repaired_bytes = 0;
        if whole_record {
            // A complete record that lost only its newline: keep it.
            let len = bytes.len() as u64;
            if let Err(e) =
                fault::write_all(&mut file, b"\n").and_then(|()| fault::sync_data(&file))
            {
                // Leave the file as it was: the next open repairs it the same way.
                let _ = file.set_len(len);
                return Err(io(e).into());
            }
            bytes.push(b'\n');
            complete = bytes.len();
        } else if !tail.is_empty() {
            repaired_bytes = tail.len() as u64;
            eprintln!(
                "warning: {}:{}: cut off a torn last line ({repaired_bytes} bytes; a run was \
                 killed or failed mid-write)",
                path.display(),
                bytes[..complete].iter().filter(|b| **b == b'\n').count() + 1,
            );
            fault::set_len(&file, complete as u64).map_err(io)?;
            fault::sync_all(&file).map_err(io)?;
        }
        let good_len = complete as u64;
        let mut entries = HashMap::new();
        for (i, line) in bytes[..complete].split(|b| *b == b'\n').enumerate() {
            let line_no = i as u64 + 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let corrupt = |message: String| Error::Cache {
                path: path.clone(),
                line: line_no,
                message,
            };
            let text = std::str::from_utf8(line).map_err(|e| corrupt(format!("not UTF-8: {e}")))?;
            let record: CacheRecord =
                serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
            entries.entry(record.key).or_insert(record.output);
        }
        Ok(GenerationCache {
            path,
            file,
            entries,
            repaired_bytes,
            good_len,
            failed: false,
            _lock: lock,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of cached outputs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of a partial last line dropped when the file was opened (0 if none).
    pub fn repaired_bytes(&self) -> u64 {
        self.repaired_bytes
    }

    /// The cached output of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Appends the records whose keys are not cached yet, in one write, and syncs.
    ///
    /// If the write or the sync fails, the file is cut back to its last complete record,
    /// none of the records counts as cached, and the cache refuses every later append
    /// (reopen it to go on).
    pub fn append(&mut self, records: &[CacheRecord]) -> Result<()> {
        let mut buf = Vec::new();
        let mut added = Vec::new();
        for r in records {
            if self.entries.contains_key(&r.key) || added.iter().any(|k: &&String| **k == r.key) {
                continue;
            }
            serde_json::to_writer(&mut buf, r)
                .map_err(|e| inherit_core::Error::io(&self.path, e.into()))?;
            buf.push(b'\n');
            added.push(&r.key);
        }
        if buf.is_empty() {
            return Ok(());
        }
        let io = |e| inherit_core::Error::io(&self.path, e);
        if self.failed {
            return Err(io(std::io::Error::other(
                "an earlier append to this cache failed; reopen it to append more",
            ))
            .into());
        }
        let written =
            fault::write_all(&mut self.file, &buf).and_then(|()| fault::sync_data(&self.file));
        if let Err(e) = written {
            self.failed = true;
            return Err(io(inherit_core::io::roll_back(&self.file, self.good_len, e)).into());
        }
        self.good_len += buf.len() as u64;
        for r in records {
            self.entries
                .entry(r.key.clone())
                .or_insert_with(|| r.output.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn rec(i: usize) -> CacheRecord {
        CacheRecord {
            key: format!("k{i}"),
            prompt_id: format!("p{i}"),
            output: format!("output {i}\nwith a newline"),
        }
    }

    #[test]
    fn keys_change_with_every_input() {
        let p = Prompt::user("hi");
        let g = GenerationParams::default();
        let k = cache_key("gen", &p, &g, 0);
        assert_eq!(k.len(), 32);
        assert_eq!(k, cache_key("gen", &p, &g, 0));
        assert_ne!(k, cache_key("gen2", &p, &g, 0));
        assert_ne!(k, cache_key("gen", &Prompt::user("ho"), &g, 0));
        assert_ne!(
            k,
            cache_key(
                "gen",
                &p,
                &GenerationParams {
                    seed: 1,
                    ..g.clone()
                },
                0
            )
        );
        assert_ne!(k, cache_key("gen", &p, &g, 1));
    }

    #[test]
    fn torn_last_line_is_dropped_and_repaired_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut c = GenerationCache::open(&path).unwrap();
        c.append(&[rec(0), rec(1), rec(1)]).unwrap();
        c.append(&[rec(2), rec(0)]).unwrap();
        drop(c);
        let full = std::fs::read(&path).unwrap();
        assert_eq!(
            full.iter().filter(|b| **b == b'\n').count(),
            3,
            "one line per new key"
        );
        // Kill simulation: the third record was only half written.
        let second_end = full
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(1)
            .unwrap()
            .0
            + 1;
        let cut = second_end + 10;
        std::fs::write(&path, &full[..cut]).unwrap();
        let mut c = GenerationCache::open(&path).unwrap();
        assert_eq!(c.repaired_bytes(), 10);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get("k1"), Some("output 1\nwith a newline"));
        assert_eq!(c.get("k2"), None);
        c.append(&[rec(2)]).unwrap();
        drop(c);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            full,
            "repaired file equals the uninterrupted one"
        );
    }

    /// Regression: nothing stopped a second process from opening the cache while the
    /// first was appending; its torn-line repair could cut the first's line in half.
    #[test]
    fn a_second_writer_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut first = GenerationCache::open(&path).unwrap();
        // The first writer is mid-append (a partial line on disk).
        first.file.write_all(b"{\"key\":\"k9\",\"prom").unwrap();
        let err = GenerationCache::open(&path).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains(&format!("pid {}", std::process::id())) && msg.contains("c.jsonl.lock"),
            "{msg}"
        );
        assert!(
            matches!(&err, Error::Core(inherit_core::Error::Io { source, .. })
                if source.kind() == std::io::ErrorKind::WouldBlock),
            "{err:?}"
        );
        // The refused open repaired nothing: the first writer's bytes are intact.
        assert!(std::fs::read(&path).unwrap().ends_with(b"\"prom"));
        drop(first);
        let reopened = GenerationCache::open(&path).unwrap();
        assert_eq!(reopened.repaired_bytes(), 17);
    }

    #[test]
    fn a_complete_last_record_without_newline_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut bytes = serde_json::to_vec(&rec(0)).unwrap();
        bytes.push(b'\n');
        bytes.extend(serde_json::to_vec(&rec(1)).unwrap());
        std::fs::write(&path, &bytes).unwrap();
        let mut c = GenerationCache::open(&path).unwrap();
        assert_eq!((c.len(), c.repaired_bytes()), (2, 0));
        c.append(&[rec(2)]).unwrap();
        drop(c);
        let c = GenerationCache::open(&path).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("k1"), Some("output 1\nwith a newline"));
    }

    #[test]
    fn a_corrupt_complete_line_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::write(
            &path,
            "{\"key\":\"a\",\"prompt_id\":\"p\",\"output\":\"x\"}\nnot json\n",
        )
        .unwrap();
        let msg = GenerationCache::open(&path).unwrap_err().to_string();
        assert!(msg.contains("c.jsonl:2"), "{msg}");
    }

    /// Regression: a failed append (a full disk) left a partial line in the cache and
    /// the handle went on appending after it.
    #[test]
    fn a_failed_append_is_cut_back_and_the_cache_stops() {
        use inherit_core::fault::{self, Fault};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let mut c = GenerationCache::open(&path).unwrap();
        c.append(&[rec(0)]).unwrap();
        drop(c);
        let good = std::fs::read(&path).unwrap();
        for kind in Fault::ALL {
            let mut c = GenerationCache::open(&path).unwrap();
            fault::arm(0, kind);
            let msg = c.append(&[rec(1), rec(2)]).unwrap_err().to_string();
            fault::reset();
            assert!(
                msg.contains("c.jsonl") && msg.contains("cut back"),
                "{kind:?}: {msg}"
            );
            assert_eq!(c.get("k1"), None, "a failed record is not cached");
            assert_eq!(std::fs::read(&path).unwrap(), good, "{kind:?}");
            let msg = c.append(&[rec(3)]).unwrap_err().to_string();
            assert!(msg.contains("earlier append"), "{msg}");
            assert_eq!(std::fs::read(&path).unwrap(), good, "{kind:?}");
            drop(c);
            let c = GenerationCache::open(&path).unwrap();
            assert_eq!(c.repaired_bytes(), 0);
            assert_eq!(c.len(), 1);
        }
    }

    /// Regression: the cache was opened through a symbolic link, so a link planted in a
    /// shared output folder made the run repair (truncate) and append to its target.
    #[cfg(unix)]
    #[test]
    fn a_symlinked_cache_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious, with a torn {\"last line").unwrap();
        let path = dir.path().join("c.jsonl");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        let err = GenerationCache::open(&path).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious, with a torn {\"last line"
        );
    }
}
