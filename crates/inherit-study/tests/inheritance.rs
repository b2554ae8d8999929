//! A test of the science, not only the format: the stand-in generator writes nurse
//! biographies about women 80% of the time and the other occupations' about men 80% of the
//! time. A downstream classifier trained on D_o mixed with that D_a at γ = 0.5 must show a
//! larger female − male TPR gap than at γ = 0 in the study's own report, with a paired
//! p < 0.05 over seeds, and a positive directional bias amplification. If the pipeline
//! stopped carrying bias from D_a into the model, this test fails.

mod common;

use inherit_study::Study;

#[test]
fn the_report_shows_the_stand_in_skew_inherited_at_gamma_half() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::tiny_with(&dir.path().join("run"), |c| {
        c.gammas = vec![0.0, 0.5];
        c.mitigations = vec!["none".into()];
        c.seeds = vec![1, 2, 3, 4, 5, 6];
        c.tasks[0].train_per_cell = 3;
        c.tasks[0].test_per_cell = 3;
        c.generator.augmented_per_label = 30;
        c.downstream.epochs = 10;
        c.downstream.embed_dim = 32;
    });
    let outcome = Study::new(config).run().unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(outcome.out.join("manifest.json")).unwrap())
            .unwrap();
    let inh = &manifest["inheritance"][0];
    assert_eq!(inh["metric"], "tpr_gap_rms");
    assert_eq!(inh["n"], 6);
    let (base, top, p) = (
        inh["mean_base"].as_f64().unwrap(),
        inh["mean_top"].as_f64().unwrap(),
        inh["p_value"].as_f64().unwrap(),
    );
    assert!(
        top > base,
        "TPR gap at γ = 0.5 ({top}) not above γ = 0 ({base})"
    );
    assert!(p < 0.05, "paired p = {p}");
    let report = std::fs::read_to_string(outcome.out.join("report.md")).unwrap();
    assert!(
        report.contains("rose from"),
        "the finding states the rise:\n{report}"
    );

    // Directional bias amplification: not zero by construction at γ = 0, and positive
    // (predictions lean the generator's way) at γ = 0.5.
    let amp = |gamma: f64| -> Vec<f64> {
        outcome
            .records
            .iter()
            .filter(|r| r.gamma == gamma)
            .map(|r| r.metrics["bias_amplification"])
            .collect()
    };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(amp(0.0).iter().any(|v| *v != 0.0), "{:?}", amp(0.0));
    assert!(mean(&amp(0.5)) > 0.0, "{:?}", amp(0.5));
    assert!(
        mean(&amp(0.5)) > mean(&amp(0.0)),
        "{:?} vs {:?}",
        amp(0.5),
        amp(0.0)
    );
}
