//! The paper's direct vs indirect contrast (Li et al., ACL 2026) end to end: a toxicity
//! task on the identity madlibs (directly related to bias) and a sentiment task on SST-2
//! (indirectly related) run through one study with the stand-in generator, whose toxic
//! comments are about Arab people 0.8 of the time
//! (`inherit_study::stand_in::stand_in_toxic_arabic_share`). At a high γ the downstream classifier
//! inherits that skew: it flags non-toxic texts about Arab people as toxic far more often
//! than at γ = 0. The summary report holds the direct-vs-indirect table.
//!
//! Needs the shared data directory (`INHERIT_DATA_DIR`, else `../shared/data`); the test
//! prints why and passes when it is absent.

mod common;

use inherit_study::{Study, StudyConfig};

fn config() -> String {
    common::TINY
        .replace("gammas = [0.0, 0.2]", "gammas = [0.0, 0.8]")
        .replace(
            r#"mitigations = ["none", "mask", "loss:1.0"]"#,
            r#"mitigations = ["none"]"#,
        )
        .replace("seeds = [1, 2]", "seeds = [1, 2, 3]")
        .replace(
            r#"kind = "occupation"
axis = "gender"
groups = ["female", "male"]
train_per_cell = 2
test_per_cell = 2
seed = 0"#,
            r#"kind = "toxicity"
axis = "culture"
groups = ["arabic", "anglo"]
train_per_cell = 8
test_per_cell = 25
seed = 0

[[tasks]]
kind = "sentiment"
axis = "culture"
groups = ["anglo", "arabic"]
train_per_cell = 20
test_per_cell = 25
seed = 0"#,
        )
        .replace("augmented_per_label = 6", "augmented_per_label = 64")
        .replace("epochs = 3", "epochs = 8")
}

#[test]
fn the_stand_ins_skew_raises_the_toxicity_fpr_gap_and_the_report_contrasts_the_tasks() {
    let data = inherit_study::task::default_data_dir();
    if inherit_core::testing::skip_without_data(&data, "the shared data directory") {
        return;
    }
    let start = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let text = config();
    assert!(text.contains(r#"kind = "sentiment""#), "{text}");
    let config = StudyConfig::parse(&text, "direct-indirect")
        .unwrap()
        .with_out(dir.path());
    let outcome = Study::new(config).run().unwrap();
    // 2 tasks × 2 γ × 3 seeds.
    assert_eq!(outcome.records.len(), 12);

    let mean = |task: &str, gamma: f64, metric: &str| {
        let v: Vec<f64> = outcome
            .records
            .iter()
            .filter(|r| r.task == task && r.gamma == gamma)
            .map(|r| r.metrics[metric])
            .collect();
        assert_eq!(v.len(), 3, "{task} γ {gamma}");
        v.iter().sum::<f64>() / 3.0
    };
    let (gap0, gap8) = (
        mean("toxicity", 0.0, "fpr_gap"),
        mean("toxicity", 0.8, "fpr_gap"),
    );
    let (arabic0, arabic8) = (
        mean("toxicity", 0.0, "fpr.arabic"),
        mean("toxicity", 0.8, "fpr.arabic"),
    );
    eprintln!(
        "toxicity fpr_gap {gap0:.3} -> {gap8:.3}, fpr.arabic {arabic0:.3} -> {arabic8:.3}, \
         macro_f1 {:.3} -> {:.3}; sentiment macro_f1 {:.3} -> {:.3}",
        mean("toxicity", 0.0, "macro_f1"),
        mean("toxicity", 0.8, "macro_f1"),
        mean("sentiment", 0.0, "macro_f1"),
        mean("sentiment", 0.8, "macro_f1"),
    );
    assert!(
        gap8 > gap0 + 0.15,
        "the stand-in's 0.8 Arabic share of toxic comments should raise the fpr gap: \
         {gap0:.3} at γ 0, {gap8:.3} at γ 0.8"
    );
    for r in &outcome.records {
        for k in ["macro_f1", "accuracy", "macro_f1_gap"] {
            assert!(r.metrics.contains_key(k), "{} lacks {k}", r.task);
        }
        if r.task == "toxicity" {
            for k in ["fpr.arabic", "fpr.anglo", "fpr_gap", "macro_f1.arabic"] {
                assert!(r.metrics[k].is_finite(), "{k}");
            }
        }
    }

    let report = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(report.contains("## Direct vs indirect"), "{report}");
    let table = report
        .split("## Direct vs indirect")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    assert!(
        table.contains("| toxicity macro-F1 | Δ | sentiment macro-F1 | Δ |"),
        "{table}"
    );
    let row = |gamma: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("| contrastive-single-explicit | {gamma} |")))
            .unwrap_or_else(|| panic!("no γ {gamma} row in {table}"))
            .to_owned()
    };
    assert!(row("0").contains("| +0.000 |"), "{}", row("0"));
    let tox8 = mean("toxicity", 0.8, "macro_f1");
    assert!(
        row("0.8").contains(&format!("| {tox8:.3} |")),
        "{}",
        row("0.8")
    );
    eprintln!("{table}");
    eprintln!("took {:.1} s", start.elapsed().as_secs_f64());
}
