//! Real SIGKILLs: this test binary re-runs itself as a child process that appends to a
//! generation cache and a results file and saves checkpoints, step after step; the
//! parent kills it (`Child::kill`, SIGKILL on Unix) at random (seeded) moments, checks
//! the files after every kill, and restarts it, which resumes from what the files hold.
//!
//! After each kill: the cache opens (repairing a torn last line), the results file
//! reads, both hold exactly the records of steps `0..n` in order (none lost, none
//! doubled), the checkpoint loads and is the one of the last save that committed, and a
//! new save of it succeeds. When a resumed run finishes, its files equal those of an
//! uninterrupted run byte for byte (the checkpoint: the same weights).
//!
//! Half of the kills fall at a moment drawn uniformly over a run (process start
//! included); the other half at once or a random 0–3 ms after the child announces (on stdout) that
//! it is about to append to the cache, save a checkpoint or append a result, so that
//! kills inside those writes are not left to luck.
//!
//! `INHERIT_KILL_COUNT` sets the number of kills (20 by default, for CI; the reliability
//! figures use 100 or more); `INHERIT_KILL_SEED` the seed of the kill times.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use inherit_augment::{CacheRecord, GenerationCache};
use inherit_core::SequenceScorer;
use inherit_eval::report::{ResultRecord, ResultsWriter, read_results};
use inherit_train::{
    CausalLm, CausalLmConfig, Device, ModelConfig, ModelShape, TextTokenizer, TokenizerConfig,
    TokenizerKind, TrainedLm,
};
use rand::RngExt;

/// Set (to the run folder) in the child.
const CHILD_ENV: &str = "INHERIT_KILL_CHILD_DIR";
/// Steps of one run.
const STEPS: usize = 40;
/// A checkpoint is saved at every step that is a multiple of this.
const CKPT_EVERY: usize = 4;
const SCORED: &str = "word1 word2 the end";

// ---------------------------------------------------------------------------------------
// The work: deterministic in the step number.

/// The cache records of a step: two small ones and, every fourth step, a 512 KiB one (a
/// write long enough for a kill to land inside it).
fn cache_records(step: usize) -> Vec<CacheRecord> {
    (0..3)
        .map(|j| {
            let size = if j == 2 && step % 4 == 3 {
                512 << 10
            } else {
                100
            };
            let output: String = format!("step {step} part {j} é ")
                .chars()
                .cycle()
                .take(size)
                .collect();
            CacheRecord {
                key: format!("{:030x}{j:02}", step),
                prompt_id: format!("p{step}-{j}"),
                output,
            }
        })
        .collect()
}

fn result_record(step: usize) -> ResultRecord {
    serde_json::from_value(serde_json::json!({
        "task": "sigkill", "bias_type": "neutral", "gamma": step as f64 / 100.0,
        "mitigation": "none", "seed": step, "model": "modèle-α",
        "metrics": {"accuracy": 0.5, "step": step},
        "key": format!("cell-{step}")
    }))
    .unwrap()
}

fn tokenizer() -> TextTokenizer {
    static TOKENIZER: std::sync::OnceLock<TextTokenizer> = std::sync::OnceLock::new();
    TOKENIZER.get_or_init(train_tokenizer).clone()
}

fn train_tokenizer() -> TextTokenizer {
    let texts: Vec<String> = (0..40)
        .map(|i| format!("word{} word{} the end", i % 7, i % 5))
        .collect();
    let cfg = TokenizerConfig {
        kind: TokenizerKind::WordLevel,
        vocab_size: 60,
        max_length: 16,
        ..Default::default()
    };
    TextTokenizer::train(&cfg, &texts).unwrap()
}

/// The model saved at `step`: initialised with the step as its seed.
fn lm(step: usize) -> TrainedLm<CausalLm> {
    let config = CausalLmConfig {
        d_model: 16,
        heads: 2,
        layers: 1,
        d_ff: 32,
        max_length: 16,
        dropout: 0.0,
    };
    let tok = tokenizer();
    let device = Device::flex();
    let model = config
        .init(
            ModelShape {
                tokenizer: &tok,
                num_classes: 0,
            },
            &device,
            step as u64,
        )
        .unwrap();
    TrainedLm::new(model, config, tok, device)
}

fn score(lm: &TrainedLm<CausalLm>) -> f64 {
    lm.score(&[SCORED.into()]).unwrap()[0].total
}

struct Files {
    cache: PathBuf,
    results: PathBuf,
    ckpt: PathBuf,
}

fn files(dir: &Path) -> Files {
    Files {
        cache: dir.join("cache.jsonl"),
        results: dir.join("results.jsonl"),
        ckpt: dir.join("ckpt"),
    }
}

/// Runs (or resumes) the work in `dir`: per step, the cache records, a checkpoint at
/// multiples of `CKPT_EVERY`, then the result record (the step's commit).
fn work(dir: &Path) {
    let f = files(dir);
    let mut cache = GenerationCache::open(&f.cache).unwrap();
    let mut results = ResultsWriter::open(&f.results).unwrap();
    let done = results.existing().records.len();
    for step in done..STEPS {
        let records = cache_records(step);
        println!("c");
        cache.append(&records).unwrap();
        if step % CKPT_EVERY == 0 {
            let model = lm(step);
            println!("s");
            model.save(&f.ckpt).unwrap();
        }
        let record = result_record(step);
        println!("r");
        results.append(&record).unwrap();
    }
}

/// The child: resumes the work in its folder.
#[test]
fn sigkill_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return; // only meaningful in the child process
    };
    work(Path::new(&dir));
    println!("CHILD-DONE");
}

// ---------------------------------------------------------------------------------------
// The parent.

/// What the parent saw after the kills.
#[derive(Default, Debug)]
struct Tally {
    kills: usize,
    rounds: usize,
    targeted: usize,
    torn_cache: usize,
    torn_results: usize,
    ckpt_leftovers: usize,
    cache_ahead: usize,
}

fn spawn(dir: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkill_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The child's announcements (lines ending in `c`, `s` or `r`: libtest's own `test ... `
/// may start the first), read on a thread.
fn announcements(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Checks the files after a kill (or a finished run): returns the number of steps done.
fn check(dir: &Path, tally: &mut Tally, ckpt_scores: &[f64]) -> usize {
    let f = files(dir);
    // Results: steps 0..r, in order, each once.
    let (records, torn) = if f.results.exists() {
        let read = read_results(&f.results).expect("the results file reads after a kill");
        (read.records, read.ignored_partial_line.is_some())
    } else {
        (Vec::new(), false)
    };
    tally.torn_results += usize::from(torn);
    let r = records.len();
    for (i, rec) in records.iter().enumerate() {
        assert_eq!(
            rec.seed as usize, i,
            "results hold steps 0..{r} in order, none doubled"
        );
        assert_eq!(rec, &result_record(i));
    }
    // Cache: opens (repairing a torn line), holds the records of steps 0..k in order.
    if f.cache.exists() {
        let cache = GenerationCache::open(&f.cache).expect("the cache opens after a kill");
        tally.torn_cache += usize::from(cache.repaired_bytes() > 0);
        drop(cache);
        let text = std::fs::read_to_string(&f.cache).unwrap();
        let lines: Vec<CacheRecord> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("every cache line is a record"))
            .collect();
        let expected: Vec<CacheRecord> = (0..STEPS).flat_map(cache_records).collect();
        assert!(lines.len() <= expected.len());
        assert_eq!(
            lines,
            expected[..lines.len()],
            "the cache holds a prefix of the records, in order, none doubled"
        );
        // Every step with a result has all its cache records (nothing lost); the cache is
        // at most one step ahead (the step in flight).
        assert!(
            lines.len() >= 3 * r,
            "cache records lost: {} for {r} steps",
            lines.len()
        );
        assert!(
            lines.len() <= 3 * (r + 1),
            "cache ahead by more than a step"
        );
        tally.cache_ahead += usize::from(lines.len() > 3 * r);
    } else {
        assert_eq!(r, 0);
    }
    // Checkpoint: loads, and is the last committed save (or the in-flight step's, if its
    // save committed before the kill); a new save succeeds.
    let meta = f.ckpt.join("meta.json");
    if meta.exists() {
        let names: Vec<String> = std::fs::read_dir(&f.ckpt)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        // meta.json, its lock file, one tokenizer and one weights file when clean.
        tally.ckpt_leftovers += usize::from(names.len() > 4);
        let loaded = TrainedLm::<CausalLm>::load(&f.ckpt, &Device::flex())
            .expect("the checkpoint loads after a kill");
        let s = score(&loaded);
        let step = ckpt_scores
            .iter()
            .position(|x| *x == s)
            .map(|k| k * CKPT_EVERY)
            .expect("the checkpoint is one that was saved");
        let last_committed = (r.max(1) - 1) / CKPT_EVERY * CKPT_EVERY;
        assert!(
            step == last_committed || (step == r && r.is_multiple_of(CKPT_EVERY)),
            "checkpoint of step {step} after {r} steps"
        );
        loaded.save(&f.ckpt).expect("the next save succeeds");
        let again = TrainedLm::<CausalLm>::load(&f.ckpt, &Device::flex()).unwrap();
        assert_eq!(score(&again), s);
    } else {
        assert_eq!(r, 0, "a step finished, so its checkpoint was saved");
    }
    r
}

/// Waits for a child to finish (bounded), asserting success.
fn finish(mut child: Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            assert!(status.success(), "the resumed run failed: {err}");
            return;
        }
        assert!(Instant::now() < deadline, "the child hangs");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kills_wanted() -> usize {
    std::env::var("INHERIT_KILL_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

fn scratch() -> tempfile::TempDir {
    // Kills, not power loss, are tested: page-cache semantics are the same on tmpfs,
    // which keeps the run fast.
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().unwrap()
}

#[test]
fn sigkill_at_random_moments_loses_and_doubles_nothing() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let want = kills_wanted();
    let seed = std::env::var("INHERIT_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(14);
    let mut rng = inherit_core::seeded_rng(seed);
    let ckpt_scores: Vec<f64> = (0..STEPS)
        .step_by(CKPT_EVERY)
        .map(|s| score(&lm(s)))
        .collect();
    // The uninterrupted run, in a child like the others, timed.
    let root = scratch();
    let reference = root.path().join("reference");
    std::fs::create_dir_all(&reference).unwrap();
    let t0 = Instant::now();
    finish(spawn(&reference));
    let full = t0.elapsed();
    let ref_files = files(&reference);
    let ref_cache = std::fs::read(&ref_files.cache).unwrap();
    let ref_results = std::fs::read(&ref_files.results).unwrap();
    let ref_score = score(&TrainedLm::<CausalLm>::load(&ref_files.ckpt, &Device::flex()).unwrap());
    assert_eq!(
        check(&reference, &mut Tally::default(), &ckpt_scores),
        STEPS
    );

    let mut tally = Tally::default();
    let started = Instant::now();
    while tally.kills < want {
        tally.rounds += 1;
        let dir = root.path().join(format!("round-{}", tally.rounds));
        std::fs::create_dir_all(&dir).unwrap();
        loop {
            let mut child = spawn(&dir);
            let said = announcements(&mut child);
            if rng.random_bool(0.5) {
                // A moment anywhere in a run (process start included).
                let delay = full.mul_f64(rng.random_range(0.0..0.6));
                std::thread::sleep(delay);
            } else {
                // Just after the child announces its `k`-th write of the wanted kind.
                let kind = ["c", "s", "r"][rng.random_range(0..3)];
                let k = rng.random_range(0..8);
                let mut seen = 0;
                while let Ok(line) = said.recv_timeout(Duration::from_secs(30)) {
                    if line.ends_with(kind) {
                        if seen == k {
                            break;
                        }
                        seen += 1;
                    }
                }
                if rng.random_bool(0.5) {
                    std::thread::sleep(Duration::from_micros(rng.random_range(0..3000)));
                }
                tally.targeted += 1;
            }
            if child.try_wait().unwrap().is_some() {
                finish(child);
                break;
            }
            child.kill().unwrap();
            child.wait().unwrap();
            tally.kills += 1;
            let done = check(&dir, &mut tally, &ckpt_scores);
            if done == STEPS || tally.kills >= want {
                break;
            }
        }
        if tally.kills >= want && check(&dir, &mut Tally::default(), &ckpt_scores) < STEPS {
            // The last round was cut short by the budget: finish it.
            finish(spawn(&dir));
        }
        // The resumed run equals the uninterrupted one.
        assert_eq!(check(&dir, &mut Tally::default(), &ckpt_scores), STEPS);
        let f = files(&dir);
        assert!(
            std::fs::read(&f.cache).unwrap() == ref_cache,
            "cache differs from the uninterrupted run"
        );
        assert!(
            std::fs::read(&f.results).unwrap() == ref_results,
            "results differ"
        );
        let s = score(&TrainedLm::<CausalLm>::load(&f.ckpt, &Device::flex()).unwrap());
        assert_eq!(s, ref_score, "checkpoint differs");
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "took too long"
        );
    }
    println!(
        "SIGKILL: {} kills survived over {} runs (full run {:?}; {} kills just after an \
         announced write); records lost 0, doubled 0; torn cache lines repaired {}, torn \
         result lines cut {}, checkpoint dirs with leftovers {}, kills with the cache a step \
         ahead {}",
        tally.kills,
        tally.rounds,
        full,
        tally.targeted,
        tally.torn_cache,
        tally.torn_results,
        tally.ckpt_leftovers,
        tally.cache_ahead
    );
}
