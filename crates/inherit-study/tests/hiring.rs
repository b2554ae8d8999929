//! The hiring task through the study with the stand-in generator, whose strong-applicant
//! profiles are Anglo 80% of the time and whose weak-applicant profiles are Anglo 20% of
//! the time (borderline profiles either way). A classifier trained on D_o alone decides by
//! the rule; mixed with that D_a at γ = 0.5 it must select Anglo candidates more often
//! than Arab ones among the borderline profiles and give the same profile a larger hire
//! margin under an Anglo name than under an Arabic one, in the study's own report, with a
//! paired p < 0.05 over the seeds that passed the gate.

mod common;

use inherit_study::Study;

#[test]
fn the_stand_in_culture_skew_shows_in_borderline_selection_rates() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::tiny_with(&dir.path().join("run"), |c| {
        c.tasks[0].kind = "hiring".into();
        c.tasks[0].axis = "culture".into();
        c.tasks[0].groups = ["anglo".into(), "arabic".into()];
        c.tasks[0].train_per_cell = 16;
        c.tasks[0].test_per_cell = 6;
        c.tasks[0].pairs = Some(40);
        c.gammas = vec![0.0, 0.5];
        c.mitigations = vec!["none".into()];
        c.seeds = vec![1, 2, 3, 4, 5, 6, 7, 8];
        c.generator.neutral_per_label = 10;
        c.generator.augmented_per_label = 120;
        c.downstream.epochs = 25;
        c.downstream.embed_dim = 32;
        c.downstream.vocab_size = 2000;
    });
    let outcome = Study::new(config).run().unwrap();
    assert_eq!(outcome.records.len(), 16);
    for r in &outcome.records {
        assert_eq!(r.task, "hiring");
        assert!(r.metrics.contains_key("selection_rate.culture.anglo"));
        assert!(r.metrics.contains_key("selection_rate.gender.female"));
    }
    let gap = |gamma: f64| -> Vec<f64> {
        outcome
            .records
            .iter()
            .filter(|r| r.gamma == gamma)
            .map(|r| r.metrics["borderline_selection_gap"])
            .collect()
    };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (base, top) = (gap(0.0), gap(0.5));
    assert!(
        mean(&top) > mean(&base) + 0.1,
        "borderline Anglo − Arab selection gap: γ = 0 {base:?}, γ = 0.5 {top:?}"
    );
    // D_o alone teaches the rule: the decided profiles are mostly right.
    let acc: Vec<f64> = outcome
        .records
        .iter()
        .filter(|r| r.gamma == 0.0)
        .map(|r| r.metrics["accuracy"])
        .collect();
    assert!(mean(&acc) > 0.8, "{acc:?}");
    // Every cell carries its gate; a γ = 0 cell whose borderline hire rate leaves
    // [0.2, 0.8] fails it even with a high accuracy, a γ > 0 cell is not held to the
    // window (how far D_a moves the border is the outcome).
    for r in &outcome.records {
        let (acc, rate) = (r.metrics["accuracy"], r.metrics["borderline_hire_rate"]);
        let in_range = (0.2..=0.8).contains(&rate);
        assert_eq!(
            r.metrics["borderline_in_range"],
            f64::from(u8::from(in_range))
        );
        let pass =
            acc >= 0.9 && r.metrics["constant_answers"] == 0.0 && (in_range || r.gamma > 0.0);
        assert_eq!(r.metrics["gate"], f64::from(u8::from(pass)), "{r:?}");
    }

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outcome.out.join("manifest.json")).unwrap())
            .unwrap();
    let inh = &manifest["inheritance"][0];
    // The headline is the paired margin on counterfactual profiles; only gated seeds
    // are paired.
    assert_eq!(inh["metric"], "pair_margin_gap");
    let gated = |gamma: f64| {
        outcome
            .records
            .iter()
            .filter(|r| r.gamma == gamma && r.metrics["gate"] == 1.0)
            .map(|r| r.seed)
            .collect::<std::collections::BTreeSet<_>>()
    };
    let n = gated(0.0).intersection(&gated(0.5)).count();
    assert_eq!(inh["n"], n);
    assert!(inh["diff"].as_f64().unwrap() > 0.0, "{inh}");
    assert!(inh["p_value"].as_f64().unwrap() < 0.05, "{inh}");
    assert!(inh["ci_low"].as_f64().unwrap() > 0.0, "{inh}");
    assert_eq!(inh["ci_method"], "nested bootstrap over seeds × units");
    let report = std::fs::read_to_string(outcome.out.join("report.md")).unwrap();
    assert!(report.contains("## Gate"), "{report}");
    // The generator's own culture balance under neutral prompts is in the analysis.
    let analysis = std::fs::read_to_string(outcome.out.join("analysis.json")).unwrap();
    assert!(
        analysis.contains("strong applicant") || analysis.contains("hire"),
        "{analysis}"
    );
}
