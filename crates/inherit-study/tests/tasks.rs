//! A study of several tasks: one sub-study per task in its own folder, the task's
//! changes to `[downstream]` applied, a summary report with a section per task, and the
//! staged run (plan, generate, shards, report) equal to the single-process one.

mod common;

use inherit_study::{Shard, Study, StudyConfig};

/// TINY with a second task: hiring by culture, with a bigger embedding.
fn two_tasks() -> String {
    common::TINY.replace(
        "[generator]",
        r#"[[tasks]]
kind = "hiring"
axis = "culture"
groups = ["anglo", "arabic"]
train_per_cell = 2
test_per_cell = 2
seed = 0
downstream = { embed_dim = 24, epochs = 2 }

[generator]"#,
    )
}

#[test]
fn each_task_runs_in_its_own_folder_and_the_report_has_a_section_each() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let config = StudyConfig::parse(&two_tasks(), "two tasks")
        .unwrap()
        .with_out(&out);
    let per_task = config.per_task();
    assert_eq!(per_task.len(), 2);
    assert_eq!(per_task[0].out, out.join("occupation"));
    assert_eq!(per_task[1].out, out.join("hiring"));
    assert_eq!(
        (
            per_task[0].downstream.embed_dim,
            per_task[1].downstream.embed_dim
        ),
        (16, 24)
    );
    assert_eq!(per_task[1].downstream.epochs, 2);

    let outcome = Study::new(config.clone()).run().unwrap();
    // Per task: γ = 0 once per seed (`mask` and `loss` are inert without D_a), γ = 0.2
    // with 3 mitigations × 2 seeds.
    assert_eq!(outcome.records.len(), 2 * (2 + 6));
    let tasks: std::collections::BTreeSet<&str> =
        outcome.records.iter().map(|r| r.task.as_str()).collect();
    assert_eq!(
        tasks.into_iter().collect::<Vec<_>>(),
        ["hiring", "occupation"]
    );
    for t in ["occupation", "hiring"] {
        for f in ["report.md", "results.jsonl", "results.csv", "manifest.json"] {
            assert!(out.join(t).join(f).exists(), "{t}/{f}");
        }
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("## Task `occupation`"), "{report}");
    assert!(report.contains("## Task `hiring`"), "{report}");
    assert!(report.contains("](hiring/plots/"), "{report}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["tasks"].as_array().unwrap().len(), 2);

    // The same study in stages, as Slurm jobs run it, gives the same results.
    let staged = dir.path().join("staged");
    let c = config.with_out(&staged);
    assert_eq!(Study::new(c.clone()).plan().unwrap(), 16);
    assert_eq!(
        std::fs::read_to_string(staged.join("plan.jsonl"))
            .unwrap()
            .lines()
            .count(),
        16
    );
    Study::new(c.clone()).generate().unwrap();
    for i in 0..2 {
        Study::new(c.clone())
            .run_shard(Shard { index: i, count: 2 })
            .unwrap();
    }
    let merged = Study::new(c).report().unwrap();
    let key_metrics = |o: &inherit_study::StudyOutcome| {
        let mut v: Vec<(String, String)> = o
            .records
            .iter()
            .map(|r| (r.key.clone(), serde_json::to_string(&r.metrics).unwrap()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(key_metrics(&merged), key_metrics(&outcome));
}

#[test]
fn task_names_and_downstream_changes_are_checked() {
    let text = two_tasks();
    let err = StudyConfig::parse(
        &text.replace("kind = \"hiring\"", "kind = \"occupation\""),
        "t",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("tasks[1].name") && err.contains("occupation"),
        "{err}"
    );
    let err = StudyConfig::parse(&text.replace("epochs = 2 }", "epochz = 2 }"), "t")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tasks[1].downstream") && err.contains("epochz"),
        "{err}"
    );
    let err = StudyConfig::parse(&text.replace("epochs = 2 }", "epochs = 0 }"), "t")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("tasks[1].downstream") && err.contains("epochs"),
        "{err}"
    );
}

#[test]
fn a_single_tasks_downstream_changes_apply() {
    let dir = tempfile::tempdir().unwrap();
    let text = common::TINY.replace(
        "seed = 0\n\n[generator]",
        "seed = 0\ndownstream = { model = \"transformer\", epochs = 1 }\n\n[generator]",
    );
    assert!(text.contains("model = \"transformer\""), "{text}");
    let mut config = StudyConfig::parse(&text, "one task")
        .unwrap()
        .with_out(dir.path());
    let mut c = config.into_inner();
    c.gammas = vec![0.2];
    c.mitigations = vec!["none".into()];
    c.seeds = vec![1];
    config = c.check("one task").unwrap();
    let outcome = Study::new(config).run().unwrap();
    assert_eq!(outcome.records.len(), 1);
    assert_eq!(outcome.records[0].model, "transformer-classifier");
}
