//! The driver: feeds a target its seeds, then mutants of its corpus, each under
//! `catch_unwind`, with the peak memory of every input measured and a watchdog for hangs.
//!
//! An input is written to the target's scratch folder before it runs (targets read files,
//! as users' files are read), so after an abort (an allocation past the cap, a hang) the
//! input that caused it is still there; the driver prints the folder first.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use inherit_core::derive_seed;

use crate::alloc;
use crate::mutate::Mutator;

/// One input, as a target sees it.
pub struct Case<'a> {
    /// The target's scratch folder (emptied of nothing between inputs: targets overwrite
    /// the files they read).
    pub dir: &'a Path,
    /// The input.
    pub bytes: &'a [u8],
}

impl Case<'_> {
    /// Writes the input to `name` in the scratch folder and returns the path.
    pub fn write(&self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, self.bytes).expect("the scratch folder is writable");
        path
    }

    /// Writes other bytes to `name` in the scratch folder and returns the path.
    pub fn write_other(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).expect("the scratch folder is writable");
        path
    }

    /// The input as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.bytes).into_owned()
    }
}

/// What a target made of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Parsed: the input joins the corpus, to be mutated further.
    Accepted,
    /// A clean error.
    Rejected,
}

/// A structure-aware mutation: a mutant of an input, or `None` to fall back to bytes.
pub type Structured = fn(&[u8], &mut Mutator) -> Option<Vec<u8>>;

/// A fuzz target.
pub struct Target {
    /// Name (`scripts/fuzz.sh` and the report use it).
    pub name: &'static str,
    /// What it parses.
    pub about: &'static str,
    /// The seed corpus.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Tokens of the format, for the mutator.
    pub dict: &'static [&'static [u8]],
    /// Longest input.
    pub max_len: usize,
    /// Structure-aware mutation, used for half of the inputs when given.
    pub structured: Option<Structured>,
    /// Runs one input; a panic is a finding.
    pub run: fn(&Case<'_>) -> Verdict,
}

/// How to run a target.
#[derive(Debug, Clone)]
pub struct Options {
    /// Inputs to try (seeds included).
    pub inputs: u64,
    /// Seed of the mutation stream.
    pub seed: u64,
    /// Where to save inputs that panicked (nothing saved when `None`).
    pub artifacts: Option<PathBuf>,
    /// Longest time one input may take before the watchdog aborts the process.
    pub timeout: Duration,
    /// Most bytes one input may hold live at once, beyond what was live before it: a
    /// fixed part plus a multiple of the input length.
    pub memory_fixed: usize,
    /// See `memory_fixed`.
    pub memory_per_byte: usize,
    /// Stop after this many findings.
    pub max_findings: usize,
    /// Print a line every this many inputs (0: never).
    pub progress_every: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            inputs: 1000,
            seed: 0,
            artifacts: None,
            timeout: Duration::from_secs(30),
            memory_fixed: 256 << 20,
            memory_per_byte: 512,
            max_findings: 10,
            progress_every: 0,
        }
    }
}

/// A panic, or an input that held more memory than its budget.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The input's number.
    pub input_no: u64,
    /// The panic message and place, or the memory figures.
    pub message: String,
    /// The input.
    pub input: Vec<u8>,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The target.
    pub target: &'static str,
    /// Inputs tried.
    pub inputs: u64,
    /// Inputs the target accepted.
    pub accepted: u64,
    /// Panics.
    pub panics: Vec<Finding>,
    /// Inputs over their memory budget.
    pub memory: Vec<Finding>,
    /// The largest peak of live bytes of one input (beyond what was live before it).
    pub max_peak: usize,
    /// The slowest input.
    pub slowest: Duration,
    /// Wall time.
    pub elapsed: Duration,
    /// Corpus size at the end.
    pub corpus: usize,
    /// Inputs that reached each stage the target notes.
    pub stages: Vec<(&'static str, u64)>,
}

/// How many inputs reached each named stage of a target (see [`note`]).
static STAGES: Mutex<Vec<(&'static str, u64)>> = Mutex::new(Vec::new());

/// Counts an input reaching `stage` of a target (shown in the report: how deep the
/// inputs get).
pub fn note(stage: &'static str) {
    let mut stages = STAGES.lock().unwrap_or_else(|e| e.into_inner());
    match stages.iter_mut().find(|(s, _)| *s == stage) {
        Some((_, n)) => *n += 1,
        None => stages.push((stage, 1)),
    }
}

/// Set while a target runs: the panic hook then records instead of printing.
static FUZZING: AtomicBool = AtomicBool::new(false);
/// Where the last panic happened.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
/// The input running now: (start, target, scratch folder, number), for the watchdog.
type Current = Option<(Instant, &'static str, PathBuf, u64, Duration)>;
static CURRENT: Mutex<Current> = Mutex::new(None);

fn install_hooks() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FUZZING.load(Ordering::SeqCst) {
                let place = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) = Some(place);
            } else {
                previous(info);
            }
        }));
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(Duration::from_millis(200));
                let current = CURRENT.lock().unwrap_or_else(|e| e.into_inner()).clone();
                if let Some((start, target, dir, n, timeout)) = current
                    && start.elapsed() > timeout
                {
                    eprintln!(
                        "inherit-fuzz: target `{target}`, input {n}, ran longer than {timeout:?}; \
                         the input is in {}",
                        dir.display()
                    );
                    std::process::abort();
                }
            }
        });
    });
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}

/// Where scratch folders go: `$INHERIT_FUZZ_TMP`, else `/dev/shm` where it exists (every
/// input is written to a file; a disk-backed temporary folder makes that the slowest part),
/// else the system's temporary folder.
pub fn scratch_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("INHERIT_FUZZ_TMP") {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() && tempfile::tempdir_in(shm).is_ok() {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

/// Runs `target` for `options.inputs` inputs.
pub fn run(target: &Target, options: &Options) -> Report {
    install_hooks();
    let scratch = tempfile::Builder::new()
        .prefix(&format!("inherit-fuzz-{}-", target.name))
        .tempdir_in(scratch_root())
        .expect("a scratch folder");
    if options.progress_every > 0 {
        eprintln!(
            "{}: scratch folder {}",
            target.name,
            scratch.path().display()
        );
    }
    let t0 = Instant::now();
    let seeds: Vec<Vec<u8>> = (target.seeds)()
        .into_iter()
        .map(|mut s| {
            s.truncate(target.max_len);
            s
        })
        .collect();
    assert!(
        !seeds.is_empty(),
        "target `{}` has no seeds: are the shared datasets at {} (INHERIT_DATA_DIR)?",
        target.name,
        crate::seeds::data_dir().display()
    );
    let n_seeds = seeds.len();
    let mut corpus = seeds;
    const MAX_CORPUS: usize = 512;
    let mut mutator = Mutator::new(
        inherit_core::seeded_rng(derive_seed(options.seed, target.name)),
        target.dict,
        target.max_len,
    );
    let mut report = Report {
        target: target.name,
        inputs: 0,
        accepted: 0,
        panics: Vec::new(),
        memory: Vec::new(),
        max_peak: 0,
        slowest: Duration::ZERO,
        elapsed: Duration::ZERO,
        corpus: 0,
        stages: Vec::new(),
    };
    STAGES.lock().unwrap_or_else(|e| e.into_inner()).clear();
    for n in 0..options.inputs {
        let input = if (n as usize) < n_seeds {
            corpus[n as usize].clone()
        } else {
            let base = mutator.below(corpus.len());
            let other = mutator.below(corpus.len());
            let structured = match target.structured {
                Some(f) if mutator.chance(0.5) => f(&corpus[base], &mut mutator),
                _ => None,
            };
            match structured {
                Some(mut m) => {
                    m.truncate(target.max_len);
                    m
                }
                None => mutator.mutate(&corpus[base], &corpus[other]),
            }
        };
        let case = Case {
            dir: scratch.path(),
            bytes: &input,
        };
        let start = Instant::now();
        *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = Some((
            start,
            target.name,
            scratch.path().to_path_buf(),
            n,
            options.timeout,
        ));
        let base_live = alloc::live();
        alloc::reset_peak();
        FUZZING.store(true, Ordering::SeqCst);
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (target.run)(&case)));
        FUZZING.store(false, Ordering::SeqCst);
        let peak = alloc::peak().saturating_sub(base_live);
        *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let took = start.elapsed();
        report.inputs += 1;
        report.slowest = report.slowest.max(took);
        report.max_peak = report.max_peak.max(peak);
        let budget = options
            .memory_fixed
            .saturating_add(options.memory_per_byte.saturating_mul(input.len()));
        if peak > budget {
            report.memory.push(Finding {
                input_no: n,
                message: format!(
                    "held {peak} bytes at once for a {}-byte input (budget {budget})",
                    input.len()
                ),
                input: input.clone(),
            });
        }
        match outcome {
            Ok(Verdict::Accepted) => {
                report.accepted += 1;
                if (n as usize) >= n_seeds {
                    if corpus.len() < MAX_CORPUS {
                        corpus.push(input);
                    } else {
                        let slot = n_seeds + mutator.below(MAX_CORPUS - n_seeds);
                        corpus[slot] = input;
                    }
                }
            }
            Ok(Verdict::Rejected) => {}
            Err(payload) => {
                let place = LAST_PANIC
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take()
                    .unwrap_or_default();
                let message = format!("{} at {place}", panic_message(payload.as_ref()));
                if let Some(dir) = &options.artifacts {
                    let _ = std::fs::create_dir_all(dir);
                    let path = dir.join(format!("{}-{n}.bin", target.name));
                    let _ = std::fs::write(&path, &input);
                }
                report.panics.push(Finding {
                    input_no: n,
                    message,
                    input,
                });
            }
        }
        if report.panics.len() + report.memory.len() >= options.max_findings {
            break;
        }
        if options.progress_every > 0 && (n + 1) % options.progress_every == 0 {
            eprintln!(
                "  {}: {} inputs, {} accepted, {} panics, {:.0?}",
                target.name,
                n + 1,
                report.accepted,
                report.panics.len(),
                t0.elapsed()
            );
        }
    }
    report.elapsed = t0.elapsed();
    report.corpus = corpus.len();
    report.stages = std::mem::take(&mut *STAGES.lock().unwrap_or_else(|e| e.into_inner()));
    report
}
