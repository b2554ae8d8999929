//! The top of a run's folder (issue 27): `results.csv` holds every cell and round, tidy,
//! with the confidence level as a column; `manifest.json` holds the git commit, the
//! command line, the host, each run with its timings, and the configuration's floats as
//! the file wrote them.

mod common;

use inherit_study::downstream::{SmallClassifier, SmallKind};
use inherit_study::stand_in::StandInLearner;
use inherit_study::{Study, ValidStudyConfig};

/// Hiring with 2 self-augmentation rounds and the stand-in learner (which can write).
fn config(out: &std::path::Path) -> ValidStudyConfig {
    common::tiny_with(out, |c| {
        let t = &mut c.tasks[0];
        t.kind = "hiring".into();
        t.axis = "culture".into();
        t.groups = ["anglo".into(), "arabic".into()];
        t.rounds = 2;
        c.gammas = vec![0.0, 0.2];
        c.mitigations = vec!["none".into()];
        c.seeds = vec![1, 2];
        c.generator.neutral_per_label = 20;
    })
}

fn study(config: ValidStudyConfig) -> Study {
    let device = config.device.parse().unwrap();
    let inner = SmallClassifier::new(SmallKind::Bag, config.downstream.clone(), device);
    Study::new(config)
        .downstream(Box::new(StandInLearner::new(Box::new(inner), 3)))
        .command_line(vec!["study".into(), "--quick".into()])
}

#[test]
fn results_csv_has_every_round_and_the_manifest_every_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    study(config(&out)).run().unwrap();

    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("task,bias_type,gamma,mitigation,model,round,metric,n,mean,std,low,high,confidence")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let rounds: std::collections::BTreeSet<&str> = rows
        .iter()
        .filter(|r| r[1] == "self-augmentation")
        .map(|r| r[5])
        .collect();
    assert_eq!(rounds, ["0", "1"].into(), "both rounds are in results.csv");
    assert!(
        rows.iter()
            .any(|r| r[1] == "contrastive-single-explicit" && r[5] == "0")
    );
    assert!(rows.iter().all(|r| r.len() == 13 && r[12] == "0.95"));
    assert!(
        rows.iter()
            .all(|r| r[7] == "2" || r[7] == "1" || r[7] == "0"),
        "n is the seeds with a value"
    );

    let manifest = |out: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap()
    };
    let m = manifest(&out);
    assert_eq!(m["command_line"], serde_json::json!(["study", "--quick"]));
    assert!(m["host"]["cores"].as_u64().unwrap() >= 1);
    assert!(m["host"]["os"].is_string());
    // Built from this checkout: the commit is a 40-digit hash.
    let commit = m["git_commit"].as_str().unwrap_or_default();
    assert!(
        commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
        "{commit:?}"
    );
    // The float as the configuration wrote it, not as f32 widened.
    let text = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(text.contains("\"temperature\": 0.8,"), "{text}");
    assert!(!text.contains("0.800000011920929"));
    assert_eq!(m["runs"].as_array().unwrap().len(), 1);
    assert!(m["runs"][0]["timings"]["cells_s"].as_f64().unwrap() > 0.0);

    // A second run (everything found finished) is added to the history.
    let again = study(config(&out)).run().unwrap();
    assert_eq!(again.timings.cells_run, 0);
    let m = manifest(&out);
    let runs = m["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{m}");
    assert_eq!(runs[1]["timings"]["cells_run"], 0);
    assert!(runs[0]["timings"]["cells_run"].as_u64().unwrap() > 0);
    // Each task's report.md keeps both runs' timings: the warm rerun does not overwrite
    // the cold run's row.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let rows: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.starts_with("## Timings"))
        .filter(|l| l.starts_with("| 1 |") || l.starts_with("| 2 |"))
        .collect();
    assert_eq!(rows.len(), 2, "{report}");
    // The "cells run" column: the cold run trained, the warm one reused everything.
    let cells_run = |row: &str| row.split('|').map(str::trim).nth(7).unwrap().to_owned();
    assert_ne!(cells_run(rows[0]), "0", "{rows:?}");
    assert_eq!(cells_run(rows[1]), "0", "{rows:?}");
}
