//! Two writers: two child processes (this test binary, re-run) append to one generation
//! cache and one results file at the same time, for about a second, opening and closing
//! them over and over. Each open either succeeds or fails at once with the lock error
//! naming the holder's pid; the files end clean: every line a record, every record a
//! child reported written present exactly once, nothing else, nothing torn.
//!
//! Two ways of writing are raced: holding the cache and a [`ResultsWriter`] for a burst
//! of appends, and one-shot appends ([`append_result`], a cache opened per record).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use inherit_augment::{CacheRecord, GenerationCache};
use inherit_eval::report::{ResultRecord, ResultsWriter, append_result, read_results};

const CHILD_ENV: &str = "INHERIT_WRITERS_CHILD_DIR";
const ID_ENV: &str = "INHERIT_WRITERS_ID";
const MODE_ENV: &str = "INHERIT_WRITERS_MODE";
const RECORDS: usize = 60;

fn cache_record(id: &str, n: usize) -> CacheRecord {
    CacheRecord {
        key: format!("{id}-{n}"),
        prompt_id: format!("p-{id}-{n}"),
        output: format!("{id} {n} ").repeat(50 + n % 7 * 200),
    }
}

fn result_record(id: &str, n: usize) -> ResultRecord {
    serde_json::from_value(serde_json::json!({
        "task": "writers", "bias_type": "neutral", "gamma": 0.5, "mitigation": "none",
        "seed": n, "model": id, "metrics": {"n": n}, "key": format!("{id}-{n}")
    }))
    .unwrap()
}

/// True for the lock error, after checking that it names a pid.
fn is_lock_error(msg: &str) -> bool {
    let refused = msg.contains("in use by another process");
    if refused {
        assert!(
            msg.contains("pid "),
            "the lock error names the holder: {msg}"
        );
    }
    refused
}

/// The child: writes `RECORDS` cache records and `RECORDS` results, retrying refused
/// opens, and reports each write on stdout (`WROTE c ID-N`, `WROTE r ID-N`, `REFUSED`; libtest's own
/// `test writer_child ... ` may start the first line).
#[test]
fn writer_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = Path::new(&dir);
    let id = std::env::var(ID_ENV).unwrap();
    let held = std::env::var(MODE_ENV).unwrap() == "held";
    let (cache_path, results_path) = (dir.join("cache.jsonl"), dir.join("results.jsonl"));
    // Start together: wait for the parent's go.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dir.join("go").exists() {
        assert!(Instant::now() < deadline, "no go");
        std::thread::sleep(Duration::from_millis(1));
    }
    let (mut c, mut r) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(60);
    while c < RECORDS || r < RECORDS {
        assert!(Instant::now() < deadline, "could not finish: {c} {r}");
        if held {
            // Hold both for a burst of up to 5 appends each.
            let cache = GenerationCache::open(&cache_path);
            let results = ResultsWriter::open(&results_path);
            match cache {
                Ok(mut cache) => {
                    for _ in 0..5 {
                        if c < RECORDS {
                            cache.append(&[cache_record(&id, c)]).unwrap();
                            println!("WROTE c {id}-{c}");
                            c += 1;
                        }
                    }
                }
                Err(e) if is_lock_error(&e.to_string()) => println!("REFUSED"),
                Err(e) => panic!("not a lock error: {e}"),
            }
            match results {
                Ok(mut w) => {
                    for _ in 0..5 {
                        if r < RECORDS {
                            w.append(&result_record(&id, r)).unwrap();
                            println!("WROTE r {id}-{r}");
                            r += 1;
                        }
                    }
                }
                Err(e) if is_lock_error(&e.to_string()) => println!("REFUSED"),
                Err(e) => panic!("not a lock error: {e}"),
            }
        } else {
            if c < RECORDS {
                match GenerationCache::open(&cache_path) {
                    Ok(mut cache) => {
                        cache.append(&[cache_record(&id, c)]).unwrap();
                        println!("WROTE c {id}-{c}");
                        c += 1;
                    }
                    Err(e) if is_lock_error(&e.to_string()) => println!("REFUSED"),
                    Err(e) => panic!("not a lock error: {e}"),
                }
            }
            if r < RECORDS {
                match append_result(&results_path, &result_record(&id, r)) {
                    Ok(()) => {
                        println!("WROTE r {id}-{r}");
                        r += 1;
                    }
                    Err(e) if is_lock_error(&e.to_string()) => println!("REFUSED"),
                    Err(e) => panic!("not a lock error: {e}"),
                }
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Runs two children in `mode` on one folder; checks the files; returns the refusals.
fn race(mode: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|id| {
            Command::new(std::env::current_exe().unwrap())
                .args(["--exact", "writer_child", "--nocapture", "--test-threads=1"])
                .env(CHILD_ENV, dir.path())
                .env(ID_ENV, id)
                .env(MODE_ENV, mode)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    std::fs::write(dir.path().join("go"), b"").unwrap();
    let mut reported: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{mode}: a writer failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in stdout.lines() {
            if let Some((_, what)) = line.split_once("WROTE ") {
                *reported.entry(what.to_owned()).or_default() += 1;
            } else if line.contains("REFUSED") {
                refused += 1;
            }
        }
    }
    assert_eq!(
        reported.len(),
        4 * RECORDS,
        "{mode}: every write reported once"
    );
    // The cache: opens with nothing to repair, every line a record, each reported
    // record once, in each writer's order.
    let cache_path = dir.path().join("cache.jsonl");
    let cache = GenerationCache::open(&cache_path).expect("the cache opens");
    assert_eq!(cache.repaired_bytes(), 0, "{mode}: nothing torn");
    assert_eq!(cache.len(), 2 * RECORDS);
    drop(cache);
    let lines: Vec<CacheRecord> = std::fs::read_to_string(&cache_path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line a record"))
        .collect();
    assert_eq!(
        lines.len(),
        2 * RECORDS,
        "{mode}: no record doubled or lost"
    );
    for id in ["a", "b"] {
        let mine: Vec<&CacheRecord> = lines.iter().filter(|r| r.key.starts_with(id)).collect();
        let want: Vec<CacheRecord> = (0..RECORDS).map(|n| cache_record(id, n)).collect();
        assert!(
            mine.iter().copied().eq(want.iter()),
            "{mode}: writer {id}'s cache records"
        );
    }
    // The results: read cleanly, each reported record once, in each writer's order.
    let read = read_results(dir.path().join("results.jsonl")).expect("the results read");
    assert_eq!(read.ignored_partial_line, None, "{mode}: nothing torn");
    assert_eq!(
        read.records.len(),
        2 * RECORDS,
        "{mode}: no record doubled or lost"
    );
    for id in ["a", "b"] {
        let mine: Vec<&ResultRecord> = read.records.iter().filter(|r| r.model == id).collect();
        let want: Vec<ResultRecord> = (0..RECORDS).map(|n| result_record(id, n)).collect();
        assert!(
            mine.iter().copied().eq(want.iter()),
            "{mode}: writer {id}'s results"
        );
    }
    refused
}

#[test]
fn two_writers_get_a_lock_error_or_a_clean_file_never_corruption() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let held = race("held");
    let one_shot = race("one-shot");
    println!("two writers: {held} refused opens (held), {one_shot} (one-shot); files clean");
    assert!(
        held + one_shot > 0,
        "the writers never met: the race tested nothing"
    );
}
