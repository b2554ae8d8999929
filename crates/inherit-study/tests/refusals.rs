//! Configurations and runs that must be refused, and what a refusal must leave alone:
//! bounded counts and sizes, repeated grid entries, config files that are not regular
//! files, `study.toml` after a run refused for a changed configuration, the manifest's
//! run history, and credentials in an endpoint.

mod common;

use inherit_study::{Error, Study, StudyConfig};

/// [`common::TINY`] with `from` replaced by `to` (which must occur), parsed.
fn parse_with(from: &str, to: &str) -> Result<inherit_study::ValidStudyConfig, Error> {
    parse_edits(&[(from, to)])
}

/// [`common::TINY`] with each `(from, to)` replacement (`from` must occur), parsed.
fn parse_edits(edits: &[(&str, &str)]) -> Result<inherit_study::ValidStudyConfig, Error> {
    let mut text = common::TINY.to_owned();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    StudyConfig::parse(&text, "tiny")
}

/// Regression: `batch_size = 2^64 − 1`, `embed_dim = 1e11` or `rounds = 2^32 − 1`
/// aborted the process on an allocation failure instead of being config errors.
#[test]
fn counts_and_sizes_over_their_bounds_are_errors_naming_key_and_bound() {
    let huge = i64::MAX.to_string();
    for (from, to, key, bound) in [
        (
            "batch_size = 32",
            format!("batch_size = {huge}"),
            "downstream.batch_size",
            "65536",
        ),
        (
            "embed_dim = 16",
            "embed_dim = 100000000000".to_owned(),
            "downstream.embed_dim",
            "8192",
        ),
        (
            "seed = 0\n",
            "seed = 0\nrounds = 4294967295\n".to_owned(),
            "tasks[0].rounds",
            "100",
        ),
        (
            "batch_size = 8",
            format!("batch_size = {huge}"),
            "generator.batch_size",
            "4096",
        ),
        (
            "max_tokens = 40",
            format!("max_tokens = {huge}"),
            "generator.max_tokens",
            "8192",
        ),
        (
            "train_per_cell = 2",
            format!("train_per_cell = {huge}"),
            "tasks[0].train_per_cell",
            "100000",
        ),
        (
            "permutations = 50",
            format!("permutations = {huge}"),
            "embedding.permutations",
            "1000000",
        ),
    ] {
        let err = parse_with(from, &to).unwrap_err().to_string();
        assert!(
            err.contains(key) && err.contains(bound) && err.contains("bound"),
            "{to}: {err}"
        );
    }
    // Sizes that multiply into one allocation are bounded as products: the memory the
    // run would need is estimated before anything is allocated.
    let err = parse_edits(&[
        ("vocab_size = 500", "vocab_size = 900000"),
        ("embed_dim = 16", "embed_dim = 1000"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("downstream.embed_dim") && err.contains("268435456"),
        "{err}"
    );
    let err = parse_edits(&[
        ("max_len = 64", "max_len = 8192"),
        ("batch_size = 32", "batch_size = 16384"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("downstream.batch_size") && err.contains("1073741824"),
        "{err}"
    );
    let err = parse_with("top_p = 0.95", "top_p = nan")
        .unwrap_err()
        .to_string();
    assert!(err.contains("generator.top_p"), "{err}");
    let err = parse_with("temperature = 0.8", "temperature = inf")
        .unwrap_err()
        .to_string();
    assert!(err.contains("generator.temperature"), "{err}");
    // The shipped configurations are within every bound.
    for (name, text) in inherit_study::config::SHIPPED {
        StudyConfig::parse(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// Regression: duplicate seeds ran every cell twice; duplicate γ values and mitigations
/// the same.
#[test]
fn repeated_seeds_gammas_mitigations_and_bias_types_are_refused() {
    for (from, to, key) in [
        ("seeds = [1, 2]", "seeds = [1, 2, 1]", "seeds[2]"),
        (
            "gammas = [0.0, 0.2]",
            "gammas = [0.2, 0.0, 0.2]",
            "gammas[2]",
        ),
        (
            r#"mitigations = ["none", "mask", "loss:1.0"]"#,
            r#"mitigations = ["none", "mask", "none"]"#,
            "mitigations[2]",
        ),
        (
            r#"bias_types = ["contrastive-single-explicit"]"#,
            r#"bias_types = ["contrastive-single-explicit", "contrastive-single-explicit"]"#,
            "bias_types[1]",
        ),
    ] {
        let err = parse_with(from, to).unwrap_err().to_string();
        assert!(err.contains(key) && err.contains("unique"), "{to}: {err}");
    }
}

/// Regression: a FIFO given as `--config` hung the run; `/dev/zero` ran it out of memory.
#[cfg(unix)]
#[test]
fn a_config_that_is_not_a_regular_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("study.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for path in [fifo.as_path(), std::path::Path::new("/dev/zero")] {
        let err = StudyConfig::load(path).unwrap_err().to_string();
        assert!(
            err.contains("not a regular file"),
            "{}: {err}",
            path.display()
        );
    }
}

fn two_tasks(out: &std::path::Path, generator_seed: u64) -> inherit_study::ValidStudyConfig {
    let text = common::TINY
        .replace("gammas = [0.0, 0.2]", "gammas = [0.0]")
        .replace(
            r#"mitigations = ["none", "mask", "loss:1.0"]"#,
            r#"mitigations = ["none"]"#,
        )
        .replace("seeds = [1, 2]", "seeds = [1]")
        .replace("seed = 7", &format!("seed = {generator_seed}"))
        .replace(
            "[generator]",
            "[[tasks]]\nname = \"second\"\nkind = \"occupation\"\naxis = \"gender\"\n\
             groups = [\"female\", \"male\"]\ntrain_per_cell = 2\ntest_per_cell = 2\nseed = 1\n\n\
             [generator]",
        );
    StudyConfig::parse(&text, "two tasks")
        .unwrap()
        .with_out(out)
}

/// Regression: a study refused for a changed configuration had already replaced
/// `study.toml`, after which even `report` failed. Also: each run's timings are kept in
/// the manifest's history instead of being overwritten by a rerun.
#[test]
fn a_refused_run_leaves_study_toml_alone_and_reruns_keep_the_timings_history() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    Study::new(two_tasks(&out, 7)).run().unwrap();
    let toml_before = std::fs::read(out.join("study.toml")).unwrap();
    let manifest = |path: &std::path::Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let m = manifest(&out.join("manifest.json"));
    assert_eq!(m["runs"].as_array().unwrap().len(), 1, "{m}");

    let err = Study::new(two_tasks(&out, 8)).run().unwrap_err();
    assert!(matches!(err, Error::ChangedConfig { .. }), "{err}");
    assert_eq!(
        std::fs::read(out.join("study.toml")).unwrap(),
        toml_before,
        "the refused run rewrote study.toml"
    );
    // The folder's own configuration still reports.
    let stored = StudyConfig::load(&out.join("study.toml")).unwrap();
    Study::new(stored.clone()).report().unwrap();

    // A warm rerun adds to the history; the cold run's cells stay on record.
    Study::new(stored).run().unwrap();
    for path in [
        out.join("manifest.json"),
        out.join("occupation/manifest.json"),
    ] {
        let m = manifest(&path);
        let runs = m["runs"].as_array().unwrap();
        assert!(runs.len() >= 2, "{}: {m}", path.display());
        assert!(
            runs[0]["timings"]["cells_run"].as_u64().unwrap() > 0,
            "{}: the cold run's timings were lost: {m}",
            path.display()
        );
        assert_eq!(
            runs.last().unwrap()["timings"]["cells_run"],
            0,
            "{}",
            path.display()
        );
    }
}

/// Regression: credentials inside an endpoint URL were written into `study.toml` (and
/// through the generator's id into `augmented/*.jsonl`, `manifest.json` and `report.md`).
#[test]
fn endpoint_credentials_are_redacted_when_the_config_is_written() {
    let text = common::TINY.replace(
        "kind = \"stand-in\"",
        "kind = \"openai\"\nendpoint = \"http://alice:s3cr3t-pw@127.0.0.1:9/v1\"\nmodel = \"m\"",
    );
    let config = StudyConfig::parse(&text, "openai").unwrap();
    assert_eq!(
        config.generator.endpoint.as_deref(),
        Some("http://alice:s3cr3t-pw@127.0.0.1:9/v1"),
        "the run itself keeps the URL it was given"
    );
    let written = toml::to_string(&*config).unwrap();
    assert!(!written.contains("s3cr3t-pw"), "{written}");
    assert!(
        written.contains("http://<redacted>@127.0.0.1:9/v1"),
        "{written}"
    );
}
