//! Multi-round self-augmentation: with a stand-in learner that over-learns the culture
//! skew of its hiring data, the generator's imbalance grows from round to round in the
//! main chain and stays at parity in the control chain (round 0 balanced), every round's
//! record carries its round, counts and distinct-2, the report tabulates both chains
//! with exact tests on the pooled counts, and the staged (sharded) run gives the same
//! records as the single-process one.

mod common;

use inherit_study::downstream::{SmallClassifier, SmallKind};
use inherit_study::stand_in::StandInLearner;
use inherit_study::{Shard, Study, StudyOutcome, ValidStudyConfig};

/// Hiring by culture (anglo − arabic) with the stand-in generator, 3 rounds at γ = 0.5,
/// 200 neutral profiles per label and round, main and control chains.
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
        t.rounds_pool_per_label = 200;
    })
}

fn study(config: ValidStudyConfig) -> Study {
    let device = config.device.parse().unwrap();
    let inner = SmallClassifier::new(SmallKind::Bag, config.downstream.clone(), device);
    Study::new(config).downstream(Box::new(StandInLearner::new(Box::new(inner), 3)))
}

fn round_metric(o: &StudyOutcome, chain: &str, round: u32, metric: &str) -> f64 {
    let v: Vec<f64> = o
        .records
        .iter()
        .filter(|r| r.bias_type == chain && r.round == round)
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
    // 1 γ × 1 mitigation × 2 seeds of the grid, and 3 rounds × 2 seeds × 2 chains.
    assert_eq!(outcome.records.len(), 2 + 12);
    let chained =
        |r: &&inherit_eval::report::ResultRecord| r.bias_type.starts_with("self-augmentation");
    let rounds: Vec<u32> = outcome
        .records
        .iter()
        .filter(chained)
        .map(|r| r.round)
        .collect();
    assert_eq!(rounds.iter().filter(|&&r| r == 2).count(), 4);
    assert!(
        outcome
            .records
            .iter()
            .filter(|r| !chained(r))
            .all(|r| r.round == 0)
    );
    // Every round's pool: at most 200 texts per label (the stand-ins' prompts run out
    // or repeat before), the control's round 0 fewer (balanced), counted per group, with
    // its distinct-2.
    for r in outcome.records.iter().filter(chained) {
        let pool = r.metrics["rounds_pool"];
        let balanced_start = r.bias_type.ends_with("balanced") && r.round == 0;
        assert!(
            pool > 50.0 && pool <= 400.0,
            "{} round {}: {pool}",
            r.bias_type,
            r.round
        );
        let d2 = r.metrics["distinct_2"];
        assert!(d2 > 0.0 && d2 <= 1.0, "{d2}");
        let (a, b) = (
            r.metrics["generator_count.hire.anglo"],
            r.metrics["generator_count.hire.arabic"],
        );
        assert!((r.metrics["generator_share.hire"] - a / (a + b)).abs() < 1e-12);
        if balanced_start {
            assert_eq!(a, b, "the control starts at parity");
        }
    }

    // Round 0's generator is the stand-in: Anglo 0.8 of strong applicants, Arabic
    // 0.2 / 4 = 0.05, so Anglo's share among the two is 0.8 / 0.85 ≈ 0.94. Round 0's mix
    // at γ = 0.5 holds Anglo as 0.2 of D_o's hires and 0.8 of D_a's: p ≈ 0.5, which the
    // learner writes as 0.95 (Arabic 0.0125): a share ≈ 0.987 in round 1 and after.
    let share = |round| round_metric(&outcome, "self-augmentation", round, "generator_share.hire");
    assert!((share(0) - 0.94).abs() < 0.05, "round 0: {}", share(0));
    assert!(share(1) > 0.965, "round 1: {}", share(1));
    assert!(share(2) > 0.965, "round 2: {}", share(2));
    let imbalance =
        |round| round_metric(&outcome, "self-augmentation", round, "generator_imbalance");
    assert!(
        imbalance(1) > imbalance(0) + 0.01,
        "{} vs {}",
        imbalance(1),
        imbalance(0)
    );
    // The control: a balanced start gives D_a hires Anglo as 0.05 / 0.25 = 0.2 of the
    // five cultures, as in D_o, so the learner writes every culture alike: parity.
    let control = |round| {
        round_metric(
            &outcome,
            "self-augmentation-balanced",
            round,
            "generator_share.hire",
        )
    };
    assert_eq!(control(0), 0.5);
    for round in [1, 2] {
        assert!(
            (control(round) - 0.5).abs() < 0.1,
            "control round {round}: {}",
            control(round)
        );
    }
    // Every round of every chain generated its own pool.
    let pools = std::fs::read_dir(out.join("rounds")).unwrap().count();
    assert_eq!(pools, 12, "3 rounds of two chains of two seeds");

    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("## Multi-round self-augmentation"),
        "{report}"
    );
    assert!(report.contains("\n| 2 | "), "{report}");
    assert!(
        report.contains("### Control chain (round 0 balanced)"),
        "{report}"
    );
    assert!(
        report.contains("Over 3 rounds the pooled share of `anglo`"),
        "{report}"
    );
    assert!(report.contains("Fisher's exact p = "), "{report}");
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
