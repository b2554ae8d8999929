//! Injected I/O faults, in the spirit of SQLite's I/O error tests: every write, sync,
//! truncation and rename of the durable writers (results file, generation cache, atomic
//! files) goes through `inherit_core::fault`, and these tests fail the n-th one with
//! `ENOSPC`, `EIO` or a short write, for every n up to the number of I/O calls of a
//! small job. After each fault: the job returns a clear error (naming the file), reopening
//! shows every record whole (nothing half-written, at most nothing new), and a rerun
//! without faults finishes byte-identical to an uninterrupted run.
//!
//! Two jobs: a scripted run of the writers (every injection point and every kind, in
//! `cargo test`), and a whole tiny study with the stand-ins (every `INHERIT_FAULT_STRIDE`-th
//! point, default 16, in `cargo test`; `scripts/faults.sh` runs every point). Each prints
//! the number of injection points it covered.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use inherit_augment::cache::{CacheRecord, GenerationCache};
use inherit_core::fault::{self, Fault};
use inherit_eval::report::{ResultRecord, ResultsWriter, read_results};
use inherit_study::Study;

const STEPS: usize = 6;

/// Every this many I/O calls of the study gets a fault in `cargo test`
/// (`INHERIT_FAULT_STRIDE` changes it; `scripts/faults.sh` uses 1).
const STUDY_STRIDE: u64 = 16;

fn result(step: usize) -> ResultRecord {
    ResultRecord {
        task: "faults".into(),
        bias_type: "neutral".into(),
        gamma: 0.5,
        mitigation: "none".into(),
        seed: step as u64,
        model: "m".into(),
        metrics: [("accuracy".to_owned(), step as f64 / 10.0)].into(),
        key: format!("cell-{step}"),
        ..Default::default()
    }
}

fn cached(step: usize, j: usize) -> CacheRecord {
    CacheRecord {
        key: format!("key-{step}-{j}"),
        prompt_id: format!("p{step}"),
        output: format!("output {step}.{j} é\n{}", "x".repeat(step * 40)),
    }
}

/// The scripted job: per step, two generations into the cache, one result record, and an
/// atomic summary file; resumable (what the files hold is not redone).
fn writers_job(dir: &Path) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let mut cache = GenerationCache::open(dir.join("cache.jsonl")).map_err(|x| e(&x))?;
    let mut results = ResultsWriter::open(dir.join("results.jsonl")).map_err(|x| e(&x))?;
    let done: Vec<String> = results
        .existing()
        .records
        .iter()
        .map(|r| r.key.clone())
        .collect();
    for step in 0..STEPS {
        let todo: Vec<CacheRecord> = (0..2)
            .map(|j| cached(step, j))
            .filter(|r| cache.get(&r.key).is_none())
            .collect();
        cache.append(&todo).map_err(|x| e(&x))?;
        let r = result(step);
        if !done.contains(&r.key) {
            results.append(&r).map_err(|x| e(&x))?;
        }
        let summary = format!("steps done: {}\n", step + 1);
        inherit_core::io::write_atomic(dir.join("summary.txt"), summary.as_bytes())
            .map_err(|x| e(&x))?;
    }
    inherit_core::io::write_jsonl(
        dir.join("all.jsonl"),
        &(0..STEPS).map(result).collect::<Vec<_>>(),
    )
    .map_err(|x| e(&x))
}

/// Every regular file under `dir` (relative path → bytes), lock files left out;
/// `report.md` without its timings line and JSON files without their timing fields
/// (`timings`, `runs`, `*_s`: wall-clock seconds differ between runs).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if name.ends_with(".lock") {
                continue;
            }
            let rel = path.strip_prefix(dir).unwrap().to_path_buf();
            let mut bytes = std::fs::read(&path).unwrap();
            // The folder's own path (in the recorded configuration) differs between runs.
            if let Ok(text) = std::str::from_utf8(&bytes) {
                bytes = text.replace(&dir.display().to_string(), "@").into_bytes();
            }
            if name == "report.md" {
                let text = String::from_utf8(bytes).unwrap();
                // The timings section (last) holds seconds and one row per run, and a
                // run cut short by a fault may have added its row: not compared (as the
                // manifests' `runs` are not).
                bytes = text
                    .lines()
                    .take_while(|l| !l.starts_with("## Timings"))
                    .collect::<Vec<_>>()
                    .join("\n")
                    .into_bytes();
            }
            if name.ends_with(".json") {
                let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                strip_timings(&mut v);
                bytes = serde_json::to_vec(&v).unwrap();
            }
            out.insert(rel, bytes);
        }
    }
    out
}

fn strip_timings(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, _| k != "timings" && k != "runs" && !k.ends_with("_s"));
            for x in m.values_mut() {
                strip_timings(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_timings),
        _ => {}
    }
}

/// The files hold only whole records: the results and the cache open and read back
/// without repairing anything, and every atomic file is whole (one of its versions).
fn check_whole(dir: &Path, what: &str) {
    let results = dir.join("results.jsonl");
    if results.exists() {
        let read = read_results(&results).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            read.ignored_partial_line, None,
            "{what}: a torn results line"
        );
        for (i, r) in read.records.iter().enumerate() {
            assert_eq!(r, &result(i), "{what}: results record {i}");
        }
    }
    let cache = dir.join("cache.jsonl");
    if cache.exists() {
        let c = GenerationCache::open(&cache).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(c.repaired_bytes(), 0, "{what}: a torn cache line");
    }
    let summary = dir.join("summary.txt");
    if summary.exists() {
        let text = std::fs::read_to_string(&summary).unwrap();
        assert!(
            text.starts_with("steps done: ") && text.ends_with('\n'),
            "{what}: summary {text:?}"
        );
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".tmp"), "{what}: temporary file {name} left");
    }
}

/// The clean run: its files and the number of I/O calls it makes.
fn clean_run(job: impl Fn(&Path) -> Result<(), String>) -> (BTreeMap<PathBuf, Vec<u8>>, u64) {
    let dir = tempfile::tempdir().unwrap();
    fault::reset();
    job(dir.path()).unwrap();
    let calls = fault::calls();
    fault::reset();
    (snapshot(dir.path()), calls)
}

/// Fails I/O call `at` with `kind`, checks the error and the files, reruns and compares.
fn fault_at(
    job: &impl Fn(&Path) -> Result<(), String>,
    at: u64,
    kind: Fault,
    expected: &BTreeMap<PathBuf, Vec<u8>>,
    check: &impl Fn(&Path, &str),
) {
    let what = format!("{kind:?} at I/O call {at}");
    let dir = tempfile::tempdir().unwrap();
    fault::arm(at, kind);
    let outcome = job(dir.path());
    let fired = fault::calls() > at;
    fault::reset();
    assert!(fired, "{what}: the job made fewer calls than the clean run");
    // A fault the job absorbed (an Ok outcome) must leave nothing to repair either.
    if let Err(msg) = outcome {
        assert!(
            msg.contains(&dir.path().display().to_string())
                && (msg.contains("No space left") || msg.contains("Input/output error")),
            "{what}: the error names neither the file nor the fault: {msg}"
        );
    }
    check(dir.path(), &what);
    job(dir.path()).unwrap_or_else(|e| panic!("{what}: the rerun failed: {e}"));
    let got = snapshot(dir.path());
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{what}: other files after the rerun"
    );
    for (path, bytes) in expected {
        if got[path] != *bytes {
            let first = got[path]
                .iter()
                .zip(bytes)
                .position(|(a, b)| a != b)
                .unwrap_or(bytes.len().min(got[path].len()));
            let around = |b: &[u8]| {
                String::from_utf8_lossy(&b[first.saturating_sub(80)..(first + 80).min(b.len())])
                    .into_owned()
            };
            panic!(
                "{what}: {} differs from an uninterrupted run's at byte {first}:\n got: \
                 {}\n want: {}",
                path.display(),
                around(&got[path]),
                around(bytes)
            );
        }
    }
}

#[test]
fn the_writers_survive_a_fault_at_every_io_call() {
    let (expected, calls) = clean_run(writers_job);
    assert!(calls > 20, "the job makes {calls} I/O calls");
    let mut points = 0;
    for at in 0..calls {
        for kind in Fault::ALL {
            fault_at(&writers_job, at, kind, &expected, &check_whole);
            points += 1;
        }
    }
    eprintln!("writers: {calls} I/O calls, {points} injected faults survived");
}

fn study_job(dir: &Path) -> Result<(), String> {
    let out = dir.join("run");
    // Two cells, one epoch: the study's every writer at a fraction of the tiny study's
    // cost (each injection point reruns the study twice).
    let config = common::tiny_with(&out, |c| {
        c.mitigations = vec!["none".into()];
        c.seeds = vec![1];
        c.downstream.epochs = 1;
    });
    Study::new(config)
        .jobs(1)
        .run()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn study_whole(dir: &Path, what: &str) {
    let out = dir.join("run");
    let results = out.join("results.jsonl");
    if results.exists() {
        let read = read_results(&results).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            read.ignored_partial_line, None,
            "{what}: a torn results line"
        );
    }
    let cache = out.join("cache/generations.jsonl");
    if cache.exists() {
        let c = GenerationCache::open(&cache).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(c.repaired_bytes(), 0, "{what}: a torn cache line");
    }
}

#[test]
fn a_tiny_study_survives_faults_at_its_io_calls() {
    let (expected, calls) = clean_run(study_job);
    let stride: u64 = std::env::var("INHERIT_FAULT_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s| *s > 0)
        .unwrap_or(STUDY_STRIDE);
    let mut points = 0;
    for (i, at) in (0..calls).step_by(stride as usize).enumerate() {
        let kind = Fault::ALL[i % 3];
        fault_at(&study_job, at, kind, &expected, &study_whole);
        points += 1;
    }
    eprintln!("tiny study: {calls} I/O calls, {points} injected faults survived (stride {stride})");
}
