//! `Study::jobs`: cells trained on several threads give exactly the records of one thread.

mod common;

use std::collections::BTreeMap;

use inherit_study::Study;

fn records(jobs: usize) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let outcome = Study::new(common::tiny(dir.path()))
        .jobs(jobs)
        .run()
        .unwrap();
    outcome
        .records
        .iter()
        .map(|r| (r.key.clone(), serde_json::to_string(&r.metrics).unwrap()))
        .collect()
}

#[test]
fn two_workers_give_the_records_of_one() {
    let one = records(1);
    // γ = 0: one `none` cell per seed (`mask` and `loss` change nothing without
    // augmented data); γ = 0.2: 3 mitigations × 2 seeds.
    assert_eq!(one.len(), 2 + 6);
    assert_eq!(records(2), one);
    assert_eq!(records(5), one);
}

#[test]
fn the_plan_has_one_gamma_zero_cell_per_seed_and_bias_type() {
    let dir = tempfile::tempdir().unwrap();
    let plan = |mitigations: &[&str]| {
        let config = common::tiny_with(&dir.path().join(mitigations.join("_")), |c| {
            c.bias_types = vec![
                "contrastive-single-explicit".into(),
                "contextual-single-implicit".into(),
            ];
            c.mitigations = mitigations.iter().map(|m| m.to_string()).collect();
        });
        let total = Study::new(config.clone()).plan().unwrap();
        let lines = std::fs::read_to_string(config.out.join("plan.jsonl")).unwrap();
        let zero: Vec<serde_json::Value> = lines
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|c| c["gamma"] == 0.0)
            .collect();
        (total, zero)
    };
    // 2 bias types × 2 seeds at γ = 0, whatever the inert mitigations; 2 × 3 × 2 at 0.2.
    let (total, zero) = plan(&["none", "token", "mask", "loss:1.0"]);
    assert_eq!(zero.len(), 4);
    assert!(zero.iter().all(|c| c["mitigation"] == "none"), "{zero:?}");
    assert_eq!(total, 4 + 2 * 4 * 2);
    // A mitigation that acts on D_o too keeps its own γ = 0 cells.
    let (_, zero) = plan(&["none", "mask:target=all"]);
    assert_eq!(zero.len(), 8);
}
