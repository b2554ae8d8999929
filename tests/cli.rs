//! The command lines behave alike (issue 27): every binary answers `--version` and lists
//! the environment variables in `--help`; options are accepted before or after a
//! subcommand; `--format json` puts JSON alone on stdout; usage errors exit 2 and
//! failures 1; every value of an enumerated option is listed in `--help`; a data folder
//! named by `INHERIT_DATA_DIR` that does not exist is an error naming the variable; an
//! unavailable `device` is refused, naming the feature, before anything is written.
//!
//! The example binaries are built (or found up to date) once by `cargo build`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const BINARIES: [&str; 5] = ["study", "generate", "analyze", "lm", "fairness_report"];

/// The folder of the built example binaries, built once per test run.
fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let mut args = vec!["build".to_owned(), "--quiet".to_owned()];
        for b in BINARIES {
            args.push("--example".into());
            args.push(b.into());
        }
        let status = Command::new(env!("CARGO"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the examples failed");
        // target/debug/deps/cli-HASH → target/debug/examples
        let exe = std::env::current_exe().expect("test binary path");
        exe.parent()
            .and_then(Path::parent)
            .expect("target/debug")
            .join("examples")
    })
}

fn bin(name: &str) -> Command {
    let mut c = Command::new(examples_dir().join(name));
    c.env_remove("RUST_LOG");
    c
}

fn run(mut c: Command) -> Output {
    c.output().expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The model-free stand-in study (one task, a handful of cells) writing to `out`.
fn tiny_config(dir: &Path, device: &str) -> PathBuf {
    let path = dir.join("tiny.toml");
    let toml = format!(
        r#"
out = "unused"
bias_types = ["contrastive-single-explicit"]
gammas = [0.0, 0.2]
mitigations = ["none"]
seeds = [1]
device = "{device}"

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
augmented_per_label = 6
max_tokens = 40
temperature = 0.8
top_p = 0.95
batch_size = 8
seed = 7

[embedding]
kind = "hashing"
samples_per_source = 24
permutations = 50

[downstream]
model = "bag"
vocab_size = 500
embed_dim = 16
epochs = 2
batch_size = 32
learning_rate = 0.01
max_len = 64
"#
    );
    std::fs::write(&path, toml).expect("write config");
    path
}

#[test]
fn every_binary_answers_version_and_lists_the_environment() {
    for name in BINARIES {
        let mut c = bin(name);
        c.arg("--version");
        let out = run(c);
        assert!(
            out.status.success(),
            "{name} --version: {}",
            text(&out.stderr)
        );
        let v = text(&out.stdout);
        assert!(
            v.starts_with(&format!("{name} {}", env!("CARGO_PKG_VERSION"))),
            "{name} --version printed {v:?}"
        );
        let mut c = bin(name);
        c.arg("--help");
        let out = run(c);
        assert!(out.status.success());
        let help = text(&out.stdout);
        for var in [
            "INHERIT_DATA_DIR",
            "INHERIT_CACHE",
            "INHERIT_PYTHON",
            "RUST_LOG",
        ] {
            assert!(
                help.contains(var),
                "{name} --help does not list {var}:\n{help}"
            );
        }
        assert!(help.contains("Exit status"), "{name} --help: exit codes");
    }
}

#[test]
fn usage_errors_exit_2() {
    for name in BINARIES {
        let mut c = bin(name);
        c.arg("--no-such-option");
        assert_eq!(run(c).status.code(), Some(2), "{name}: unknown option");
    }
    // Semantic usage errors, found after parsing, exit 2 too.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "gammas = [2.0]\n").unwrap();
    let mut c = bin("study");
    c.args(["plan", "--config"])
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("o"));
    let out = run(c);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let mut c = bin("generate");
    c.args(["--task", "no-such-family", "--out"])
        .arg(dir.path().join("a.jsonl"));
    let out = run(c);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no-such-family"));

    let csv = dir.path().join("p.csv");
    std::fs::write(&csv, "y,p,g\n1,1,a\n0,1,b\n").unwrap();
    let mut c = bin("fairness_report");
    c.arg("--csv").arg(&csv).args([
        "--y-true",
        "y",
        "--y-pred",
        "p",
        "--group",
        "g",
        "--pos-label",
        "7",
    ]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // A failure while running (here: a file that is not there) exits 1.
    let mut c = bin("fairness_report");
    c.arg("--csv")
        .arg(dir.path().join("missing.csv"))
        .args(["--y-true", "y", "--y-pred", "p", "--group", "g"]);
    assert_eq!(run(c).status.code(), Some(1));
}

#[test]
fn study_options_go_before_or_after_the_stage() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_config(dir.path(), "flex");
    for (i, before) in [false, true].into_iter().enumerate() {
        let out_dir = dir.path().join(format!("run{i}"));
        let mut c = bin("study");
        let opts = [
            "--config".to_owned(),
            config.display().to_string(),
            "--out".to_owned(),
            out_dir.display().to_string(),
        ];
        if before {
            c.args(&opts).arg("plan");
        } else {
            c.arg("plan").args(&opts);
        }
        let out = run(c);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            out_dir.join("plan.jsonl").is_file(),
            "plan written to --out"
        );
        assert!(out.stdout.is_empty(), "logs stay on stderr");
    }
}

#[test]
fn an_unavailable_device_is_refused_before_anything_is_written() {
    if cfg!(feature = "cuda") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_config(dir.path(), "cuda");
    let out_dir = dir.path().join("never");
    let mut c = bin("study");
    c.arg("--config").arg(&config).arg("--out").arg(&out_dir);
    let out = run(c);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--features cuda --example study"), "{err}");
    assert!(!out_dir.exists(), "nothing written");
}

#[test]
fn analyze_json_is_alone_on_stdout() {
    use inherit::core::{Dataset, Example, Provenance};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.jsonl");
    let examples = ["She is a nurse.", "He is a nurse.", "She writes code."]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            Example::new(format!("e{i}"), *t, Provenance::original("test")).with_label("x")
        })
        .collect();
    Dataset::new("d", examples).write_jsonl(&data).unwrap();
    let mut c = bin("analyze");
    c.args(["groups", "--format", "json", "--data"]).arg(&data);
    let out = run(c);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    assert!(json.get("distribution").is_some());
    // The global option also goes before the subcommand; without it: Markdown only.
    let mut c = bin("analyze");
    c.args(["--format", "json", "groups", "--data"]).arg(&data);
    assert!(serde_json::from_slice::<serde_json::Value>(&run(c).stdout).is_ok());
    let mut c = bin("analyze");
    c.args(["groups", "--data"]).arg(&data);
    let md = text(&run(c).stdout);
    assert!(md.starts_with("| slice |"), "{md}");
    assert!(!md.contains('{'), "no JSON in the Markdown output: {md}");
}

#[test]
fn a_missing_data_folder_is_named_by_its_variable() {
    let mut c = bin("analyze");
    c.arg("crows").env("INHERIT_DATA_DIR", "/nowhere/at/all");
    let out = run(c);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("INHERIT_DATA_DIR=/nowhere/at/all"), "{err}");
}

#[test]
fn help_lists_every_value_of_enumerated_options() {
    let help = |args: &[&str], name: &str| {
        let mut c = bin(name);
        c.args(args).arg("--help");
        let out = run(c);
        assert!(out.status.success());
        text(&out.stdout)
    };
    let generate = help(&[], "generate");
    for family in inherit::augment::Templates::builtin().family_ids() {
        assert!(
            generate.contains(family),
            "generate --help lacks family {family}"
        );
    }
    for d in inherit::augment::Direction::ALL {
        assert!(
            generate.contains(d.id()),
            "generate --help lacks direction {}",
            d.id()
        );
    }
    let bbq = help(&["bbq"], "analyze");
    for c in inherit::data::BbqCategory::ALL {
        assert!(
            bbq.contains(c.as_str()),
            "analyze bbq --help lacks {}",
            c.as_str()
        );
    }
    let groups = help(&["groups"], "analyze");
    for a in inherit::core::Axis::NAMED {
        assert!(
            groups.contains(a.as_str()),
            "analyze groups --help lacks {}",
            a.as_str()
        );
    }
    for s in ["stated", "inferred", "any"] {
        assert!(groups.contains(s));
    }
    let study = help(&[], "study");
    for stage in ["plan", "generate", "run", "report"] {
        assert!(study.contains(stage));
    }
}

#[test]
fn a_study_without_a_terminal_prints_plain_progress_lines() {
    let dir = tempfile::tempdir().unwrap();
    let config = tiny_config(dir.path(), "flex");
    let out_dir = dir.path().join("run");
    let mut c = bin("study");
    c.arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&out_dir)
        .args(["--progress-interval", "1"]);
    let out = run(c);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no escape codes without a terminal: {err}"
    );
    assert!(err.contains("[cells] 2/2 cells in"), "{err}");
    assert!(err.contains("[generate neutral]"), "{err}");
    // stdout: the finding only.
    assert!(!text(&out.stdout).contains("[cells]"));
}
