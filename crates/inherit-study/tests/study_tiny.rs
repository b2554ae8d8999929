//! Runs the whole study with the model-free stand-ins, checks every output file and the
//! results schema, then checks that a rerun after an interruption redoes only the
//! missing cells and gives the same results, and that a changed configuration is never
//! mixed with the stored results.

mod common;

use inherit_eval::report::{ResultRecord, read_results};
use inherit_study::{Error, Study};

/// The tiny grid's cells: γ = 0 once per seed (`mask` and `loss` are inert without D_a),
/// γ = 0.2 with 3 mitigations × 2 seeds.
const CELLS: usize = 2 + 6;

#[test]
fn tiny_study_writes_every_output_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let cfg = common::tiny(&out);
    let outcome = Study::new(cfg.clone()).run().unwrap();
    assert_eq!(outcome.records.len(), CELLS);

    for file in [
        "report.md",
        "results.jsonl",
        "results.csv",
        "manifest.json",
        "augmented/neutral.jsonl",
        "augmented/contrastive-single-explicit.jsonl",
        "cache/generations.jsonl",
        "plots/group-imbalance.svg",
        "plots/group-imbalance.png",
        "plots/tpr_gap_rms-contrastive-single-explicit.svg",
        "plots/tpr_gap_rms-contrastive-single-explicit.png",
    ] {
        let meta = std::fs::metadata(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(meta.len() > 0, "{file} is empty");
    }

    // The results schema: one record per cell with the documented metrics and its key.
    let results = read_results(out.join("results.jsonl")).unwrap();
    assert_eq!(
        results.records.len(),
        CELLS,
        "γ = 0 once per seed, γ = 0.2 per mitigation and seed"
    );
    let mut keys: Vec<&str> = results.records.iter().map(|r| r.key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), CELLS, "every cell has its own key");
    for r in &results.records {
        assert_eq!(r.task, "occupation");
        assert_eq!(r.bias_type, "contrastive-single-explicit");
        assert_eq!(r.model, "bag-of-embeddings");
        for part in [
            "schema",
            "task",
            "generator",
            "downstream",
            "gamma",
            "mitigation",
            "seed",
        ] {
            assert!(r.key_parts.contains_key(part), "key part {part} missing");
        }
        for key in [
            "accuracy",
            "accuracy_female",
            "accuracy_male",
            "accuracy_gap",
            "tpr_gap_rms",
            "tpr_gap_mean_abs",
            "dp_gap_max",
            "bias_amplification",
            "macro_f1",
        ] {
            assert!(r.metrics.contains_key(key), "missing {key} in {r:?}");
        }
        assert!((0.0..=1.0).contains(&r.metrics["accuracy"]));
        assert!(
            (r.metrics["accuracy_female"] - r.metrics["accuracy_male"] - r.metrics["accuracy_gap"])
                .abs()
                < 1e-12
        );
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    for section in [
        "## Finding",
        "## Group data misalignment",
        "## Data distribution misalignment",
        "## Downstream metrics",
        "## Inheritance",
        "## Mitigations vs none",
    ] {
        assert!(report.contains(section), "report.md lacks {section}");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["config"]["seeds"], serde_json::json!([1, 2]));
    assert_eq!(manifest["cells"], CELLS);

    // Interrupt: drop the last four results and tear the last line, as a kill would.
    let path = out.join("results.jsonl");
    let full = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    let kept = CELLS - 4;
    let mut cut = lines[..kept].join("\n");
    cut.push('\n');
    cut.push_str(&lines[kept][..lines[kept].len() / 2]);
    std::fs::write(&path, cut).unwrap();
    let resumed = Study::new(cfg).run().unwrap();
    assert_eq!(resumed.timings.cells_skipped, kept);
    assert_eq!(resumed.timings.cells_run, 4);
    let key = |r: &ResultRecord| r.key.clone();
    let mut a = results.records.clone();
    let mut b = read_results(&path).unwrap().records;
    a.sort_by_key(key);
    b.sort_by_key(key);
    assert_eq!(
        a, b,
        "a resumed run gives the same results as an uninterrupted one"
    );
}

#[test]
fn a_changed_config_is_named_and_never_mixed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let first = Study::new(common::tiny(&out)).run().unwrap();

    // Another classifier size into the same folder: the old numbers must not be reported.
    let changed = common::tiny_with(&out, |c| c.downstream.epochs = 4);
    match Study::new(changed.clone()).run() {
        Err(Error::ChangedConfig { n, changed, .. }) => {
            assert_eq!(n, CELLS);
            assert_eq!(changed, vec!["downstream".to_owned()]);
        }
        other => panic!("expected a changed-config error, got {other:?}"),
    }
    let message = Study::new(changed.clone()).run().unwrap_err().to_string();
    assert!(
        message.contains("downstream") && message.contains("--recompute"),
        "{message}"
    );

    // Same for the generator's sampling and the task's data size.
    let gen_changed = common::tiny_with(&out, |c| c.generator.temperature = 0.5);
    let err = Study::new(gen_changed).run().unwrap_err();
    assert!(err.to_string().contains("changed: generator"), "{err}");
    let task_changed = common::tiny_with(&out, |c| c.tasks[0].train_per_cell = 3);
    let err = Study::new(task_changed).run().unwrap_err();
    assert!(err.to_string().contains("changed: task"), "{err}");

    // Recompute: every cell runs again under the new key, and only the new records count.
    let second = Study::new(changed).recompute_changed(true).run().unwrap();
    assert_eq!(second.timings.cells_run, CELLS);
    assert_eq!(second.records.len(), CELLS);
    for (a, b) in first.records.iter().zip(&second.records) {
        assert_ne!(a.key, b.key);
        assert_eq!(a.key_parts["seed"], b.key_parts["seed"]);
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["cells"], CELLS,
        "the report counts this configuration's cells only"
    );
    assert_eq!(
        read_results(out.join("results.jsonl"))
            .unwrap()
            .records
            .len(),
        2 * CELLS
    );
}

#[test]
fn bad_configs_name_the_key() {
    use inherit_study::StudyConfig;
    let parse = |text: &str| StudyConfig::parse(text, "x.toml").unwrap_err().to_string();
    let err = parse(&common::TINY.replace("gammas = [0.0, 0.2]", "gammas = [0.0, 1.0]"));
    assert!(err.contains("gammas[1]"), "{err}");
    let err = parse(&common::TINY.replace("seeds = [1, 2]", "seeds = [1, 2]\ncolour = 3"));
    assert!(err.contains("colour"), "{err}");
    let err = parse(&common::TINY.replace("\"mask\"", "\"maks\""));
    assert!(
        err.contains("mitigations[1]") && err.contains("maks"),
        "{err}"
    );
    let err = parse(&common::TINY.replace("model = \"bag\"", "model = \"forest\""));
    assert!(
        err.contains("downstream.model") && err.contains("bert"),
        "{err}"
    );
    let err = parse(&common::TINY.replace("kind = \"occupation\"", "kind = \"poetry\""));
    assert!(err.contains("tasks[0].kind"), "{err}");
    let err = parse(&common::TINY.replace("axis = \"gender\"", "axis = \"\""));
    assert!(err.contains("tasks[0].axis"), "{err}");
}

#[test]
fn a_second_run_on_the_same_folder_is_refused_naming_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // Another run holds the results file (as `Study::run` does for its whole length).
    let _held = inherit_eval::report::ResultsWriter::open(out.join("results.jsonl")).unwrap();
    let err = Study::new(common::tiny(&out))
        .run()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&std::process::id().to_string()),
        "the error names the holder's pid: {err}"
    );
}
