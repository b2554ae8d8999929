//! The example binaries fuzzed end to end, as processes: command lines and input files
//! (study configurations, prediction CSVs, JSON-lines data, model files) generated from
//! each binary's options and mutated, under the property "exits 0, 1 or 2 with a
//! message; never a panic, an abort, a signal, a hang or a non-finite number in an
//! output".
//!
//! The binaries are the debug builds of `examples/` (`cargo build --examples`), found
//! beside the running executable (`target/debug/examples/`) or in
//! `$INHERIT_EXAMPLES_DIR`. Children get an empty model cache and a Python that does not
//! exist, so no case fetches weights; the generator is a model-free stand-in or a closed
//! local port. `scripts/fuzz_cli.sh N` runs N cases; `fuzz/tests/cli_smoke.rs` a smoke
//! pass.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use inherit_core::{SeededRng, derive_seed, seeded_rng};
use rand::RngExt;

/// The binaries fuzzed.
pub const BINARIES: [&str; 5] = ["study", "fairness_report", "analyze", "lm", "generate"];

/// How to run.
#[derive(Debug, Clone)]
pub struct CliOptions {
    /// Cases to run.
    pub cases: u64,
    /// Seed of the case stream: `(seed, i)` fixes case `i`.
    pub seed: u64,
    /// The folder holding the example binaries.
    pub bin_dir: PathBuf,
    /// A case running longer is a hang.
    pub timeout: Duration,
    /// Print a line every this many cases (0: never).
    pub progress: u64,
}

/// One case that broke the property.
#[derive(Debug, Clone)]
pub struct CliFailure {
    /// Case number.
    pub case: u64,
    /// The binary.
    pub binary: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// What went wrong.
    pub why: String,
}

/// What a run found.
#[derive(Debug, Clone, Default)]
pub struct CliReport {
    /// Cases run.
    pub cases: u64,
    /// Cases per binary and exit code (`study:0`, `lm:2`, ...).
    pub outcomes: BTreeMap<String, u64>,
    /// Cases that broke the property.
    pub failures: Vec<CliFailure>,
    /// The slowest case, in seconds.
    pub slowest_s: f64,
}

/// The folder of the example binaries: `$INHERIT_EXAMPLES_DIR`, else `examples/` in an
/// ancestor of the running executable (`target/debug/deps/x` → `target/debug/examples`);
/// `None` when the binaries are not built.
pub fn find_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("INHERIT_EXAMPLES_DIR") {
        return Some(PathBuf::from(dir));
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .map(|d| d.join("examples"))
        .find(|d| BINARIES.iter().all(|b| d.join(b).is_file()))
}

/// A case: the binary, its arguments, and the files it reads (written into the case's
/// folder first; `@` in an argument stands for that folder).
struct Case {
    binary: &'static str,
    args: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
}

const ODD_VALUES: [&str; 22] = [
    "",
    "0",
    "-1",
    "1",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775807",
    "4294967295",
    "1e308",
    "1e999",
    "-0",
    "nan",
    "inf",
    "-inf",
    "0.5",
    "😀",
    "--",
    "-",
    "/dev/zero",
    "@",
    "@/missing/file",
    "a,b",
];

fn pick<'a, T>(rng: &mut SeededRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn odd(rng: &mut SeededRng) -> String {
    if rng.random_bool(0.1) {
        return "x".repeat(rng.random_range(100..5000));
    }
    (*pick(rng, &ODD_VALUES)).to_owned()
}

/// The tiny stand-in study, the seed of every study configuration.
const STUDY_TOML: &str = r#"out = "unused"
bias_types = ["contrastive-single-explicit"]
gammas = [0.0, 0.2]
mitigations = ["none", "mask"]
seeds = [1]
device = "flex"

[[tasks]]
kind = "occupation"
axis = "gender"
groups = ["female", "male"]
train_per_cell = 2
test_per_cell = 2
seed = 0

[generator]
kind = "stand-in"
neutral_per_label = 3
augmented_per_label = 4
max_tokens = 40
temperature = 0.8
top_p = 0.95
batch_size = 8
seed = 7

[embedding]
kind = "hashing"
samples_per_source = 12
permutations = 20

[downstream]
model = "bag"
vocab_size = 300
embed_dim = 8
epochs = 1
batch_size = 32
learning_rate = 0.01
max_len = 32
"#;

/// Strings a configuration's string values may become (no real model: nothing loads
/// weights).
const STUDY_STRINGS: [&str; 16] = [
    "stand-in",
    "openai",
    "hashing",
    "none",
    "bag",
    "transformer",
    "occupation",
    "hiring",
    "salary",
    "gender",
    "culture",
    "contextual-single-implicit",
    "loss:1e308",
    "mask+token",
    "",
    "bogus",
];

/// One line of the configuration mutated.
fn mutate_toml(rng: &mut SeededRng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for _ in 0..rng.random_range(1..4) {
        let i = rng.random_range(0..lines.len());
        match rng.random_range(0..6) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 | 3 => {
                if let Some((key, value)) = lines[i].split_once(" = ") {
                    let new = if value.starts_with('"') {
                        format!("\"{}\"", pick(rng, &STUDY_STRINGS))
                    } else if value.starts_with('[') {
                        let n = rng.random_range(0..4);
                        let items: Vec<String> = (0..n)
                            .map(|_| {
                                if value.contains('"') {
                                    format!("\"{}\"", pick(rng, &STUDY_STRINGS))
                                } else {
                                    numeric(rng)
                                }
                            })
                            .collect();
                        format!("[{}]", items.join(", "))
                    } else {
                        numeric(rng)
                    };
                    lines[i] = format!("{key} = {new}");
                }
            }
            4 => {
                let j = rng.random_range(0..lines.len());
                lines.swap(i, j);
            }
            _ => {
                let cut = rng.random_range(0..=lines[i].len());
                let cut = (0..=cut)
                    .rev()
                    .find(|c| lines[i].is_char_boundary(*c))
                    .unwrap_or(0);
                lines[i].truncate(cut);
            }
        }
    }
    lines.join("\n") + "\n"
}

fn numeric(rng: &mut SeededRng) -> String {
    let v = *pick(
        rng,
        &[
            "0",
            "1",
            "2",
            "-1",
            "9223372036854775807",
            "4294967295",
            "1e11",
            "1e308",
            "nan",
            "inf",
            "0.999999",
            "1.0",
            "100000",
            "65537",
        ],
    );
    v.to_owned()
}

/// True when `toml` is not a valid configuration, or one whose sizes are at most four
/// times those of [`STUDY_TOML`] (so a whole run takes seconds).
fn small_enough(toml: &str) -> bool {
    let (Ok(c), Ok(base)) = (
        inherit_study::StudyConfig::parse(toml, "case"),
        inherit_study::StudyConfig::parse(STUDY_TOML, "base"),
    ) else {
        return true;
    };
    let sizes = |c: &inherit_study::StudyConfig| -> Vec<u64> {
        let t = &c.tasks;
        vec![
            (c.bias_types.len() * c.gammas.len() * c.mitigations.len() * c.seeds.len()) as u64
                * t.len() as u64,
            t.iter()
                .map(|t| t.train_per_cell + t.test_per_cell)
                .sum::<usize>() as u64,
            t.iter().map(|t| u64::from(t.rounds.max(1))).sum(),
            c.generator.neutral_per_label as u64,
            c.generator.augmented_per_label as u64,
            c.generator.max_tokens as u64,
            c.embedding.samples_per_source as u64,
            c.embedding.permutations as u64,
            c.downstream.epochs as u64,
            c.downstream.vocab_size as u64,
            c.downstream.embed_dim as u64,
            c.downstream.max_len as u64,
        ]
    };
    sizes(&c)
        .iter()
        .zip(sizes(&base))
        .all(|(v, b)| *v <= 4 * b.max(1))
}

fn study_case(rng: &mut SeededRng) -> Case {
    let mut toml = STUDY_TOML.to_owned();
    if rng.random_bool(0.85) {
        toml = mutate_toml(rng, &toml);
    }
    let mut args: Vec<String> = Vec::new();
    match rng.random_range(0..10) {
        0 => args.push("--print-config".into()),
        1 => args.extend(["--quick".into(), "--print-config".into()]),
        2 => {
            // The whole run, rarely: it trains.
            args.extend(
                ["--config", "@/study.toml", "--out", "@/out", "--jobs", "1"].map(String::from),
            );
        }
        3 => {
            args.extend(["--config", "@/study.toml", "--out", "@/out", "report"].map(String::from))
        }
        4 => args.extend(
            [
                "--config",
                "@/study.toml",
                "--out",
                "@/out",
                "run",
                "--shard",
            ]
            .map(String::from),
        ),
        _ => args.extend(["--config", "@/study.toml", "--out", "@/out", "plan"].map(String::from)),
    }
    // A whole run (or a shard) of a configuration mutated to a much larger size is a long
    // run by design, not a hang: such cases only plan.
    let runs_cells = !args
        .iter()
        .any(|a| a == "plan" || a == "report" || a == "--print-config");
    if runs_cells && !small_enough(&toml) {
        args.truncate(4);
        args.push("plan".into());
    }
    if args.last().is_some_and(|a| a == "--shard") {
        args.push(
            (*pick(
                rng,
                &["0/1", "1/2", "2/2", "0/0", "a/b", "18446744073709551615/1"],
            ))
            .to_owned(),
        );
    }
    Case {
        binary: "study",
        args,
        files: vec![("study.toml".into(), toml.into_bytes())],
    }
}

const CSV_VALUES: [&str; 14] = [
    "0", "1", "2", "a", "b", "", "0.3", "0.9", "nan", "inf", "-inf", "1e999", "\"x,y\"", "é",
];

fn fairness_case(rng: &mut SeededRng) -> Case {
    let mut header = vec!["y", "p", "g", "s"];
    if rng.random_bool(0.15) {
        let dup = *pick(rng, &["y", "p", "g", "s"]);
        header.push(dup);
    }
    if rng.random_bool(0.1) {
        header.remove(rng.random_range(0..header.len()));
    }
    let mut csv = header.join(",") + "\n";
    let rows = rng.random_range(0..30);
    for _ in 0..rows {
        let n = if rng.random_bool(0.05) {
            rng.random_range(0..8)
        } else {
            header.len()
        };
        let fields: Vec<String> = (0..n)
            .map(|c| match header.get(c) {
                Some(&"s") if rng.random_bool(0.8) => format!("{}", rng.random_range(0.0..1.0)),
                Some(&"g") if rng.random_bool(0.8) => (*pick(rng, &["f", "m", "x"])).to_owned(),
                Some(_) if rng.random_bool(0.8) => (*pick(rng, &["0", "1"])).to_owned(),
                _ => (*pick(rng, &CSV_VALUES)).to_owned(),
            })
            .collect();
        csv.push_str(&fields.join(","));
        csv.push('\n');
    }
    let mut args: Vec<String> = [
        "--csv", "@/p.csv", "--y-true", "y", "--y-pred", "p", "--group", "g",
    ]
    .map(String::from)
    .to_vec();
    if rng.random_bool(0.5) {
        args.extend(["--scores".into(), "s".into()]);
    }
    if rng.random_bool(0.2) {
        args.extend([
            "--pos-label".into(),
            (*pick(rng, &["0", "1", "2", "a"])).to_owned(),
        ]);
    }
    if rng.random_bool(0.2) {
        args.extend([
            "--bootstrap".into(),
            (*pick(rng, &["0", "1", "20", "18446744073709551615", "1000000000"])).to_owned(),
        ]);
    }
    Case {
        binary: "fairness_report",
        args,
        files: vec![("p.csv".into(), csv.into_bytes())],
    }
}

fn analyze_case(rng: &mut SeededRng) -> Case {
    let line = r#"{"id":"x1","text":"She is a nurse from Ohio.","label":"nurse","groups":{"stated":{},"inferred":{}},"provenance":{"kind":"original","source":"s"}}"#;
    let mut data = String::new();
    for i in 0..rng.random_range(0..8) {
        let mut l = line.replace("x1", &format!("x{i}"));
        if rng.random_bool(0.3) {
            let cut = rng.random_range(0..l.len());
            l.truncate(cut);
        }
        if rng.random_bool(0.1) {
            l = l.replace("nurse", &odd(rng));
        }
        data.push_str(&l);
        data.push('\n');
    }
    let sub = *pick(
        rng,
        &[
            "groups", "shift", "bbq", "crows", "winobias", "eec", "bogus",
        ],
    );
    let mut args = vec![sub.to_owned(), "--data".into(), "@/d.jsonl".into()];
    if sub == "shift" {
        args.extend(["--augmented".into(), "@/d.jsonl".into()]);
    }
    Case {
        binary: "analyze",
        args,
        files: vec![("d.jsonl".into(), data.into_bytes())],
    }
}

fn lm_case(rng: &mut SeededRng) -> Case {
    let sub = *pick(rng, &["generate", "score", "embed", "finetune", "bogus"]);
    let gguf = *pick(rng, &["@/model.gguf", "@/missing.gguf", "/dev/zero", "@"]);
    let mut args = vec![sub.to_owned(), "--gguf".into(), gguf.to_owned()];
    match sub {
        "generate" => args.extend([
            "--prompt".into(),
            "Hello".into(),
            "--max-tokens".into(),
            (*pick(rng, &["1", "40", "8192", "18446744073709551615", "0"])).to_owned(),
        ]),
        "score" => args.extend([
            "--prompt".into(),
            "a".into(),
            "--continuation".into(),
            "b".into(),
        ]),
        _ => {}
    }
    let mut model = b"GGUF".to_vec();
    model.extend((0..rng.random_range(0..64)).map(|_| rng.random::<u8>()));
    Case {
        binary: "lm",
        args,
        files: vec![("model.gguf".into(), model)],
    }
}

fn generate_case(rng: &mut SeededRng) -> Case {
    let args = [
        "--task",
        "occupation",
        "--n",
        "2",
        "--out",
        "@/aug.jsonl",
        "--endpoint",
        "http://127.0.0.1:9/v1",
        "--model",
        "m",
        "--retries",
        "0",
        "--timeout",
        "1",
        "--cache",
        "@/cache.jsonl",
    ]
    .map(String::from)
    .to_vec();
    let _ = rng;
    Case {
        binary: "generate",
        args,
        files: vec![("cache.jsonl".into(), b"{\"key\":\"k\"".to_vec())],
    }
}

/// Mutates a command line: a value replaced by an odd one, an argument dropped,
/// duplicated or swapped, an unknown flag added.
fn mutate_args(rng: &mut SeededRng, args: &mut Vec<String>) {
    for _ in 0..rng.random_range(1..3) {
        if args.is_empty() {
            args.push(odd(rng));
            continue;
        }
        let i = rng.random_range(0..args.len());
        match rng.random_range(0..5) {
            0 | 1 => args[i] = odd(rng),
            2 => {
                args.remove(i);
            }
            3 => {
                let a = args[i].clone();
                args.insert(i, a);
            }
            _ => args.insert(
                i,
                format!("--{}", pick(rng, &["bogus", "jobs", "n", "seed", "out"])),
            ),
        }
    }
}

fn make_case(seed: u64, i: u64) -> Case {
    let mut rng = seeded_rng(derive_seed(seed, &format!("cli/{i}")));
    let mut case = match i % 10 {
        0..=3 => study_case(&mut rng),
        4..=6 => fairness_case(&mut rng),
        7 => analyze_case(&mut rng),
        8 => lm_case(&mut rng),
        _ => generate_case(&mut rng),
    };
    if rng.random_bool(0.35) {
        mutate_args(&mut rng, &mut case.args);
        // A mutation that dropped the stage of a large configuration would start a long
        // run: plan it instead.
        if case.binary == "study"
            && !case.args.iter().any(|a| {
                matches!(
                    a.as_str(),
                    "plan" | "generate" | "report" | "--print-config" | "--help"
                )
            })
            && !small_enough(&String::from_utf8_lossy(&case.files[0].1))
        {
            case.args.push("plan".into());
        }
    }
    case
}

/// A JSON-ish number token that is not finite: `NaN`, `inf`, `-inf`, `Infinity`.
fn non_finite_token(text: &str) -> Option<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .find(|t| {
            matches!(
                *t,
                "NaN" | "nan" | "inf" | "-inf" | "Infinity" | "-Infinity"
            )
        })
}

fn run_case(opts: &CliOptions, i: u64, report: &mut CliReport) {
    let case = make_case(opts.seed, i);
    let dir = tempfile::tempdir().expect("a scratch folder");
    let root = dir.path().display().to_string();
    for (name, bytes) in &case.files {
        std::fs::write(dir.path().join(name), bytes).expect("a scratch file");
    }
    let args: Vec<String> = case.args.iter().map(|a| a.replace('@', &root)).collect();
    let fail = |why: String| CliFailure {
        case: i,
        binary: case.binary.to_owned(),
        args: args.clone(),
        why,
    };
    let start = Instant::now();
    let mut child = match Command::new(opts.bin_dir.join(case.binary))
        .args(&args)
        .current_dir(dir.path())
        .env("INHERIT_CACHE", dir.path().join("model-cache"))
        .env("INHERIT_PYTHON", "/nonexistent/python3")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            report.failures.push(fail(format!("cannot start: {e}")));
            return;
        }
    };
    // Read both pipes on threads so a chatty child never blocks.
    let mut out_pipe = child.stdout.take().expect("piped");
    let mut err_pipe = child.stderr.take().expect("piped");
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out_pipe, &mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err_pipe, &mut v);
        v
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > opts.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let secs = start.elapsed().as_secs_f64();
    report.slowest_s = report.slowest_s.max(secs);
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned();
    report.cases += 1;
    let Some(status) = status else {
        report.failures.push(fail(format!(
            "hang: still running after {:.0} s",
            opts.timeout.as_secs_f64()
        )));
        return;
    };
    let code = status.code();
    *report
        .outcomes
        .entry(format!(
            "{}:{}",
            case.binary,
            code.map_or("signal".to_owned(), |c| c.to_string())
        ))
        .or_default() += 1;
    let tail = |s: &str| {
        s.chars()
            .rev()
            .take(600)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
    };
    match code {
        None => report.failures.push(fail(format!(
            "killed by a signal: {status}; stderr: {}",
            tail(&stderr)
        ))),
        Some(0..=2) => {}
        Some(c) => report
            .failures
            .push(fail(format!("exit code {c}; stderr: {}", tail(&stderr)))),
    }
    if stderr.contains("panicked at") || stderr.contains("memory allocation of") {
        report
            .failures
            .push(fail(format!("panic or abort: {}", tail(&stderr))));
    }
    if code.is_some_and(|c| c != 0) && stderr.trim().is_empty() {
        report
            .failures
            .push(fail("failed without a message".into()));
    }
    // JSON output cannot hold NaN or infinities (serde_json writes them as `null`), and
    // its strings may be anything: only other output is scanned for such tokens.
    let is_json = serde_json::from_str::<serde_json::Value>(&stdout).is_ok();
    if !is_json && let Some(t) = non_finite_token(&stdout) {
        report.failures.push(fail(format!(
            "non-finite number `{t}` in the output: {}",
            tail(&stdout)
        )));
    }
    // Non-finite numbers in the files a study wrote.
    for name in ["out/results.jsonl", "out/manifest.json"] {
        if let Ok(text) = std::fs::read_to_string(dir.path().join(name))
            && text
                .lines()
                .any(|l| serde_json::from_str::<serde_json::Value>(l).is_err())
            && serde_json::from_str::<serde_json::Value>(&text).is_err()
            && let Some(t) = non_finite_token(&text)
        {
            report
                .failures
                .push(fail(format!("non-finite number `{t}` in {name}")));
        }
    }
}

/// Runs `opts.cases` cases.
pub fn run(opts: &CliOptions) -> CliReport {
    let mut report = CliReport::default();
    for i in 0..opts.cases {
        let before = report.failures.len();
        run_case(opts, i, &mut report);
        if opts.progress > 0 {
            for f in &report.failures[before..] {
                eprintln!(
                    "[cli] FAIL case {} `{} {}`: {}",
                    f.case,
                    f.binary,
                    f.args.join(" "),
                    f.why
                );
            }
        }
        if opts.progress > 0 && (i + 1) % opts.progress == 0 {
            eprintln!(
                "[cli] {} cases, {} failures, slowest {:.1} s",
                i + 1,
                report.failures.len(),
                report.slowest_s
            );
        }
    }
    report
}

/// The report as text: cases, outcomes per binary and exit code, failures.
pub fn summary(report: &CliReport) -> String {
    let mut s = format!(
        "cases: {}, failures: {}, slowest: {:.1} s\n",
        report.cases,
        report.failures.len(),
        report.slowest_s
    );
    for (k, v) in &report.outcomes {
        s.push_str(&format!("  {k}: {v}\n"));
    }
    for f in report.failures.iter().take(20) {
        s.push_str(&format!(
            "FAIL case {} `{} {}`: {}\n",
            f.case,
            f.binary,
            f.args.join(" "),
            f.why
        ));
    }
    s
}
