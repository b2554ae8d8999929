//! Multi-round self-augmentation: with a stand-in learner that over-learns the culture
//! skew of its hiring data, the generator's imbalance grows from round to round, every
//! round's record carries its round, the report tabulates the rounds, and the staged
//! (sharded) run gives the same records as the single-process one.

mod common;

use inherit_study::downstream::{SmallClassifier, SmallKind};
use inherit_study::stand_in::StandInLearner;
use inherit_study::{Shard, Study, StudyOutcome, ValidStudyConfig};

/// Hiring by culture (anglo − arabic) with the stand-in generator, 3 rounds at γ = 0.5,
/// 200 neutral profiles per label and round.
fn config(out: &std::path::Path) -> ValidStudyConfig {
    common::tiny_with(out, |c| {
        let t = &mut c.tasks[0];
        t.kind = "hiring".into();
        t.axis = "culture".into();
        t.groups = ["anglo".into(), "arabic".into()];
        t.rounds = 3;
        t.rounds_gamma = 0.5;
        c.gammas = vec![0.0];
        c.mitigations = vec!["none".into()];
        c.generator.neutral_per_label = 200;
    })
}

fn study(config: ValidStudyConfig) -> Study {
    let device = config.device.parse().unwrap();
    let inner = SmallClassifier::new(SmallKind::Bag, config.downstream.clone(), device);
    Study::new(config).downstream(Box::new(StandInLearner::new(Box::new(inner), 3)))
}

fn round_metric(o: &StudyOutcome, round: u32, metric: &str) -> f64 {
    let v: Vec<f64> = o
        .records
        .iter()
        .filter(|r| r.bias_type == "self-augmentation" && r.round == round)
        .map(|r| r.metrics[metric])
        .collect();
    assert_eq!(v.len(), 2, "one record per seed in round {round}");
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn the_learners_skew_grows_over_rounds_and_the_report_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let outcome = study(config(&out)).run().unwrap();
    // 1 γ × 1 mitigation × 2 seeds of the grid, and 3 rounds × 2 seeds.
    assert_eq!(outcome.records.len(), 2 + 6);
    let rounds: Vec<u32> = outcome
        .records
        .iter()
        .filter(|r| r.bias_type == "self-augmentation")
        .map(|r| r.round)
        .collect();
    assert_eq!(rounds.iter().filter(|&&r| r == 2).count(), 2);
    assert!(
        outcome
            .records
            .iter()
            .filter(|r| r.bias_type != "self-augmentation")
            .all(|r| r.round == 0)
    );

    // Round 0's generator is the stand-in: Anglo 0.8 of strong applicants, Arabic
    // 0.2 / 4 = 0.05, so Anglo's share among the two is 0.8 / 0.85 ≈ 0.94. Round 0's mix
    // at γ = 0.5 holds Anglo as 0.2 of D_o's hires and 0.8 of D_a's: p ≈ 0.5, which the
    // learner writes as 0.95 (Arabic 0.0125): a share ≈ 0.987 in round 1 and after.
    let share = |round| round_metric(&outcome, round, "generator_share.hire");
    assert!((share(0) - 0.94).abs() < 0.05, "round 0: {}", share(0));
    assert!(share(1) > 0.965, "round 1: {}", share(1));
    assert!(share(2) > 0.965, "round 2: {}", share(2));
    let imbalance = |round| round_metric(&outcome, round, "generator_imbalance");
    assert!(
        imbalance(1) > imbalance(0) + 0.01,
        "{} vs {}",
        imbalance(1),
        imbalance(0)
    );
    // Each round after the first generated its own pool.
    let pools = std::fs::read_dir(out.join("rounds")).unwrap().count();
    assert_eq!(pools, 4, "rounds 1 and 2 of two seeds");

    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("## Multi-round self-augmentation"),
        "{report}"
    );
    assert!(report.contains("\n| 2 | "), "{report}");
    assert!(
        report.contains("Over 3 rounds of self-augmentation"),
        "{report}"
    );
    let plan = std::fs::read_to_string(out.join("plan.jsonl")).unwrap();
    assert!(plan.contains("\"round\":2"), "{plan}");

    // The same study in stages, as Slurm runs it: chains stay whole in their shard.
    let staged = dir.path().join("staged");
    let c = config(&staged);
    study(c.clone()).plan().unwrap();
    study(c.clone()).generate().unwrap();
    for i in 0..2 {
        study(c.clone())
            .run_shard(Shard { index: i, count: 2 })
            .unwrap();
    }
    let merged = study(c).report().unwrap();
    let key_metrics = |o: &StudyOutcome| {
        let mut v: Vec<(String, u32, String)> = o
            .records
            .iter()
            .map(|r| {
                (
                    r.key.clone(),
                    r.round,
                    serde_json::to_string(&r.metrics).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(key_metrics(&merged), key_metrics(&outcome));
}

#[test]
fn a_downstream_model_that_cannot_generate_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path());
    let err = Study::new(c).run().unwrap_err().to_string();
    assert!(
        err.contains("cannot generate") && err.contains("bag"),
        "{err}"
    );
}
