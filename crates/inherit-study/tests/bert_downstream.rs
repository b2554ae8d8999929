//! `downstream.model = "bert"` selects all-MiniLM-L6-v2 fine-tuned with a linear head
//! (fetched through pip on first use) and runs a cell through the study like the small
//! models.

mod common;

use inherit_study::Study;

#[test]
fn a_config_can_select_minilm_as_the_downstream_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::tiny_with(&dir.path().join("run"), |c| {
        c.downstream.model = "bert".into();
        c.downstream.epochs = 1;
        c.downstream.batch_size = 16;
        c.downstream.learning_rate = 5e-4;
        c.downstream.max_len = 48;
        c.gammas = vec![0.2];
        c.mitigations = vec!["none".into()];
        c.seeds = vec![1];
        c.tasks[0].train_per_cell = 1;
        c.tasks[0].test_per_cell = 1;
    });
    let outcome = Study::new(config).run().unwrap();
    assert_eq!(outcome.records.len(), 1);
    let r = &outcome.records[0];
    assert_eq!(r.model, "minilm-classifier");
    let acc = r.metrics["accuracy"];
    // 60 test biographies over 6 occupations: a pretrained encoder after one epoch beats
    // chance (1/6) by a wide margin.
    assert!(acc > 0.3, "accuracy {acc}");
}
